package client

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"
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

// Table is a narrative table. A row shorter than Headers has a last cell that
// spans the remaining columns (colspan), as in the SCR's "No relevant
// information available for this category." rows, which are kept as rows.
// A table nested in a cell is flattened into that cell's text.
type Table struct {
	Caption string
	Headers []string
	Rows    [][]string
	// Omitted counts rows beyond maxNarrativeRows that were dropped, so the
	// screen can say the table is incomplete.
	Omitted int
}

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
	maxNarrativeCells  = 64   // per row
	maxNarrativeIndent = 8    // list levels shown as indentation
	// maxNarrativeRawText bounds the bytes gathered for one line or cell
	// before cleanText sees it: maxFieldRunes runes of up to 4 bytes, and as
	// much again for white space and controls that cleanText will drop.
	maxNarrativeRawText = 2 * maxFieldRunes * 4
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
// tokenizer; every text reaches the model through cleanText.
func parseNarrative(div string) (blocks []Block, withheld bool) {
	p := narrativeParser{}
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
				p.blocks = append(p.blocks, Paragraph{Text: textEllipsis + " " +
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
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "class" {
					class = string(v)
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

// narrativeParser is parseNarrative's state between tokens.
type narrativeParser struct {
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

	// The table being gathered: only the outermost becomes a Table.
	tables  int
	table   *Table
	row     []string
	rowHead bool // every cell of the row so far is <th>
	inRow   bool
	cell    bytes.Buffer
	cellSep string // owed before the cell's next text
	inCell  bool
	caption bool
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
// ellipsis cleanText would have used.
func (p *narrativeParser) appendRaw(b *bytes.Buffer, t []byte) {
	room := maxNarrativeRawText - b.Len()
	if room <= 0 {
		return
	}
	if len(t) > room {
		b.Write(t[:room])
		b.WriteString(" " + textEllipsis)
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
			p.table.Caption = cleanText(p.cell.String())
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
	p.lines = append(p.lines, cleanText(p.buf.String()))
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
	}
}

func (p *narrativeParser) endCell() {
	if !p.inCell {
		return
	}
	text := cleanText(p.cell.String())
	p.cell.Reset()
	p.inCell, p.cellSep = false, ""
	if isWithheldText(text) {
		p.withheld = true
	}
	if len(p.row) < maxNarrativeCells {
		p.row = append(p.row, text)
	}
}

func (p *narrativeParser) endRow() {
	p.endCell()
	if !p.inRow {
		return
	}
	row := p.row
	p.row, p.inRow = nil, false
	if len(row) == 0 {
		return
	}
	t := p.table
	switch {
	case p.rowHead && t.Headers == nil && len(t.Rows) == 0:
		t.Headers = row
	case len(t.Rows) >= maxNarrativeRows:
		t.Omitted++
	default:
		t.Rows = append(t.Rows, row)
	}
}

// endTable closes the outermost table, if one is open.
func (p *narrativeParser) endTable() {
	if p.table == nil {
		return
	}
	p.endRow()
	t := p.table
	p.table, p.tables, p.caption = nil, 0, false
	if t.Caption != "" || len(t.Headers) > 0 || len(t.Rows) > 0 {
		p.add(t)
	}
}
