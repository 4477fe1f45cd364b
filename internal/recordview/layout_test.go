package recordview

import (
	"os"
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
)

var testStyles = Styles{
	Text:           lipgloss.NewStyle(),
	Faint:          lipgloss.NewStyle().Faint(true),
	Section:        lipgloss.NewStyle().Bold(true),
	AllergySection: lipgloss.NewStyle().Bold(true).Underline(true),
	TableHeader:    lipgloss.NewStyle().Underline(true),
	Withheld:       lipgloss.NewStyle().Italic(true),
	Highlight:      lipgloss.NewStyle().Bold(true),
}

func plainLines(b *Body) []string {
	out := make([]string, len(b.Lines))
	for i, l := range b.Lines {
		out[i] = ansi.Strip(l)
	}
	return out
}

func TestLayoutPlaces(t *testing.T) {
	rec := Read(testSummary())
	for _, w := range []int{30, 60, 80, 200} {
		b := Layout(rec, testStyles, w)
		lines := plainLines(b)
		if lines[0] != WithheldMarker+WithheldLine && w >= 60 {
			t.Errorf("width %d: first line %q", w, lines[0])
		}
		if len(b.Sections) != len(rec.Sections) {
			t.Fatalf("width %d: %d headings for %d sections", w, len(b.Sections), len(rec.Sections))
		}
		for i, at := range b.Sections {
			if title := rec.Sections[i].Title; !strings.Contains(lines[at], title[:min(len(title), 8)]) {
				t.Errorf("width %d: section %d heading at line %d reads %q", w, i, at, lines[at])
			}
		}
		if b.Allergies != b.Sections[0] || b.Medication != b.Sections[1] {
			t.Errorf("width %d: allergies at %d, medication at %d, sections %v", w, b.Allergies, b.Medication, b.Sections)
		}
		if len(b.AllergyEnds) != rec.Allergies.Count {
			t.Fatalf("width %d: %d allergy rows placed, %d counted", w, len(b.AllergyEnds), rec.Allergies.Count)
		}
		for _, e := range b.AllergyEnds {
			if e <= b.Allergies || e >= b.AllergyEnd || !strings.HasPrefix(lines[e], "┃") {
				t.Errorf("width %d: allergy row ends at line %d, %q", w, e, lines[e])
			}
		}
		if b.AllergyEnd > b.Sections[1] {
			t.Errorf("width %d: allergies end at %d, after the medication's heading", w, b.AllergyEnd)
		}
		for i, l := range b.Lines {
			if lw := ansi.StringWidth(l); lw > w {
				t.Errorf("width %d: line %d is %d wide", w, i, lw)
			}
		}
		if last := strings.Join(lines[len(lines)-3:], " "); !strings.Contains(strings.Join(strings.Fields(last), " "), "Headingley Lane Surgery (Y90017)") {
			t.Errorf("width %d: the record does not end with its creation: %q", w, last)
		}
	}
	if b := Layout(Read(nil), testStyles, 80); len(b.Lines) != 1 || b.Lines[0] != UnavailableLine || len(b.Sections) != 0 {
		t.Errorf("no record: %q", b.Lines)
	}
	if b := Layout(rec, testStyles, 0); len(b.Lines) != 0 {
		t.Errorf("width 0: %d lines", len(b.Lines))
	}
}

func TestAllergiesBelow(t *testing.T) {
	b := &Body{Allergies: 2, AllergyEnd: 20, AllergyStarts: []int{3, 7, 11, 16}, AllergyEnds: []int{5, 9, 14, 19}}
	for _, tc := range []struct {
		off, h, below int
		cut           bool
	}{
		{0, 10, 2, true},   // the foot on line 9 hides the end of the row from 7 to 9
		{0, 11, 2, false},  // the foot on line 10: the rows from 11 and 16 below
		{5, 10, 1, true},   // the foot on line 14: the row from 11 cut, one below
		{10, 10, 0, true},  // the foot on line 19, the last row's end
		{11, 10, 0, false}, // every row whole above the foot
		{0, 4, 4, false},   // the heading on line 2, the foot on line 3
		{0, 3, 0, false},   // the foot would be on the heading's line
		{0, 1, 0, false},   // no room for a foot
		{20, 10, 0, false}, // past the allergies
	} {
		if below, cut := b.AllergiesBelow(tc.off, tc.h); below != tc.below || cut != tc.cut {
			t.Errorf("from %d, %d high: %d below, cut %v; want %d, %v", tc.off, tc.h, below, cut, tc.below, tc.cut)
		}
	}
}

func TestCarry(t *testing.T) {
	rec := Read(testSummary())
	wide, narrow := Layout(rec, testStyles, 200), Layout(rec, testStyles, 40)
	for i := range wide.Sections {
		if got := wide.Carry(wide.Sections[i], narrow); got != narrow.Sections[i] {
			t.Errorf("section %d: heading %d carried to %d, want %d", i, wide.Sections[i], got, narrow.Sections[i])
		}
	}
	if got := wide.Carry(0, narrow); got != 0 {
		t.Errorf("the top carried to %d", got)
	}
	other := Layout(Read(&client.Summary{}), testStyles, 40)
	if got := wide.Carry(len(wide.Lines)-1, other); got < 0 || got > len(other.Lines) {
		t.Errorf("carried out of another record: %d", got)
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		avail  int
		stages [][]int
		want   []int
	}{
		{"everything fits", 100, [][]int{{8, 8}, {10, 12}, {30, 40}}, []int{30, 40}},
		// 6 left after the floors; the words lack 4 and 8.
		{"floors, then words in proportion", 30, [][]int{{8, 8, 8}, {12, 8, 16}, {40, 8, 40}}, []int{10, 8, 12}},
		// 20 left after the words; the columns lack 20 and 40: 6 and
		// 13, and the cell left over to the first.
		{"what is left after the words, in proportion", 40, [][]int{{8, 8}, {10, 10}, {30, 50}}, []int{17, 23}},
		{"a stage never narrows", 30, [][]int{{10, 10}, {5, 5}, {20, 20}}, []int{15, 15}},
		{"too narrow for the floors: the widest give", 10, [][]int{{11, 3, 3}}, []int{4, 3, 3}},
		{"down to one cell", 2, [][]int{{5, 5, 5}}, []int{1, 1, 1}},
	} {
		got := Fit(tc.avail, tc.stages...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if Fit(10) != nil {
		t.Error("no stages, no columns")
	}
}

func TestCellLines(t *testing.T) {
	cells := []Cell{NewCell(0, 1, "12-May-2020"), NewCell(1, 2, "Paracetamol 500mg capsules, two four times a day"), NewCell(3, 1, "")}
	lines := CellLines(cells, []int{11, 10, 10, 5}, 2, Painter{})
	want := []string{
		"12-May-2020  Paracetamol 500mg",
		"             capsules, two four",
		"             times a day",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%q\nwant\n%q", lines, want)
	}
	// A column no cell starts in is blank, and paint is per piece of text.
	p := PainterOf(lipgloss.NewStyle().Bold(true))
	lines = CellLines([]Cell{NewCell(1, 1, "b")}, []int{3, 3}, 1, p)
	if len(lines) != 1 || ansi.Strip(lines[0]) != "    b" || lines[0] == "    b" {
		t.Errorf("blank column: %q", lines)
	}
	if len(CellLines(nil, []int{3}, 1, Painter{})) != 0 {
		t.Error("no cells, no lines")
	}
}

func BenchmarkLayout(b *testing.B) {
	data, err := os.ReadFile("../../assets/sandbox/patients/9000000130/bundle.json")
	if err != nil {
		b.Fatal(err)
	}
	s, err := client.ParseSummary(data)
	if err != nil {
		b.Fatal(err)
	}
	rec := Read(s)
	b.ReportAllocs()
	for b.Loop() {
		_ = Layout(rec, testStyles, 80)
	}
}
