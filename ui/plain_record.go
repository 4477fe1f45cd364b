package ui

import (
	"strconv"
	"strings"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/recordview"
)

// The record as the plain mode reads it: what recordview.Read says, section
// by section, each table row as one line of labelled cells, with no layout.

// plainContents is the record's sections in one line: "Contents: 1
// Allergies and Adverse Reactions; 2 Acute Medications; …".
func plainContents(rec *recordview.Record) string {
	if len(rec.Sections) == 0 {
		return ""
	}
	parts := make([]string, len(rec.Sections))
	for i, sec := range rec.Sections {
		parts[i] = strconv.Itoa(i+1) + " " + oneLine(sec.Title)
	}
	return "Contents: " + strings.Join(parts, "; ") + "."
}

// plainSection is section i of the record read out: a heading with its
// place and its number of entries, then its blocks in order.
func plainSection(rec *recordview.Record, i int) []string {
	sec := rec.Sections[i]
	head := "Section " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(rec.Sections)) + ": " + oneLine(sec.Title)
	switch n, nothing := sectionEntries(sec); {
	case n > 0:
		head += ", " + explain.Plural(n, "entry", "entries")
	case nothing:
		head += ", no entries" // then the row that says there is nothing
	}
	out := []string{head + "."}
	if sec.Withheld {
		out = append(out, "Warning: some entries in this section were deliberately withheld.")
	}
	for _, b := range sec.Blocks {
		switch b.Kind {
		case recordview.Heading:
			out = append(out, sentence(oneLine(b.Text)))
		case recordview.Paragraph:
			for l := range strings.SplitSeq(b.Text, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
		case recordview.Highlight:
			out = append(out, "Important: "+sentence(oneLine(b.Text)))
		case recordview.Withheld:
			out = append(out, "Warning: "+sentence(oneLine(b.Text)))
		case recordview.TableBlock:
			out = append(out, plainTable(b.Table)...)
		}
	}
	if len(out) == 1 {
		out = append(out, "This section is empty.")
	}
	return out
}

// sectionEntries is the number of entries the section's tables list, a row
// that goes with the one above it counted with it; nothing reports whether
// the section says there is nothing in it ("No relevant information
// available for this category.", as a row or a paragraph), which is no
// entry. In an allergies section an entry is a row that names an allergy
// (recordview's Row.Allergy, as the banner counts them): "No known
// allergies" is no entry either.
func sectionEntries(sec recordview.Section) (n int, nothing bool) {
	for _, b := range sec.Blocks {
		switch {
		case b.Kind == recordview.Paragraph:
			nothing = nothing || saysNothing(b.Text)
		case b.Kind == recordview.TableBlock && b.Table != nil:
			for _, r := range b.Table.Rows {
				switch {
				case r.Continues():
				case sec.Allergy() && !r.Allergy, rowSaysNothing(r):
					nothing = true
				default:
					n++
				}
			}
		}
	}
	return n, nothing
}

// rowSaysNothing reports whether a table row only says there is nothing to
// list: one cell, "No relevant information available…".
func rowSaysNothing(r recordview.Row) bool {
	var texts []string
	for _, c := range r.Cells {
		if t := strings.TrimSpace(c.Text); t != "" {
			texts = append(texts, t)
		}
	}
	return len(texts) == 1 && saysNothing(texts[0])
}

// saysNothing reports whether text is the record's statement that it has
// nothing for the category, as GP systems write it.
func saysNothing(text string) bool {
	return strings.HasPrefix(strings.ToLower(oneLine(text)), "no relevant information")
}

// plainTable is a table read out: its caption, then each row on a line,
// every cell labelled with the heading over its column ("Date: 03 February
// 1994. Description: Penicillin allergy. …"); a row that goes with the one
// above it says so; the rows and columns the record left out are said.
func plainTable(t *recordview.Table) []string {
	if t == nil {
		return nil
	}
	var out []string
	if c := oneLine(t.Caption); c != "" {
		out = append(out, "Table: "+sentence(c))
	}
	label := func(c recordview.Cell) string {
		for _, h := range t.Head {
			if h.Col <= c.Col && c.Col+c.Span <= h.Col+h.Span && strings.TrimSpace(h.Text) != "" {
				return oneLine(h.Text) + ": "
			}
		}
		return ""
	}
	for _, r := range t.Rows {
		var parts []string
		for _, c := range r.Cells {
			if text := oneLine(c.Text); text != "" {
				parts = append(parts, sentence(label(c)+text))
			}
		}
		if len(parts) == 0 {
			continue
		}
		line := strings.Join(parts, " ")
		if r.Continues() {
			line = "Continued: " + line
		}
		out = append(out, line)
	}
	if t.OmittedRows > 0 {
		out = append(out, explain.Plural(t.OmittedRows, "row", "rows")+" of this table left out: the GP practice's record has them.")
	}
	if t.OmittedColumns > 0 {
		out = append(out, explain.Plural(t.OmittedColumns, "column", "columns")+" of this table left out: the GP practice's record has them.")
	}
	return out
}

// oneLine is text on one line, its spaces collapsed.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
