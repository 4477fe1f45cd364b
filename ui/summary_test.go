package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/scrterm/scr/client"
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

func summaryTestModel(tb testing.TB, nhs string, w, h int) summaryModel {
	tb.Helper()
	c := summaryTestCommon(w, h)
	return newSummaryModel(c, summaryTestPatient(tb, nhs, ""), summaryTestSummary(tb, nhs), summaryTestFooter)
}

// summaryTestBody is the laid-out body without styling.
func summaryTestBody(m summaryModel) []string {
	lines := slices.Clone(m.layout().lines)
	for i, l := range lines {
		lines[i] = ansi.Strip(l)
	}
	return lines
}

func summaryPress(m summaryModel, keys ...string) summaryModel {
	for _, k := range keys {
		m, _ = m.update(keyPress(k))
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
		summaryGolden(t, name+"_screen", ansi.Strip(m.view()))
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
		if body[0] != allergiesKnown {
			t.Errorf("width %d: first line %q, want %q", w, body[0], allergiesKnown)
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
		"9000000009": allergiesKnown,
		"9000000017": allergiesKnown,
		"9000000130": allergiesKnown,
		"9000000068": allergiesNoneKnown,
		"9000000092": allergiesNotRecorded, // only "No relevant information" rows
	} {
		s := summaryTestSummary(t, nhs)
		if got := summaryAllergyStatus(s); got != want {
			t.Errorf("%s: %q, want %q", nhs, got, want)
		}
		m := summaryTestModel(t, nhs, 80, 24)
		if first := summaryTestBody(m)[0]; first != want {
			t.Errorf("%s: body starts %q, want %q", nhs, first, want)
		}
		emphasised := m.layout().lines[0] == m.c.styles.Emphasis.Render(allergiesKnown)
		if emphasised != (want == allergiesKnown) {
			t.Errorf("%s: status emphasised %v", nhs, emphasised)
		}
	}

	// No allergies section at all.
	s := summaryTestSummary(t, "9000000009")
	s.Sections = slices.DeleteFunc(s.Sections, func(sec client.Section) bool { return sec.Code == sectionAllergies })
	if got := summaryAllergyStatus(s); got != allergiesNotRecorded {
		t.Errorf("no allergies section: %q", got)
	}
	// An empty allergies section.
	s.Sections = append(s.Sections, client.Section{Code: sectionAllergies, Title: "Allergies and Adverse Reactions"})
	if got := summaryAllergyStatus(s); got != allergiesNotRecorded {
		t.Errorf("empty allergies section: %q", got)
	}
	// "No known drug allergies" said in a paragraph.
	s.Sections[len(s.Sections)-1].Blocks = []client.Block{client.Paragraph{Text: "NO KNOWN DRUG ALLERGIES"}}
	if got := summaryAllergyStatus(s); got != allergiesNoneKnown {
		t.Errorf("no known drug allergies: %q", got)
	}
	// A free-text allergy is an allergy.
	s.Sections[len(s.Sections)-1].Blocks = append(s.Sections[len(s.Sections)-1].Blocks, client.Paragraph{Text: "Penicillin: rash"})
	if got := summaryAllergyStatus(s); got != allergiesKnown {
		t.Errorf("free-text allergy: %q", got)
	}
	if got := summaryAllergyStatus(nil); got != allergiesUnavailable {
		t.Errorf("nil summary: %q", got)
	}
}

func TestSummaryUnavailable(t *testing.T) {
	c := summaryTestCommon(80, 24)
	m := newSummaryModel(c, summaryTestPatient(t, "9000000009", ""), nil, summaryTestFooter)
	m = summaryPress(m, "down", "tab", "shift+tab", "a", "m", "end", "pgdown")
	view := ansi.Strip(m.view())
	for _, want := range []string{"SMITH, Jane (Mrs)", allergiesUnavailable, summaryUnavailable, summaryTestFooter} {
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
	if body[1] != summaryWithheldMarker+summaryWithheldLine {
		t.Errorf("line 2 is %q, want the withheld notice", body[1])
	}
	if m.layout().lines[1] != m.c.styles.Withheld.Render(summaryWithheldMarker+summaryWithheldLine) {
		t.Errorf("withheld notice not in the Withheld style: %q", m.layout().lines[1])
	}
	const statement = "One or more entries have been deliberately withheld from this GP Summary."
	n := 0
	for i, l := range body {
		if strings.Contains(l, statement) {
			n++
			if l != summaryWithheldMarker+statement {
				t.Errorf("withheld statement not marked: %q", l)
			}
			if m.layout().lines[i] != m.c.styles.Withheld.Render(l) {
				t.Errorf("withheld statement not in the Withheld style: %q", m.layout().lines[i])
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

func summaryCheckView(t *testing.T, label string, m summaryModel) {
	t.Helper()
	view := m.view()
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
			for i, l := range m.layout().lines {
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
	footer := func(m summaryModel) string {
		lines := strings.Split(ansi.Strip(m.view()), "\n")
		return lines[len(lines)-1]
	}
	if got := footer(m); !strings.HasPrefix(got, summaryTestFooter) || !strings.HasSuffix(got, " 0%") {
		t.Errorf("footer at top: %q", got)
	}
	m = summaryPress(m, "up")
	if m.offset != 0 {
		t.Errorf("up at the top: offset %d", m.offset)
	}
	m = summaryPress(m, "down", "j")
	if m.offset != 2 {
		t.Errorf("two lines down: offset %d", m.offset)
	}
	m = summaryPress(m, "pgdown")
	if m.offset != 2+bodyH-1 {
		t.Errorf("page down: offset %d, want %d", m.offset, 2+bodyH-1)
	}
	m = summaryPress(m, "pgup", "k")
	if m.offset != 1 {
		t.Errorf("page up and up: offset %d", m.offset)
	}
	m = summaryPress(m, "end")
	if want := len(lay.lines) - bodyH; m.offset != want {
		t.Errorf("end: offset %d, want %d", m.offset, want)
	}
	if got := footer(m); !strings.HasSuffix(got, " 100%") {
		t.Errorf("footer at the bottom: %q", got)
	}
	// The record's last line is on the last body line.
	lines := strings.Split(ansi.Strip(m.view()), "\n")
	if got := lines[len(lines)-3] + " " + lines[len(lines)-2]; got != "Record created 10-Nov-2026 by Erik (Dr) LINDQVIST, Ripon Cathedral Surgery (Y90130)" {
		t.Errorf("last body line at the bottom: %q", got)
	}
	m = summaryPress(m, "down", "pgdown")
	if want := len(lay.lines) - bodyH; m.offset != want {
		t.Errorf("past the end: offset %d, want %d", m.offset, want)
	}
	m = summaryPress(m, "home")
	if m.offset != 0 {
		t.Errorf("home: offset %d", m.offset)
	}
}

func TestSummarySectionJumps(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 16}} {
		for _, nhs := range []string{"9000000009", "9000000130", "9000000076"} {
			m := summaryTestModel(t, nhs, size[0], size[1])
			lay := m.layout()
			label := fmt.Sprintf("%s %dx%d", nhs, size[0], size[1])
			bodyTop := func(m summaryModel) string {
				return strings.Split(m.view(), "\n")[len(lay.banner)]
			}
			// Each section in turn, forwards then back.
			var visited []int
			for range len(lay.sections) + 2 {
				before := m.offset
				m = summaryPress(m, "tab")
				if m.offset == before {
					break
				}
				visited = append(visited, m.offset)
				if !slices.Contains(lay.sections, m.offset) {
					if m.offset != m.maxOffset(lay) {
						t.Errorf("%s: tab landed on line %d, not a heading", label, m.offset)
					}
					continue
				}
				if got := bodyTop(m); got != lay.lines[m.offset] {
					t.Errorf("%s: body top %q, want the heading %q", label, ansi.Strip(got), ansi.Strip(lay.lines[m.offset]))
				}
			}
			if len(visited) == 0 {
				t.Fatalf("%s: tab never moved", label)
			}
			// Every heading the end of the record allows is reached.
			for _, s := range lay.sections {
				if s <= m.maxOffset(lay) && !slices.Contains(visited, s) {
					t.Errorf("%s: section at line %d never reached by tab", label, s)
				}
			}
			for range len(lay.sections) + 2 {
				m = summaryPress(m, "shift+tab")
				if m.offset != 0 && !slices.Contains(lay.sections, m.offset) {
					t.Errorf("%s: shift+tab landed on line %d, not a heading", label, m.offset)
				}
			}
			if m.offset != 0 {
				t.Errorf("%s: shift+tab did not return to the top: %d", label, m.offset)
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
	top := ansi.Strip(strings.Split(m.view(), "\n")[len(m.layout().banner)])
	if !strings.HasPrefix(top, "Current Repeat Medications") {
		t.Fatalf("on top before resizing: %q", top)
	}
	for _, size := range [][2]int{{120, 40}, {60, 16}, {200, 60}, {80, 24}} {
		m.c.width, m.c.height = size[0], size[1]
		m, _ = m.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(m.view(), "\n")
		if got := ansi.Strip(lines[len(m.layout().banner)]); !strings.HasPrefix(got, "Current Repeat Medications") {
			t.Errorf("%dx%d: on top after resizing: %q", size[0], size[1], got)
		}
	}
	// Further into a section: stays in it.
	m = summaryPress(m, "pgdown", "pgdown")
	m.c.width, m.c.height = 120, 40
	m, _ = m.update(tea.WindowSizeMsg{Width: 120, Height: 40})
	lay := m.layout()
	in := -1
	for i, s := range lay.sections {
		if s <= m.offset {
			in = i
		}
	}
	if in < 0 || !strings.HasPrefix(ansi.Strip(lay.lines[lay.sections[in]]), "Current Repeat Medications") {
		t.Errorf("after resizing mid-section, top line %d is not in repeat medication", m.offset)
	}
}

// summaryHandmade is a summary built by hand to test odd input.
func summaryHandmade(blocks ...client.Block) *client.Summary {
	return &client.Summary{
		Created: client.FHIRDate{Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Precision: client.PrecisionDay},
		Sections: []client.Section{
			{Code: sectionAllergies, Title: "Allergies and Adverse Reactions"}, // empty
			{Code: sectionAcuteMeds, Title: "Acute Medications", Blocks: blocks},
			{Code: "SomethingNew", Title: "A Section Not Known Today", Blocks: []client.Block{client.Paragraph{Text: "Still shown."}}},
			{Code: "", Title: ""},
		},
	}
}

func TestSummaryLongCellWraps(t *testing.T) {
	long := strings.Repeat("Abcdefghij", 1000) // one 10 000-character word
	longWords := strings.TrimSpace(strings.Repeat("Paracetamol 500mg ", 500))
	s := summaryHandmade(&client.Table{
		Headers: []string{"Type", "Date", "Medication Item", "Dosage Instructions", "Quantity"},
		Rows: [][]string{
			{"Acute Medication", "Prescribed: 12-May-2020", long, "One To Be Taken Each Day", "28 tablet"},
			{"Acute Medication", "Prescribed: 13-May-2020", longWords, "Two", "56 tablet"},
		},
		Omitted: 7,
	})
	for _, w := range []int{60, 80, 200} {
		m := newSummaryModel(summaryTestCommon(w, 24), summaryTestPatient(t, "9000000017", ""), s, summaryTestFooter)
		body := summaryTestBody(m)
		for i, l := range m.layout().lines {
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
	ragged := &client.Table{
		Headers: []string{"Date", "Description", "Additional information"},
		Rows: [][]string{
			{},
			{"01-Jan-2020"},
			{"02-Jan-2020", "A row longer than its headers", "x", "extra cell", "another"},
			{"03-Jan-2020", "Spanning the rest of the row, and long enough to need wrapping at sixty columns wide"},
		},
	}
	many := &client.Table{}
	for i := range 12 {
		many.Headers = append(many.Headers, fmt.Sprint("Column ", i))
	}
	many.Rows = [][]string{{"a", "b", "", "d"}, {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}}
	noHeaders := &client.Table{Caption: "A caption", Rows: [][]string{{"x", "y"}, {"z"}}}
	s := summaryHandmade(ragged, many, noHeaders, &client.Table{}, client.Heading{Text: "A heading"},
		client.Highlight{Text: "Highlighted"}, client.Paragraph{Text: "Line one\nLine two"},
		client.Highlight{Text: "One or more entries have been deliberately withheld.", Withheld: true})
	s.Withheld = true
	p := summaryTestPatient(t, "9000000017", "")
	for _, size := range [][2]int{{0, 0}, {0, 24}, {80, 0}, {80, 1}, {80, 2}, {1, 24}, {5, 10}, {10, 5}, {20, 8}, {60, 16}, {80, 24}} {
		c := summaryTestCommon(size[0], size[1])
		m := newSummaryModel(c, p, s, summaryTestFooter)
		m = summaryPress(m, "down", "tab", "shift+tab", "pgdown", "end", "a", "m", "home")
		m, _ = m.update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		view := m.view()
		if h := size[1] - 1; h > 0 && len(strings.Split(view, "\n")) != h {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(strings.Split(view, "\n")))
		}
		if size[0] >= 20 {
			for i, l := range m.layout().lines {
				if lw := ansi.StringWidth(l); lw > size[0] {
					t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, lw, ansi.Strip(l))
				}
			}
		}
	}
	m := newSummaryModel(summaryTestCommon(60, 16), p, s, summaryTestFooter)
	body := strings.Join(summaryTestBody(m), "\n")
	for _, want := range []string{"extra", "another", "A heading", "Highlighted", "Line one\nLine two",
		"▲ One or more entries", "Column 0: a", "Column 11: twelve", "A caption", "Still shown."} {
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
	if lines[0] != allergiesNotRecorded {
		t.Errorf("status %q", lines[0])
	}
	// A zero-value model does not panic either.
	var zero summaryModel
	zero.c = summaryTestCommon(80, 24)
	_ = zero.view()
	zero, _ = zero.update(keyPress("down"))
	_ = zero.view()
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
	top := m.offset
	m.c.styles = newStyles(false)
	m, _ = m.update(tea.BackgroundColorMsg{})
	if m.layout() == before {
		t.Errorf("the layout was not redone in the new colours")
	}
	if m.offset != top {
		t.Errorf("the place moved from %d to %d", top, m.offset)
	}
}
