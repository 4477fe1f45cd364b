package ui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
)

// The sections the summary screen puts first, in this order, by their
// Kind: recognised by their code or, without one, by Spine's title.
const (
	sectionAllergies    = client.SectionAllergies
	sectionAcuteMeds    = client.SectionAcuteMeds
	sectionRepeatMeds   = client.SectionRepeatMeds
	sectionDiscontinued = client.SectionDiscontinuedMeds
)

// summaryUntitled heads a section sent with neither title nor code: it is
// still shown, as what it holds may matter.
const summaryUntitled = "Untitled section"

// summaryKind is what sec is: its Kind as the client recognised it, or its
// Code for a Section made without the client.
func summaryKind(sec *client.Section) string {
	if sec.Kind != "" {
		return sec.Kind
	}
	return sec.Code
}

// The allergy status line: exactly one of the CUI's four phrases.
const (
	allergiesKnown       = "Known allergies"
	allergiesNoneKnown   = "No known allergies"
	allergiesNotRecorded = "Allergies not recorded"
	allergiesUnavailable = "Allergies unavailable"
)

// Words and markers of the summary body. The words carry the meaning; the
// styles only repeat it.
const (
	summaryWithheldMarker = "▲ "
	summaryWithheldLine   = "Some entries were deliberately withheld from this record."
	summaryUnavailable    = "The Summary Care Record could not be shown."
	summaryAllergyMarker  = "! " // before the allergies heading
	summaryAllergyBar     = "┃ " // before every other line of the allergies section
	summaryColumnGap      = "  "
	// summaryMinColumn is the narrowest a table column is made; a table
	// whose columns cannot all have it is shown row by row as
	// "Header: value" lines instead.
	summaryMinColumn = 8
	// summaryMaxLines bounds the laid-out body: a broken or hostile record
	// (5 000 rows of 10 000-character cells) would otherwise take a million
	// lines and hundreds of megabytes. What is left out is said on screen.
	summaryMaxLines = 20000
	// summaryMaxText bounds one cell or paragraph as shown, as the client
	// bounds a field (10 000 characters); beyond it, the rest is replaced by
	// a note saying how much, never dropped silently.
	summaryMaxText = 10000
	summaryCutLine = "The record is too long to show in full here: the rest of it was left out. The GP practice's record has it all."
)

// summaryModel is the Summary Care Record screen: the patient banner, fixed
// on top; the record, scrolling; and a footer (one line, or more where the
// window is narrow) saying how the record was accessed and how far down it
// the view is.
//
// The body is laid out once per width into lines (see summaryLayout) and
// scrolling only picks which of them to show.
type summaryModel struct {
	c      *common
	p      *client.Patient
	s      *client.Summary
	footer string

	// flags are the record's flags, found once: the banner names them
	// and their keys jump to them.
	flags []summaryFlag

	cache *summaryCache
	// offset is the body line at the top of the screen, counted in the
	// lines of at, the layout it was set against. When the width changes,
	// it is carried over to the new layout by section (see summaryCarry).
	offset int
	at     *summaryLayout
}

// summaryCache is shared by every copy of a summaryModel, so that view,
// which has a value receiver, can keep what it laid out.
type summaryCache struct{ cur *summaryLayout }

// summaryLayout is the screen laid out for one width. It is never changed
// once built, so a model can keep pointing at an old one.
type summaryLayout struct {
	width  int
	banner []string
	footer []string // the footer text, wrapped to leave room for the position
	lines  []string
	// sections holds the line of each section heading, in screen order.
	sections   []int
	allergies  int // line of the allergies heading, or -1
	medication int // line of the first medication heading, or -1
	// allergyEnds is the last line of each allergy row counted in the
	// banner's "Known allergies (n)", in order; allergyEnd the line after
	// the last allergy section's end.
	allergyEnds []int
	allergyEnd  int
}

// newSummaryModel makes the screen for patient p and summary s (nil when the
// record could not be read: the screen says so). footer is the access line,
// e.g. "Viewed as Pharmacist at FA123 · access recorded".
func newSummaryModel(c *common, p *client.Patient, s *client.Summary, footer string) summaryModel {
	return summaryModel{c: c, p: p, s: s, footer: footer, flags: summaryFlags(s), cache: &summaryCache{}}
}

// layout is the layout for the current width, built on first use.
func (m summaryModel) layout() *summaryLayout {
	w := max(m.c.width, 0)
	if m.cache != nil && m.cache.cur != nil && m.cache.cur.width == w {
		return m.cache.cur
	}
	lay := buildSummaryLayout(m.c, m.p, m.s, m.flags, m.footer, w)
	if m.cache != nil {
		m.cache.cur = lay
	}
	return lay
}

// bodyHeight is the number of body lines on screen with lay, at least 1.
func (m summaryModel) bodyHeight(lay *summaryLayout) int {
	return max(m.c.height-1-len(lay.banner)-len(lay.footer), 1)
}

// maxOffset is the last top line: the end of the record at the bottom.
func (m summaryModel) maxOffset(lay *summaryLayout) int {
	return max(len(lay.lines)-m.bodyHeight(lay), 0)
}

// top is the offset in lay's lines, clamped.
func (m summaryModel) top(lay *summaryLayout) int {
	off := m.offset
	if m.at != nil && m.at != lay {
		off = summaryCarry(m.at, off, lay)
	}
	return min(max(off, 0), m.maxOffset(lay))
}

// summaryCarry maps line off of layout from to the same place in layout to:
// the same section, as far into it in proportion.
func summaryCarry(from *summaryLayout, off int, to *summaryLayout) int {
	if off <= 0 || len(from.lines) == 0 {
		return 0
	}
	i := -1
	for j, s := range from.sections {
		if s <= off {
			i = j
		}
	}
	span := func(l *summaryLayout, i int) (start, end int) {
		if i < 0 {
			start = 0
		} else {
			start = l.sections[i]
		}
		if i+1 < len(l.sections) {
			end = l.sections[i+1]
		} else {
			end = len(l.lines)
		}
		return start, end
	}
	if len(from.sections) != len(to.sections) {
		return off * len(to.lines) / len(from.lines) // not the same record
	}
	fs, fe := span(from, i)
	ts, te := span(to, i)
	if fe <= fs {
		return ts
	}
	return ts + (off-fs)*(te-ts)/(fe-fs)
}

// update handles scrolling keys and window changes. The root model has
// already set c.width and c.height when a tea.WindowSizeMsg arrives.
func (m summaryModel) update(msg tea.Msg) (summaryModel, tea.Cmd) {
	if m.c == nil {
		return m, nil
	}
	if _, ok := msg.(tea.BackgroundColorMsg); ok && m.cache != nil {
		// The root may have changed c.styles: lay out again in the new
		// colours, at the same place.
		m.cache.cur = nil
	}
	lay := m.layout()
	off := m.top(lay)
	m.at = lay
	m.offset = off

	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.keys
	page := max(m.bodyHeight(lay)-1, 1)
	switch {
	case key.Matches(km, keys.Up):
		off--
	case key.Matches(km, keys.Down):
		off++
	case key.Matches(km, keys.PageUp):
		off -= page
	case key.Matches(km, keys.PageDown):
		off += page
	case key.Matches(km, keys.Top):
		off = 0
	case key.Matches(km, keys.Bottom):
		off = m.maxOffset(lay)
	case key.Matches(km, keys.NextSection):
		for _, s := range lay.sections {
			if s > off {
				off = s
				break
			}
		}
	case key.Matches(km, keys.PrevSection):
		prev := 0
		for _, s := range lay.sections {
			if s < off {
				prev = s
			}
		}
		off = prev
	case key.Matches(km, keys.Allergies):
		if lay.allergies >= 0 {
			off = lay.allergies
		}
	case key.Matches(km, keys.Medication):
		if lay.medication >= 0 {
			off = lay.medication
		}
	default:
		f, ok := m.flagFor(km)
		if !ok {
			return m, nil
		}
		if f.order >= 0 && f.order < len(lay.sections) {
			off = lay.sections[f.order]
		}
	}
	m.offset = min(max(off, 0), m.maxOffset(lay))
	return m, nil
}

// view is the screen: exactly c.height-1 lines (the root model keeps the
// last for its key help), none wider than c.width. It only slices the lines
// laid out for the width.
func (m summaryModel) view() string {
	if m.c == nil {
		return ""
	}
	return m.viewIn(m.c.height - 1)
}

// viewIn is the screen in h lines: fewer than view's while the root model's
// footer takes more than its one line (a message that wraps). The record
// gives way, never the banner or the access footer.
func (m summaryModel) viewIn(h int) string {
	if m.c == nil || h <= 0 {
		return ""
	}
	if m.c.width <= 0 {
		return strings.Repeat("\n", h-1)
	}
	lay := m.layout()
	off := m.top(lay)
	bodyH := h - len(lay.banner) - len(lay.footer)

	out := make([]string, 0, h)
	for _, l := range lay.banner {
		if len(out) == h {
			break
		}
		out = append(out, l)
	}
	foot := ""
	if n := lay.allergiesBelow(off, bodyH); n > 0 {
		foot = m.allergyFoot(n, lay.width)
	}
	for i := 0; i < bodyH && len(out) < h; i++ {
		switch {
		case foot != "" && i == bodyH-1:
			out = append(out, foot)
		case off+i < len(lay.lines):
			out = append(out, lay.lines[off+i])
		default:
			out = append(out, "")
		}
	}
	for _, l := range m.footerLines(lay, off) {
		if len(out) < h {
			out = append(out, l)
		}
	}
	for len(out) < h {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// footerLines is the access footer, with the scroll position on the right
// of its last line.
func (m summaryModel) footerLines(lay *summaryLayout, off int) []string {
	pct := 100
	if mo := m.maxOffset(lay); mo > 0 {
		pct = off * 100 / mo
	}
	pos := strconv.Itoa(pct) + "%"
	w := lay.width
	if len(pos) > w || len(lay.footer) == 0 {
		return nil
	}
	out := make([]string, len(lay.footer))
	for i, text := range lay.footer {
		pad := w - summaryWidth(text)
		if i == len(lay.footer)-1 {
			pad -= len(pos)
			if pad < 1 {
				text, pad = "", w-len(pos)
			}
			text += strings.Repeat(" ", pad) + pos
		} else {
			text += strings.Repeat(" ", max(pad, 0))
		}
		out[i] = m.c.styles.Footer.Render(text)
	}
	return out
}

// buildSummaryLayout lays out the banner, footer text and body for width w;
// flags are summaryFlags(s), found once per record, not per width.
func buildSummaryLayout(c *common, p *client.Patient, s *client.Summary, flags []summaryFlag, footer string, w int) *summaryLayout {
	lay := &summaryLayout{width: w, allergies: -1, medication: -1}
	if w <= 0 {
		return lay
	}
	// The banner says the allergy status, with its count, and the flags:
	// the body starts with the record itself.
	lay.banner = strings.Split(renderSummaryBanner(c, p, s, flags), "\n")
	// The footer wraps, leaving room for " 100%" on the right: who is
	// looking, and that it is recorded, is never cut.
	lay.footer = []string{""}
	if room := w - len(" 100%"); room > 0 && footer != "" {
		lay.footer = strings.Split(ansi.Wrap(footer, room, ""), "\n")
	}

	b := summaryBody{st: c.styles, width: w}
	if s == nil {
		b.wrapped(summaryUnavailable, c.styles.Text)
		lay.lines = b.lines
		return lay
	}
	if s.Withheld {
		b.marked(summaryWithheldMarker, summaryWithheldLine, c.styles.Withheld)
	}
	for i, sec := range summaryOrder(s) {
		if i > 0 || s.Withheld {
			b.blank()
		}
		start := len(b.lines)
		lay.sections = append(lay.sections, start)
		switch summaryKind(sec) {
		case sectionAllergies:
			if lay.allergies < 0 {
				lay.allergies = start
			}
		case sectionAcuteMeds, sectionRepeatMeds, sectionDiscontinued:
			if lay.medication < 0 {
				lay.medication = start
			}
		}
		b.section(sec)
		if summaryKind(sec) == sectionAllergies {
			lay.allergyEnd = len(b.lines)
		}
	}
	lay.allergyEnds = b.allergyEnds
	if b.cut {
		b.cut = false
		b.lines = b.lines[:min(len(b.lines), summaryMaxLines-8)] // room for the note
		b.blank()
		b.marked(summaryWithheldMarker, summaryCutLine, c.styles.Withheld)
	}
	b.blank()
	b.wrapped(summaryCreatedLine(s), c.styles.Faint)
	lay.lines = b.lines
	return lay
}

// summaryCreatedLine is "Record created 17-Nov-2020 by Dr Steve Jones,
// Headingley Lane Surgery (Y90017)"; a missing part is "Not Known".
func summaryCreatedLine(s *client.Summary) string {
	author := s.Author
	if author == "" {
		author = notKnown
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
		practice = "practice " + notKnown
	}
	return "Record created " + formatDate(s.Created) + " by " + author + ", " + practice
}

// summaryOrder is the order the sections are shown in: allergies first, then
// acute, repeat and discontinued repeat medication, then every other section
// in the record's order.
func summaryOrder(s *client.Summary) []*client.Section {
	out := make([]*client.Section, 0, len(s.Sections))
	for _, code := range [...]string{sectionAllergies, sectionAcuteMeds, sectionRepeatMeds, sectionDiscontinued} {
		for i := range s.Sections {
			if summaryKind(&s.Sections[i]) == code {
				out = append(out, &s.Sections[i])
			}
		}
	}
	for i := range s.Sections {
		switch summaryKind(&s.Sections[i]) {
		case sectionAllergies, sectionAcuteMeds, sectionRepeatMeds, sectionDiscontinued:
		default:
			out = append(out, &s.Sections[i])
		}
	}
	return out
}

// summaryAllergyStatus is the CUI allergy status of a summary:
//
//   - "Allergies unavailable": there is no summary (s is nil).
//   - "Known allergies": the allergies section has a table row, or text,
//     that is not a "No relevant information…" or "No known allergies"
//     statement. (Text outside a table counts too: a free-text allergy must
//     not read as "not recorded".)
//   - "No known allergies": the section says so ("No known allergies",
//     "No known drug allergies", any case) and has nothing else.
//   - "Allergies not recorded": no allergies section, or one with only
//     "No relevant information available" rows, or empty.
func summaryAllergyStatus(s *client.Summary) string {
	if s == nil {
		return allergiesUnavailable
	}
	known, none := false, false
	note := func(text string) {
		switch summaryAllergyText(text) {
		case allergyReal:
			known = true
		case allergyNoneKnown:
			none = true
		}
	}
	for i := range s.Sections {
		sec := &s.Sections[i]
		if summaryKind(sec) != sectionAllergies {
			continue
		}
		for _, b := range sec.Blocks {
			switch b := b.(type) {
			case *client.Table:
				for _, row := range b.Rows {
					var text strings.Builder
					for _, c := range row {
						text.WriteString(c.Text) // a covered cell has none
						text.WriteByte(' ')
					}
					note(text.String())
				}
			case client.Paragraph:
				note(b.Text)
			case client.Highlight:
				if !b.Withheld {
					note(b.Text)
				}
			case *client.Highlight:
				if b != nil && !b.Withheld {
					note(b.Text)
				}
			}
		}
	}
	switch {
	case known:
		return allergiesKnown
	case none:
		return allergiesNoneKnown
	}
	return allergiesNotRecorded
}

// summaryAllergyCount is the number of allergies the allergy sections'
// tables list: their rows that are real allergies (summaryAllergyText), not
// "No relevant information…" or "No known allergies" rows. exact is false
// when that number may fall short: an allergy written outside a table, or
// rows the client left out, so that the banner shows no number rather than
// too small a one.
func summaryAllergyCount(s *client.Summary) (n int, exact bool) {
	if s == nil {
		return 0, false
	}
	exact = true
	for i := range s.Sections {
		sec := &s.Sections[i]
		if summaryKind(sec) != sectionAllergies {
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
						t.WriteString(c.Text)
						t.WriteByte(' ')
					}
					if summaryAllergyText(t.String()) == allergyReal {
						n++
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
			if summaryAllergyText(text) == allergyReal {
				exact = false
			}
		}
	}
	return n, exact
}

// allergiesBelow is how many counted allergy rows are not wholly on screen
// below the view from line off, bodyH lines high, whose last line the
// "more allergies below" line would take: none unless the allergies have
// begun above that line, so it is never said under another section.
func (lay *summaryLayout) allergiesBelow(off, bodyH int) int {
	if bodyH < 2 || lay.allergies < 0 {
		return 0
	}
	foot := off + bodyH - 1
	if lay.allergies >= foot || lay.allergyEnd <= off {
		return 0
	}
	n := 0
	for _, e := range lay.allergyEnds {
		if e >= foot {
			n++
		}
	}
	return n
}

// allergyFoot is the line at the foot of the visible part of the allergies:
// "┃ 2 more allergies below", in the allergy section's bar and colour.
func (m summaryModel) allergyFoot(n, w int) string {
	text := strconv.Itoa(n) + " more allergies below"
	if n == 1 {
		text = "1 more allergy below"
	}
	st := m.c.styles
	return ansiTruncate(st.AllergySection.Render(summaryAllergyBar)+st.Emphasis.Render(text+" ↓"), w)
}

// flagFor is the flag whose key km is, if the record has that flag.
func (m summaryModel) flagFor(km tea.KeyPressMsg) (summaryFlag, bool) {
	for _, f := range m.flags {
		if key.Matches(km, f.binding(m.c.keys)) {
			return f, true
		}
	}
	return summaryFlag{}, false
}

// flagBindings are the keys of the record's flags, for the help.
func (m summaryModel) flagBindings() []key.Binding {
	var bs []key.Binding
	for _, f := range m.flags {
		if f.order >= 0 && m.c != nil {
			bs = append(bs, f.binding(m.c.keys))
		}
	}
	return bs
}

// What one allergy row or text says.
const (
	allergyEmpty = iota
	allergyNoInformation
	allergyNoneKnown
	allergyReal
)

func summaryAllergyText(text string) int {
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

// summaryBody gathers the body's lines for one width.
type summaryBody struct {
	st    styles
	width int
	lines []string
	// In the allergies section every line starts with the bar.
	prefix, blankPrefix string
	prefixW             int
	// cut: summaryMaxLines was reached and lines were left out.
	cut bool
	// allergy: in an allergies section, whose rows allergyEnds counts
	// (see summaryLayout).
	allergy     bool
	allergyEnds []int
}

// noteRow records the last line of an allergy table row just added, when
// the row is an allergy the banner's count counts.
func (b *summaryBody) noteRow(r summaryRow) {
	if !b.allergy || len(b.lines) == 0 {
		return
	}
	var text strings.Builder
	for _, c := range r.cells {
		text.WriteString(c.text)
		text.WriteByte(' ')
	}
	if summaryAllergyText(text.String()) == allergyReal {
		b.allergyEnds = append(b.allergyEnds, len(b.lines)-1)
	}
}

// full is whether the body has all the lines it may have.
func (b *summaryBody) full() bool { return len(b.lines) >= summaryMaxLines }

// inner is the width left for content after the prefix, at least 1.
func (b *summaryBody) inner() int { return max(b.width-b.prefixW, 1) }

func (b *summaryBody) add(line string) {
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

func (b *summaryBody) blank() {
	if b.full() {
		b.cut = true
		return
	}
	b.lines = append(b.lines, "")
}

// wrapped adds text word-wrapped to the width, each line in style.
func (b *summaryBody) wrapped(text string, style lipgloss.Style) {
	p := paintOf(style)
	for _, l := range summaryWrapPlain(summaryCapText(text), b.inner()) {
		b.add(p.paint(l))
	}
}

// marked adds text after marker, later lines indented under the text.
func (b *summaryBody) marked(marker, text string, style lipgloss.Style) {
	mw := summaryWidth(marker)
	if b.inner()-mw < 4 {
		b.wrapped(marker+text, style)
		return
	}
	indent := strings.Repeat(" ", mw)
	p := paintOf(style)
	for i, l := range summaryWrapPlain(summaryCapText(text), b.inner()-mw) {
		if i == 0 {
			b.add(p.paint(marker + l))
		} else {
			b.add(indent + p.paint(l))
		}
	}
}

// section adds a section's heading and blocks.
func (b *summaryBody) section(sec *client.Section) {
	title := sec.Title
	if title == "" {
		title = sec.Code
	}
	if title == "" {
		title = summaryUntitled
	}
	if summaryKind(sec) == sectionAllergies {
		// Set apart in characters as well as colour: a "!" before the
		// heading and a bar down the left of the whole section.
		b.wrapped(summaryAllergyMarker+title, b.st.AllergySection)
		if b.width > 2*summaryWidth(summaryAllergyBar)+summaryMinColumn {
			b.prefix = b.st.AllergySection.Render(summaryAllergyBar)
			b.blankPrefix = b.st.AllergySection.Render(strings.TrimRight(summaryAllergyBar, " "))
			b.prefixW = summaryWidth(summaryAllergyBar)
			defer func() { b.prefix, b.blankPrefix, b.prefixW = "", "", 0 }()
		}
		b.allergy = true
		defer func() { b.allergy = false }()
	} else {
		b.wrapped(title, b.st.Section)
	}
	bold := b.st.Text.Bold(true)
	for _, blk := range sec.Blocks {
		switch blk := blk.(type) {
		case client.Heading:
			b.wrapped(blk.Text, bold)
		case client.Paragraph:
			b.wrapped(blk.Text, b.st.Text)
		case client.Highlight:
			b.highlight(blk)
		case *client.Highlight:
			if blk != nil {
				b.highlight(*blk)
			}
		case *client.Table:
			if blk != nil {
				b.table(blk)
			}
		}
	}
}

func (b *summaryBody) highlight(h client.Highlight) {
	if h.Withheld {
		b.marked(summaryWithheldMarker, h.Text, b.st.Withheld)
		return
	}
	b.wrapped(h.Text, b.st.Highlight)
}

// table adds a narrative table fitted to the width: columns share it by
// their content, cells wrap (a word too long for its column is broken, never
// cut), and rows are a blank line apart when any row takes more than one
// (except a row that goes with the one above: an empty first cell, or a
// cell of the row above spanning down into it). A cell spanning columns
// (colspan) is laid across them; one spanning rows (rowspan) is shown once,
// on its first row, its column left blank below. With more columns than
// fit at summaryMinColumn, each row is "Header: value" lines.
func (b *summaryBody) table(ct *client.Table) {
	t := summaryTableOf(ct)
	if t.caption != "" {
		b.wrapped(t.caption, b.st.Text.Bold(true))
	}
	n, w := t.n, b.inner()
	switch {
	case n == 0:
	case n*summaryMinColumn+(n-1)*len(summaryColumnGap) > w,
		summaryTableWords(t)+(n-1)*len(summaryColumnGap) > w:
		b.tableAsList(t)
	default:
		b.tableAsGrid(t, w)
	}
	if ct.OmittedColumns > 0 {
		b.wrapped("… "+strconv.Itoa(ct.OmittedColumns)+" more columns not shown (the table is too wide)", b.st.Faint)
	}
	if ct.Omitted > 0 {
		b.wrapped("… "+strconv.Itoa(ct.Omitted)+" more rows not shown (the record is too long)", b.st.Faint)
	}
}

// summaryTable is a client.Table as the screen lays it out: each row the
// cells that have text of their own, placed on the n columns, their texts
// capped (summaryCapText).
type summaryTable struct {
	caption string
	n       int
	head    []summaryCell // nil: no header row
	rows    []summaryRow
}

// summaryCell is a cell over columns [x, x+span): its text, the text's
// width and its longest word's.
type summaryCell struct {
	x, span     int
	text        string
	width, word int
}

type summaryRow struct {
	cells []summaryCell
	// below: a cell of a row above spans down into this one.
	below bool
}

// summaryTableOf places t's cells. It trusts the client's grid no further
// than it must: a span never reaches past the row or over a position that
// is not Covered, so no text is lost whatever the table holds.
func summaryTableOf(t *client.Table) *summaryTable {
	out := &summaryTable{caption: summaryCapText(t.Caption), n: len(t.Headers)}
	for _, r := range t.Rows {
		out.n = max(out.n, len(r))
	}
	if len(t.Headers) > 0 {
		out.head, _ = summaryPlace(t.Headers, out.n)
	}
	out.rows = make([]summaryRow, 0, len(t.Rows))
	for _, r := range t.Rows {
		cells, below := summaryPlace(r, out.n)
		if len(cells) > 0 {
			out.rows = append(out.rows, summaryRow{cells: cells, below: below})
		}
	}
	return out
}

func summaryPlace(row []client.Cell, n int) (cells []summaryCell, below bool) {
	cells = make([]summaryCell, 0, len(row))
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
		text := summaryCapText(c.Text)
		width, word := summaryMeasure(text)
		cells = append(cells, summaryCell{x: x, span: span, text: text, width: width, word: word})
		x += span
	}
	return cells, below
}

func (b *summaryBody) tableAsGrid(t *summaryTable, w int) {
	n, gap := t.n, len(summaryColumnGap)
	nat := make([]int, n)  // widest cell
	word := make([]int, n) // longest word
	measure := func(cells []summaryCell) {
		for _, c := range cells {
			if c.span > 1 {
				continue // measured against its columns together, below
			}
			nat[c.x] = max(nat[c.x], c.width)
			// A word longer than summaryLongWord is broken anyway: it must
			// not take from other columns the room their words need whole.
			word[c.x] = max(word[c.x], min(c.word, summaryLongWord))
		}
	}
	measure(t.head)
	for _, r := range t.rows {
		measure(r.cells)
	}
	avail := w - (n-1)*gap
	widths := summaryColumns(nat, word, avail)
	// cellWidth is the width of a cell: its columns and the gaps between.
	cellWidth := func(c summaryCell) int {
		cw := (c.span - 1) * gap
		for j := c.x; j < c.x+c.span; j++ {
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
	grow := func(cells []summaryCell) {
		for _, c := range cells {
			if c.span > 1 && spare > 0 {
				if need := c.width - cellWidth(c); need > 0 {
					g := min(need, spare)
					widths[c.x+c.span-1] += g
					spare -= g
				}
			}
		}
	}
	grow(t.head)
	for _, r := range t.rows {
		grow(r.cells)
	}

	var rows [][]string
	var continues []bool // the row goes with the one above
	multi := false
	var sb strings.Builder
	renderRow := func(r summaryRow, style *lipgloss.Style) {
		first := len(r.cells) == 0 || r.cells[0].x > 0 || strings.TrimSpace(r.cells[0].text) == ""
		continues = append(continues, style == nil && (first || r.below))
		var p painter
		if style != nil {
			p = paintOf(*style)
		}
		wrapped := make([][]string, len(r.cells))
		whole := make([]bool, len(r.cells)) // the text on one line, c.width wide
		height := 0
		for i, c := range r.cells {
			if c.width <= cellWidth(c) && strings.IndexByte(c.text, '\n') < 0 {
				wrapped[i], whole[i] = []string{c.text}, true // measured already: fits
			} else {
				wrapped[i] = summaryWrapPlain(c.text, cellWidth(c))
			}
			height = max(height, len(wrapped[i]))
		}
		lines := make([]string, height)
		for li := range height {
			sb.Reset()
			pending := 0 // spaces owed before the next text
			at := 0      // the column pending reaches
			for i, c := range r.cells {
				for ; at < c.x; at++ {
					pending += widths[at] + gap // a column blank in this row
				}
				var text string
				tw := 0
				if li < len(wrapped[i]) {
					text = wrapped[i][li]
					if tw = c.width; !whole[i] {
						tw = summaryWidth(text)
					}
				}
				if text != "" {
					summarySpaces(&sb, pending)
					pending = 0
					sb.WriteString(p.paint(text))
				}
				// Never negative: summaryWrap keeps every line within the
				// width, by the same measure.
				pending += max(cellWidth(c)-tw, 0) + gap
				at = c.x + c.span
			}
			lines[li] = sb.String()
		}
		if height > 1 {
			multi = true
		}
		rows = append(rows, lines)
	}
	if t.head != nil {
		hs := b.st.TableHeader
		renderRow(summaryRow{cells: t.head}, &hs)
	}
	pending := 0
	for _, r := range t.rows {
		if len(b.lines)+pending >= summaryMaxLines {
			b.cut = true
			break
		}
		renderRow(r, nil)
		pending += len(rows[len(rows)-1]) + 1
	}
	for i, lines := range rows {
		// A spacer between rows, but not under the headers, nor above a row
		// that goes with the one above it (the SCR's "Date Discontinued"
		// line under its medication).
		if multi && i > 0 && !(i == 1 && t.head != nil) && !continues[i] {
			b.add("")
		}
		for _, l := range lines {
			b.add(l)
		}
		ri := i
		if t.head != nil {
			ri-- // rows[0] is the header
		}
		if ri >= 0 {
			b.noteRow(t.rows[ri])
		}
	}
}

// summaryBlanks is the spaces summarySpaces writes from, without making
// them anew for every cell of every line.
var summaryBlanks = strings.Repeat(" ", 256)

func summarySpaces(sb *strings.Builder, n int) {
	for n > len(summaryBlanks) {
		sb.WriteString(summaryBlanks)
		n -= len(summaryBlanks)
	}
	sb.WriteString(summaryBlanks[:n])
}

// tableAsList shows each row as "Header: value" lines, a blank line apart:
// for a table with more columns than the width can hold side by side. A
// value's label is the header over all its columns; a cell spanning more
// than one header has none.
func (b *summaryBody) tableAsList(t *summaryTable) {
	label := func(c summaryCell) string {
		for _, h := range t.head {
			if h.x <= c.x && c.x+c.span <= h.x+h.span {
				return h.text
			}
		}
		return ""
	}
	first := true
	for _, r := range t.rows {
		if b.full() {
			b.cut = true
			break
		}
		if !first && !r.below {
			b.add("")
		}
		first = false
		for _, c := range r.cells {
			if strings.TrimSpace(c.text) == "" {
				continue
			}
			label := label(c)
			if label == "" {
				b.wrapped(c.text, b.st.Text)
				continue
			}
			// Later lines of a value are indented under its label.
			indent := min(2, b.inner()-1)
			for j, l := range summaryWrap(label+": "+c.text, b.inner()-indent) {
				switch {
				case j > 0:
					l = strings.Repeat(" ", indent) + l
				case strings.HasPrefix(l, label+":"):
					l = b.st.TableHeader.Render(label) + l[len(label):]
				}
				b.add(l)
			}
		}
		b.noteRow(r)
	}
}

// summaryLongWord caps the width a word may ask of a column: a longer one
// is broken across lines, whatever the width.
const summaryLongWord = 24

// summaryTableWords is the width the table's columns need side by side for
// no word (up to summaryLongWord cells) to be broken: a drug name broken
// mid-word ("Clarithromyc / in") is too easily misread, so a table that
// cannot have it is shown as "Header: value" lines instead.
func summaryTableWords(t *summaryTable) int {
	word := make([]int, t.n)
	measure := func(cells []summaryCell) {
		for _, c := range cells {
			if c.span > 1 {
				continue
			}
			word[c.x] = max(word[c.x], min(c.word, summaryLongWord))
		}
	}
	measure(t.head)
	for _, r := range t.rows {
		measure(r.cells)
	}
	total := 0
	for _, w := range word {
		total += max(w, 1)
	}
	return total
}

// summaryColumns shares avail cells between columns whose widest cells are
// nat and longest words word: every column gets up to summaryMinColumn
// first, then up to its longest word (so words are not broken), then up to
// its widest cell, each round in proportion to what the columns still want.
func summaryColumns(nat, word []int, avail int) []int {
	n := len(nat)
	ws := make([]int, n)
	total := 0
	for i := range nat {
		nat[i] = max(nat[i], 1)
		total += nat[i]
	}
	if total <= avail {
		copy(ws, nat)
		return ws
	}
	rest := avail
	for i := range ws {
		ws[i] = min(nat[i], summaryMinColumn)
		rest -= ws[i]
	}
	raise := func(target []int) {
		want := 0
		for i := range ws {
			want += max(target[i]-ws[i], 0)
		}
		if want == 0 || rest <= 0 {
			return
		}
		if want <= rest {
			for i := range ws {
				ws[i] = max(ws[i], target[i])
			}
			rest -= want
			return
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
		for i := 0; rest > 0; i = (i + 1) % n {
			if ws[i] < target[i] {
				ws[i]++
				rest--
			}
		}
	}
	words := make([]int, n)
	for i := range words {
		words[i] = min(max(word[i], ws[i]), nat[i])
	}
	raise(words)
	raise(nat)
	return ws
}

// summaryCapText keeps the first summaryMaxText characters of text and says
// how many more there were; the text is made plain (summaryPlain) first, so
// that it is measured as it will be wrapped.
func summaryCapText(text string) string {
	text = summaryPlain(text)
	if len(text) <= summaryMaxText {
		return text
	}
	n := 0
	for i := range text {
		if n == summaryMaxText {
			rest := utf8.RuneCountInString(text[i:])
			return text[:i] + " … [" + strconv.Itoa(rest) + " more characters not shown]"
		}
		n++
	}
	return text
}

// summaryStyle renders a non-empty line in style; empty stays empty.
// painter puts a style's opening and closing sequences around text without
// going through lipgloss's Render, whose cost (it measures, aligns and pads)
// was three quarters of laying a record out. It is only for styles with no
// width, padding, margin or border: colours and attributes.
type painter struct{ pre, post string }

func paintOf(style lipgloss.Style) painter {
	const mark = "\uE000" // a private-use character no record text has
	r := style.Render(mark)
	if i := strings.Index(r, mark); i >= 0 {
		return painter{pre: r[:i], post: r[i+len(mark):]}
	}
	return painter{}
}

func (p painter) paint(text string) string {
	if text == "" || p.pre == "" && p.post == "" {
		return text
	}
	return p.pre + text + p.post
}
