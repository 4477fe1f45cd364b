package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// summaryScreen is the Summary Care Record screen: the patient banner, fixed
// on top; the record, scrolling in a viewport; and a footer (one line, or
// more where the window is narrow) saying how the record was accessed and
// how far down it the view is.
//
// What the record says is read once (recordview.Read); it is laid out once
// per width (recordview.Layout), and scrolling only moves the viewport over
// the lines laid out.
type summaryScreen struct {
	c      *common
	p      *client.Patient
	s      *client.Summary
	rec    *recordview.Record
	footer string

	cache *summaryCache
	// vp is the place in the body: its content stands for the lines of
	// at, the layout it was last set against. When the width changes, the place
	// is carried over to the new layout by section (recordview.Body.Carry).
	// It is replaced, never changed in place (see pager), so that copies
	// of the model stay apart; nil is the top.
	vp *viewport.Model
	at *summaryLayout

	// from is the search the patient was found with, never changed: a new
	// role or sign-in goes back to it.
	from *findScreen
}

// summaryCache is shared by every copy of a summaryScreen, so that view,
// which has a value receiver, can keep what it laid out.
type summaryCache struct{ cur *summaryLayout }

// summaryLayout is the screen laid out for one width. It is never changed
// once built, so a model can keep pointing at an old one.
type summaryLayout struct {
	width  int
	banner []string
	footer []string // the footer text, wrapped to leave room for the position
	body   *recordview.Body
	// pages is the viewport's content: as many lines as the body has,
	// blank. The viewport keeps the place and does the scrolling's
	// arithmetic; the screen draws the body's own lines from its top line
	// (exactly: no padding to the width, the allergies' foot line over the
	// last). Given the body's lines, the viewport would measure every one
	// for sideways scrolling, which is off: on the very large record, a
	// millisecond, near half of its layout.
	pages []string
}

// newSummaryScreen makes the screen for patient p and summary s (nil when the
// record could not be read: the screen says so). footer is the access line,
// e.g. "Viewed as Pharmacist at FA123 · access recorded".
func newSummaryScreen(c *common, p *client.Patient, s *client.Summary, footer string) summaryScreen {
	return summaryScreen{c: c, p: p, s: s, rec: recordview.Read(s), footer: footer, cache: &summaryCache{}}
}

// pager is a copy of vp to change, or a new viewport when vp is nil: one
// driven only by the screen's own keys (see scroll), as its default
// bindings (u, d, ctrl+u, ctrl+d half pages; h, l, ←, → sideways) would
// take keys that mean other things here, and its page is a whole height
// where the screen's keeps a line of the last page in view.
//
// The screens hold their viewport by pointer, and replace it when it
// changes: a screen, a value copied whole on every message it takes, would
// otherwise carry and copy each viewport's 2.6 KB, which made a scroll frame
// a fifth slower.
func pager(vp *viewport.Model) viewport.Model {
	if vp != nil {
		return *vp
	}
	n := viewport.New()
	n.KeyMap = viewport.KeyMap{}
	n.MouseWheelEnabled = false
	n.SetHorizontalStep(0)
	return n
}

// record is what the record says; a zero model's is no record.
func (m summaryScreen) record() *recordview.Record {
	if m.rec == nil {
		return recordview.Read(m.s)
	}
	return m.rec
}

// layout is the layout for the current width, built on first use.
func (m summaryScreen) layout() *summaryLayout {
	w := max(m.c.width, 0)
	if m.cache != nil && m.cache.cur != nil && m.cache.cur.width == w {
		return m.cache.cur
	}
	lay := buildSummaryLayout(m.c, m.p, m.record(), m.footer, w)
	if m.cache != nil {
		m.cache.cur = lay
	}
	return lay
}

// bodyHeight is the number of body lines on screen with lay, at least 1.
func (m summaryScreen) bodyHeight(lay *summaryLayout) int {
	return max(m.c.height-1-len(lay.banner)-len(lay.footer), 1)
}

// place is the viewport set against lay: its lines, the body's height, and
// the place carried over from the layout it was set against, within the
// record.
func (m summaryScreen) place(lay *summaryLayout) viewport.Model {
	vp := pager(m.vp)
	off := vp.YOffset()
	if m.at != lay {
		if m.at != nil {
			off = m.at.body.Carry(off, lay.body)
		}
		vp.SetContentLines(lay.pages)
	}
	vp.SetHeight(m.bodyHeight(lay))
	vp.SetYOffset(off)
	return vp
}

// maxOffset is the last top line of vp: the end of the record at the
// bottom.
func maxOffset(vp viewport.Model) int {
	return max(vp.TotalLineCount()-vp.Height(), 0)
}

// search is the search the patient was found with.
func (m summaryScreen) search() findScreen {
	if m.from == nil {
		return newFindScreen(m.c, "")
	}
	return *m.from
}

// update is n or Esc for a new patient, and scrolling.
func (m summaryScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok && (key.Matches(km, s.keys.NewPatient) || key.Matches(km, s.keys.Back)) {
		return forgetPatient(s, m, keepNothing), nil
	}
	return m.scroll(msg)
}

func (m summaryScreen) view(_ *session, height int) string { return m.viewIn(height) }

// says is the banner over the record and how it was accessed; the record
// itself says what it holds in record (recordview.Record), apart from its
// layout.
func (m summaryScreen) says(s *session) content {
	return content{facts: bannerFacts(m.c, m.p, m.record()).lines(s.keys), text: []string{m.footer}}
}

func (m summaryScreen) bindings(s *session, full bool) []key.Binding {
	k := s.keys
	bs := []key.Binding{k.NewPatient, k.Down, k.PageDown, k.NextSection, k.Allergies, k.Medication}
	bs = append(bs, m.flagBindings()...) // the banner's flags
	if full {
		bs = append(bs, k.Up, k.PageUp, k.Top, k.Bottom, k.PrevSection, withHelp(k.Back, "esc", "new patient"))
	}
	return bs
}

func (summaryScreen) field(*session) field { return noField }
func (summaryScreen) hasInput() bool       { return false }
func (summaryScreen) name() string         { return "Summary Care Record" }

// scroll handles scrolling keys and window and colour changes. The root
// model has already set c.width and c.height when a tea.WindowSizeMsg
// arrives, and c.styles when a tea.BackgroundColorMsg does.
//
// The keys move the viewport: ↓/j and ↑/k a line, pgdn/space/f and pgup/b
// a page less a line, home/g and end/G to the ends; tab and shift+tab to
// the next and previous section headings, a to the allergies, m to the
// medication, and each flag's key (r, i, w) to its section.
func (m summaryScreen) scroll(msg tea.Msg) (summaryScreen, tea.Cmd) {
	if m.c == nil {
		return m, nil
	}
	if _, ok := msg.(tea.BackgroundColorMsg); ok && m.cache != nil {
		// The root has changed c.styles: lay out again in the new
		// colours, at the same place.
		m.cache.cur = nil
	}
	lay := m.layout()
	vp := m.place(lay)
	m.keep(lay, vp)

	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	keys := m.c.keys
	body := lay.body
	off := vp.YOffset()
	page := max(vp.Height()-1, 1)
	switch {
	case key.Matches(km, keys.Up):
		vp.ScrollUp(1)
	case key.Matches(km, keys.Down):
		vp.ScrollDown(1)
	case key.Matches(km, keys.PageUp):
		vp.ScrollUp(page)
	case key.Matches(km, keys.PageDown):
		vp.ScrollDown(page)
	case key.Matches(km, keys.Top):
		vp.GotoTop()
	case key.Matches(km, keys.Bottom):
		vp.GotoBottom()
	case key.Matches(km, keys.NextSection):
		for _, s := range body.Sections {
			if s > off {
				vp.SetYOffset(s)
				break
			}
		}
	case key.Matches(km, keys.PrevSection):
		prev := 0
		for _, s := range body.Sections {
			if s < off {
				prev = s
			}
		}
		vp.SetYOffset(prev)
	case key.Matches(km, keys.Allergies):
		if body.Allergies >= 0 {
			vp.SetYOffset(body.Allergies)
		}
	case key.Matches(km, keys.Medication):
		if body.Medication >= 0 {
			vp.SetYOffset(body.Medication)
		}
	default:
		f, ok := m.flagFor(km)
		if ok && f.Section >= 0 && f.Section < len(body.Sections) {
			vp.SetYOffset(body.Sections[f.Section])
		}
	}
	m.keep(lay, vp)
	return m, nil
}

// keep makes vp, set against lay, the model's place, unless it is that
// already.
func (m *summaryScreen) keep(lay *summaryLayout, vp viewport.Model) {
	if m.vp == nil || m.at != lay || m.vp.Height() != vp.Height() || m.vp.YOffset() != vp.YOffset() {
		kept := vp
		m.vp = &kept
	}
	m.at = lay
}

// viewIn is the screen in h lines: c.height-1 under the root model's one
// line of key help, fewer while its footer takes more (a message that
// wraps); none wider than c.width. The record gives way, never the banner
// or the access footer. It only slices the lines laid out for the width,
// from the viewport's top line.
func (m summaryScreen) viewIn(h int) string {
	if m.c == nil || h <= 0 {
		return ""
	}
	if m.c.width <= 0 {
		return strings.Repeat("\n", h-1)
	}
	lay := m.layout()
	vp := m.place(lay)
	off := vp.YOffset()
	lines := lay.body.Lines
	bodyH := h - len(lay.banner) - len(lay.footer)

	out := make([]string, 0, h)
	for _, l := range lay.banner {
		if len(out) == h {
			break
		}
		out = append(out, l)
	}
	foot := ""
	if below, cut := lay.body.AllergiesBelow(off, bodyH); below > 0 || cut {
		foot = m.allergyFoot(below, cut, lay.width)
	}
	for i := 0; i < bodyH && len(out) < h; i++ {
		switch {
		case foot != "" && i == bodyH-1:
			out = append(out, foot)
		case off+i < len(lines):
			out = append(out, lines[off+i])
		default:
			out = append(out, "")
		}
	}
	for _, l := range m.footerLines(lay, vp) {
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
func (m summaryScreen) footerLines(lay *summaryLayout, vp viewport.Model) []string {
	pct := 100
	if mo := maxOffset(vp); mo > 0 {
		pct = vp.YOffset() * 100 / mo
	}
	pos := strconv.Itoa(pct) + "%"
	w := lay.width
	if len(pos) > w || len(lay.footer) == 0 {
		return nil
	}
	out := make([]string, len(lay.footer))
	for i, text := range lay.footer {
		pad := w - recordview.Width(text)
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

// buildSummaryLayout lays out the banner, footer text and body of rec for
// width w.
func buildSummaryLayout(c *common, p *client.Patient, rec *recordview.Record, footer string, w int) *summaryLayout {
	lay := &summaryLayout{width: w, body: recordview.Layout(rec, recordStyles(c.styles), w)}
	lay.pages = make([]string, len(lay.body.Lines))
	if w <= 0 {
		return lay
	}
	// The banner says the allergy status, with its count, and the flags:
	// the body starts with the record itself.
	lay.banner = strings.Split(renderSummaryBanner(c, p, rec), "\n")
	// The footer wraps, leaving room for " 100%" on the right: who is
	// looking, and that it is recorded, is never cut.
	lay.footer = []string{""}
	if room := w - len(" 100%"); room > 0 && footer != "" {
		lay.footer = strings.Split(ansi.Wrap(footer, room, ""), "\n")
	}
	return lay
}

// recordStyles are the viewer's looks for the record's lines.
func recordStyles(st styles) recordview.Styles {
	return recordview.Styles{
		Text:           st.Text,
		Faint:          st.Faint,
		Section:        st.Section,
		AllergySection: st.AllergySection,
		TableHeader:    st.TableHeader,
		Withheld:       st.Withheld,
		Highlight:      st.Highlight,
	}
}

// allergyFoot is the line at the foot of the visible part of the allergies:
// "┃ 2 more allergies below", in the allergy section's bar and colour. An
// allergy begun on screen is not one "more": its rest is what is below.
func (m summaryScreen) allergyFoot(below int, cut bool, w int) string {
	var text string
	switch {
	case cut && below == 0:
		text = "This allergy goes on below"
	case cut && below == 1:
		text = "This allergy goes on, and 1 more is below"
	case cut:
		text = "This allergy goes on, and " + strconv.Itoa(below) + " more are below"
	case below == 1:
		text = "1 more allergy below"
	default:
		text = strconv.Itoa(below) + " more allergies below"
	}
	st := m.c.styles
	return ansiTruncate(st.AllergySection.Render(recordview.AllergyBar)+st.Emphasis.Render(text+" ↓"), w)
}

// flagFor is the flag whose key km is, if the record has that flag.
func (m summaryScreen) flagFor(km tea.KeyPressMsg) (recordview.Flag, bool) {
	for _, f := range m.record().Flags {
		if key.Matches(km, flagBinding(f, m.c.keys)) {
			return f, true
		}
	}
	return recordview.Flag{}, false
}

// flagBindings are the keys of the record's flags, for the help.
func (m summaryScreen) flagBindings() []key.Binding {
	if m.c == nil {
		return nil
	}
	var bs []key.Binding
	for _, f := range m.record().Flags {
		if f.Section >= 0 {
			bs = append(bs, flagBinding(f, m.c.keys))
		}
	}
	return bs
}
