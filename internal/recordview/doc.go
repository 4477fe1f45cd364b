// Package recordview is the Summary Care Record as the viewer shows it, in
// two steps kept apart:
//
//   - what the record says (Read): its sections in the order they are shown
//     (allergies first, then acute, repeat and discontinued medication, then
//     the rest), each block as plain, bounded text, each table's cells
//     placed on its columns, the allergy status and count, the flags a
//     clinician must not miss, and the statements that entries were
//     withheld. A screen that only reads it out (a plain, screen-reader
//     mode) needs nothing more.
//   - how it is drawn at one width (Layout): the lines, styled, with the
//     places a screen scrolls to (section headings, the allergies, the
//     medication) and the line each counted allergy ends on.
//
// It also holds the one measure of text width the viewer uses (Width,
// Wrap) and the one table column fitter (Fit, CellLines), which the audit
// screen's table shares. It has no part of Bubble Tea: the screen that
// scrolls the lines is the caller's.
package recordview
