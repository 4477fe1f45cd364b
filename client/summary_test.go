package client

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustParseSummary(tb testing.TB, path string) *Summary {
	tb.Helper()
	s, err := ParseSummary(readTestFile(tb, path))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return s
}

func sectionByCode(t *testing.T, s *Summary, code string) Section {
	t.Helper()
	for _, sec := range s.Sections {
		if sec.Code == code {
			return sec
		}
	}
	t.Fatalf("no section %s", code)
	return Section{}
}

// onlyTable is a section's one Table.
func onlyTable(t *testing.T, sec Section) *Table {
	t.Helper()
	for _, b := range sec.Blocks {
		if tb, ok := b.(*Table); ok {
			return tb
		}
	}
	t.Fatalf("section %s has no table: %#v", sec.Code, sec.Blocks)
	return nil
}

// texts is the text of each cell of row that is not Covered: what a reader
// of the row reads.
func texts(row []Cell) []string {
	var out []string
	for _, c := range row {
		if !c.Covered {
			out = append(out, c.Text)
		}
	}
	return out
}

// cells is a row of one-column cells.
func cells(ts ...string) []Cell {
	out := make([]Cell, len(ts))
	for i, t := range ts {
		out[i] = Cell{Text: t, ColSpan: 1, RowSpan: 1}
	}
	return out
}

func TestParseSummaryReference(t *testing.T) {
	s := mustParseSummary(t, filepath.Join(publishedSCR, "GetScrBundle.json"))
	if s.ID != "BF4180FD-C403-4EF7-A4AB-E07303AF5477" || s.NHSNumber != "9000000009" ||
		s.Created.String() != "17-Nov-2020 01:00" || s.Author.String() != "Dr Steve Jones" || s.Author.HasParts() {
		t.Errorf("header: %q %q %v %q", s.ID, s.NHSNumber, s.Created, s.Author)
	}
	var codes []string
	for _, sec := range s.Sections {
		codes = append(codes, sec.Code)
	}
	want := []string{"Title", "AllergiesHeader", "AcuteMedsHeader", "RepeatMedsHeader", "DiscRepeatMedsHeader",
		"RisksToPatientHeader", "DiagnosesHeader", "ProblemsHeader", "ObservationsHeader", "TreatmentsHeader",
		"ResultsHeader", "EventsHeader", "ProceduresHeader", "AdviceHeader", "PreferencesHeader"}
	if !slices.Equal(codes, want) {
		t.Errorf("sections %v", codes)
	}

	title := sectionByCode(t, s, "Title")
	if h, ok := title.Blocks[0].(Heading); !ok || !strings.HasPrefix(h.Text, "Sourced from the patient's General Practice record") {
		t.Errorf("title heading %#v", title.Blocks[0])
	}
	if h, ok := title.Blocks[2].(Highlight); !ok || !strings.Contains(h.Text, "recently registered") || h.Withheld {
		t.Errorf("highlighted statement %#v", title.Blocks[2])
	}

	allergies := onlyTable(t, sectionByCode(t, s, "AllergiesHeader"))
	if !slices.Equal(texts(allergies.Headers), []string{"Date", "Description", "Certainty", "Severity", "Supporting Information"}) ||
		!slices.Equal(texts(allergies.Rows[0]), []string{"12-May-2020", "Toxic reaction to wasp sting", "", "", "Problem; First"}) {
		t.Errorf("allergies %#v", allergies)
	}
	acute := onlyTable(t, sectionByCode(t, s, "AcuteMedsHeader"))
	if !slices.Equal(texts(acute.Rows[0]), []string{"Acute Medication", "Prescribed: 12-May-2020",
		"Co-codamol 8mg/500mg effervescent tablets", "One To Be Taken Four Times A Day", "112 tablet"}) {
		t.Errorf("acute %#v", acute.Rows)
	}
	repeat := onlyTable(t, sectionByCode(t, s, "RepeatMedsHeader"))
	if len(repeat.Rows) != 1 || repeat.Rows[0][2].Text != "Paracetamol 250mg/5ml oral suspension" ||
		repeat.Rows[0][3].Text != "One 5ml Spoonful Every 4 To 6 Hours When Necessary. No More Than 4 doses in 24 Hours" {
		t.Errorf("repeat %#v", repeat.Rows)
	}
	disc := onlyTable(t, sectionByCode(t, s, "DiscRepeatMedsHeader"))
	if len(disc.Rows) != 1 || !slices.Equal(texts(disc.Rows[0]), []string{"No relevant information available for this category."}) ||
		disc.Rows[0][0].ColSpan != len(disc.Headers) {
		t.Errorf("discontinued %#v", disc.Rows)
	}
	prefs := sectionByCode(t, s, "PreferencesHeader")
	if p, ok := prefs.Blocks[len(prefs.Blocks)-1].(Paragraph); !ok || p.Text != "Summary Sent: 14-May-2020 14:31" {
		t.Errorf("last block %#v", prefs.Blocks[len(prefs.Blocks)-1])
	}

	var kinds []string
	for _, e := range s.Entries {
		kinds = append(kinds, e.Kind)
	}
	if len(s.Entries) == 0 || s.Entries[0].Kind != "Condition" || s.Entries[0].Display != "COVID-19" ||
		s.Entries[0].Status != "active" || s.Entries[0].Code != "1240751000000100" || s.Entries[0].Date.IsZero() {
		t.Errorf("entries %v, first %+v", kinds, s.Entries)
	}
	if !slices.Contains(kinds, "Observation") {
		t.Errorf("no Observation in %v", kinds)
	}
}

func TestParseSummarySandbox(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(sandboxPatients, "*/bundle.json"))
	if err != nil || len(paths) < 9 {
		t.Fatalf("sandbox bundles: %d, %v", len(paths), err)
	}
	for _, path := range paths {
		s := mustParseSummary(t, path)
		nhs := NHSNumber(filepath.Base(filepath.Dir(path)))
		if s.NHSNumber != nhs || len(s.Sections) == 0 {
			t.Errorf("%s: %q, %d sections", path, s.NHSNumber, len(s.Sections))
		}
		if s.Author.String() == "" && nhs != "9000000009" {
			t.Errorf("%s: no author", path)
		}
	}

	s := mustParseSummary(t, filepath.Join(sandboxPatients, "9000000092/bundle.json"))
	// The author in parts as well as text: shown in CUI order.
	if s.Practice != (Organisation{Name: "Craven Dales Surgery", ODSCode: "Y90092"}) || s.Author.Family != "NAIK" ||
		!slices.Equal(s.Author.Given, []string{"Sunil"}) || !slices.Equal(s.Author.Prefix, []string{"Dr"}) || s.Author.Text != "Sunil (Dr) NAIK" {
		t.Errorf("practice %+v author %+v", s.Practice, s.Author)
	}
	// The statement under the title and in two sections: every one flagged.
	var withheld []string
	for _, sec := range s.Sections {
		for _, b := range sec.Blocks {
			if h, ok := b.(Highlight); ok && h.Withheld {
				withheld = append(withheld, sec.Code)
			}
		}
	}
	if !s.Withheld || !slices.Equal(withheld, []string{"Title", "ProblemsHeader", "CircumstancesHeader"}) {
		t.Errorf("withheld %v in %v", s.Withheld, withheld)
	}
	if !sectionByCode(t, s, "CircumstancesHeader").Withheld || sectionByCode(t, s, "DiagnosesHeader").Withheld {
		t.Error("section Withheld flags wrong")
	}

	big := mustParseSummary(t, filepath.Join(sandboxPatients, "9000000130/bundle.json"))
	rows := 0
	for _, code := range []string{"AcuteMedsHeader", "RepeatMedsHeader", "DiscRepeatMedsHeader"} {
		rows += len(onlyTable(t, sectionByCode(t, big, code)).Rows)
	}
	if n := len(onlyTable(t, sectionByCode(t, big, "AllergiesHeader")).Rows); n != 50 || rows < 300 {
		t.Errorf("9000000130: %d allergies, %d medication rows", n, rows)
	}

	// The discontinued row's leading empty cell and spanning reason survive.
	s = mustParseSummary(t, filepath.Join(sandboxPatients, "9000000017/bundle.json"))
	disc := onlyTable(t, sectionByCode(t, s, "DiscRepeatMedsHeader"))
	if !slices.Equal(texts(disc.Rows[1]), []string{"", "***Date Discontinued: 20-May-2026, Reason: Adverse reaction - muscle aches***"}) {
		t.Errorf("discontinued %+v", disc.Rows)
	}
	var kinds []string
	for _, e := range s.Entries {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{"Condition", "Condition", "Condition", "Observation", "Observation", "Procedure", "Procedure"}) {
		t.Errorf("entries %v", kinds)
	}
	for _, e := range s.Entries {
		if e.Display == "" || e.Date.IsZero() || e.Status == "" {
			t.Errorf("entry %+v", e)
		}
	}
}

func TestParseConsent(t *testing.T) {
	c, err := ParseConsent(readTestFile(t, filepath.Join(publishedSCR, "DocumentReferenceBundle.json")))
	if err != nil || c.SCRID != "FA60BE64-1F34-11EB-A2A8-000C29A364EB" || c.Permission != ConsentAsk {
		t.Errorf("reference: %+v %v", c, err)
	}
	want := map[string]ConsentCode{"9000000041": ConsentNo, "9000000114": ConsentYes, "9000000092": ConsentAsk}
	paths, _ := filepath.Glob(filepath.Join(sandboxPatients, "*/documentreference.json"))
	if len(paths) < 10 {
		t.Fatalf("%d sandbox DocumentReference bundles", len(paths))
	}
	for _, path := range paths {
		c, err := ParseConsent(readTestFile(t, path))
		// The published example, served unchanged, has no date.
		if err != nil || c.SCRID == "" || (c.Date.IsZero() && !strings.Contains(path, "9000000009")) {
			t.Errorf("%s: %+v %v", path, c, err)
		}
		if w, ok := want[filepath.Base(filepath.Dir(path))]; ok && c.Permission != w {
			t.Errorf("%s: permission %q, want %q", path, c.Permission, w)
		}
	}
	if _, err := ParseConsent([]byte(`{"resourceType":"Bundle","type":"searchset","total":0}`)); !errors.Is(err, ErrNoSCR) {
		t.Errorf("empty bundle: %v", err)
	}
	for _, label := range []string{``, `"securityLabel":[{"coding":[{"system":"https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission","code":"Maybe"}]}],`} {
		in := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"DocumentReference",` + label + `"masterIdentifier":{"value":"X"}}}]}`
		if c, err := ParseConsent([]byte(in)); err == nil {
			t.Errorf("%s: %+v, want an error", in, c)
		}
	}
}

func TestParseNarrative(t *testing.T) {
	tests := []struct {
		name string
		div  string
		want []Block
	}{
		{"entities", `<div><p>Tom &amp; Jerry &lt;3 &#x2014; caf&eacute;</p></div>`,
			[]Block{Paragraph{"Tom & Jerry <3 — café"}}},
		{"bold statement", `<div><p><b>Allergic to penicillin</b></p><p>Some <strong>bold</strong> text</p></div>`,
			[]Block{Highlight{Text: "Allergic to penicillin"}, Paragraph{"Some bold text"}}},
		{"withheld in plain paragraph", `<div><p>Note: one or more entries have been Deliberately Withheld.</p></div>`,
			[]Block{Highlight{Text: "Note: one or more entries have been Deliberately Withheld.", Withheld: true}}},
		{"br", `<div><p>line one<br/>line two<br>three</p></div>`,
			[]Block{Paragraph{"line one\nline two\nthree"}}},
		{"record's own newline is not a break", "<div><p>a\nb\x1e c</p></div>",
			[]Block{Paragraph{"a b c"}}},
		{"lists", `<div><ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul></div>`,
			[]Block{Paragraph{"• one"}, Paragraph{"• two"}, Paragraph{"  1. a"}, Paragraph{"  2. b"}}},
		{"headings", `<div><h2>Head</h2>loose text</div>`,
			[]Block{Heading{"Head"}, Paragraph{"loose text"}}},
		{"script dropped", `<div><script>alert(1)</script><style>p{}</style><p>ok</p></div>`,
			[]Block{Paragraph{"ok"}}},
		{"nested table flattened", `<div><table><tr><th>A</th><th>B</th></tr><tr><td>x<table><tr><td>i</td><td>j</td></tr><tr><td>k</td></tr></table></td><td>y</td></tr></table></div>`,
			[]Block{&Table{Headers: cells("A", "B"), Rows: [][]Cell{cells("x; i j; k", "y")}}}},
		{"unclosed cells and rows: a short row spans the rest", `<table><caption>Meds</caption><tr><td>a<td>b<tr><td>c</table>`,
			[]Block{&Table{Caption: "Meds", Rows: [][]Cell{cells("a", "b"), {{Text: "c", ColSpan: 2, RowSpan: 1}, {Covered: true}}}}}},
		{"hostile text", "<div><p>Warfarin\x1b[2J 5mg\x1b]52;c;ZWNobw==\x07 \u202edaily</p></div>",
			[]Block{Paragraph{"Warfarin 5mg daily"}}},
		{"unterminated", `<div><p>half`, []Block{Paragraph{"half"}}},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		got, _ := parseNarrative(tt.div, DateBounds{})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, blocksString(got), blocksString(tt.want))
		}
	}
}

func blocksString(bs []Block) string {
	var b strings.Builder
	for _, x := range bs {
		if tb, ok := x.(*Table); ok {
			fmt.Fprintf(&b, "%+v ", *tb)
		} else {
			fmt.Fprintf(&b, "%#v ", x)
		}
	}
	return b.String()
}

func TestParseNarrativeBounds(t *testing.T) {
	deep := strings.Repeat("<div><ul><li><table><tr><td>", 20000) + "x"
	rows := "<table>" + strings.Repeat("<tr><td>r</td></tr>", maxNarrativeRows+10) + "</table>"
	cells := "<table><tr>" + strings.Repeat("<td>c</td>", 1000) + "</tr></table>"
	paras := strings.Repeat("<p>p</p>", maxNarrativeBlocks+3)
	for name, div := range map[string]string{"deep": deep, "rows": rows, "cells": cells, "paras": paras} {
		blocks, _ := parseNarrative(div, DateBounds{})
		if len(blocks) > maxNarrativeBlocks+1 {
			t.Errorf("%s: %d blocks", name, len(blocks))
		}
		for _, b := range blocks {
			if tb, ok := b.(*Table); ok {
				if len(tb.Rows) > maxNarrativeRows {
					t.Errorf("%s: %d rows", name, len(tb.Rows))
				}
				for _, r := range tb.Rows {
					if len(r) > maxNarrativeCells {
						t.Errorf("%s: %d cells", name, len(r))
					}
				}
				if name == "rows" && tb.Omitted != 10 {
					t.Errorf("rows: omitted %d", tb.Omitted)
				}
				if name == "cells" && tb.OmittedColumns != 1000-maxNarrativeCells {
					t.Errorf("cells: omitted columns %d", tb.OmittedColumns)
				}
			}
		}
		if name == "paras" {
			if p, ok := blocks[len(blocks)-1].(Paragraph); !ok || !strings.Contains(p.Text, "3 more") {
				t.Errorf("paras: last block %#v", blocks[len(blocks)-1])
			}
		}
	}
}

func FuzzParseSummary(f *testing.F) {
	f.Add(readTestFile(f, filepath.Join(publishedSCR, "GetScrBundle.json")))
	f.Add(readTestFile(f, filepath.Join(sandboxPatients, "9000000092/bundle.json")))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","section":[{"text":{"div":"<table><tr><td>a<table><td>b</table>"}}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		s, err := ParseSummary(data)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
		}
		if err == nil {
			for _, sec := range s.Sections {
				assertInert(t, sec.Title)
				for _, b := range sec.Blocks {
					assertBlockInert(t, b)
				}
			}
		}
		// The narrative parser alone, on the raw bytes as XHTML.
		blocks, _ := parseNarrative(string(data), DateBounds{})
		for _, b := range blocks {
			assertBlockInert(t, b)
		}
	})
}

func assertBlockInert(t *testing.T, b Block) {
	t.Helper()
	switch b := b.(type) {
	case Heading:
		assertInert(t, b.Text)
	case Paragraph:
		for line := range strings.SplitSeq(b.Text, "\n") {
			assertInert(t, line)
		}
	case Highlight:
		assertInert(t, b.Text)
	case *Table:
		assertInert(t, b.Caption)
		assertRowInert(t, b.Headers)
		for _, r := range b.Rows {
			assertRowInert(t, r)
		}
	default:
		t.Fatalf("unknown block %T", b)
	}
}

// assertRowInert checks a grid row: inert texts, spans within the row, and
// no text at a covered position.
func assertRowInert(t *testing.T, row []Cell) {
	t.Helper()
	if len(row) > maxNarrativeCells {
		t.Fatalf("%d columns", len(row))
	}
	for x := 0; x < len(row); x++ {
		c := row[x]
		assertInert(t, c.Text)
		if c.Covered {
			if c.Text != "" {
				t.Fatalf("covered cell with text %q", c.Text)
			}
			continue
		}
		if c.ColSpan < 1 || c.RowSpan < 1 || x+c.ColSpan > len(row) {
			t.Fatalf("cell %d of %d: %+v", x, len(row), c)
		}
		for k := 1; k < c.ColSpan; k++ {
			if !row[x+k].Covered {
				t.Fatalf("cell %d spans %d, but %d is not covered", x, c.ColSpan, x+k)
			}
		}
		x += c.ColSpan - 1
	}
}

func BenchmarkParseSummary(b *testing.B) {
	for _, bm := range []struct{ name, path string }{
		{"GetScrBundle", filepath.Join(publishedSCR, "GetScrBundle.json")},
		{"9000000130", filepath.Join(sandboxPatients, "9000000130/bundle.json")},
	} {
		data := readTestFile(b, bm.path)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseSummary(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// JSON of the wrong type where a string belongs makes the document unusable
// (one clear error), never a panic or a half-read record.
func TestParseWrongJSONTypes(t *testing.T) {
	for name, in := range map[string]string{
		"section title a number": `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","section":[{"title":5}]}}]}`,
		"div an object":          `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","section":[{"title":"A","text":{"div":{"p":1}}}]}}]}`,
		"entry a string":         `{"resourceType":"Bundle","entry":"x"}`,
		"resourceType a bool":    `{"resourceType":true}`,
	} {
		if s, err := ParseSummary([]byte(in)); err == nil {
			t.Errorf("%s: parsed as %+v", name, s)
		}
	}
	for name, in := range map[string]string{
		"family a number":    `{"resourceType":"Patient","id":"9000000009","name":[{"family":7}]}`,
		"birthDate an array": `{"resourceType":"Patient","id":"9000000009","birthDate":[2010]}`,
	} {
		if p, err := ParsePatient([]byte(in), "", testNow); err == nil {
			t.Errorf("%s: parsed as %+v", name, p)
		}
	}
}

func TestParseNarrativeSpans(t *testing.T) {
	one := func(text string) Cell { return Cell{Text: text, ColSpan: 1, RowSpan: 1} }
	covered := Cell{Covered: true}
	tests := []struct {
		name string
		div  string
		want *Table
	}{
		{"colspan: the supporting information under its medication",
			`<table><tr><th>Type</th><th>Date</th><th>Medication Item</th><th>Dosage</th><th>Quantity</th></tr>
			<tr><td>Acute</td><td>Prescribed: 09 Oct 2017</td><td>Paracetamol 500mg capsules</td><td>two</td><td>32</td></tr>
			<tr><td colspan="2"/><td>Supporting Information: with food</td><td colspan="2"/></tr></table>`,
			&Table{Headers: cells("Type", "Date", "Medication Item", "Dosage", "Quantity"), Rows: [][]Cell{
				cells("Acute", "Prescribed: 09-Oct-2017", "Paracetamol 500mg capsules", "two", "32"),
				{{ColSpan: 2, RowSpan: 1}, covered, one("Supporting Information: with food"), {ColSpan: 2, RowSpan: 1}, covered},
			}}},
		{"rowspan: held once, covered below",
			`<table><tr><td rowspan="3">Aspirin</td><td>a</td><td>x</td></tr><tr><td>b</td></tr><tr><td>c</td><td>z</td></tr></table>`,
			&Table{Rows: [][]Cell{
				{{Text: "Aspirin", ColSpan: 1, RowSpan: 3}, one("a"), one("x")},
				{covered, {Text: "b", ColSpan: 2, RowSpan: 1}, covered}, // short: spans the rest
				{covered, one("c"), one("z")},
			}}},
		{"rowspan past the end, rowspan 0 and an empty row it spans",
			`<table><tr><td rowspan="0">A</td><td rowspan="9">B</td></tr><tr></tr><tr><td>c</td></tr></table>`,
			&Table{Rows: [][]Cell{
				{{Text: "A", ColSpan: 1, RowSpan: 3}, {Text: "B", ColSpan: 1, RowSpan: 3}, one("")}, // B spans rows: not the rest
				{covered, covered, one("c")},
			}}},
		{"hostile colspan is cut to the table",
			`<table><tr><td colspan="100000">No relevant information</td></tr><tr><td>a</td><td>b</td></tr><tr><td colspan=" 2x">c</td><td>d</td></tr></table>`,
			&Table{Rows: [][]Cell{
				{{Text: "No relevant information", ColSpan: 3, RowSpan: 1}, covered, covered},
				{one("a"), {Text: "b", ColSpan: 2, RowSpan: 1}, covered},
				{{Text: "c", ColSpan: 2, RowSpan: 1}, covered, one("d")},
			}}},
		{"colspan rows are padded, not spanned",
			`<table><tr><th>A</th><th>B</th><th>C</th></tr><tr><td colspan="2">ab</td></tr></table>`,
			&Table{Headers: cells("A", "B", "C"), Rows: [][]Cell{{{Text: "ab", ColSpan: 2, RowSpan: 1}, covered, one("")}}}},
		{"bad spans read as HTML does",
			`<table><tr><td colspan="0" rowspan="x">a</td><td colspan="-2">b</td></tr></table>`,
			&Table{Rows: [][]Cell{cells("a", "b")}}},
	}
	for _, tt := range tests {
		got, _ := parseNarrative(tt.div, DateBounds{})
		if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, blocksString(got), blocksString([]Block{tt.want}))
		}
	}

	// Columns past the bound are counted; the grid stays bounded.
	div := "<table><tr>" + strings.Repeat("<td>c</td>", maxNarrativeCells+6) + "</tr><tr><td colspan=\"1000\" rowspan=\"65534\">x</td></tr>" +
		strings.Repeat("<tr><td>y</td></tr>", 3) + "</table>"
	blocks, _ := parseNarrative(div, DateBounds{})
	tb := blocks[0].(*Table)
	if tb.OmittedColumns != 6 || len(tb.Rows) != 2 || len(tb.Rows[0]) != maxNarrativeCells || tb.Rows[1][0].ColSpan != maxNarrativeCells {
		t.Errorf("omitted columns %d, %d rows, widths %d", tb.OmittedColumns, len(tb.Rows), len(tb.Rows[0]))
	}
}

func TestParseNarrativeDates(t *testing.T) {
	b := DateBounds{NotBefore: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)}
	div := `<h2>Seen 1 May 2020</h2><p>Started 2 May 2020<br/>stopped 3 May 2020</p><p class="highlight">On 4 May 2020</p>` +
		`<ol><li>5 May 2020 review</li></ol><table><caption>From 6 May 2020</caption><tr><th>7 May 2020</th></tr><tr><td>8 May 2020</td></tr></table>`
	got, _ := parseNarrative(div, b)
	want := []Block{Heading{"Seen 01-May-2020"}, Paragraph{"Started 02-May-2020\nstopped 03-May-2020"}, Highlight{Text: "On 04-May-2020"},
		Paragraph{"1. 05-May-2020 review"}, &Table{Caption: "From 06-May-2020", Headers: cells("07-May-2020"), Rows: [][]Cell{cells("08-May-2020")}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %s\nwant %s", blocksString(got), blocksString(want))
	}
}

func TestParseSummarySectionKinds(t *testing.T) {
	s := mustParseSummary(t, filepath.Join(publishedSCR, "GetScrBundle.json"))
	for _, sec := range s.Sections {
		if sec.Kind != sec.Code {
			t.Errorf("section %q: kind %q, code %q", sec.Title, sec.Kind, sec.Code)
		}
	}
	acute := sectionByCode(t, s, SectionAcuteMeds)
	if !strings.Contains(acute.Title, "-20") || strings.Contains(acute.Title, " 20") {
		t.Errorf("acute medication title's dates not in the SCR's form: %q", acute.Title)
	}

	// Titles and no codes, as a GP Initial Summary may send them.
	section := func(title, code string) string {
		s := `{"title":` + strconv.Quote(title) + `,"text":{"div":"<div><table><tr><td>Penicillin</td><td>rash</td></tr></table></div>"}`
		if code != "" {
			s += `,"code":{"coding":[{"code":` + strconv.Quote(code) + `}]}`
		}
		return s + "}"
	}
	var secs []string
	for _, st := range [][2]string{
		{"  allergies and adverse REACTIONS ", ""},
		{"Acute Medications (For the 12 month period 14 May 2019 to 14 May 2020)", ""},
		{"Acute medication", ""},
		{"Current Repeat Medications", ""},
		{"Discontinued Repeat Medications (For the 6 month period 14-Nov-2019 to 14-May-2020)", ""},
		{"Problems and Issues", ""},
		{"Acute Medicationsx", ""},
		{"Allergies and Adverse Reactions", "SomethingElse"},
		{"Allergies and Adverse Reactions", SectionRisksToPatient},
		{"", ""},
		{"Allergies", ""},
		{"Drug Allergies and Sensitivities", ""},
		{"Adverse reactions", "SomethingElse"},
	} {
		secs = append(secs, section(st[0], st[1]))
	}
	bundle := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","birthDate":"1940-02-03"}},
		{"resource":{"resourceType":"Composition","date":"2020-06-01","section":[` + strings.Join(secs, ",") + `]}}]}`
	s, err := ParseSummary([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, sec := range s.Sections {
		kinds = append(kinds, sec.Kind)
	}
	want := []string{SectionAllergies, SectionAcuteMeds, SectionAcuteMeds, SectionRepeatMeds, SectionDiscontinuedMeds, SectionProblems,
		"", SectionAllergies, SectionRisksToPatient, "", SectionAllergies, SectionAllergies, SectionAllergies}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds\n %q\nwant %q", kinds, want)
	}
	if s.Sections[0].Code != "" || s.Sections[7].Code != "SomethingElse" {
		t.Errorf("codes not kept as sent: %q %q", s.Sections[0].Code, s.Sections[7].Code)
	}
	if got := s.Sections[1].Title; got != "Acute Medications (For the 12 month period 14-May-2019 to 14-May-2020)" {
		t.Errorf("title %q", got)
	}
	// A birth date of the wrong type is no bound, not a failed record.
	if _, err := ParseSummary([]byte(strings.Replace(bundle, `"1940-02-03"`, `[1940]`, 1))); err != nil {
		t.Errorf("birthDate an array: %v", err)
	}
}
