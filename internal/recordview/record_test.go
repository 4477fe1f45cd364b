package recordview

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
)

// testSummary is a record built by hand: sections out of the screen's
// order, a table with a spanning cell and a continuation row, a withheld
// statement, a resuscitation decision.
func testSummary() *client.Summary {
	row := func(texts ...string) []client.Cell {
		out := make([]client.Cell, len(texts))
		for i, t := range texts {
			out[i] = client.Cell{Text: t}
		}
		return out
	}
	return &client.Summary{
		Created:  client.FHIRDate{Time: time.Date(2020, 11, 17, 0, 0, 0, 0, time.UTC), Precision: client.PrecisionDay},
		Author:   client.PersonName{Text: "Dr Steve Jones"},
		Practice: client.Organisation{Name: "Headingley Lane Surgery", ODSCode: "Y90017"},
		Withheld: true,
		Sections: []client.Section{
			{Kind: client.SectionPreferences, Title: "Personal Preferences", Blocks: []client.Block{
				client.Paragraph{Text: "DNACPR decision in place"},
			}},
			{Kind: client.SectionRepeatMeds, Title: "Current Repeat Medications", Blocks: []client.Block{
				&client.Table{
					Headers: row("Date", "Medication Item", "Quantity"),
					Rows: [][]client.Cell{
						row("01-Jan-2020", "Simvastatin 20mg tablets", "28 tablet"),
						{{Text: "***Date Discontinued: 20-May-2026", ColSpan: 3}, {Covered: true}, {Covered: true}},
						row("", "Aspirin 75mg", "56 tablet"),
					},
					Omitted: 2,
				},
			}},
			{Kind: client.SectionAllergies, Title: "Allergies and Adverse Reactions", Blocks: []client.Block{
				&client.Table{
					Headers: row("Date", "Description"),
					Rows: [][]client.Cell{
						row("01-Jan-2020", "Penicillin - rash"),
						row("", "No relevant information available for this category"),
						row("02-Feb-2021", "Latex allergy"),
					},
				},
			}},
			{Kind: client.SectionProblems, Title: "Problems and Issues", Withheld: true, Blocks: []client.Block{
				client.Heading{Text: "Active"},
				&client.Highlight{Text: "One or more entries have been deliberately withheld.", Withheld: true},
				client.Highlight{Text: "Asthma"},
			}},
			{},
		},
	}
}

func TestReadSaysTheRecord(t *testing.T) {
	rec := Read(testSummary())
	var titles []string
	for _, s := range rec.Sections {
		titles = append(titles, s.Title)
	}
	want := []string{"Allergies and Adverse Reactions", "Current Repeat Medications", "Personal Preferences", "Problems and Issues", Untitled}
	if !slices.Equal(titles, want) {
		t.Fatalf("sections %q, want %q", titles, want)
	}
	if !rec.Sections[0].Allergy() || !rec.Sections[1].Medication() || rec.Sections[2].Allergy() || rec.Sections[2].Medication() {
		t.Error("sections not known for what they are")
	}
	if a := rec.Allergies; a != (Allergies{Status: AllergiesKnown, Count: 2, Exact: true}) {
		t.Errorf("allergies %+v", a)
	}
	if rows := rec.Sections[0].Blocks[0].Table.Rows; !rows[0].Allergy || rows[1].Allergy || !rows[2].Allergy {
		t.Errorf("allergy rows %+v", rows)
	}
	meds := rec.Sections[1].Blocks[0].Table
	if meds.Columns != 3 || meds.OmittedRows != 2 || len(meds.Head) != 3 {
		t.Errorf("table %+v", meds)
	}
	if r := meds.Rows[1]; len(r.Cells) != 1 || r.Cells[0].Span != 3 || r.Allergy {
		t.Errorf("spanning row %+v", r)
	}
	if meds.Rows[0].Continues() || !meds.Rows[2].Continues() {
		t.Error("only a row with an empty first cell goes with the one above")
	}
	var kinds []BlockKind
	for _, b := range rec.Sections[3].Blocks {
		kinds = append(kinds, b.Kind)
	}
	if !slices.Equal(kinds, []BlockKind{Heading, Withheld, Highlight}) {
		t.Errorf("blocks %v", kinds)
	}
	if !rec.Withheld || !rec.Sections[3].Withheld {
		t.Error("withheld not said")
	}
	if rec.Created != "Record created 17-Nov-2020 by Dr Steve Jones, Headingley Lane Surgery (Y90017)" {
		t.Errorf("created %q", rec.Created)
	}
	var flags []string
	for _, f := range rec.Flags {
		flags = append(flags, f.Words+" in "+f.Where+" at "+rec.Sections[f.Section].Title)
	}
	if want := []string{
		"Resuscitation decision in Personal Preferences at Personal Preferences",
		"Additional information in Personal Preferences at Personal Preferences",
		"Entries withheld in Problems and Issues at Problems and Issues",
	}; !slices.Equal(flags, want) {
		t.Errorf("flags %q", flags)
	}

	none := Read(nil)
	if !none.Unavailable || none.Allergies.Status != AllergiesUnavailable || len(none.Sections) != 0 {
		t.Errorf("no record: %+v", none)
	}
}

// Text past the bound is replaced by a note, never dropped silently.
func TestCapText(t *testing.T) {
	long := strings.Repeat("é", MaxText+25)
	got := CapText(long)
	if !strings.HasPrefix(got, strings.Repeat("é", MaxText)) || !strings.HasSuffix(got, " … [25 more characters not shown]") {
		t.Errorf("capped to %q…", got[len(got)-40:])
	}
	if short := "Paracetamol"; CapText(short) != short {
		t.Error("short text changed")
	}
	if got := CapText("a\x1b[31m\u0085b"); got != "a[31mb" {
		t.Errorf("not made plain: %q", got)
	}
}

// TestNoBubbleTea: what a screen says and how the record is laid out are
// drawn by Bubble Tea screens, but never depend on one.
func TestNoBubbleTea(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if p := imp.Path.Value; strings.Contains(p, "bubbletea") || strings.Contains(p, "bubbles") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestName: every name in CUI order when it comes in parts; a name that
// comes as text alone (as a record's author often does) as it was sent,
// since its order cannot be known.
func TestName(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    client.PersonName
		want string
	}{
		{"CUI form", client.PersonName{Prefix: []string{"Mrs"}, Given: []string{"Jane"}, Family: "Smith", Suffix: []string{"MBE"}}, "SMITH, Jane (Mrs)"},
		{"no title", client.PersonName{Given: []string{"Jane"}, Family: "Smith"}, "SMITH, Jane"},
		{"several given names", client.PersonName{Prefix: []string{"Mr"}, Given: []string{"Robert", "Alan"}, Family: "Hargreaves"}, "HARGREAVES, Robert Alan (Mr)"},
		{"missing family", client.PersonName{Prefix: []string{"Mrs"}, Given: []string{"Jane"}}, "Jane (Mrs)"},
		{"missing given", client.PersonName{Prefix: []string{"Dr"}, Family: "Smith"}, "SMITH (Dr)"},
		{"family only", client.PersonName{Family: "Smith"}, "SMITH"},
		{"title only", client.PersonName{Prefix: []string{"Mrs"}}, "(Mrs)"},
		{"two titles", client.PersonName{Prefix: []string{"Prof", "Dr"}, Given: []string{"Ann"}, Family: "Lee"}, "LEE, Ann (Prof Dr)"},
		{"Unicode family in capitals", client.PersonName{Prefix: []string{"Mr"}, Given: []string{"Seán"}, Family: "Ó Súilleabháin"}, "Ó SÚILLEABHÁIN, Seán (Mr)"},
		{"parts over text", client.PersonName{Prefix: []string{"Dr"}, Given: []string{"Anita"}, Family: "PATEL", Text: "Anita (Dr) PATEL"}, "PATEL, Anita (Dr)"},
		{"text alone, as sent", client.PersonName{Text: "BLOGGS Fred"}, "BLOGGS Fred"},
		{"text alone, run together", client.PersonName{Text: "MICHELLEMrsRADFORD"}, "MICHELLEMrsRADFORD"},
		{"text and a title alone", client.PersonName{Prefix: []string{"Dr"}, Text: " Dr Steve Jones "}, "Dr Steve Jones"},
		{"blank parts, text", client.PersonName{Family: " ", Given: []string{""}, Text: "Dr Mark Spencer"}, "Dr Mark Spencer"},
		{"empty", client.PersonName{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Name(tc.n); got != tc.want {
				t.Errorf("Name(%+v) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}
