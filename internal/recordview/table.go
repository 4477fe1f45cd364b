package recordview

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Fit shares avail cells between the columns of a table. Each stage says
// how wide each column asks to be, the first stage the least: every column
// is given what one stage asks before any is given what the next asks, and
// when a stage asks for more than is left, what is left is shared in
// proportion to what each column still lacks. A stage never narrows a
// column. If the first stage alone is wider than avail, the widest columns
// give first, down to one cell.
//
// The record's tables ask for a minimum, then their longest words (so that
// no word is broken), then their widest cells; the audit screen's table
// asks for what its columns need (a date whole, the reason first) in its
// own stages. Every stage has one width per column.
func Fit(avail int, stages ...[]int) []int {
	if len(stages) == 0 {
		return nil
	}
	ws := make([]int, len(stages[0]))
	rest := avail
	for i, w := range stages[0] {
		ws[i] = max(w, 1)
		rest -= ws[i]
	}
	for rest < 0 {
		widest := -1
		for i, w := range ws {
			if w > 1 && (widest < 0 || w > ws[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		ws[widest]--
		rest++
	}
	for _, target := range stages[1:] {
		rest = raise(ws, target, rest)
	}
	return ws
}

// raise widens the columns ws towards target, sharing rest cells, and
// returns what is left.
func raise(ws, target []int, rest int) int {
	want := 0
	for i := range ws {
		want += max(target[i]-ws[i], 0)
	}
	if want == 0 || rest <= 0 {
		return rest
	}
	if want <= rest {
		for i := range ws {
			ws[i] = max(ws[i], target[i])
		}
		return rest - want
	}
	given := 0
	for i := range ws {
		if d := target[i] - ws[i]; d > 0 {
			g := rest * d / want
			ws[i] += g
			given += g
		}
	}
	rest -= given
	for i := 0; rest > 0; i = (i + 1) % len(ws) {
		if ws[i] < target[i] {
			ws[i]++
			rest--
		}
	}
	return 0
}

// CellLines sets cells side by side on columns of the given widths, gap
// cells between columns: each cell is wrapped (Wrap) to the width of its
// columns and the gaps between them, and a column where no cell of the row
// is stays blank. p paints each piece of text (the zero Painter leaves it
// as it is). The lines have no trailing spaces; there is one at least,
// unless there are no cells.
func CellLines(cells []Cell, widths []int, gap int, p Painter) []string {
	// cellWidth is the width of a cell: its columns and the gaps between.
	cellWidth := func(c Cell) int {
		cw := (c.Span - 1) * gap
		for j := c.Col; j < c.Col+c.Span && j < len(widths); j++ {
			cw += widths[j]
		}
		return cw
	}
	wrapped := make([][]string, len(cells))
	whole := make([]bool, len(cells)) // the text on one line, c.width wide
	height := 0
	for i, c := range cells {
		if c.width <= cellWidth(c) && strings.IndexByte(c.Text, '\n') < 0 {
			wrapped[i], whole[i] = []string{c.Text}, true // measured already: fits
		} else {
			wrapped[i] = wrapPlain(c.Text, cellWidth(c))
		}
		height = max(height, len(wrapped[i]))
	}
	lines := make([]string, height)
	var sb strings.Builder
	for li := range height {
		sb.Reset()
		pending := 0 // spaces owed before the next text
		at := 0      // the column pending reaches
		for i, c := range cells {
			for ; at < c.Col && at < len(widths); at++ {
				pending += widths[at] + gap // a column blank in this row
			}
			var text string
			tw := 0
			if li < len(wrapped[i]) {
				text = wrapped[i][li]
				if tw = c.width; !whole[i] {
					tw = Width(text)
				}
			}
			if text != "" {
				spaces(&sb, pending)
				pending = 0
				sb.WriteString(p.Paint(text))
			}
			// Never negative: Wrap keeps every line within the width, by
			// the same measure.
			pending += max(cellWidth(c)-tw, 0) + gap
			at = c.Col + c.Span
		}
		lines[li] = sb.String()
	}
	return lines
}

// blanks is the spaces spaces writes from, without making them anew for
// every cell of every line.
var blanks = strings.Repeat(" ", 256)

func spaces(sb *strings.Builder, n int) {
	for n > len(blanks) {
		sb.WriteString(blanks)
		n -= len(blanks)
	}
	sb.WriteString(blanks[:n])
}

// Painter puts a style's opening and closing sequences around text without
// going through lipgloss's Render, whose cost (it measures, aligns and pads)
// was three quarters of laying a record out. It is only for styles with no
// width, padding, margin or border: colours and attributes.
type Painter struct{ pre, post string }

// PainterOf is the Painter of style.
func PainterOf(style lipgloss.Style) Painter {
	const mark = "\uE000" // a private-use character no record text has
	r := style.Render(mark)
	if i := strings.Index(r, mark); i >= 0 {
		return Painter{pre: r[:i], post: r[i+len(mark):]}
	}
	return Painter{}
}

// Paint is text in the painter's style; "" stays "".
func (p Painter) Paint(text string) string {
	if text == "" || p.pre == "" && p.post == "" {
		return text
	}
	return p.pre + text + p.post
}
