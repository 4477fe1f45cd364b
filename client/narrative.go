package client

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"github.com/scrterm/scr/internal/safetext"
)

// Block is one piece of a section's narrative: a Heading, Paragraph,
// Highlight or *Table. The set is closed, so a type switch over it is
// exhaustive.
type Block interface{ narrativeBlock() }

// Heading is a heading (h1–h6) of the narrative.
type Heading struct{ Text string }

// Paragraph is running text. It is the one model text that may hold "\n",
// each one an explicit <br/> of the narrative. A list item is a Paragraph
// beginning "• " (or "1. "), indented two spaces a level when nested.
type Paragraph struct{ Text string }

// Highlight is a statement the record itself emphasises (class
// "HighlightedStatement", or a paragraph wholly in <b> or <strong>). Withheld
// marks the "entries have been deliberately withheld" statement, which the
// screen must never let pass unnoticed, wherever in the record it appears.
type Highlight struct {
	Text     string
	Withheld bool
}

// Table is a narrative table, normalised to a grid: Headers (when the first
// row is all <th>) and every row of Rows have one Cell per column, so a
// column is the same index in every row. colspan and rowspan are honoured
// (see Cell). A row with fewer cells than the grid and no colspan has its
// last cell span the remaining columns, as in the SCR's "No relevant
// information available for this category." rows, which some GP systems
// send without a colspan. A table nested in a cell is flattened into that
// cell's text.
type Table struct {
	Caption string
	Headers []Cell // nil when the table has no header row
	Rows    [][]Cell
	// Omitted counts rows beyond maxNarrativeRows that were dropped, and
	// OmittedColumns the columns beyond maxNarrativeCells (the most of any
	// row), so the screen can say the table is incomplete.
	Omitted        int
	OmittedColumns int
}

// Cell is one column of a Table row. A cell with a colspan or rowspan is
// held once, at its first row and column, with its spans; every other
// position it takes is Covered. So its text is read once, never repeated
// on each row it spans, and the rows below still have a Cell for each
// column.
type Cell struct {
	Text string
	// ColSpan and RowSpan are the columns and rows the cell takes, within
	// the grid; 0 and 1 both mean one.
	ColSpan, RowSpan int
	// Covered marks a position taken by a cell to its left or above: it has
	// no text of its own.
	Covered bool
}

// Cols is the number of columns c takes: at least 1.
func (c Cell) Cols() int { return max(c.ColSpan, 1) }

func (Heading) narrativeBlock()   {}
func (Paragraph) narrativeBlock() {}
func (Highlight) narrativeBlock() {}
func (*Table) narrativeBlock()    {}

// Bounds on the work and memory one narrative may cost. The parser is an
// iterative loop over html.Tokenizer, so deep nesting cannot exhaust the
// stack; these keep a hostile record from filling memory or the screen.
const (
	maxNarrativeBlocks = 5000 // per section
	maxNarrativeRows   = 5000 // per table
	maxNarrativeCells  = 64   // columns per table
	maxNarrativeIndent = 8    // list levels shown as indentation
	// maxNarrativeRawText bounds the bytes gathered for one line or cell
	// before the gate sees it: safetext.MaxRunes runes of up to 4 bytes, and
	// as much again for white space and controls that the gate will drop.
	maxNarrativeRawText = 2 * safetext.MaxRunes * 4
)

// narrativeWithheld is the phrase of the SCR statement "One or more entries
// have been deliberately withheld from this GP Summary."; matched loosely so
// a rewording by a GP system is still caught.
const narrativeWithheld = "deliberately withheld"

// isWithheldText reports whether s is (or contains) the withheld statement.
func isWithheldText(s string) bool {
	// ASCII case folding in place: ToLower would allocate for every cell.
	for i := 0; i+len(narrativeWithheld) <= len(s); i++ {
		if asciiEqualFold(s[i:i+len(narrativeWithheld)], narrativeWithheld) {
			return true
		}
	}
	return false
}

// asciiEqualFold is strings.EqualFold for a lower-case ASCII want.
func asciiEqualFold(s, want string) bool {
	for i := 0; i < len(want); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// parseNarrative turns a section's XHTML text.div into blocks. It reads with
// the tokenizer rather than html.Parse: the SCR's XHTML uses self-closing
// tags (<td/>) that the HTML tree builder would misread as open elements,
// and a flat token loop is simpler to bound. Entities are decoded by the
// tokenizer; every text reaches the model through the gate, safetext.Line
// (after the entities are decoded, so "&#27;[2J" and "with&#8203;held" are
// caught as if sent raw), then through DisplayDates with bounds. The div is
// the one text from the server the JSON decoder does not gate (see markup).
// Every line is gated apart and joined with "\n" here, so a line break in a
// block is always the parser's, never the record's.
func parseNarrative(div string, bounds DateBounds) (blocks []Block, withheld bool) {
	p := narrativeParser{bounds: bounds}
	z := html.NewTokenizer(strings.NewReader(div))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF, or malformed input the tokenizer gave up on: keep what
			// was read either way.
			p.flushText()
			p.endTable()
			if p.omitted > 0 {
				p.blocks = append(p.blocks, Paragraph{Text: safetext.Ellipsis + " " +
					strconv.Itoa(p.omitted) + " more items of this section not shown"})
			}
			return p.blocks, p.withheld
		case html.TextToken:
			if p.skipping > 0 {
				continue
			}
			p.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			var class string
			p.colSpan, p.rowSpan = 1, 1
			cell := string(name) == "td" || string(name) == "th"
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch {
				case string(k) == "class":
					class = string(v)
				case cell && string(k) == "colspan":
					p.colSpan = htmlSpan(v, 1, maxHTMLColSpan)
				case cell && string(k) == "rowspan":
					p.rowSpan = htmlSpan(v, 1, maxHTMLRowSpan)
				}
			}
			p.start(string(name), class)
			if tt == html.SelfClosingTagToken {
				p.end(string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			p.end(string(name))
		}
	}
}

// The spans HTML itself allows; rowspan 0 is "to the end of the table".
// They only bound the numbers read: the grid bounds what is kept.
const (
	maxHTMLColSpan = 1000
	maxHTMLRowSpan = 65534
)

// htmlSpan reads a colspan or rowspan value as HTML does: leading digits
// after optional white space; def when there are none, at most limit.
func htmlSpan(v []byte, def, limit int) int {
	v = bytes.TrimLeft(v, " \t\n\f\r")
	n, digits := 0, 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = min(n*10+int(c-'0'), limit) // stays small, however many digits
		digits++
	}
	if digits == 0 {
		return def
	}
	return n
}

// narrativeParser is parseNarrative's state between tokens.
type narrativeParser struct {
	bounds   DateBounds // for DisplayDates
	blocks   []Block
	withheld bool
	omitted  int // blocks dropped beyond maxNarrativeBlocks

	// The block being gathered outside tables.
	buf        bytes.Buffer
	lines      []string // cleaned lines before the last <br/>
	heading    bool
	highlight  bool // its element's class asks for it
	plainText  bool // it has text outside <b>/<strong>
	boldText   bool // it has text inside <b>/<strong>
	bold       int  // open <b>/<strong>
	listPrefix string
	lists      []int // open lists: 0 for <ul>, else the next <ol> number

	skipping int // open <script>/<style>, whose text is not narrative

	// The table being gathered: only the outermost becomes a Table, its
	// rows kept as sent until the table ends and they are put on a grid.
	tables   int
	table    *Table
	rawRows  []rawRow
	bodyRows int  // rawRows that are not the header row
	rowSpans bool // a cell of the table has a rowspan, so empty rows count
	row      rawRow
	rowHead  bool // every cell of the row so far is <th>
	inRow    bool
	cell     bytes.Buffer
	cellSep  string // owed before the cell's next text
	inCell   bool
	caption  bool
	// The spans of the <td> or <th> tag just read, and of the open cell.
	colSpan, rowSpan         int
	cellColSpan, cellRowSpan int
}

// rawRow is a table row as sent: its cells in order with the spans asked
// (RowSpan 0 for "to the end"), before they are placed on the grid.
type rawRow struct {
	cells   []Cell
	dropped int  // cells beyond maxNarrativeCells, not kept
	head    bool // the table's header row
	colSpan bool // a cell has a colspan: the short-row rule does not apply
}

// clean is the gate, then the record's dates in the SCR's form.
func (p *narrativeParser) clean(s string) string {
	return DisplayDates(safetext.Line(s), p.bounds)
}

func (p *narrativeParser) text(t []byte) {
	if p.tables > 0 {
		if p.caption {
			p.appendRaw(&p.cell, t)
			return
		}
		if len(bytes.TrimSpace(t)) == 0 && !p.inCell {
			return // white space between rows and cells
		}
		p.ensureCell()
		if p.cellSep != "" {
			p.appendRaw(&p.cell, []byte(p.cellSep))
			p.cellSep = ""
		}
		p.appendRaw(&p.cell, t)
		return
	}
	if len(bytes.TrimSpace(t)) > 0 {
		if p.bold > 0 {
			p.boldText = true
		} else {
			p.plainText = true
		}
	}
	p.appendRaw(&p.buf, t)
}

// appendRaw appends within maxNarrativeRawText, marking a cut with the
// ellipsis the gate would have used.
func (p *narrativeParser) appendRaw(b *bytes.Buffer, t []byte) {
	room := maxNarrativeRawText - b.Len()
	if room <= 0 {
		return
	}
	if len(t) > room {
		b.Write(t[:room])
		b.WriteString(" " + safetext.Ellipsis)
		return
	}
	b.Write(t)
}

func (p *narrativeParser) start(name, class string) {
	switch name {
	case "script", "style":
		p.skipping++
		return
	case "b", "strong":
		p.bold++
		return
	case "br":
		if p.tables > 0 {
			p.cellSeparator(" ")
		} else {
			p.lineBreak()
		}
		return
	case "table":
		if p.tables == 0 {
			p.flushText()
			p.table = &Table{}
			p.rawRows, p.bodyRows, p.rowSpans = p.rawRows[:0], 0, false
		} else {
			p.cellSeparator(" ")
		}
		p.tables++
		return
	}
	if p.tables > 0 {
		p.startInTable(name)
		return
	}
	switch name {
	case "p", "div", "blockquote", "pre", "section", "dd", "dt":
		p.flushText()
		p.highlight = strings.Contains(strings.ToLower(class), "highlight")
	case "h1", "h2", "h3", "h4", "h5", "h6":
		p.flushText()
		p.heading = true
	case "ul", "ol":
		p.flushText()
		next := 0
		if name == "ol" {
			next = 1
		}
		p.lists = append(p.lists, next)
	case "li":
		p.flushText()
		p.listPrefix = p.listItemPrefix()
	}
}

func (p *narrativeParser) startInTable(name string) {
	if p.tables > 1 {
		// A nested table is flattened into the outer cell.
		switch name {
		case "tr":
			p.cellSeparator("; ")
		case "td", "th", "p", "div", "li":
			p.cellSeparator(" ")
		}
		return
	}
	switch name {
	case "caption":
		p.caption = true
		p.cell.Reset()
	case "tr":
		p.endRow()
		p.inRow, p.rowHead = true, true
	case "td", "th":
		p.endCell()
		if !p.inRow {
			p.inRow, p.rowHead = true, true
		}
		p.inCell = true
		p.cellColSpan, p.cellRowSpan = p.colSpan, p.rowSpan
		if name == "td" {
			p.rowHead = false
		}
	case "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
		p.cellSeparator(" ")
	}
}

func (p *narrativeParser) end(name string) {
	switch name {
	case "script", "style":
		if p.skipping > 0 {
			p.skipping--
		}
		return
	case "b", "strong":
		if p.bold > 0 {
			p.bold--
		}
		return
	case "table":
		switch {
		case p.tables == 1:
			p.endTable()
		case p.tables > 1:
			p.tables--
		}
		return
	}
	if p.tables > 1 {
		return
	}
	if p.tables == 1 {
		switch name {
		case "caption":
			p.table.Caption = p.clean(p.cell.String())
			p.cell.Reset()
			p.caption = false
		case "td", "th":
			p.endCell()
		case "tr":
			p.endRow()
		}
		return
	}
	switch name {
	case "p", "div", "blockquote", "pre", "section", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "li":
		p.flushText()
	case "ul", "ol":
		p.flushText()
		if len(p.lists) > 0 {
			p.lists = p.lists[:len(p.lists)-1]
		}
	}
}

// listItemPrefix is the marker of a new item of the innermost open list.
func (p *narrativeParser) listItemPrefix() string {
	if len(p.lists) == 0 {
		return "• "
	}
	indent := strings.Repeat("  ", min(len(p.lists)-1, maxNarrativeIndent))
	last := &p.lists[len(p.lists)-1]
	if *last == 0 {
		return indent + "• "
	}
	n := *last
	*last++
	return indent + strconv.Itoa(n) + ". "
}

// maxNarrativeLines bounds the <br/>-separated lines of one block; past it a
// <br/> is read as a space.
const maxNarrativeLines = 200

// lineBreak ends a line of the block being gathered: cleaned now, so that
// the "\n" between lines is ours and never the record's.
func (p *narrativeParser) lineBreak() {
	if len(p.lines) >= maxNarrativeLines {
		p.appendRaw(&p.buf, []byte(" "))
		return
	}
	p.lines = append(p.lines, p.clean(p.buf.String()))
	p.buf.Reset()
}

// flushText ends the block being gathered outside tables, if it has text.
func (p *narrativeParser) flushText() {
	p.lineBreak()
	lines := p.lines[:0]
	for _, l := range p.lines {
		if l != "" {
			lines = append(lines, l)
		}
	}
	heading, highlight, bold, plain, prefix := p.heading, p.highlight, p.boldText, p.plainText, p.listPrefix
	p.lines = p.lines[:0]
	p.heading, p.highlight, p.boldText, p.plainText, p.listPrefix = false, false, false, false, ""
	if len(lines) == 0 {
		return
	}
	text := strings.Join(lines, "\n")
	withheld := isWithheldText(text)
	switch {
	case withheld:
		p.withheld = true
		p.add(Highlight{Text: prefix + text, Withheld: true})
	case heading:
		p.add(Heading{Text: text})
	case highlight || (bold && !plain):
		p.add(Highlight{Text: prefix + text})
	default:
		p.add(Paragraph{Text: prefix + text})
	}
}

func (p *narrativeParser) add(b Block) {
	if len(p.blocks) >= maxNarrativeBlocks {
		p.omitted++
		return
	}
	p.blocks = append(p.blocks, b)
}

// cellSeparator owes sep before the cell's next text, if it has text
// already: "; " between the rows of a nested table outranks " ".
func (p *narrativeParser) cellSeparator(sep string) {
	if p.inCell && p.cell.Len() > 0 && (sep == "; " || p.cellSep == "") {
		p.cellSep = sep
	}
}

// ensureCell opens a cell for text found in a table outside any: HTML would
// move it before the table, but dropping it could hide clinical text.
func (p *narrativeParser) ensureCell() {
	if !p.inRow {
		p.inRow, p.rowHead = true, false
	}
	if !p.inCell {
		p.inCell = true
		p.rowHead = false
		p.cellColSpan, p.cellRowSpan = 1, 1
	}
}

func (p *narrativeParser) endCell() {
	if !p.inCell {
		return
	}
	text := p.clean(p.cell.String())
	p.cell.Reset()
	p.inCell, p.cellSep = false, ""
	if isWithheldText(text) {
		p.withheld = true
	}
	// No row can place more cells than the grid has columns.
	if len(p.row.cells) >= maxNarrativeCells {
		p.row.dropped++
		return
	}
	p.row.cells = append(p.row.cells, Cell{Text: text, ColSpan: p.cellColSpan, RowSpan: p.cellRowSpan})
	p.row.colSpan = p.row.colSpan || p.cellColSpan > 1
	p.rowSpans = p.rowSpans || p.cellRowSpan != 1
}

func (p *narrativeParser) endRow() {
	p.endCell()
	if !p.inRow {
		return
	}
	row := p.row
	p.row, p.inRow = rawRow{}, false
	// A row without cells is nothing, unless a rowspan may reach down
	// through it: HTML counts it among the rows spanned.
	if len(row.cells) == 0 && row.dropped == 0 && !p.rowSpans {
		return
	}
	switch {
	case p.rowHead && len(p.rawRows) == 0 && len(row.cells) > 0:
		row.head = true
	case p.bodyRows >= maxNarrativeRows:
		p.table.Omitted++
		return
	default:
		p.bodyRows++
	}
	p.rawRows = append(p.rawRows, row)
}

// placeRows puts the table's rows on a grid as HTML lays a table out: each
// cell at the first column of its row not taken by a rowspan from above,
// taking ColSpan columns and RowSpan rows. The grid is as wide as the
// furthest column a cell starts in: a colspan past it ("colspan=99" for
// "the whole row", or a hostile 100000) is cut to it. Every row is then
// filled out to that width (see Table).
func (p *narrativeParser) placeRows(t *Table) {
	var down [maxNarrativeCells]int // rows below still taken, by column
	grid := make([][]Cell, 0, len(p.rawRows))
	width := 0
	for y, raw := range p.rawRows {
		// The columns rowspans from above take in this row; a column
		// between them that none takes is an empty cell.
		var row []Cell
		for x := range down {
			if down[x] > 0 {
				down[x]--
				for len(row) < x {
					row = append(row, Cell{ColSpan: 1, RowSpan: 1})
				}
				row = append(row, Cell{Covered: true})
			}
		}
		x, dropped, last := 0, raw.dropped, -1
		for _, c := range raw.cells {
			for x < len(row) && row[x].Covered {
				x++
			}
			if x >= maxNarrativeCells {
				dropped++
				continue
			}
			span := min(c.Cols(), maxNarrativeCells-x)
			for k := 1; k < span; k++ {
				if x+k < len(row) && row[x+k].Covered {
					span = k // no overlap with a cell from above
					break
				}
			}
			rows := len(p.rawRows) - y // rowspan 0: to the end of the table
			if c.RowSpan > 0 {
				rows = min(c.RowSpan, rows)
			}
			for len(row) < x+span {
				row = append(row, Cell{}) // x <= len(row): all set below
			}
			row[x] = Cell{Text: c.Text, ColSpan: span, RowSpan: rows}
			last = x
			for k := 1; k < span; k++ {
				row[x+k] = Cell{Covered: true}
			}
			if rows > 1 {
				for k := range span {
					down[x+k] = rows - 1
				}
			}
			x += span
		}
		t.OmittedColumns = max(t.OmittedColumns, dropped)
		width = max(width, last+1)
		if dropped == len(raw.cells)+raw.dropped {
			row = nil // no cell of its own: nothing to read
		}
		grid = append(grid, row)
	}
	out := grid[:0]
	for y, row := range grid {
		if row == nil {
			continue
		}
		if len(row) > width {
			row = row[:width]
			for x := range row {
				if !row[x].Covered {
					row[x].ColSpan = min(row[x].ColSpan, width-x)
				}
			}
		}
		row = fillRow(row, width, !p.rawRows[y].colSpan)
		if p.rawRows[y].head && t.Headers == nil && len(out) == 0 {
			t.Headers = row
			continue
		}
		out = append(out, row)
	}
	if len(out) > 0 {
		t.Rows = out
	}
}

// fillRow makes row width columns long. With short set (the row has no
// colspan), a last cell that ends the row spans the rest: some GP systems
// send "No relevant information…" as one cell without a colspan. Otherwise
// the row is padded with empty cells.
func fillRow(row []Cell, width int, short bool) []Cell {
	n := len(row)
	if n == width {
		return row
	}
	last := n - 1
	for last >= 0 && row[last].Covered {
		last--
	}
	// Not a cell spanning rows: the rows below would not agree.
	pad := Cell{ColSpan: 1, RowSpan: 1}
	if short && last >= 0 && last+row[last].Cols() == n && row[last].RowSpan <= 1 {
		row[last].ColSpan = width - last
		pad = Cell{Covered: true}
	}
	for len(row) < width {
		row = append(row, pad)
	}
	return row
}

// endTable closes the outermost table, if one is open.
func (p *narrativeParser) endTable() {
	if p.table == nil {
		return
	}
	p.endRow()
	t := p.table
	p.table, p.tables, p.caption = nil, 0, false
	p.placeRows(t)
	clear(p.rawRows) // let the texts go
	if t.Caption != "" || len(t.Headers) > 0 || len(t.Rows) > 0 {
		p.add(t)
	}
}
