package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/recordview"
)

// summaryTestNow is the clock of every summary and banner test.
var summaryTestNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func summaryTestCommon(w, h int) *common {
	return &common{
		width: w, height: h,
		keys:   newKeyMap(),
		styles: newStyles(true),
		now:    func() time.Time { return summaryTestNow },
	}
}

const summaryTestPatients = "../assets/sandbox/patients"

// summaryTestPatient reads a sandbox patient; asked is the number asked for.
func summaryTestPatient(tb testing.TB, nhs string, asked client.NHSNumber) *client.Patient {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(summaryTestPatients, nhs, "patient.json"))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := client.ParsePatient(data, asked, summaryTestNow)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// summaryTestSummary reads a sandbox patient's SCR.
func summaryTestSummary(tb testing.TB, nhs string) *client.Summary {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(summaryTestPatients, nhs, "bundle.json"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := client.ParseSummary(data)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// goldenTB names a golden file: testdata/<name>.golden.
type goldenTB struct {
	testing.TB
	name string
}

func (g goldenTB) Name() string { return g.name }

func summaryGolden(t *testing.T, name, out string) {
	t.Helper()
	golden.RequireEqual(goldenTB{t, name}, out)
}

const summaryTestFooter = "Viewed as Pharmacist at FA123 · access recorded"

// summaryTestWithSCR is every sandbox patient with a Summary Care Record.
func summaryTestWithSCR(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(summaryTestPatients)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(summaryTestPatients, e.Name(), "bundle.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	if len(out) < 9 {
		t.Fatalf("only %d sandbox patients with an SCR", len(out))
	}
	return out
}

// drawn is the screen as shown over a footer of one line: exactly
// c.height-1 lines, none wider than c.width.
func (m summaryScreen) drawn() string {
	if m.c == nil {
		return ""
	}
	return m.viewIn(m.c.height - 1)
}

func summaryTestModel(tb testing.TB, nhs string, w, h int) summaryScreen {
	tb.Helper()
	c := summaryTestCommon(w, h)
	return newSummaryScreen(c, summaryTestPatient(tb, nhs, ""), summaryTestSummary(tb, nhs), summaryTestFooter)
}

// summaryTop is the body line at the top of the screen.
func summaryTop(m summaryScreen) int {
	vp := m.place(m.layout())
	return vp.YOffset()
}

// summaryMaxOffset is the last line that can be at the top.
func summaryMaxOffset(m summaryScreen) int { return maxOffset(m.place(m.layout())) }

// summaryPre is the sequence style opens with.
func summaryPre(style lipgloss.Style) string {
	pre, _, _ := strings.Cut(style.Render("\uE000"), "\uE000")
	return pre
}

// summaryTestBody is the laid-out body without styling.
func summaryTestBody(m summaryScreen) []string {
	lines := slices.Clone(m.layout().body.Lines)
	for i, l := range lines {
		lines[i] = ansi.Strip(l)
	}
	return lines
}

func summaryPress(m summaryScreen, keys ...string) summaryScreen {
	for _, k := range keys {
		m, _ = m.scroll(keyPress(k))
	}
	return m
}

// summaryColumnText follows table cells down the body: for each line
// holding first, the text in the same columns on that line and the lines
// below, up to the next gap of two spaces, until a line leaves it blank; the
// pieces joined by sep. It reports the first such text holding want.
func summaryColumnText(lines []string, first, want, sep string) (string, bool) {
	var seen string
	for i, l := range lines {
		for at := 0; ; {
			j := strings.Index(l[at:], first)
			if j < 0 {
				break
			}
			col := len([]rune(l[:at+j]))
			at += j + len(first)
			var parts []string
			for _, l := range lines[i:] {
				r := []rune(l)
				if col >= len(r) || (col > 0 && r[col-1] != ' ' && len(parts) > 0) {
					break
				}
				piece := string(r[col:])
				if end := strings.Index(piece, "  "); end >= 0 {
					piece = piece[:end]
				}
				piece = strings.TrimSpace(piece)
				if piece == "" {
					break
				}
				parts = append(parts, piece)
			}
			got := strings.Join(parts, sep)
			if strings.Contains(got, want) {
				return got, true
			}
			seen = got
		}
	}
	return seen, false
}

// summaryListText is the value after "label:" in a table shown as a list,
// its continuation lines (indented) joined by sep.
func summaryListText(lines []string, label, want, sep string) (string, bool) {
	var seen string
	for i, l := range lines {
		_, v, ok := strings.Cut(l, label+":")
		if !ok {
			continue
		}
		var parts []string
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
		for _, l := range lines[i+1:] {
			if !strings.HasPrefix(l, "  ") || strings.TrimSpace(l) == "" {
				break
			}
			parts = append(parts, strings.TrimSpace(l))
		}
		got := strings.Join(parts, sep)
		if strings.Contains(got, want) {
			return got, true
		}
		seen = got
	}
	return seen, false
}

func summaryIndex(lines []string, sub string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, sub) })
}

func TestSummaryGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		m := summaryTestModel(t, "9000000009", size[0], size[1])
		name := fmt.Sprintf("summary/9000000009_%dx%d", size[0], size[1])
		summaryGolden(t, name+"_screen", ansi.Strip(m.drawn()))
		summaryGolden(t, name+"_body", strings.Join(summaryTestBody(m), "\n"))
	}
	m := summaryTestModel(t, "9000000092", 80, 24)
	summaryGolden(t, "summary/9000000092_80x24_body", strings.Join(summaryTestBody(m), "\n"))
	m = summaryTestModel(t, "9000000017", 60, 16)
	summaryGolden(t, "summary/9000000017_60x16_body", strings.Join(summaryTestBody(m), "\n"))
}

func TestSummaryPublishedExampleContent(t *testing.T) {
	for _, w := range []int{60, 80, 120, 200} {
		m := summaryTestModel(t, "9000000009", w, 24)
		body := summaryTestBody(m)
		for _, want := range []string{
			"Toxic reaction to wasp sting",
			"Co-codamol 8mg/500mg effervescent tablets",
			"Paracetamol 250mg/5ml oral suspension",
			"No relevant information available for this category",
		} {
			got, ok := summaryColumnText(body, strings.Fields(want)[0], want, " ")
			if !ok {
				t.Errorf("width %d: %q not in the body (cell reads %q):\n%s", w, want, got, strings.Join(body, "\n"))
			}
		}
		if banner := ansi.Strip(strings.Join(m.layout().banner, "\n")); !strings.Contains(banner, recordview.AllergiesKnown+" (1)") {
			t.Errorf("width %d: banner lacks %q:\n%s", w, recordview.AllergiesKnown+" (1)", banner)
		}
		last := body[len(body)-1]
		if w < 80 { // wrapped
			last = body[len(body)-2] + " " + last
		}
		if last != "Record created 17-Nov-2020 by Dr Steve Jones, practice Not Known" {
			t.Errorf("width %d: last line %q", w, last)
		}
	}
}

func TestSummaryOrder(t *testing.T) {
	for _, nhs := range summaryTestWithSCR(t) {
		body := summaryTestBody(summaryTestModel(t, nhs, 80, 24))
		allergies := summaryIndex(body, "! Allergies and Adverse Reactions")
		acute := summaryIndex(body, "Acute Medications")
		repeat := summaryIndex(body, "Current Repeat Medications")
		disc := summaryIndex(body, "Discontinued Repeat Medications")
		gp := summaryIndex(body, "General Practice Summary")
		if allergies < 0 || !(allergies < acute && acute < repeat && repeat < disc && disc < gp) {
			t.Errorf("%s: section lines allergies %d, acute %d, repeat %d, discontinued %d, other %d: want that order",
				nhs, allergies, acute, repeat, disc, gp)
		}
		// The allergies section is set apart by characters, not colour alone.
		for i := allergies + 1; i < acute-1; i++ {
			if !strings.HasPrefix(body[i], "┃") {
				t.Errorf("%s: allergy line %d lacks the bar: %q", nhs, i, body[i])
			}
		}
	}
}

func TestAllergyStatus(t *testing.T) {
	for nhs, want := range map[string]string{
		"9000000009": recordview.AllergiesKnown,
		"9000000017": recordview.AllergiesKnown,
		"9000000130": recordview.AllergiesKnown,
		"9000000068": recordview.AllergiesNoneKnown,
		"9000000092": recordview.AllergiesNotRecorded, // only "No relevant information" rows
	} {
		s := summaryTestSummary(t, nhs)
		if got := recordview.Read(s).Allergies.Status; got != want {
			t.Errorf("%s: %q, want %q", nhs, got, want)
		}
		m := summaryTestModel(t, nhs, 80, 24)
		banner := strings.Join(m.layout().banner, "\n")
		if !strings.Contains(ansi.Strip(banner), want) {
			t.Errorf("%s: banner lacks %q:\n%s", nhs, want, ansi.Strip(banner))
		}
		emphasised := strings.Contains(banner, summaryPre(m.c.styles.Emphasis)+recordview.AllergiesKnown)
		if emphasised != (want == recordview.AllergiesKnown) {
			t.Errorf("%s: status emphasised %v", nhs, emphasised)
		}
	}

	// No allergies section at all.
	s := summaryTestSummary(t, "9000000009")
	s.Sections = slices.DeleteFunc(s.Sections, func(sec client.Section) bool { return sec.Code == client.SectionAllergies })
	if got := recordview.Read(s).Allergies.Status; got != recordview.AllergiesNotRecorded {
		t.Errorf("no allergies section: %q", got)
	}
	// An empty allergies section.
	s.Sections = append(s.Sections, client.Section{Code: client.SectionAllergies, Title: "Allergies and Adverse Reactions"})
	if got := recordview.Read(s).Allergies.Status; got != recordview.AllergiesNotRecorded {
		t.Errorf("empty allergies section: %q", got)
	}
	// "No known drug allergies" said in a paragraph.
	s.Sections[len(s.Sections)-1].Blocks = []client.Block{client.Paragraph{Text: "NO KNOWN DRUG ALLERGIES"}}
	if got := recordview.Read(s).Allergies.Status; got != recordview.AllergiesNoneKnown {
		t.Errorf("no known drug allergies: %q", got)
	}
	// A free-text allergy is an allergy.
	s.Sections[len(s.Sections)-1].Blocks = append(s.Sections[len(s.Sections)-1].Blocks, client.Paragraph{Text: "Penicillin: rash"})
	if got := recordview.Read(s).Allergies.Status; got != recordview.AllergiesKnown {
		t.Errorf("free-text allergy: %q", got)
	}
	if got := recordview.Read(nil).Allergies.Status; got != recordview.AllergiesUnavailable {
		t.Errorf("nil summary: %q", got)
	}
}

func TestSummaryUnavailable(t *testing.T) {
	c := summaryTestCommon(80, 24)
	m := newSummaryScreen(c, summaryTestPatient(t, "9000000009", ""), nil, summaryTestFooter)
	m = summaryPress(m, "down", "tab", "shift+tab", "a", "m", "end", "pgdown")
	view := ansi.Strip(m.drawn())
	for _, want := range []string{"SMITH, Jane (Mrs)", recordview.AllergiesUnavailable, recordview.UnavailableLine, summaryTestFooter} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if n := len(strings.Split(view, "\n")); n != c.height-1 {
		t.Errorf("%d lines, want %d", n, c.height-1)
	}
}

func TestSummaryWithheld(t *testing.T) {
	m := summaryTestModel(t, "9000000092", 80, 24)
	body := summaryTestBody(m)
	if body[0] != recordview.WithheldMarker+recordview.WithheldLine {
		t.Errorf("line 1 is %q, want the withheld notice", body[0])
	}
	if m.layout().body.Lines[0] != m.c.styles.Withheld.Render(recordview.WithheldMarker+recordview.WithheldLine) {
		t.Errorf("withheld notice not in the Withheld style: %q", m.layout().body.Lines[0])
	}
	const statement = "One or more entries have been deliberately withheld from this GP Summary."
	n := 0
	for i, l := range body {
		if strings.Contains(l, statement) {
			n++
			if l != recordview.WithheldMarker+statement {
				t.Errorf("withheld statement not marked: %q", l)
			}
			if m.layout().body.Lines[i] != m.c.styles.Withheld.Render(l) {
				t.Errorf("withheld statement not in the Withheld style: %q", m.layout().body.Lines[i])
			}
		}
	}
	if n != 3 { // under the title, in Problems and in Circumstances
		t.Errorf("%d withheld statements, want 3", n)
	}
	// A record without: no notice.
	if body := summaryTestBody(summaryTestModel(t, "9000000009", 80, 24)); strings.Contains(strings.Join(body, "\n"), "withheld") {
		t.Errorf("withheld notice on a record without withheld entries")
	}
}

func summaryCheckView(t *testing.T, label string, m summaryScreen) {
	t.Helper()
	view := m.drawn()
	lines := strings.Split(view, "\n")
	if len(lines) != m.c.height-1 {
		t.Fatalf("%s: %d lines, want %d", label, len(lines), m.c.height-1)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.c.width {
			t.Fatalf("%s: line %d is %d wide, more than %d: %q", label, i, w, m.c.width, ansi.Strip(l))
		}
	}
	if !strings.Contains(ansi.Strip(lines[len(lines)-1]), "%") {
		t.Fatalf("%s: last line %q has no scroll position", label, ansi.Strip(lines[len(lines)-1]))
	}
}

func TestSummaryViewSize(t *testing.T) {
	for _, nhs := range summaryTestWithSCR(t) {
		for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 16}, {200, 60}} {
			m := summaryTestModel(t, nhs, size[0], size[1])
			label := fmt.Sprintf("%s %dx%d", nhs, size[0], size[1])
			// Every body line fits, not only the ones on the first screen.
			for i, l := range m.layout().body.Lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Fatalf("%s: body line %d is %d wide: %q", label, i, w, ansi.Strip(l))
				}
			}
			summaryCheckView(t, label, m)
			for _, k := range []string{"down", "pgdown", "tab", "tab", "a", "m", "end", "up", "pgup", "shift+tab", "home"} {
				m = summaryPress(m, k)
				summaryCheckView(t, label+" after "+k, m)
			}
		}
	}
}

func TestSummaryScrollKeys(t *testing.T) {
	m := summaryTestModel(t, "9000000130", 80, 24)
	lay := m.layout()
	bodyH := m.bodyHeight(lay)
	footer := func(m summaryScreen) string {
		lines := strings.Split(ansi.Strip(m.drawn()), "\n")
		return lines[len(lines)-1]
	}
	if got := footer(m); !strings.HasPrefix(got, summaryTestFooter) || !strings.HasSuffix(got, " 0%") {
		t.Errorf("footer at top: %q", got)
	}
	m = summaryPress(m, "up")
	if summaryTop(m) != 0 {
		t.Errorf("up at the top: offset %d", summaryTop(m))
	}
	m = summaryPress(m, "down", "j")
	if summaryTop(m) != 2 {
		t.Errorf("two lines down: offset %d", summaryTop(m))
	}
	m = summaryPress(m, "pgdown")
	if summaryTop(m) != 2+bodyH-1 {
		t.Errorf("page down: offset %d, want %d", summaryTop(m), 2+bodyH-1)
	}
	m = summaryPress(m, "pgup", "k")
	if summaryTop(m) != 1 {
		t.Errorf("page up and up: offset %d", summaryTop(m))
	}
	m = summaryPress(m, "end")
	if want := len(lay.body.Lines) - bodyH; summaryTop(m) != want {
		t.Errorf("end: offset %d, want %d", summaryTop(m), want)
	}
	if got := footer(m); !strings.HasSuffix(got, " 100%") {
		t.Errorf("footer at the bottom: %q", got)
	}
	// The record's last line is on the last body line.
	lines := strings.Split(ansi.Strip(m.drawn()), "\n")
	if got := lines[len(lines)-3] + " " + lines[len(lines)-2]; got != "Record created 10-Nov-2026 by LINDQVIST, Erik (Dr), Ripon Cathedral Surgery (Y90130)" {
		t.Errorf("last body line at the bottom: %q", got)
	}
	m = summaryPress(m, "down", "pgdown")
	if want := len(lay.body.Lines) - bodyH; summaryTop(m) != want {
		t.Errorf("past the end: offset %d, want %d", summaryTop(m), want)
	}
	m = summaryPress(m, "home")
	if summaryTop(m) != 0 {
		t.Errorf("home: offset %d", summaryTop(m))
	}
}

func TestSummarySectionJumps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 16}} {
		for _, nhs := range []string{"9000000009", "9000000130", "9000000076"} {
			m := summaryTestModel(t, nhs, size[0], size[1])
			lay := m.layout()
			label := fmt.Sprintf("%s %dx%d", nhs, size[0], size[1])
			bodyTop := func(m summaryScreen) string {
				return strings.Split(m.drawn(), "\n")[len(lay.banner)]
			}
			// Each section in turn, forwards then back.
			var visited []int
			for range len(lay.body.Sections) + 2 {
				before := summaryTop(m)
				m = summaryPress(m, "tab")
				if summaryTop(m) == before {
					break
				}
				visited = append(visited, summaryTop(m))
				if !slices.Contains(lay.body.Sections, summaryTop(m)) {
					if summaryTop(m) != summaryMaxOffset(m) {
						t.Errorf("%s: tab landed on line %d, not a heading", label, summaryTop(m))
					}
					continue
				}
				if got := bodyTop(m); got != lay.body.Lines[summaryTop(m)] {
					t.Errorf("%s: body top %q, want the heading %q", label, ansi.Strip(got), ansi.Strip(lay.body.Lines[summaryTop(m)]))
				}
			}
			if len(visited) == 0 {
				t.Fatalf("%s: tab never moved", label)
			}
			// Every heading the end of the record allows is reached.
			for _, s := range lay.body.Sections {
				// A section on line 0 is where the screen starts.
				if s > 0 && s <= summaryMaxOffset(m) && !slices.Contains(visited, s) {
					t.Errorf("%s: section at line %d never reached by tab", label, s)
				}
			}
			for range len(lay.body.Sections) + 2 {
				m = summaryPress(m, "shift+tab")
				if summaryTop(m) != 0 && !slices.Contains(lay.body.Sections, summaryTop(m)) {
					t.Errorf("%s: shift+tab landed on line %d, not a heading", label, summaryTop(m))
				}
			}
			if summaryTop(m) != 0 {
				t.Errorf("%s: shift+tab did not return to the top: %d", label, summaryTop(m))
			}

			m = summaryPress(m, "m")
			if got := ansi.Strip(bodyTop(m)); !strings.HasPrefix(got, "Acute Medications") {
				t.Errorf("%s: m shows %q on top", label, got)
			}
			m = summaryPress(m, "end", "a")
			if got := ansi.Strip(bodyTop(m)); got != "! Allergies and Adverse Reactions" {
				t.Errorf("%s: a shows %q on top", label, got)
			}
		}
	}
}

func TestSummaryResizeKeepsSection(t *testing.T) {
	m := summaryTestModel(t, "9000000130", 80, 24)
	m = summaryPress(m, "m", "tab") // repeat medication
	top := ansi.Strip(strings.Split(m.drawn(), "\n")[len(m.layout().banner)])
	if !strings.HasPrefix(top, "Current Repeat Medications") {
		t.Fatalf("on top before resizing: %q", top)
	}
	for _, size := range [][2]int{{120, 40}, {60, 16}, {200, 60}, {80, 24}} {
		m.c.width, m.c.height = size[0], size[1]
		m, _ = m.scroll(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(m.drawn(), "\n")
		if got := ansi.Strip(lines[len(m.layout().banner)]); !strings.HasPrefix(got, "Current Repeat Medications") {
			t.Errorf("%dx%d: on top after resizing: %q", size[0], size[1], got)
		}
	}
	// Further into a section: stays in it.
	m = summaryPress(m, "pgdown", "pgdown")
	m.c.width, m.c.height = 120, 40
	m, _ = m.scroll(tea.WindowSizeMsg{Width: 120, Height: 40})
	lay := m.layout()
	in := -1
	for i, s := range lay.body.Sections {
		if s <= summaryTop(m) {
			in = i
		}
	}
	if in < 0 || !strings.HasPrefix(ansi.Strip(lay.body.Lines[lay.body.Sections[in]]), "Current Repeat Medications") {
		t.Errorf("after resizing mid-section, top line %d is not in repeat medication", summaryTop(m))
	}
}

// row is a table row of one-column cells.
func row(texts ...string) []client.Cell {
	out := make([]client.Cell, len(texts))
	for i, t := range texts {
		out[i] = client.Cell{Text: t, ColSpan: 1, RowSpan: 1}
	}
	return out
}

// spanning is a cell over n columns and the n-1 positions it covers.
func spanning(text string, n int) []client.Cell {
	out := []client.Cell{{Text: text, ColSpan: n, RowSpan: 1}}
	for range n - 1 {
		out = append(out, client.Cell{Covered: true})
	}
	return out
}

// summaryHandmade is a summary built by hand to test odd input.
func summaryHandmade(blocks ...client.Block) *client.Summary {
	return &client.Summary{
		Created: client.FHIRDate{Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Precision: client.PrecisionDay},
		Sections: []client.Section{
			{Code: client.SectionAllergies, Title: "Allergies and Adverse Reactions"}, // empty
			{Code: client.SectionAcuteMeds, Title: "Acute Medications", Blocks: blocks},
			{Code: "SomethingNew", Title: "A Section Not Known Today", Blocks: []client.Block{client.Paragraph{Text: "Still shown."}}},
			{Code: "", Title: ""},
		},
	}
}

func TestSummaryLongCellWraps(t *testing.T) {
	long := strings.Repeat("Abcdefghij", 1000) // one 10 000-character word
	longWords := strings.TrimSpace(strings.Repeat("Paracetamol 500mg ", 500))
	s := summaryHandmade(&client.Table{
		Headers: row("Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"),
		Rows: [][]client.Cell{
			row("Acute Medication", "Prescribed: 12-May-2020", long, "One To Be Taken Each Day", "28 tablet"),
			row("Acute Medication", "Prescribed: 13-May-2020", longWords, "Two", "56 tablet"),
		},
		Omitted: 7,
	})
	for _, w := range []int{60, 80, 200} {
		m := newSummaryScreen(summaryTestCommon(w, 24), summaryTestPatient(t, "9000000017", ""), s, summaryTestFooter)
		body := summaryTestBody(m)
		for i, l := range m.layout().body.Lines {
			if lw := ansi.StringWidth(l); lw > w {
				t.Fatalf("width %d: line %d is %d wide", w, i, lw)
			}
		}
		find := func(want, sep string) (string, bool) {
			if w < 80 { // too narrow for the columns: "Header: value" lines
				return summaryListText(body, "Medication Item", want, sep)
			}
			return summaryColumnText(body, strings.Fields(want)[0][:4], want, sep)
		}
		got, ok := find(long, "")
		if !ok || got != long {
			t.Errorf("width %d: the long name lost text: %d characters of %d", w, len(got), len(long))
		}
		got, ok = find(longWords, " ")
		if !ok || got != longWords {
			t.Errorf("width %d: the long wrapped name lost text: %d characters of %d", w, len(got), len(longWords))
		}
		if summaryIndex(body, "… 7 more rows not shown (the record is too long)") < 0 {
			t.Errorf("width %d: no omitted-rows line", w)
		}
		if summaryIndex(body, "A Section Not Known Today") < 0 || summaryIndex(body, "Still shown.") < 0 {
			t.Errorf("width %d: unknown section lost", w)
		}
		m = summaryPress(m, "end")
		summaryCheckView(t, fmt.Sprint("long cell ", w), m)
	}
}

func TestSummaryOddInput(t *testing.T) {
	// Not the client's normalised grid: the screen must cope anyway.
	ragged := &client.Table{
		Headers: row("Date", "Description", "Additional information"),
		Rows: [][]client.Cell{
			{},
			row("01-Jan-2020"),
			row("02-Jan-2020", "A row longer than its headers", "x", "extra cell", "another"),
			append(row("03-Jan-2020"), spanning("Spanning the rest of the row, and long enough to need wrapping at sixty columns wide", 4)...),
			{{Text: "Spans too far", ColSpan: 100000}, {Text: "not covered"}, {Covered: true, Text: "covered with text"}},
			{{Covered: true}, {Text: "below a rowspan", RowSpan: -3}},
		},
		OmittedColumns: 6,
	}
	many := &client.Table{}
	for i := range 12 {
		many.Headers = append(many.Headers, row(fmt.Sprint("Column ", i))...)
	}
	many.Rows = [][]client.Cell{row("a", "b", "", "d"), row("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")}
	noHeaders := &client.Table{Caption: "A caption", Rows: [][]client.Cell{row("x", "y"), spanning("z", 2)}}
	s := summaryHandmade(ragged, many, noHeaders, &client.Table{}, client.Heading{Text: "A heading"},
		client.Highlight{Text: "Highlighted"}, client.Paragraph{Text: "Line one\nLine two"},
		client.Highlight{Text: "One or more entries have been deliberately withheld.", Withheld: true})
	s.Withheld = true
	p := summaryTestPatient(t, "9000000017", "")
	for _, size := range [][2]int{{0, 0}, {0, 24}, {80, 0}, {80, 1}, {80, 2}, {1, 24}, {5, 10}, {10, 5}, {20, 8}, {60, 16}, {80, 24}} {
		c := summaryTestCommon(size[0], size[1])
		m := newSummaryScreen(c, p, s, summaryTestFooter)
		m = summaryPress(m, "down", "tab", "shift+tab", "pgdown", "end", "a", "m", "home")
		m, _ = m.scroll(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		view := m.drawn()
		if h := size[1] - 1; h > 0 && len(strings.Split(view, "\n")) != h {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(strings.Split(view, "\n")))
		}
		if size[0] >= 20 {
			for i, l := range m.layout().body.Lines {
				if lw := ansi.StringWidth(l); lw > size[0] {
					t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, lw, ansi.Strip(l))
				}
			}
		}
	}
	m := newSummaryScreen(summaryTestCommon(60, 16), p, s, summaryTestFooter)
	body := strings.Join(summaryTestBody(m), "\n")
	for _, want := range []string{"extra", "another", "A heading", "Highlighted", "Line one\nLine two",
		"▲ One or more entries", "Column 0: a", "Column 11: twelve", "A caption", "Still shown.",
		"Spans too", "not covered", "covered with", "below a", "6 more columns not shown"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	// The empty allergies section reads as the record says: nothing invented.
	lines := summaryTestBody(m)
	at := summaryIndex(lines, "! Allergies and Adverse Reactions")
	if at < 0 || lines[at+1] != "" {
		t.Errorf("empty allergies section: %q", lines[at:at+2])
	}
	if banner := ansi.Strip(strings.Join(m.layout().banner, "\n")); !strings.Contains(banner, recordview.AllergiesNotRecorded) {
		t.Errorf("banner lacks the status:\n%s", banner)
	}
	// A zero-value model does not panic either.
	var zero summaryScreen
	zero.c = summaryTestCommon(80, 24)
	_ = zero.drawn()
	zero, _ = zero.scroll(keyPress("down"))
	_ = zero.drawn()
}

func TestSummaryContinuationRowStaysWithItsRow(t *testing.T) {
	for _, w := range []int{60, 80, 120} {
		body := summaryTestBody(summaryTestModel(t, "9000000017", w, 24))
		at := summaryIndex(body, "***Date Discontinued: 20-May-2026")
		if at < 1 || strings.TrimSpace(body[at-1]) == "" {
			t.Errorf("width %d: the discontinued line is parted from its medication:\n%s", w, strings.Join(body[max(at-4, 0):at+1], "\n"))
		}
		if at >= 0 && !strings.Contains(strings.Join(body[max(at-3, 0):at], " "), "Simvastatin") {
			t.Errorf("width %d: the discontinued line is not under Simvastatin", w)
		}
	}
}

func TestSummaryBackgroundChange(t *testing.T) {
	m := summaryTestModel(t, "9000000130", 80, 24)
	m = summaryPress(m, "m")
	before := m.layout()
	top := summaryTop(m)
	m.c.styles = newStyles(false)
	m, _ = m.scroll(tea.BackgroundColorMsg{})
	if m.layout() == before {
		t.Errorf("the layout was not redone in the new colours")
	}
	if summaryTop(m) != top {
		t.Errorf("the place moved from %d to %d", top, summaryTop(m))
	}
}

// summaryTestBundle is a Bundle of one Composition with sections of title,
// code and XHTML div, as GP systems send them.
func summaryTestBundle(tb testing.TB, sections ...[3]string) *client.Summary {
	tb.Helper()
	var secs []any
	for _, s := range sections {
		sec := map[string]any{"title": s[0], "text": map[string]any{"div": s[2]}}
		if s[1] != "" {
			sec["code"] = map[string]any{"coding": []any{map[string]any{"code": s[1]}}}
		}
		secs = append(secs, sec)
	}
	data, err := json.Marshal(map[string]any{"resourceType": "Bundle", "entry": []any{
		map[string]any{"resource": map[string]any{"resourceType": "Composition", "date": "2020-06-01", "section": secs}},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := client.ParseSummary(data)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestSummarySpans(t *testing.T) {
	s := summaryTestBundle(t, [3]string{"Acute Medications", "", `<div><table>
		<tr><th>Type</th><th>Date</th><th>Medication Item</th><th>Dosage Instructions</th><th>Quantity</th></tr>
		<tr><td rowspan="2">Acute Medication</td><td>Prescribed: 09-Oct-2017</td><td>Paracetamol 500mg capsules</td><td>take two 4 times/day</td><td>32 capsule</td></tr>
		<tr><td>Prescribed: 10-Oct-2017</td><td>Clarithromycin 250mg tablets</td><td>one twice a day</td><td>14 tablet</td></tr>
		<tr><td colspan="2"/><td>Supporting Information: a long note that the GP wrote about this medication, its reasons and its review</td><td colspan="2"/></tr>
		</table></div>`})
	for _, w := range []int{80, 120, 200} {
		body := summaryTestBody(newSummaryScreen(summaryTestCommon(w, 24), nil, s, summaryTestFooter))
		text := strings.Join(body, "\n")
		// The rowspan's text once, on its first row.
		n := 0
		for _, l := range body {
			if strings.HasPrefix(l, "Acute") && l != "Acute Medications" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("width %d: the spanning type shown %d times:\n%s", w, n, text)
		}
		// Every cell in its own column: the drug names and the note under
		// "Medication Item", the second date under "Date".
		head := body[summaryIndex(body, "Medication Item")]
		for col, want := range map[string]string{
			"Medication Item": "Paracetamol 500mg capsules",
			"Date":            "Prescribed: 10-Oct-2017",
		} {
			at := strings.Index(head, col)
			got, ok := summaryColumnText(body, strings.Fields(want)[0], want, " ")
			line := body[summaryIndex(body, strings.Fields(want)[0])]
			if !ok || strings.Index(line, strings.Fields(want)[0]) != at {
				t.Errorf("width %d: %q not under %q (read %q):\n%s", w, want, col, got, text)
			}
		}
		note := body[summaryIndex(body, "Supporting Information")]
		if strings.Index(note, "Supporting") != strings.Index(head, "Medication Item") {
			t.Errorf("width %d: the note is not under the medication:\n%s", w, text)
		}
		if got, ok := summaryColumnText(body, "Clarithromycin", "Clarithromycin 250mg tablets", " "); !ok {
			t.Errorf("width %d: drug name broken: %q", w, got)
		}
		// The note goes with its medication: no spacer above it.
		if at := summaryIndex(body, "Supporting Information"); strings.TrimSpace(body[at-1]) == "" {
			t.Errorf("width %d: the note is parted from its row:\n%s", w, text)
		}
	}
}

func TestSummarySectionsByTitle(t *testing.T) {
	table := `<div><table><tr><th>Date</th><th>Description</th></tr><tr><td>01 Jan 2019</td><td>%s</td></tr></table></div>`
	s := summaryTestBundle(t,
		[3]string{"General Practice Summary", "", `<div><p>Summary</p></div>`},
		[3]string{"Problems and Issues", "", fmt.Sprintf(table, "Asthma")},
		[3]string{"Discontinued Repeat Medications (For the 6 month period 14 Nov 2019 to 14 May 2020)", "", fmt.Sprintf(table, "Simvastatin")},
		[3]string{"Current Repeat Medications", "", fmt.Sprintf(table, "Salbutamol")},
		[3]string{"", "", `<div><p>Neither title nor code</p></div>`},
		[3]string{"ACUTE MEDICATIONS (For the 12 month period 14 May 2019 to 14 May 2020)", "", fmt.Sprintf(table, "Amoxicillin")},
		[3]string{" Allergies and Adverse Reactions ", "", fmt.Sprintf(table, "Penicillin - rash")},
	)
	if got := recordview.Read(s).Allergies.Status; got != recordview.AllergiesKnown {
		t.Errorf("allergy status %q", got)
	}
	body := summaryTestBody(newSummaryScreen(summaryTestCommon(80, 24), nil, s, summaryTestFooter))
	order := []string{"! Allergies and Adverse Reactions", "Penicillin", "ACUTE MEDICATIONS", "Current Repeat",
		"Discontinued Repeat Medications", "General Practice Summary",
		"Problems and Issues", recordview.Untitled, "Neither title nor code"}
	last := -1
	for _, want := range order {
		at := summaryIndex(body, want)
		if at <= last {
			t.Errorf("%q at line %d, after line %d:\n%s", want, at, last, strings.Join(body, "\n"))
		}
		last = at
	}
	if joined := strings.Join(body, " "); !strings.Contains(joined, "(For the 6 month period 14-Nov-2019 to 14-May-2020)") {
		t.Errorf("the title's dates are not in the SCR's form:\n%s", joined)
	}
	if at := summaryIndex(body, "Penicillin"); !strings.HasPrefix(body[at], "┃") {
		t.Errorf("the allergy row lacks the bar: %q", body[at])
	}
	m := summaryPress(newSummaryScreen(summaryTestCommon(80, 24), nil, s, summaryTestFooter), "m")
	if got := ansi.Strip(strings.Split(m.drawn(), "\n")[len(m.layout().banner)]); !strings.HasPrefix(got, "ACUTE MEDICATIONS") {
		t.Errorf("m shows %q on top", got)
	}
}

// TestSummaryCorpusDrugNames: at 80 columns, no drug name of a published
// medication table is broken mid-word: every word of a "Medication Item"
// cell no longer than recordview.LongWord is whole on one line, in its column.
func TestSummaryCorpusDrugNames(t *testing.T) {
	var files []nhscorpus.File
	files = append(files, nhscorpus.OfKind(nhscorpus.SCRBundle)...)
	for _, f := range nhscorpus.OfKind(nhscorpus.Composition) {
		files = append(files, nhscorpus.File{Path: f.Path, Data: nhscorpus.Wrap(f.Data, "9000000009")})
	}
	checked := 0
	for _, f := range files {
		s, err := client.ParseSummary(f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		for i := range s.Sections {
			sec := &s.Sections[i]
			switch sec.Kind {
			case client.SectionAcuteMeds, client.SectionRepeatMeds, client.SectionDiscontinuedMeds:
			default:
				continue
			}
			for _, b := range sec.Blocks {
				tb, ok := b.(*client.Table)
				if !ok {
					continue
				}
				col := slices.IndexFunc(tb.Headers, func(c client.Cell) bool { return c.Text == "Medication Item" })
				if col < 0 {
					continue
				}
				one := &client.Summary{Sections: []client.Section{{Kind: sec.Kind, Title: sec.Title, Blocks: []client.Block{tb}}}}
				body := summaryTestBody(newSummaryScreen(summaryTestCommon(80, 24), nil, one, summaryTestFooter))
				// The header line; "Medication Item" may wrap.
				h := slices.IndexFunc(body, func(l string) bool { return strings.Contains(l, "Date") && strings.Contains(l, "Medication") })
				if h < 0 {
					t.Fatalf("%s: no Medication Item column at 80:\n%s", f.Name(), strings.Join(body, "\n"))
				}
				head := []rune(body[h])
				at := slices.Index(head, 'M') // the column's first cell
				for !strings.HasPrefix(string(head[at:]), "Medication") {
					at += 1 + slices.Index(head[at+1:], 'M')
				}
				end := len(head) // where the next column starts
				if d := strings.Index(string(head[at:]), "Dosage"); d >= 0 {
					end = at + len([]rune(string(head[at:])[:d]))
				}
				for _, r := range tb.Rows {
					if r[col].Covered || r[col].Text == "" || r[col].Cols() > 1 {
						continue
					}
					var column []string // the column's text on each line
					for _, l := range body {
						if rs := []rune(l); len(rs) > at {
							column = append(column, strings.Fields(string(rs[at:min(end, len(rs))]))...)
						}
					}
					for _, word := range strings.Fields(r[col].Text) {
						if recordview.Width(word) <= recordview.LongWord && !slices.Contains(column, word) {
							t.Errorf("%s, %s: %q of %q is broken at 80 columns:\n%s", f.Name(), sec.Title, word, r[col].Text, strings.Join(body, "\n"))
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d drug-name words checked", checked)
	}
}
