package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/sandbox"
)

// findResultsOf is the results screen for a PDS search answer.
func findResultsOf(t *testing.T, data []byte, w int) findScreen {
	t.Helper()
	ms, err := client.ParsePatientSearch(data, summaryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	f := newFindScreen(summaryTestCommon(w, 24), "").setResults(ms, nil)
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

func checkResults(t *testing.T, name string, f findScreen, w int) {
	t.Helper()
	out := ansi.Strip(f.draw(""))
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
	// Each row whole, wrapped where it must be: the postcode that tells
	// two patients apart is never the part cut off.
	words := strings.Fields(out)
	for _, m := range f.matches {
		if m.Unusable != client.Usable {
			continue
		}
		for _, w := range strings.Fields(matchLine(m.Patient)) {
			if !slices.Contains(words, w) {
				t.Errorf("%s: %q of %q is not on the screen:\n%s", name, w, matchLine(m.Patient), out)
				break
			}
		}
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
	out := ansi.Strip(f.draw(""))
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
		f, _ = f.edit(keyPress("down"))
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
	if out := ansi.Strip(f.draw("")); !strings.Contains(out, "1 matching patient, which cannot be used") {
		t.Errorf("all unusable:\n%s", out)
	}
}

// TestFindNumberTyping: the NHS number field keeps digits only and shows
// them spaced 3-3-4 as they come, however they were typed, pasted or
// scanned; the check digit is checked as soon as there are ten.
func TestFindNumberTyping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []string // typed one key at a time
		paste string
		shown string // in the field
		hint  string
		ok    bool
	}{
		{name: "nothing", shown: "", hint: "Type or scan the 10-digit NHS number."},
		{name: "three digits", keys: []string{"9", "0", "0"}, shown: "900", hint: "3 of 10 digits"},
		{name: "the fourth opens a group", keys: []string{"9", "0", "0", "0"}, shown: "900 0", hint: "4 of 10 digits"},
		{name: "seven digits", keys: []string{"9", "0", "0", "0", "0", "0", "0"}, shown: "900 000 0", hint: "7 of 10 digits"},
		{name: "typed with spaces", keys: strings.Split("900 000 0017", ""), shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "typed with dashes", keys: strings.Split("900-000-0017", ""), shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "scanned, no spaces", keys: strings.Split("9000000017", ""), shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "pasted with dashes", paste: "900-000-0017", shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "pasted with spaces", paste: "900 000 0017", shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "pasted with a line end", paste: "9000000017\r\n", shown: "900 000 0017", hint: "✓ valid NHS number", ok: true},
		{name: "wrong check digit", keys: strings.Split("9000000018", ""), shown: "900 000 0018", hint: "Not a valid NHS number: the check digit does not match: a digit is probably mistyped."},
		{name: "backspace takes a digit, not a space", keys: []string{"9", "0", "0", "0", "backspace"}, shown: "900", hint: "3 of 10 digits"},
		{name: "one too many is said, not dropped", paste: "90000000171", shown: "900 000 00171", hint: "Too many digits: an NHS number has 10."},
		{name: "two numbers pasted at once", paste: "900 000 0017, 900 000 0009", shown: "900 000 00179", hint: "Too many digits: an NHS number has 10."},
		{name: "ctrl+u clears", keys: []string{"9", "0", "ctrl+u"}, shown: "", hint: "Type or scan the 10-digit NHS number."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFindScreen(summaryTestCommon(80, 24), "")
			for _, k := range tc.keys {
				if k == " " {
					k = "space"
				}
				f, _ = f.edit(keyPress(k))
			}
			if tc.paste != "" {
				f, _ = f.edit(tea.PasteMsg{Content: tc.paste})
			}
			out := ansi.Strip(f.draw(""))
			if want := "NHS number   " + tc.shown + "█"; !strings.Contains(out, want) {
				t.Errorf("want %q:\n%s", want, out)
			}
			nhs, hint, ok := f.numberState()
			if hint != tc.hint || ok != tc.ok {
				t.Errorf("numberState = %q, %v; want %q, %v", hint, ok, tc.hint, tc.ok)
			}
			if ok && nhs != "9000000017" {
				t.Errorf("number %q", nhs)
			}
		})
	}
	// A number kept across a new sign-in is shown the same way.
	f := newFindScreen(summaryTestCommon(80, 24), "9000000017")
	if out := ansi.Strip(f.draw("")); !strings.Contains(out, "900 000 0017█") {
		t.Errorf("kept number:\n%s", out)
	}
}

// TestParseDateOfBirth: dates of birth as a UK counter types them, day
// first; what is refused says why.
func TestParseDateOfBirth(t *testing.T) {
	want := time.Date(2015, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in     string
		refuse string // the sentence, or "" when accepted as 14 March 2015
	}{
		{"14032015", ""},
		{"14/03/2015", ""},
		{"14-03-2015", ""},
		{"14.03.2015", ""},
		{"14 Mar 2015", ""},
		{"14 mar 2015", ""},
		{"14 March 2015", ""},
		{"14-Mar-2015", ""},
		{"14/3/2015", ""},
		{" 14 / 03 / 2015 ", ""},
		{"2015-03-14", ""},
		{"29/02/2016", "accepted: a leap day"},
		{"140315", "Type the year in full, as in 14032015: a two-digit year could be 1915 or 2015."},
		{"14/03/15", "Type the year in full, as in 14-03-2015: a two-digit year could be 1915 or 2015."},
		{"03/14/2015", "There is no month 14: type the day first, then the month, as in 14-03-2015."},
		{"14/13/2015", "There is no month 13. " + dateHelp},
		{"14/00/2015", "There is no month 0. " + dateHelp},
		{"30/02/2015", "February 2015 has no day 30."},
		{"29/02/2015", "February 2015 has no day 29."},
		{"00/03/2015", "March 2015 has no day 0."},
		{"14 Mrz 2015", dateHelp},
		{"1403201", dateHelp},
		{"14th March 2015", dateHelp},
		{"yesterday", dateHelp},
		{"26/11/2026", "That date of birth is after today."},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDateOfBirth(tc.in, summaryTestNow)
			switch {
			case tc.refuse == "accepted: a leap day":
				if err != nil || !got.Equal(time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("got %v, %v", got, err)
				}
			case tc.refuse == "":
				if err != nil || !got.Equal(want) {
					t.Errorf("got %v, %v; want %v", got, err, want)
				}
			case err == nil:
				t.Errorf("accepted as %v; want %q", got, tc.refuse)
			case err.Error() != tc.refuse:
				t.Errorf("refused with %q; want %q", err, tc.refuse)
			}
		})
	}
	// Today is a date of birth.
	if _, err := parseDateOfBirth("25/11/2026", summaryTestNow); err != nil {
		t.Errorf("today refused: %v", err)
	}
}

// TestFindFormQuery: the form as a PDS search; an exact search first, and a
// fuzzy one only when the same form found nobody and PDS would take it.
func TestFindFormQuery(t *testing.T) {
	fill := func(vals ...string) findScreen {
		f := newFindScreen(summaryTestCommon(80, 24), "")
		for i, v := range vals {
			f.fields[i].SetValue(v)
		}
		return f
	}
	f := fill("Llywelyn", "Sian", "11/02/1999")
	q, problem := f.query()
	if problem != "" || q.Fuzzy || q.Family != "Llywelyn" || q.Given[0] != "Sian" || !q.BirthDate.Equal(time.Date(1999, 2, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("query %+v, %q", q, problem)
	}
	f = f.setResults(nil, nil)
	if !strings.Contains(f.err, "No patient matches exactly. Press Enter again to include similar names") {
		t.Errorf("after no match: %q", f.err)
	}
	if q, _ = f.query(); !q.Fuzzy {
		t.Error("the second search is not fuzzy")
	}
	f = f.setResults(nil, nil)
	if !strings.Contains(f.err, "even allowing for other spellings") {
		t.Errorf("after no fuzzy match: %q", f.err)
	}
	// Changing the form starts again with an exact search.
	f.fields[fieldFamily].SetValue("Llewelyn")
	if q, _ = f.query(); q.Fuzzy {
		t.Error("a changed form is searched fuzzily")
	}
	// PDS takes no fuzzy search without the given name (or gender and
	// postcode), nor with a wildcard.
	for _, vals := range [][]string{{"Llywelyn", "", "11/02/1999"}, {"Lly*", "Sian", "11/02/1999"}} {
		f := fill(vals...).setResults(nil, nil)
		if q, _ := f.query(); q.Fuzzy || !strings.HasPrefix(f.err, "No patient matches. Check the spelling") {
			t.Errorf("%q: fuzzy %v, %q", vals, q.Fuzzy, f.err)
		}
	}
	if _, problem := fill("Taylor", "", "14/03/15").query(); !strings.Contains(problem, "two-digit year") {
		t.Errorf("a two-digit year: %q", problem)
	}
}

// TestFindFormHintsOutsideFields: with NO_COLOR the placeholder's faint
// colour is gone, so no hint may sit where typed text would: an empty field
// is blank, and the hint is beside it.
func TestFindFormHintsOutsideFields(t *testing.T) {
	f := newFindScreen(summaryTestCommon(80, 24), "")
	f, _ = f.showForm()
	f, _ = f.focusField(fieldGiven) // every field but this one is unfocused
	out := ansi.Strip(f.draw(""))
	for i, label := range fieldLabels {
		var line string
		for l := range strings.SplitSeq(out, "\n") {
			if strings.HasPrefix(l, label) {
				line = l
			}
		}
		field := strings.TrimSpace(ansi.Cut(line, 15, 15+fieldWidth))
		if i == fieldGiven {
			field = strings.TrimSuffix(field, "█")
		}
		if field != "" {
			t.Errorf("%s: the empty field shows %q:\n%s", label, field, out)
		}
		if !strings.HasSuffix(line, fieldHints[i]) {
			t.Errorf("%s: no hint %q beside the field: %q", label, fieldHints[i], line)
		}
		if ansi.StringWidth(line) > 78 {
			t.Errorf("%s: line too wide: %q", label, line)
		}
	}
}

// TestFindResultsCount: one match is "1 matching patient"; names are in
// the banner's form, FAMILY, Given (Title).
func TestFindResultsCount(t *testing.T) {
	one := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[
		{"search":{"score":1},"resource":{"resourceType":"Patient","id":"9000000017","name":[{"use":"usual","family":"Patel","given":["Anita"],"prefix":["Dr"]}],"birthDate":"1980-01-01"}}]}`)
	out := ansi.Strip(findResultsOf(t, one, 80).draw(""))
	for _, want := range []string{"1 matching patient. Choose one", "> PATEL, Anita (Dr)  Born 01-Jan-1980"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q:\n%s", want, out)
		}
	}
	bad := []byte(`{"resourceType":"Bundle","type":"searchset","entry":[
		{"resource":{"resourceType":"Patient","id":"9000000008","name":[{"family":"Checkdigit"}]}}]}`)
	if out := ansi.Strip(findResultsOf(t, bad, 80).draw("")); !strings.Contains(out, "1 matching patient, which cannot be used.") {
		t.Errorf("one unusable:\n%s", out)
	}
}

// TestFindSimilarNames: against the sandbox over HTTPS, "Sian" finds no
// one exactly, and Enter again searches PDS fuzzily and finds Siân.
func TestFindSimilarNames(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.press("ctrl+f")
	s.waitFor("Family name", "Date of birth")
	s.typeText("llywelyn")
	s.press("tab")
	s.typeText("SIAN")
	s.press("tab")
	s.typeText("11 Feb 1999")
	s.press("enter")
	s.waitFor("No patient matches exactly. Press Enter again to include similar names")
	s.press("enter")
	s.waitFor("1 matching patient, similar names included. Choose one", "> LLYWELYN, Siân (Miss)", "NHS No. 900 000 0068")
}
