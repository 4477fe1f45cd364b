package recordview

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// Marks and measures of the laid-out record. The marks repeat in
// characters what the colours say.
const (
	WithheldMarker = "▲ " // before every statement that entries were withheld
	AllergyMarker  = "! " // before the allergies heading
	AllergyBar     = "┃ " // before every other line of the allergies section
	ColumnGap      = "  " // between a table's columns
	// MinColumn is the narrowest a table column is made; a table whose
	// columns cannot all have it is shown row by row as "Header: value"
	// lines instead.
	MinColumn = 8
	// LongWord caps the width a word may ask of a column: a longer one is
	// broken across lines, whatever the width.
	LongWord = 24
	// MaxLines bounds the laid-out body: a broken or hostile record (5 000
	// rows of 10 000-character cells) would otherwise take a million lines
	// and hundreds of megabytes. What is left out is said (CutLine).
	MaxLines = 20000
)

// Styles are the looks of the record's lines. They only repeat what the
// words and marks say; each must be colours and attributes only (no width,
// padding, margin or border), as lines are painted without lipgloss's
// Render.
type Styles struct {
	Text           lipgloss.Style
	Faint          lipgloss.Style // the omitted-rows notes, the created line
	Section        lipgloss.Style // a section heading
	AllergySection lipgloss.Style // the allergies heading and bar
	TableHeader    lipgloss.Style
	Withheld       lipgloss.Style // "deliberately withheld" statements
	Highlight      lipgloss.Style
}

// Body is the record laid out for one width: its lines, none wider than
// the width (at 4 cells and more), and the places a screen jumps to. It is
// never changed once made.
type Body struct {
	Width int
	Lines []string
	// Sections is the line of each section heading, in the order of
	// Record.Sections.
	Sections []int
	// Allergies is the line of the first allergies heading, Medication of
	// the first medication heading; -1 when there is none.
	Allergies, Medication int
	// AllergyStarts and AllergyEnds are the first and last lines of each
	// row counted in Allergies.Count, in order; AllergyEnd the line after
	// the last allergies section.
	AllergyStarts, AllergyEnds []int
	AllergyEnd                 int
}

// Layout lays rec out for width cells. The lines hold only the record's
// plain text, spaces and the styles' SGR sequences.
func Layout(rec *Record, st Styles, width int) *Body {
	out := &Body{Width: width, Allergies: -1, Medication: -1}
	if width <= 0 {
		return out
	}
	b := newBuilder(st, width)
	if rec == nil || rec.Unavailable {
		b.wrapped(UnavailableLine, b.p.text)
		out.Lines = b.lines
		return out
	}
	if rec.Withheld {
		b.marked(WithheldMarker, WithheldLine, b.p.withheld)
	}
	for i := range rec.Sections {
		sec := &rec.Sections[i]
		if i > 0 || rec.Withheld {
			b.blank()
		}
		start := len(b.lines)
		out.Sections = append(out.Sections, start)
		switch {
		case sec.Allergy():
			if out.Allergies < 0 {
				out.Allergies = start
			}
		case sec.Medication():
			if out.Medication < 0 {
				out.Medication = start
			}
		}
		b.section(sec)
		if sec.Allergy() {
			out.AllergyEnd = len(b.lines)
		}
	}
	out.AllergyEnds, out.AllergyStarts = b.allergyEnds, b.allergyStarts
	if b.cut {
		b.cut = false
		b.lines = b.lines[:min(len(b.lines), MaxLines-8)] // room for the note
		b.blank()
		b.marked(WithheldMarker, CutLine, b.p.withheld)
	}
	b.blank()
	b.wrapped(rec.Created, b.p.faint)
	out.Lines = b.lines
	return out
}

// AllergiesBelow says what of the counted allergy rows is not wholly on
// screen in the view from line off, h lines high, whose last line the
// "more allergies below" line would take: below, how many have not begun
// above it, and cut, whether one has begun but goes on under it (then its
// rest is not on screen either). Nothing unless the allergies have begun
// above that line, so it is never said under another section.
func (b *Body) AllergiesBelow(off, h int) (below int, cut bool) {
	if h < 2 || b.Allergies < 0 {
		return 0, false
	}
	foot := off + h - 1
	if b.Allergies >= foot || b.AllergyEnd <= off {
		return 0, false
	}
	for i, e := range b.AllergyEnds {
		switch {
		case e < foot:
		case i < len(b.AllergyStarts) && b.AllergyStarts[i] < foot:
			cut = true
		default:
			below++
		}
	}
	return below, cut
}

// Carry maps line off of b to the same place in to, the same record laid
// out for another width (or in other styles): the same section, as far into
// it in proportion.
func (b *Body) Carry(off int, to *Body) int {
	if off <= 0 || len(b.Lines) == 0 {
		return 0
	}
	i := -1
	for j, s := range b.Sections {
		if s <= off {
			i = j
		}
	}
	span := func(l *Body, i int) (start, end int) {
		if i < 0 {
			start = 0
		} else {
			start = l.Sections[i]
		}
		if i+1 < len(l.Sections) {
			end = l.Sections[i+1]
		} else {
			end = len(l.Lines)
		}
		return start, end
	}
	if len(b.Sections) != len(to.Sections) {
		return off * len(to.Lines) / len(b.Lines) // not the same record
	}
	fs, fe := span(b, i)
	ts, te := span(to, i)
	if fe <= fs {
		return ts
	}
	return ts + (off-fs)*(te-ts)/(fe-fs)
}

// builder gathers the body's lines for one width.
type builder struct {
	st    Styles
	width int
	lines []string
	// p holds the painters of the styles, made once.
	p painters
	// In the allergies section every line starts with the bar.
	prefix, blankPrefix string
	prefixW             int
	// cut: MaxLines was reached and lines were left out.
	cut bool
	// inAllergies: in an allergies section, whose counted rows
	// allergyEnds records (see Body).
	inAllergies   bool
	allergyEnds   []int
	allergyStarts []int
}

type painters struct {
	text, bold, faint, section, allergy, header, withheld, highlight Painter
}

func newBuilder(st Styles, width int) *builder {
	return &builder{st: st, width: width, p: painters{
		text: PainterOf(st.Text), bold: PainterOf(st.Text.Bold(true)), faint: PainterOf(st.Faint),
		section: PainterOf(st.Section), allergy: PainterOf(st.AllergySection), header: PainterOf(st.TableHeader),
		withheld: PainterOf(st.Withheld), highlight: PainterOf(st.Highlight),
	}}
}

// full is whether the body has all the lines it may have.
func (b *builder) full() bool { return len(b.lines) >= MaxLines }

// inner is the width left for content after the prefix, at least 1.
func (b *builder) inner() int { return max(b.width-b.prefixW, 1) }

func (b *builder) add(line string) {
	if b.full() {
		b.cut = true
		return
	}
	if line == "" {
		b.lines = append(b.lines, b.blankPrefix)
		return
	}
	b.lines = append(b.lines, b.prefix+line)
}

func (b *builder) blank() {
	if b.full() {
		b.cut = true
		return
	}
	b.lines = append(b.lines, "")
}

// wrapped adds plain text word-wrapped to the width, each line painted.
func (b *builder) wrapped(text string, p Painter) {
	for _, l := range wrapPlain(text, b.inner()) {
		b.add(p.Paint(l))
	}
}

// marked adds plain text after marker, later lines indented under the text.
func (b *builder) marked(marker, text string, p Painter) {
	mw := Width(marker)
	if b.inner()-mw < 4 {
		b.wrapped(marker+text, p)
		return
	}
	indent := strings.Repeat(" ", mw)
	for i, l := range wrapPlain(text, b.inner()-mw) {
		if i == 0 {
			b.add(p.Paint(marker + l))
		} else {
			b.add(indent + p.Paint(l))
		}
	}
}

// noteRow records the first and last lines of an allergy table row just
// added from line start, when the row is one the banner's count counts.
func (b *builder) noteRow(r Row, start int) {
	if b.inAllergies && r.Allergy && len(b.lines) > start {
		b.allergyStarts = append(b.allergyStarts, start)
		b.allergyEnds = append(b.allergyEnds, len(b.lines)-1)
	}
}

// section adds a section's heading and blocks.
func (b *builder) section(sec *Section) {
	if sec.Allergy() {
		// Set apart in characters as well as colour: a "!" before the
		// heading and a bar down the left of the whole section.
		b.wrapped(AllergyMarker+sec.Title, b.p.allergy)
		if b.width > 2*Width(AllergyBar)+MinColumn {
			b.prefix = b.st.AllergySection.Render(AllergyBar)
			b.blankPrefix = b.st.AllergySection.Render(strings.TrimRight(AllergyBar, " "))
			b.prefixW = Width(AllergyBar)
			defer func() { b.prefix, b.blankPrefix, b.prefixW = "", "", 0 }()
		}
		b.inAllergies = true
		defer func() { b.inAllergies = false }()
	} else {
		b.wrapped(sec.Title, b.p.section)
	}
	for _, blk := range sec.Blocks {
		switch blk.Kind {
		case Heading:
			b.wrapped(blk.Text, b.p.bold)
		case Paragraph:
			b.wrapped(blk.Text, b.p.text)
		case Highlight:
			b.wrapped(blk.Text, b.p.highlight)
		case Withheld:
			b.marked(WithheldMarker, blk.Text, b.p.withheld)
		case TableBlock:
			if blk.Table != nil {
				b.table(blk.Table)
			}
		}
	}
}

// table adds a narrative table fitted to the width: columns share it by
// their content (Fit), cells wrap (a word too long for its column is
// broken, never cut), and rows are a blank line apart when any row takes
// more than one (except a row that goes with the one above, Row.Continues).
// A cell spanning columns is laid across them; one spanning rows is shown
// once, on its first row, its column left blank below. With more columns
// than fit at MinColumn, or whose words do not fit side by side, each row
// is "Header: value" lines.
func (b *builder) table(t *Table) {
	if t.Caption != "" {
		b.wrapped(t.Caption, b.p.bold)
	}
	n, w := t.Columns, b.inner()
	switch {
	case n == 0:
	case n*MinColumn+(n-1)*len(ColumnGap) > w,
		tableWords(t)+(n-1)*len(ColumnGap) > w:
		b.tableAsList(t)
	default:
		b.tableAsGrid(t, w)
	}
	if t.OmittedColumns > 0 {
		b.wrapped("… "+strconv.Itoa(t.OmittedColumns)+" more columns not shown (the table is too wide)", b.p.faint)
	}
	if t.OmittedRows > 0 {
		b.wrapped("… "+strconv.Itoa(t.OmittedRows)+" more rows not shown (the record is too long)", b.p.faint)
	}
}

func (b *builder) tableAsGrid(t *Table, w int) {
	n, gap := t.Columns, len(ColumnGap)
	nat := make([]int, n)  // widest cell
	word := make([]int, n) // longest word, up to LongWord
	measure := func(cells []Cell) {
		for _, c := range cells {
			if c.Span > 1 {
				continue // measured against its columns together, below
			}
			nat[c.Col] = max(nat[c.Col], c.width)
			// A word longer than LongWord is broken anyway: it must not
			// take from other columns the room their words need whole.
			word[c.Col] = max(word[c.Col], min(c.word, LongWord))
		}
	}
	measure(t.Head)
	for _, r := range t.Rows {
		measure(r.Cells)
	}
	avail := w - (n-1)*gap
	floor := make([]int, n)
	for i := range nat {
		nat[i] = max(nat[i], 1)
		floor[i] = min(nat[i], MinColumn)
		word[i] = min(word[i], nat[i])
	}
	// Every column gets up to MinColumn first, then up to its longest word
	// (so words are not broken), then up to its widest cell.
	widths := Fit(avail, floor, word, nat)
	cellWidth := func(c Cell) int {
		cw := (c.Span - 1) * gap
		for j := c.Col; j < c.Col+c.Span; j++ {
			cw += widths[j]
		}
		return cw
	}
	// A spanning cell wider than the columns it spans takes the width the
	// columns left over, on its last column, rather than wrap needlessly.
	spare := avail
	for _, cw := range widths {
		spare -= cw
	}
	grow := func(cells []Cell) {
		for _, c := range cells {
			if c.Span > 1 && spare > 0 {
				if need := c.width - cellWidth(c); need > 0 {
					g := min(need, spare)
					widths[c.Col+c.Span-1] += g
					spare -= g
				}
			}
		}
	}
	grow(t.Head)
	for _, r := range t.Rows {
		grow(r.Cells)
	}

	var rows [][]string
	var continues []bool // the row goes with the one above
	multi := false
	add := func(lines []string, cont bool) {
		if len(lines) > 1 {
			multi = true
		}
		rows = append(rows, lines)
		continues = append(continues, cont)
	}
	if t.Head != nil {
		add(CellLines(t.Head, widths, gap, b.p.header), false)
	}
	pending := 0
	for _, r := range t.Rows {
		if len(b.lines)+pending >= MaxLines {
			b.cut = true
			break
		}
		add(CellLines(r.Cells, widths, gap, Painter{}), r.Continues())
		pending += len(rows[len(rows)-1]) + 1
	}
	for i, lines := range rows {
		// A spacer between rows, but not under the headers, nor above a row
		// that goes with the one above it.
		if multi && i > 0 && !(i == 1 && t.Head != nil) && !continues[i] {
			b.add("")
		}
		start := len(b.lines)
		for _, l := range lines {
			b.add(l)
		}
		ri := i
		if t.Head != nil {
			ri-- // rows[0] is the header
		}
		if ri >= 0 {
			b.noteRow(t.Rows[ri], start)
		}
	}
}

// tableAsList shows each row as "Header: value" lines, a blank line apart:
// for a table with more columns than the width can hold side by side. A
// value's label is the header over all its columns; a cell spanning more
// than one header has none.
func (b *builder) tableAsList(t *Table) {
	label := func(c Cell) string {
		for _, h := range t.Head {
			if h.Col <= c.Col && c.Col+c.Span <= h.Col+h.Span {
				return h.Text
			}
		}
		return ""
	}
	first := true
	for _, r := range t.Rows {
		if b.full() {
			b.cut = true
			break
		}
		if !first && !r.Below {
			b.add("")
		}
		first = false
		start := len(b.lines)
		for _, c := range r.Cells {
			if strings.TrimSpace(c.Text) == "" {
				continue
			}
			label := label(c)
			if label == "" {
				b.wrapped(c.Text, b.p.text)
				continue
			}
			// Later lines of a value are indented under its label.
			indent := min(2, b.inner()-1)
			for j, l := range Wrap(label+": "+c.Text, b.inner()-indent) {
				switch {
				case j > 0:
					l = strings.Repeat(" ", indent) + l
				case strings.HasPrefix(l, label+":"):
					l = b.st.TableHeader.Render(label) + l[len(label):]
				}
				b.add(l)
			}
		}
		b.noteRow(r, start)
	}
}

// tableWords is the width the table's columns need side by side for no
// word (up to LongWord cells) to be broken: a drug name broken mid-word
// ("Clarithromyc / in") is too easily misread, so a table that cannot have
// it is shown as "Header: value" lines instead.
func tableWords(t *Table) int {
	word := make([]int, t.Columns)
	measure := func(cells []Cell) {
		for _, c := range cells {
			if c.Span > 1 {
				continue
			}
			word[c.Col] = max(word[c.Col], min(c.word, LongWord))
		}
	}
	measure(t.Head)
	for _, r := range t.Rows {
		measure(r.Cells)
	}
	total := 0
	for _, w := range word {
		total += max(w, 1)
	}
	return total
}
