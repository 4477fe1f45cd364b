package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/net/html"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/recordview"
)

// The corpus tests put every record NHS England publishes through the
// summary screen (internal/nhscorpus): the SCR GET responses, the GP summary
// test records with every additional-information section, the bare
// Composition fixtures (wrapped in a Bundle as GET /Bundle serves them) and
// the HTML-parser fixtures (as one section each). A record must render at
// every size without a panic, and lose none of its words.

// corpusSizes are the terminals every record is drawn on.
var corpusSizes = [][2]int{{60, 16}, {80, 24}, {120, 40}, {200, 60}}

// corpusRecord is one published record as the summary screen gets it, with
// the sections as sent, to compare against.
type corpusRecord struct {
	name     string
	summary  *client.Summary
	sections []corpusSection // in the record's order, as sent
}

// corpusSection is a section as sent: its code, its title, the words of its
// XHTML and the text of each of its table rows that has a <td>.
type corpusSection struct {
	code  string
	title string
	words []string
	data  []string // words, less those of header cells (<th>)
	rows  []string
}

// corpusRecords parses every published SCR into a summary. A file that does
// not parse fails the test: none of the corpus is malformed.
func corpusRecords(t *testing.T) []corpusRecord {
	t.Helper()
	var out []corpusRecord
	add := func(name string, bundle []byte) {
		s, err := client.ParseSummary(bundle)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		rec := corpusRecord{name: name, summary: s}
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType string `json:"resourceType"`
					Section      []struct {
						Code struct {
							Coding []struct {
								Code string `json:"code"`
							} `json:"coding"`
						} `json:"code"`
						Title string `json:"title"`
						Text  struct {
							Div string `json:"div"`
						} `json:"text"`
					} `json:"section"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(bundle, &b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bounds := client.DateBounds{NotAfter: s.Created.Time}
		for _, e := range b.Entry {
			if e.Resource.ResourceType != "Composition" {
				continue
			}
			for _, sec := range e.Resource.Section {
				cs := corpusSection{
					title: client.DisplayDates(strings.Join(strings.Fields(sec.Title), " "), bounds),
					words: xhtmlWords(sec.Text.Div, bounds, true),
					data:  xhtmlWords(sec.Text.Div, bounds, false),
					rows:  xhtmlRows(sec.Text.Div),
				}
				if len(sec.Code.Coding) > 0 {
					cs.code = sec.Code.Coding[0].Code
				}
				rec.sections = append(rec.sections, cs)
			}
			break // the first Composition is the record
		}
		out = append(out, rec)
	}
	for _, f := range nhscorpus.OfKind(nhscorpus.SCRBundle) {
		add(f.Name(), f.Data)
	}
	for _, f := range nhscorpus.OfKind(nhscorpus.Composition) {
		add(f.Name(), nhscorpus.Wrap(f.Data, "9000000009"))
	}
	for _, f := range nhscorpus.OfKind(nhscorpus.Narrative) {
		comp, err := json.Marshal(map[string]any{
			"resourceType": "Composition",
			"section": []any{map[string]any{
				"title": "Narrative",
				"text":  map[string]any{"div": string(f.Data)},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		add(f.Name(), nhscorpus.Wrap(comp, "9000000009"))
	}
	// 30 bundles, 6 compositions and 10 HTML fixtures today: a corpus
	// that shrinks unnoticed would let these tests pass on less.
	if len(out) < 46 {
		t.Fatalf("only %d published records in the corpus", len(out))
	}
	// The sandbox's records, several built from the published ones, are
	// held to the same rules.
	for _, nhs := range summaryTestWithSCR(t) {
		data, err := os.ReadFile(filepath.Join(summaryTestPatients, nhs, "bundle.json"))
		if err != nil {
			t.Fatal(err)
		}
		add("sandbox/"+nhs, data)
	}
	return out
}

// xhtmlWords is the words of a section's XHTML as a reader of the page would
// see them: text outside <script> and <style>, entities decoded, each text
// node's dates in the viewer's form; with headers, the words of <th> cells
// too.
func xhtmlWords(div string, bounds client.DateBounds, headers bool) []string {
	var words []string
	z := html.NewTokenizer(strings.NewReader(div))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return words
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) == "script" || string(name) == "style" || (!headers && string(name) == "th") {
				skip++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if (string(name) == "script" || string(name) == "style" || (!headers && string(name) == "th")) && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				text := strings.Join(strings.Fields(string(z.Text())), " ")
				words = append(words, strings.Fields(client.DisplayDates(text, bounds))...)
			}
		}
	}
}

// xhtmlRows is the text of each table row of a section's XHTML that has a
// data cell, as sent.
func xhtmlRows(div string) []string {
	var rows []string
	var row strings.Builder
	inRow, hasTD := false, false
	z := html.NewTokenizer(strings.NewReader(div))
	for {
		tt := z.Next()
		name, _ := z.TagName()
		switch {
		case tt == html.ErrorToken:
			return rows
		case tt == html.StartTagToken && string(name) == "tr":
			row.Reset()
			inRow, hasTD = true, false
		case (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && string(name) == "td":
			hasTD = true
			row.WriteString(" ")
		case tt == html.EndTagToken && string(name) == "tr":
			if inRow && hasTD {
				rows = append(rows, strings.Join(strings.Fields(row.String()), " "))
			}
			inRow = false
		case tt == html.TextToken && inRow:
			row.Write(z.Text())
		}
	}
}

// corpusPatient is the banner every record is drawn under: the NHS's
// published PDS example.
func corpusPatient(t *testing.T) *client.Patient {
	t.Helper()
	data, err := nhscorpus.Read("pds/sandbox/mocks/Patient.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.ParsePatient(data, "", summaryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCorpusRendersAtEverySize draws every published record at every size
// and scrolls it top to bottom: no panic, every screen exactly the window's
// height and no line wider than it.
func TestCorpusRendersAtEverySize(t *testing.T) {
	p := corpusPatient(t)
	for _, rec := range corpusRecords(t) {
		for _, size := range corpusSizes {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%s/%dx%d", rec.name, w, h), func(t *testing.T) {
				m := newSummaryScreen(summaryTestCommon(w, h), p, rec.summary, summaryTestFooter)
				for range 10000 {
					corpusCheckScreen(t, m.drawn(), w, h-1)
					before := summaryTop(m)
					m = summaryPress(m, "pgdown")
					if summaryTop(m) == before {
						break
					}
				}
				for _, k := range []string{"home", "a", "m", "tab", "shift+tab", "end"} {
					m = summaryPress(m, k)
					corpusCheckScreen(t, m.drawn(), w, h-1)
				}
			})
		}
	}
}

func corpusCheckScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("the screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Fatalf("line %d is %d cells wide, more than %d: %q", i+1, got, w, ansi.Strip(l))
		}
	}
}

// TestCorpusLosesNoWord checks, for every published record, that every
// section title is shown, that allergy sections come first, and that every
// word of every section's XHTML reaches the screen:
//
//   - in order, at a width where nothing needs to wrap, comparing word
//     sequences within each section, not lines;
//   - at each terminal size, present in the section's part of the screen,
//     whole or broken across lines (a word longer than its column must be
//     broken, never cut).
func TestCorpusLosesNoWord(t *testing.T) {
	p := corpusPatient(t)
	for _, rec := range corpusRecords(t) {
		t.Run(rec.name, func(t *testing.T) {
			shown := recordview.Order(rec.summary)
			if len(shown) != len(rec.sections) {
				t.Fatalf("%d sections shown, %d sent", len(shown), len(rec.sections))
			}
			corpusCheckAllergiesFirst(t, rec, shown)
			for _, w := range append([]int{100000}, 60, 80, 120, 200) {
				lay := buildSummaryLayout(summaryTestCommon(w, 40), p, recordview.Read(rec.summary), summaryTestFooter, w)
				if len(lay.body.Sections) != len(shown) {
					t.Fatalf("width %d: %d section headings laid out, %d sections", w, len(lay.body.Sections), len(shown))
				}
				for i, sec := range shown {
					end := len(lay.body.Lines)
					if i+1 < len(lay.body.Sections) {
						end = lay.body.Sections[i+1]
					}
					text := ansi.Strip(strings.Join(lay.body.Lines[lay.body.Sections[i]:end], "\n"))
					sent := corpusSent(t, rec, sec)
					if w == 100000 {
						corpusInOrder(t, sent, text)
					} else {
						corpusPresent(t, w, sent, text)
					}
				}
			}
		})
	}
}

// corpusSent is the section as sent that the parsed section sec came from:
// sections keep the record's order, so the i-th parsed is the i-th sent.
func corpusSent(t *testing.T, rec corpusRecord, sec *client.Section) corpusSection {
	t.Helper()
	i := -1
	for j := range rec.summary.Sections {
		if &rec.summary.Sections[j] == sec {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("section %q is not the record's", sec.Title)
	}
	return rec.sections[i]
}

// corpusInOrder fails unless the title and then every word of sent appear
// in text in order, each a whole word.
func corpusInOrder(t *testing.T, sent corpusSection, text string) {
	t.Helper()
	got := strings.Fields(text)
	want := append(strings.Fields(sent.title), sent.words...)
	at := 0
	for k, word := range want {
		j := slices.Index(got[at:], word)
		if j < 0 {
			from := max(k-5, 0)
			t.Errorf("section %q: word %d %q (after %q) is not shown in order; the screen has %q",
				sent.title, k+1, word, strings.Join(want[from:k], " "), corpusAround(got, at))
			return
		}
		at += j + 1
	}
}

// corpusPresent fails unless every word of sent is in text: whole, or
// broken into pieces on later lines where it is too long for its column
// (in a table, other columns' words come between the pieces). Header cells
// are left out: a table too wide for the screen is shown as "Header: value"
// lines, which name a column only where a row has a value in it.
func corpusPresent(t *testing.T, w int, sent corpusSection, text string) {
	t.Helper()
	fields := strings.Fields(text)
	for _, word := range append(strings.Fields(sent.title), sent.data...) {
		if !slices.Contains(fields, word) && !corpusBroken(fields, 0, word, 0) {
			t.Errorf("width %d, section %q: word %q is not shown", w, sent.title, word)
			return
		}
	}
}

// corpusBroken reports whether word is shown as pieces in fields from
// index from on: a field that begins it, then the rest likewise.
func corpusBroken(fields []string, from int, word string, depth int) bool {
	if depth > 16 {
		return false
	}
	for i := from; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == word && depth > 0:
			return true
		case len(f) < len(word) && strings.HasPrefix(word, f):
			if corpusBroken(fields, i+1, word[len(f):], depth+1) {
				return true
			}
		}
	}
	return false
}

func corpusAround(words []string, at int) string {
	return strings.Join(words[at:min(at+12, len(words))], " ")
}

// corpusCheckAllergiesFirst fails unless every allergy section, recognised
// by its code or by Spine's title, is shown before any other section.
func corpusCheckAllergiesFirst(t *testing.T, rec corpusRecord, shown []*client.Section) {
	t.Helper()
	other := false
	for _, sec := range shown {
		allergy := sec.Code == client.SectionAllergies ||
			strings.HasPrefix(strings.ToLower(strings.TrimSpace(sec.Title)), "allergies and adverse reactions")
		if allergy && other {
			t.Errorf("allergy section %q is shown after another section", sec.Title)
		}
		other = other || !allergy
	}
}

// TestCorpusAllergyStatus: the allergy status is never "not recorded" or
// "no known allergies" while a published record's allergy section, known by
// its code or by Spine's title, has a row that says more than "no relevant
// information" or "no known allergies".
func TestCorpusAllergyStatus(t *testing.T) {
	for _, rec := range corpusRecords(t) {
		listed := false
		for _, sec := range rec.sections {
			if sec.code != client.SectionAllergies && !strings.HasPrefix(strings.ToLower(sec.title), "allergies and adverse reactions") {
				continue
			}
			for _, row := range sec.rows {
				if recordview.AllergyListed(row) {
					listed = true
				}
			}
		}
		if status := recordview.Read(rec.summary).Allergies.Status; listed && status != recordview.AllergiesKnown {
			t.Errorf("%s: the allergy section lists allergies, but the status is %q", rec.name, status)
		}
	}
}

// TestCorpusBanners draws the banner of every published PDS patient, alone
// and in search answers, at every width: no panic, no line wider than the
// window, the NHS number always shown.
func TestCorpusBanners(t *testing.T) {
	var patients []*client.Patient
	var names []string
	for _, f := range nhscorpus.OfKind(nhscorpus.PDSPatient) {
		p, err := client.ParsePatient(f.Data, "", summaryTestNow)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		patients, names = append(patients, p), append(names, f.Name())
	}
	for _, f := range nhscorpus.OfKind(nhscorpus.PDSSearchset) {
		ms, err := client.ParsePatientSearch(f.Data, summaryTestNow)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		for i, m := range ms {
			if m.Patient != nil {
				patients, names = append(patients, m.Patient), append(names, fmt.Sprintf("%s#%d", f.Name(), i+1))
			}
		}
	}
	if len(patients) < 40 {
		t.Fatalf("only %d published patients", len(patients))
	}
	for i, p := range patients {
		for _, size := range corpusSizes {
			w := size[0]
			banner := ansi.Strip(renderBanner(summaryTestCommon(w, size[1]), p))
			for _, l := range strings.Split(banner, "\n") {
				if ansi.StringWidth(l) > w {
					t.Errorf("%s at %d columns: banner line %q is too wide", names[i], w, l)
				}
			}
			if nhs := formatNHSNumber(p.NHSNumber); !strings.Contains(strings.Join(strings.Fields(banner), " "), nhs) {
				t.Errorf("%s at %d columns: NHS number %s not in the banner %q", names[i], w, nhs, banner)
			}
		}
	}
}

// TestCorpusWordsWholeAt80: at 80 columns no word of a table cell that could
// fit its column is broken across lines — not a drug name ("Paracetam|ol"),
// not a date, not a dose — in any table of any published or sandbox record.
// A word may end a line at its own hyphen. Each table is laid out as the
// only block of its section, so the words found are its own.
func TestCorpusWordsWholeAt80(t *testing.T) {
	checked := 0
	for _, rec := range corpusRecords(t) {
		for _, sec := range rec.summary.Sections {
			for _, b := range sec.Blocks {
				tb, ok := b.(*client.Table)
				if !ok {
					continue
				}
				one := &client.Summary{Sections: []client.Section{{Kind: sec.Kind, Code: sec.Code, Title: "T", Blocks: []client.Block{tb}}}}
				lay := buildSummaryLayout(summaryTestCommon(80, 24), nil, recordview.Read(one), summaryTestFooter, 80)
				fields := strings.Fields(ansi.Strip(strings.Join(lay.body.Lines, "\n")))
				for _, row := range append([][]client.Cell{tb.Headers}, tb.Rows...) {
					for _, c := range row {
						for _, word := range strings.Fields(c.Text) {
							if recordview.Width(word) > recordview.LongWord {
								continue
							}
							checked++
							if !slices.Contains(fields, word) && !corpusBrokenAtHyphens(fields, word) {
								t.Errorf("%s, %q: %q is broken at 80 columns", rec.name, sec.Title, word)
							}
						}
					}
				}
			}
		}
	}
	if checked < 5000 {
		t.Errorf("only %d words checked", checked)
	}
}

// corpusBrokenAtHyphens reports whether word is shown as pieces that each
// end at one of its own hyphens.
func corpusBrokenAtHyphens(fields []string, word string) bool {
	for i, f := range fields {
		if len(f) < len(word) && strings.HasSuffix(f, "-") && strings.HasPrefix(word, f) {
			rest := word[len(f):]
			for _, g := range fields[i+1:] {
				if g == rest || corpusBrokenAtHyphens([]string{g}, rest) {
					return true
				}
			}
		}
	}
	return false
}

// TestCorpusWithheld: every published record that says entries were
// deliberately withheld says so on the first screen, under the allergy
// status, at every size.
func TestCorpusWithheld(t *testing.T) {
	p := corpusPatient(t)
	found := 0
	for _, rec := range corpusRecords(t) {
		says := false
		for _, sec := range rec.sections {
			if strings.Contains(strings.ToLower(strings.Join(sec.words, " ")), "deliberately withheld") {
				says = true
			}
		}
		if !says {
			continue
		}
		found++
		for _, size := range corpusSizes {
			m := newSummaryScreen(summaryTestCommon(size[0], size[1]), p, rec.summary, summaryTestFooter)
			screen := strings.Join(strings.Fields(ansi.Strip(m.drawn())), " ")
			if !strings.Contains(screen, recordview.WithheldLine) {
				t.Errorf("%s at %dx%d: the withheld line is not on the first screen:\n%s", rec.name, size[0], size[1], ansi.Strip(m.drawn()))
			}
		}
	}
	if found < 3 {
		t.Errorf("only %d records say entries were withheld", found)
	}
}
