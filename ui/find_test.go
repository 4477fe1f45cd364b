package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/nhscorpus"
)

// findResultsOf is the results screen for a PDS search answer.
func findResultsOf(t *testing.T, data []byte, w int) findModel {
	t.Helper()
	ms, err := client.ParsePatientSearch(data, summaryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	f := newFindModel(summaryTestCommon(w, 24), "").setResults(ms, nil)
	if len(ms) > 0 && f.mode != findResults {
		t.Fatalf("not on the results: %q", f.err)
	}
	return f
}

// TestFindResultsCorpus: every published PDS searchset lists every entry,
// each on a line that fits, an unusable one with its reason and no number.
func TestFindResultsCorpus(t *testing.T) {
	files := nhscorpus.OfKind(nhscorpus.PDSSearchset)
	if len(files) != 28 {
		t.Errorf("%d PDS searchsets, want 28", len(files))
	}
	for _, f := range files {
		for _, w := range []int{80, 120} {
			fm := findResultsOf(t, f.Data, w)
			checkResults(t, f.Name(), fm, w)
		}
	}
}

func checkResults(t *testing.T, name string, f findModel, w int) {
	t.Helper()
	out := ansi.Strip(f.view(""))
	lines := strings.Split(out, "\n")
	listed := 0
	for _, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("%s: line wider than %d: %q", name, w, l)
		}
		switch {
		case strings.Contains(l, "cannot be used:"):
			listed++
			if strings.Contains(l, "NHS No.") || strings.HasPrefix(l, ">") {
				t.Errorf("%s: unusable line %q", name, l)
			}
		case strings.Contains(l, "NHS No. "):
			listed++
		}
	}
	if listed != len(f.matches) {
		t.Errorf("%s: %d of %d matches listed:\n%s", name, listed, len(f.matches), out)
	}
	if p := f.picked(); p != nil && p.NHSNumber == "" {
		t.Errorf("%s: the cursor is on a match without a number", name)
	}
}

// TestFindResultsUnusable: a result whose number fails the check digit (or
// has none, or no name) is listed with its reason and cannot be chosen; the
// others still can.
func TestFindResultsUnusable(t *testing.T) {
	hostile := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[
		{"search":{"score":1},"resource":{"resourceType":"Patient","id":"9000000008","name":[{"family":"Checkdigit","given":["Bad"]}],"birthDate":"1990-01-01"}},
		{"search":{"score":0.9},"resource":{"resourceType":"Patient","id":"9000000017","name":[{"family":"Hargreaves","given":["Tom"]}]}},
		{"search":{"score":0.8},"resource":{"resourceType":"Patient","name":[{"family":"Noid"}]}},
		{"search":{"score":0.7},"resource":{"resourceType":"Patient","id":"9000000009"}},
		{"search":{"score":0.6},"resource":{"resourceType":"Patient","id":"9000000033","name":[{"family":"Jones"}]}}]}`)
	f := findResultsOf(t, hostile, 80)
	checkResults(t, "hostile", f, 80)
	out := ansi.Strip(f.view(""))
	for _, want := range []string{
		"5 matching patients (3 cannot be used)",
		"CHECKDIGIT, Bad  Born 01-Jan-1990\n    cannot be used: its NHS number fails the check digit",
		"NOID  cannot be used: PDS sent it without an NHS number",
		"cannot be used: PDS sent it without a name",
		"> HARGREAVES, Tom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q:\n%s", want, out)
		}
	}
	if p := f.picked(); p == nil || p.NHSNumber != "9000000017" {
		t.Fatalf("picked %+v", p)
	}
	// Down reaches the other usable one, and no further.
	for range 4 {
		f, _ = f.update(keyPress("down"))
	}
	if p := f.picked(); p == nil || p.NHSNumber != "9000000033" {
		t.Fatalf("after down: picked %+v", p)
	}

	// None usable: listed, none chosen.
	none := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[
		{"resource":{"resourceType":"Patient","id":"9000000008","name":[{"family":"Checkdigit"}]}}]}`)
	f = findResultsOf(t, none, 80)
	if p := f.picked(); p != nil {
		t.Errorf("an unusable match can be chosen: %+v", p)
	}
	if out := ansi.Strip(f.view("")); !strings.Contains(out, "none of which can be used") {
		t.Errorf("all unusable:\n%s", out)
	}
}
