package recordview

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scrterm/scr/client"
)

// The allergy status: exactly one of the CUI's four phrases.
const (
	AllergiesKnown       = "Known allergies"
	AllergiesNoneKnown   = "No known allergies"
	AllergiesNotRecorded = "Allergies not recorded"
	AllergiesUnavailable = "Allergies unavailable"
)

// Words of the record. The words carry the meaning; styles only repeat it.
const (
	// Untitled heads a section sent with neither title nor code: it is
	// still shown, as what it holds may matter.
	Untitled = "Untitled section"
	// NotKnown stands for a value the record does not give, as the CUI
	// asks: never a blank that could be read as "none".
	NotKnown = "Not Known"
	// WithheldLine opens a record that says entries were withheld.
	WithheldLine = "Some entries were deliberately withheld from this record."
	// UnavailableLine is all there is to say when there is no record.
	UnavailableLine = "The Summary Care Record could not be shown."
	// CutLine ends a record too long to lay out in full (MaxLines).
	CutLine = "The record is too long to show in full here: the rest of it was left out. The GP practice's record has it all."
)

// MaxText bounds one cell or paragraph as shown, as the client bounds a
// field (10 000 characters); beyond it, the rest is replaced by a note
// saying how much (CapText), never dropped silently.
const MaxText = 10000

// Record is what a Summary Care Record says, before anything is drawn.
type Record struct {
	// Unavailable: there is no record (it could not be read); only
	// UnavailableLine is said.
	Unavailable bool
	// Withheld: some statement says entries were deliberately withheld;
	// WithheldLine is said before the sections.
	Withheld bool
	// Sections in the order shown (see Order).
	Sections  []Section
	Allergies Allergies
	// Flags are what a clinician must not miss, in the order the banner
	// names them.
	Flags []Flag
	// Practice is the organisation that wrote the record.
	Practice client.Organisation
	// Created is the record's last line: "Record created 17-Nov-2020 by
	// Dr Steve Jones, Headingley Lane Surgery (Y90017)".
	Created string
}

// Allergies is the allergy status the banner gives.
type Allergies struct {
	Status string // one of the four Allergies… phrases
	// Count is the number of allergies the allergy sections' tables list
	// (rows with Allergy set); Exact is false when that may fall short (an
	// allergy written outside a table, or rows the client left out), so
	// that no number is shown rather than too small a one.
	Count int
	Exact bool
}

// Section is one section of the record.
type Section struct {
	// Title as headed: the title sent, else the code, else Untitled;
	// plain and bounded (CapText).
	Title string
	// Kind is what the section is, as an SCR section code (client.Section
	// Kind, or its Code for a Section made without the client).
	Kind     string
	Withheld bool // a statement in it says entries were withheld
	Blocks   []Block
}

// Allergy reports whether the section is an allergies section: shown
// first, set apart, its rows counted.
func (s *Section) Allergy() bool { return s.Kind == client.SectionAllergies }

// Medication reports whether the section is acute, repeat or discontinued
// repeat medication.
func (s *Section) Medication() bool {
	switch s.Kind {
	case client.SectionAcuteMeds, client.SectionRepeatMeds, client.SectionDiscontinuedMeds:
		return true
	}
	return false
}

// BlockKind is what a Block is.
type BlockKind int

const (
	Heading    BlockKind = iota // a heading within the section
	Paragraph                   // running text; may hold "\n"
	Highlight                   // a statement the record emphasises
	Withheld                    // a statement that entries were withheld: never to pass unnoticed
	TableBlock                  // a table: Table
)

// Block is one block of a section: Text (plain and bounded, CapText) or a
// Table.
type Block struct {
	Kind  BlockKind
	Text  string
	Table *Table
}

// Table is a narrative table with its cells placed on its columns.
type Table struct {
	Caption string // "" when none
	Columns int
	Head    []Cell // nil: no header row
	Rows    []Row
	// OmittedRows and OmittedColumns are the rows and columns the client
	// left out, to be said.
	OmittedRows, OmittedColumns int
}

// Row is one table row: the cells that have text of their own.
type Row struct {
	Cells []Cell
	// Below: a cell of a row above spans down into this one.
	Below bool
	// Allergy: a row of an allergies section that names an allergy, one
	// of Allergies.Count.
	Allergy bool
}

// Continues reports whether the row goes with the one above it: its first
// cell is empty, or a cell above spans into it (the SCR's "Date
// Discontinued" line under its medication).
func (r Row) Continues() bool {
	return len(r.Cells) == 0 || r.Cells[0].Col > 0 || strings.TrimSpace(r.Cells[0].Text) == "" || r.Below
}

// Cell is text over columns [Col, Col+Span), measured once.
type Cell struct {
	Col, Span int
	Text      string // plain
	width     int
	word      int
}

// NewCell is a cell of text over columns [col, col+span), the text made
// plain (Plain).
func NewCell(col, span int, text string) Cell {
	text = Plain(text)
	w, word := Measure(text)
	return Cell{Col: col, Span: max(span, 1), Text: text, width: w, word: word}
}

// Width is the cell text's width; Word its longest word's.
func (c Cell) Width() int { return c.width }

// Word is the width of the cell text's longest word.
func (c Cell) Word() int { return c.word }

// CapText keeps the first MaxText characters of text and says how many more
// there were; the text is made plain (Plain) first, so that it is measured
// as it will be wrapped.
func CapText(text string) string {
	text = Plain(text)
	if len(text) <= MaxText {
		return text
	}
	n := 0
	for i := range text {
		if n == MaxText {
			rest := utf8.RuneCountInString(text[i:])
			return text[:i] + " … [" + strconv.Itoa(rest) + " more characters not shown]"
		}
		n++
	}
	return text
}

// kind is what sec is: its Kind as the client recognised it, or its Code
// for a Section made without the client.
func kind(sec *client.Section) string {
	if sec.Kind != "" {
		return sec.Kind
	}
	return sec.Code
}

// title is a section's heading as shown.
func title(sec *client.Section) string {
	switch {
	case sec.Title != "":
		return sec.Title
	case sec.Code != "":
		return sec.Code
	}
	return Untitled
}

// Order is the order the sections of s are shown in: allergies first, then
// acute, repeat and discontinued repeat medication, then every other section
// in the record's order.
func Order(s *client.Summary) []*client.Section {
	if s == nil {
		return nil
	}
	first := [...]string{client.SectionAllergies, client.SectionAcuteMeds, client.SectionRepeatMeds, client.SectionDiscontinuedMeds}
	out := make([]*client.Section, 0, len(s.Sections))
	for _, code := range first {
		for i := range s.Sections {
			if kind(&s.Sections[i]) == code {
				out = append(out, &s.Sections[i])
			}
		}
	}
	for i := range s.Sections {
		switch kind(&s.Sections[i]) {
		case first[0], first[1], first[2], first[3]:
		default:
			out = append(out, &s.Sections[i])
		}
	}
	return out
}

// Read is what s says; s nil is a record that could not be read.
func Read(s *client.Summary) *Record {
	if s == nil {
		return &Record{Unavailable: true, Allergies: Allergies{Status: AllergiesUnavailable}}
	}
	order := Order(s)
	rec := &Record{
		Withheld:  s.Withheld,
		Sections:  make([]Section, len(order)),
		Allergies: allergies(s),
		Flags:     flags(s, order),
		Practice:  s.Practice,
		Created:   CapText(created(s)),
	}
	for i, sec := range order {
		rec.Sections[i] = readSection(sec)
	}
	return rec
}

func readSection(sec *client.Section) Section {
	out := Section{Title: CapText(title(sec)), Kind: kind(sec), Withheld: sec.Withheld, Blocks: make([]Block, 0, len(sec.Blocks))}
	allergy := out.Allergy()
	highlight := func(h client.Highlight) Block {
		if h.Withheld {
			return Block{Kind: Withheld, Text: CapText(h.Text)}
		}
		return Block{Kind: Highlight, Text: CapText(h.Text)}
	}
	for _, blk := range sec.Blocks {
		switch blk := blk.(type) {
		case client.Heading:
			out.Blocks = append(out.Blocks, Block{Kind: Heading, Text: CapText(blk.Text)})
		case client.Paragraph:
			out.Blocks = append(out.Blocks, Block{Kind: Paragraph, Text: CapText(blk.Text)})
		case client.Highlight:
			out.Blocks = append(out.Blocks, highlight(blk))
		case *client.Highlight:
			if blk != nil {
				out.Blocks = append(out.Blocks, highlight(*blk))
			}
		case *client.Table:
			if blk != nil {
				out.Blocks = append(out.Blocks, Block{Kind: TableBlock, Table: readTable(blk, allergy)})
			}
		}
	}
	return out
}

// readTable places t's cells. It trusts the client's grid no further than
// it must: a span never reaches past the row or over a position that is not
// Covered, so no text is lost whatever the table holds. allergy: the table
// is in an allergies section, whose rows are counted.
func readTable(t *client.Table, allergy bool) *Table {
	out := &Table{Caption: CapText(t.Caption), Columns: len(t.Headers), OmittedRows: t.Omitted, OmittedColumns: t.OmittedColumns}
	for _, r := range t.Rows {
		out.Columns = max(out.Columns, len(r))
	}
	if len(t.Headers) > 0 {
		out.Head, _ = place(t.Headers, out.Columns)
	}
	out.Rows = make([]Row, 0, len(t.Rows))
	for _, r := range t.Rows {
		cells, below := place(r, out.Columns)
		if len(cells) == 0 {
			continue
		}
		row := Row{Cells: cells, Below: below}
		if allergy {
			var text strings.Builder
			for _, c := range cells {
				text.WriteString(c.Text)
				text.WriteByte(' ')
			}
			row.Allergy = AllergyListed(text.String())
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

func place(row []client.Cell, n int) (cells []Cell, below bool) {
	cells = make([]Cell, 0, len(row))
	for x := 0; x < len(row); {
		c := row[x]
		if c.Covered && c.Text == "" {
			below = true // covered from above: spans from the left are skipped whole
			x++
			continue
		}
		span := min(c.Cols(), n-x)
		for k := 1; k < span; k++ {
			if !row[x+k].Covered || row[x+k].Text != "" {
				span = k
				break
			}
		}
		text := CapText(c.Text)
		width, word := Measure(text)
		cells = append(cells, Cell{Col: x, Span: span, Text: text, width: width, word: word})
		x += span
	}
	return cells, below
}

// created is "Record created 17-Nov-2020 by JONES, Steve (Dr), Headingley
// Lane Surgery (Y90017)"; a missing part is "Not Known".
func created(s *client.Summary) string {
	author := Name(s.Author)
	if author == "" {
		author = NotKnown
	}
	var practice string
	switch pr := s.Practice; {
	case pr.Name != "" && pr.ODSCode != "":
		practice = pr.Name + " (" + pr.ODSCode + ")"
	case pr.Name != "":
		practice = pr.Name
	case pr.ODSCode != "":
		practice = "practice " + pr.ODSCode
	default:
		practice = "practice " + NotKnown
	}
	return "Record created " + Date(s.Created) + " by " + author + ", " + practice
}

// Name is a name as the CUI writes it: the family name in capitals, a
// comma, the given names, and the title in brackets: "SMITH, Jane (Mrs)".
// Missing parts are left out with their punctuation: "SMITH (Mrs)",
// "Jane", "". Suffixes ("MBE") are not part of the CUI form. A name sent as
// text alone is shown as sent: its order cannot be known ("BLOGGS Fred").
func Name(n client.PersonName) string {
	if text := strings.TrimSpace(n.Text); text != "" && !n.HasParts() {
		return text
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(strings.TrimSpace(n.Family)))
	if given := strings.TrimSpace(strings.Join(n.Given, " ")); given != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(given)
	}
	if title := strings.TrimSpace(n.Title()); title != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("(" + title + ")")
	}
	return b.String()
}

// Date is a record date as the CUI and the SCR write it, "22-Oct-2010", to
// the precision the record gave: "Oct-2010" for a month, "2010" for a year,
// and "Not Known" for an absent date. A dateTime shows its date only, on the
// calendar of the offset it was sent with (the day the record says, whatever
// the viewer's time zone).
func Date(d client.FHIRDate) string {
	switch d.Precision {
	case client.PrecisionYear:
		return d.Time.Format("2006")
	case client.PrecisionMonth:
		return d.Time.Format("Jan-2006")
	case client.PrecisionDay, client.PrecisionTime:
		return d.Time.Format("02-Jan-2006")
	}
	return NotKnown
}

// What one allergy row or text says.
const (
	allergyEmpty = iota
	allergyNoInformation
	allergyNoneKnown
	allergyReal
)

func allergyText(text string) int {
	t := strings.ToLower(strings.TrimSpace(text))
	switch {
	case t == "":
		return allergyEmpty
	case strings.Contains(t, "no known allerg"), strings.Contains(t, "no known drug allerg"):
		return allergyNoneKnown
	case strings.Contains(t, "no relevant information"):
		return allergyNoInformation
	}
	return allergyReal
}

// AllergyListed reports whether text, a row or a paragraph of an allergies
// section, names an allergy: it is not empty, not a "No known (drug)
// allergies" statement and not "No relevant information available".
func AllergyListed(text string) bool { return allergyText(text) == allergyReal }

// allergies is the CUI allergy status of s, not nil:
//
//   - "Known allergies": the allergies section has a table row, or text,
//     that is not a "No relevant information…" or "No known allergies"
//     statement. (Text outside a table counts too: a free-text allergy must
//     not read as "not recorded".)
//   - "No known allergies": the section says so ("No known allergies",
//     "No known drug allergies", any case) and has nothing else.
//   - "Allergies not recorded": no allergies section, or one with only
//     "No relevant information available" rows, or empty.
//
// and the count of the allergies its tables list, exact unless an allergy
// is written outside a table or rows were left out.
func allergies(s *client.Summary) Allergies {
	known, none := false, false
	n, exact := 0, true
	for i := range s.Sections {
		sec := &s.Sections[i]
		if kind(sec) != client.SectionAllergies {
			continue
		}
		for _, b := range sec.Blocks {
			var text string
			switch b := b.(type) {
			case *client.Table:
				if b == nil {
					continue
				}
				if b.Omitted > 0 {
					exact = false
				}
				for _, row := range b.Rows {
					var t strings.Builder
					for _, c := range row {
						t.WriteString(c.Text) // a covered cell has none
						t.WriteByte(' ')
					}
					switch allergyText(t.String()) {
					case allergyReal:
						known = true
						n++
					case allergyNoneKnown:
						none = true
					}
				}
				continue
			case client.Paragraph:
				text = b.Text
			case client.Highlight:
				if !b.Withheld {
					text = b.Text
				}
			case *client.Highlight:
				if b != nil && !b.Withheld {
					text = b.Text
				}
			}
			switch allergyText(text) {
			case allergyReal:
				known, exact = true, false
			case allergyNoneKnown:
				none = true
			}
		}
	}
	a := Allergies{Status: AllergiesNotRecorded, Count: n, Exact: exact}
	switch {
	case known:
		a.Status = AllergiesKnown
	case none:
		a.Status = AllergiesNoneKnown
	}
	return a
}
