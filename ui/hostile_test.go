package ui

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
)

// hostileBundle is an SCR Bundle made to hurt: escape sequences that would
// clear the screen, retitle the window and write the clipboard, a bidi
// override, a 9 600-character paragraph, a 5 000-row table of 1 400-character drug names (most of the
// client's 8 MiB cap), and XHTML nested 10 000 deep.
func hostileBundle(t testing.TB) []byte {
	t.Helper()
	long := strings.Repeat("Co-codamol 8mg/500mg effervescent tablets ", 33) // ~1 400 characters
	var rows strings.Builder
	for range 5000 {
		rows.WriteString("<tr><td>12-May-2020</td><td>" + long + "</td><td>One tablet</td></tr>")
	}
	meds := `<div xmlns="http://www.w3.org/1999/xhtml"><table><thead><tr><th>Date</th><th>Medication Item</th><th>Dosage</th></tr></thead><tbody>` + rows.String() + `</tbody></table></div>`
	deep := `<div xmlns="http://www.w3.org/1999/xhtml">` + strings.Repeat("<div>", 10000) + "deep" + strings.Repeat("</div>", 10000) + "</div>"
	section := func(code, title, div string) map[string]any {
		return map[string]any{
			"title": title,
			"code":  map[string]any{"coding": []any{map[string]any{"code": code}}},
			"text":  map[string]any{"status": "generated", "div": div},
		}
	}
	bundle := map[string]any{
		"resourceType": "Bundle",
		"entry": []any{
			map[string]any{"resource": map[string]any{
				"resourceType": "Composition", "id": "c1", "date": "2020-05-14",
				"section": []any{
					section("AllergiesHeader", "Allergies\x1b[2J\x1b]0;pwned\x07", `<div xmlns="http://www.w3.org/1999/xhtml"><p>Toxic reaction to wasp sting`+"\x1b]52;c;SGVsbG8=\x07\u202e"+`</p><p>`+strings.Repeat("Amoxicillin ", 800)+`</p></div>`),
					section("AcuteMedsHeader", "Acute Medications", meds),
					section("UnknownHeader", "Deep", deep),
				},
			}},
			map[string]any{"resource": map[string]any{
				"resourceType": "Patient", "id": "9000000009",
				"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}},
			}},
		},
	}
	data, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > client.MaxResponseBytes {
		t.Fatalf("the hostile bundle is %d bytes, over the client's cap", len(data))
	}
	return data
}

// TestHostileRecordRendersInert: what reaches the screen moves no cursor,
// sets no title and writes no clipboard; the layout is bounded in lines and
// memory, and says what it left out.
func TestHostileRecordRendersInert(t *testing.T) {
	s, err := client.ParseSummary(hostileBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	p := summaryTestPatient(t, "9000000009", "")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	m := newSummaryModel(summaryTestCommon(80, 24), p, s, "Viewed as Pharmacist at FA123 · access recorded")
	_ = m.view()
	runtime.ReadMemStats(&ms)
	if mb := (ms.TotalAlloc - before) >> 20; mb > 200 {
		t.Errorf("laying the record out allocated %d MB", mb)
	}
	lay := m.layout()
	if n := len(lay.lines); n > summaryMaxLines {
		t.Errorf("%d lines laid out", n)
	}
	// Wrapped text joined back, without the allergies bar.
	body := strings.Join(strings.Fields(strings.ReplaceAll(ansi.Strip(strings.Join(lay.lines, "\n")), summaryAllergyBar, " ")), " ")
	// The deep section parsed (its text survives) but comes after the cut.
	if last := s.Sections[len(s.Sections)-1]; len(last.Blocks) == 0 {
		t.Error("the deeply nested section lost its text")
	}
	for _, want := range []string{"Toxic reaction to wasp sting", "too long to show in full"} {
		if !strings.Contains(body, want) {
			t.Errorf("the body lacks %q", want)
		}
	}
	// Our own styling is SGR only (ESC [ … m); anything else came from the record.
	all := strings.Join(lay.lines, "\n") + m.view()
	sgr := ansi.Strip(all)
	for _, bad := range []string{"\x1b[2J", "\x1b]", "\x07", "\u202e", "pwned\x07"} {
		if strings.Contains(all, bad) || strings.Contains(sgr, bad) {
			t.Errorf("%q reached the screen", bad)
		}
	}
	for _, l := range strings.Split(m.view(), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("a line %d wide", w)
		}
	}
}

// Text past the bound is replaced by a note, never dropped silently.
func TestSummaryCapText(t *testing.T) {
	long := strings.Repeat("é", summaryMaxText+25)
	got := summaryCapText(long)
	if !strings.HasPrefix(got, strings.Repeat("é", summaryMaxText)) || !strings.HasSuffix(got, " … [25 more characters not shown]") {
		t.Errorf("capped to %q…", got[len(got)-40:])
	}
	if short := "Paracetamol"; summaryCapText(short) != short {
		t.Error("short text changed")
	}
}

func BenchmarkHostileRecordLayout(b *testing.B) {
	s, err := client.ParseSummary(hostileBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	p := summaryTestPatient(b, "9000000009", "")
	c := summaryTestCommon(80, 24)
	b.ReportAllocs()
	for b.Loop() {
		_ = newSummaryModel(c, p, s, "x").view()
	}
}
