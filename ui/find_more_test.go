package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/recordview"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// The tester's findings on the search, the permission question and the
// plain mode, each checked as the user meets it.

// okaforOptedOut is what is said of 9000000041, who has opted out.
const okaforOptedOut = "OKAFOR, Grace Adaeze (NHS No. 900 000 0041) has opted out of the Summary Care Record. Nothing can be shown."

// lookedUp is m given PDS's answer for nhs as the answer to its request.
func lookedUp(t *testing.T, f fixture, m Model, nhs client.NHSNumber) Model {
	t.Helper()
	l, err := f.session.Lookup(context.Background(), nhs)
	if err != nil {
		t.Fatal(err)
	}
	m.sess.req = 3
	return step(m, answerMsg{gen: m.sess.gen, req: 3, msg: lookupMsg{lookup: l}})
}

// TestFindOptedOutNamesPatient: a patient who has opted out is named,
// with the number looked up, and the number stays as typed, so that a
// number mistyped but valid can be noticed and corrected.
func TestFindOptedOutNamesPatient(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateFind).withSearch(newFindScreen(f.base.sess.common, "9000000041"))
	m = lookedUp(t, f, m, "9000000041")
	got := m.search()
	if m.where() != stateFind || got.mode != findByNumber {
		t.Fatalf("after the answer: %v, mode %v", m.where(), got.mode)
	}
	if got.err != okaforOptedOut {
		t.Errorf("err = %q; want %q", got.err, okaforOptedOut)
	}
	if got.number != "9000000041" || got.nhsValue() != "9000000041" {
		t.Errorf("the field holds %q; want 9000000041 as typed", got.number)
	}
	txt := ansi.Strip(m.render())
	if !strings.Contains(txt, "NHS number   900 000 0041█") {
		t.Errorf("the number is not in the field:\n%s", txt)
	}
	if words := screenWords(m); !strings.Contains(words, okaforOptedOut) {
		t.Errorf("the sentence is not on the screen:\n%s", words)
	}
	for _, never := range []string{"Born", "Allerg", "Permission to view"} {
		if strings.Contains(txt, never) {
			t.Errorf("%q on the screen of a patient who has opted out:\n%s", never, txt)
		}
	}

	// Found by a search: the matches stay, the sentence under them.
	res := newFindScreen(f.base.sess.common, "").setResults([]client.PatientMatch{{Patient: summaryTestPatient(t, "9000000041", "")}}, nil)
	if res.mode != findResults {
		t.Fatalf("not on the results: %q", res.err)
	}
	m = lookedUp(t, f, f.in(stateFind).withSearch(res), "9000000041")
	if got := m.search(); got.mode != findResults || len(got.matches) != 1 || got.err != okaforOptedOut {
		t.Errorf("from the results: mode %v, %d matches, err %q", got.mode, len(got.matches), got.err)
	}

	// Opted out between the lookup and the record's read: back to the
	// number as typed, said the same way.
	p := f.in(statePermission)
	p.scr = newPermissionScreen(p.sess.common, lookedUpPatient(t, f, "9000000041"), f.role, permAsk).openedFrom(newFindScreen(p.sess.common, "9000000041"))
	p.sess.req = 4
	p = step(p, answerMsg{gen: p.sess.gen, req: 4, msg: summaryMsg{err: &client.OptedOutError{}}})
	if got := p.search(); p.where() != stateFind || got.number != "9000000041" || got.err != okaforOptedOut {
		t.Errorf("opted out at the read: %v, number %q, err %q", p.where(), got.number, got.err)
	}

	// Without a name, the number alone; without a patient, "This patient".
	noName := &client.Patient{NHSNumber: "9000000041"}
	if got, want := optedOutSentence(noName), "NHS No. 900 000 0041 has opted out of the Summary Care Record. Nothing can be shown."; got != want {
		t.Errorf("no name: %q; want %q", got, want)
	}
	if got, want := optedOutSentence(nil), "This patient has opted out of the Summary Care Record. Nothing can be shown."; got != want {
		t.Errorf("no patient: %q; want %q", got, want)
	}
	replaced := &client.Patient{NHSNumber: "9000000041", SupersededFrom: "9000000106", Name: client.PersonName{Family: "Okafor", Given: []string{"Grace"}}}
	if got := optedOutSentence(replaced); !strings.Contains(got, "(NHS No. 900 000 0041, which replaced 900 000 0106) has opted out") {
		t.Errorf("replaced number: %q", got)
	}
}

// lookedUpPatient is PDS's answer for nhs.
func lookedUpPatient(t *testing.T, f fixture, nhs client.NHSNumber) *client.Lookup {
	t.Helper()
	l, err := f.session.Lookup(context.Background(), nhs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestFindPlainOptedOut: the plain mode says whom, and the number is
// still in the field behind its prompt.
func TestFindPlainOptedOut(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	r.send("9000000041")
	r.expectLines("Working: looking up NHS number 900 000 0041.", "Error: "+okaforOptedOut, "NHS number: ")
}

// TestFindPostcodeKeptWhole: a search result that wraps breaks between
// its parts, never inside the postcode, the NHS number or the date of birth;
// the screen shows ordinary spaces, and what is said has no no-break space.
func TestFindPostcodeKeptWhole(t *testing.T) {
	// ansi.Wrap does not break at a no-break space, as resultRow needs.
	if got := ansi.Wrap("NHS No. 900"+nbsp+"000 CF11"+nbsp+"9HW", 12, ""); got != "NHS No."+"\n"+"900"+nbsp+"000"+"\n"+"CF11"+nbsp+"9HW" {
		t.Errorf("ansi.Wrap broke at a no-break space: %q", got)
	}
	if w := ansi.StringWidth(nbsp); w != 1 {
		t.Errorf("a no-break space is %d columns wide", w)
	}
	p := summaryTestPatient(t, "9000000068", "")
	f := newFindScreen(summaryTestCommon(80, 24), "").setResults([]client.PatientMatch{{Patient: p}}, nil)
	if f.mode != findResults {
		t.Fatalf("not on the results: %q", f.err)
	}
	line := matchLine(p)
	if line != "LLYWELYN, Siân (Miss)  Born 11-Feb-1999  Female  NHS No. 900 000 0068  CF11 9HW" {
		t.Fatalf("matchLine = %q", line)
	}
	if c := f.says(nil); strings.Contains(c.choices[0].words, nbsp) || c.choices[0].words != line {
		t.Errorf("said %q; want %q", c.choices[0].words, line)
	}
	out := ansi.Strip(f.draw(""))
	lines := strings.Split(out, "\n")
	for _, want := range []string{"> LLYWELYN, Siân (Miss)  Born 11-Feb-1999  Female  NHS No. 900 000 0068", "    CF11 9HW"} {
		if !slices.Contains(lines, want) {
			t.Errorf("at 80 columns, no line %q:\n%s", want, out)
		}
	}
	for w := 30; w <= 120; w++ {
		f.c.width = w
		out := f.draw("")
		if strings.Contains(out, nbsp) {
			t.Errorf("at %d columns a no-break space reached the screen", w)
		}
		plain := ansi.Strip(out)
		for _, l := range strings.Split(plain, "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("at %d columns, a line of %d: %q", w, ansi.StringWidth(l), l)
			}
		}
		for _, whole := range []string{"CF11 9HW", "NHS No. 900 000 0068", "Born 11-Feb-1999"} {
			if !strings.Contains(plain, whole) {
				t.Errorf("at %d columns %q is split:\n%s", w, whole, plain)
			}
		}
	}
	// So is a result that cannot be used, its name and date of birth on a
	// line of their own.
	f = newFindScreen(summaryTestCommon(40, 24), "").setResults([]client.PatientMatch{{Patient: p, Unusable: client.UnusableCheckDigit}}, nil)
	if out := ansi.Strip(f.draw("")); !strings.Contains(out, "Born 11-Feb-1999") {
		t.Errorf("unusable result at 40 columns:\n%s", out)
	}
}

// TestFindNoMatchBlamesNoOneDetail: a search that found nobody names
// every detail it was given as one to check, not the date of birth alone,
// and says truly why similar names were not searched for.
func TestFindNoMatchBlamesNoOneDetail(t *testing.T) {
	fill := func(vals ...string) findScreen {
		f := newFindScreen(summaryTestCommon(80, 24), "")
		for i, v := range vals {
			f.fields[i].SetValue(v)
		}
		return f
	}
	for _, tc := range []struct {
		name  string
		vals  []string
		first string // after the first search
		then  string // after the second, when it was fuzzy
	}{
		{"names and date", []string{"Llywelyn", "Siân", "11-02-1999"},
			"No patient matches exactly. Press Enter again to include similar names: other spellings, letters without accents, given and family names swapped.",
			"No patient matches, even allowing for other spellings. Check the name and the date of birth, or search by NHS number."},
		{"one name, gender and postcode", []string{"Llywelyn", "", "11-02-1999", "f", "CF11 9HW"},
			"No patient matches exactly. Press Enter again to include similar names: other spellings, letters without accents, given and family names swapped.",
			"No patient matches, even allowing for other spellings. Check the name, the date of birth, the gender and the postcode, or search by NHS number."},
		{"family name only", []string{"Llywelyn", "", "11-02-1999"},
			"No patient matches. Check the spelling and the date of birth, or search by NHS number. With the given name too, a second search can include similar names.", ""},
		{"family name and gender", []string{"Llywelyn", "", "11-02-1999", "f"},
			"No patient matches. Check the spelling, the date of birth and the gender, or search by NHS number. With the given name too, a second search can include similar names.", ""},
		{"wildcard", []string{"Lly*", "Siân", "11-02-1999"},
			"No patient matches. Check the spelling and the date of birth, or search by NHS number. A search with * in it cannot include similar names.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fill(tc.vals...).setResults(nil, nil)
			if f.err != tc.first {
				t.Errorf("first search: %q\nwant %q", f.err, tc.first)
			}
			if tc.then == "" {
				return
			}
			if q, _ := f.query(); !q.Fuzzy {
				t.Fatal("the second search is not fuzzy")
			}
			if f = f.setResults(nil, nil); f.err != tc.then {
				t.Errorf("second search: %q\nwant %q", f.err, tc.then)
			}
		})
	}
}

// noteModel is the A&E doctor's emergency note for 9000000017, empty.
func noteModel(t *testing.T, f fixture) Model {
	t.Helper()
	m := f.in(statePermission)
	m.sess.role.ActivityCodes = append(slices.Clone(m.sess.role.ActivityCodes), rbac.EmergencyAccessSCR)
	m.scr = newPermissionScreen(m.sess.common, f.lookup, m.sess.role, permAsk).openedFrom(newFindScreen(m.sess.common, ""))
	m = step(step(m, keyPress("e")), keyPress("enter"))
	if m.perm().step != permNote {
		t.Fatalf("not at the note: step %v", m.perm().step)
	}
	return m
}

// TestPermissionNoteRoom: the note shows the room left once typing
// nears its 200 characters, and that there is none at the limit, in place
// of the example; a paste that would not fit is refused, saying so, not
// cut.
func TestPermissionNoteRoom(t *testing.T) {
	f := newFixture(t)
	m := noteModel(t, f)
	under := func(m Model) string {
		// The line under the field.
		lines := strings.Split(ansi.Strip(m.render()), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "In your own words") && i+2 < len(lines) {
				return strings.TrimSpace(lines[i+2])
			}
		}
		t.Fatalf("no note field:\n%s", ansi.Strip(m.render()))
		return ""
	}
	if got := under(m); got != "e.g. unconscious on arrival, no one to ask" {
		t.Errorf("empty: under the field %q", got)
	}
	m = typed(m, strings.Repeat("a", 149))
	if got := under(m); got != "e.g. unconscious on arrival, no one to ask" {
		t.Errorf("149 typed: under the field %q", got)
	}
	for _, tc := range []struct {
		more int
		want string
	}{
		{1, "50 characters left"},
		{27, "23 characters left"},
		{22, "1 character left"},
		{1, "No room left: 200 characters at most"},
		{5, "No room left: 200 characters at most"}, // typed past the limit: kept out, and said
	} {
		m = typed(m, strings.Repeat("b", tc.more))
		if got := under(m); got != tc.want {
			t.Errorf("%d typed: under the field %q; want %q", noteLength(m.perm().note.Value()), got, tc.want)
		}
	}
	if n := noteLength(m.perm().note.Value()); n != noteLimit {
		t.Errorf("the note holds %d characters", n)
	}

	// A paste that would not fit is refused whole, and said.
	m = noteModel(t, f)
	m = typed(m, strings.Repeat("a", 150))
	m = step(m, tea.PasteMsg{Content: strings.Repeat("c", 60)})
	want := "That note is 210 characters long: a note holds 200 characters at most. Nothing of it was kept; shorten it and type it again."
	if got := m.perm().note.Value(); got != strings.Repeat("a", 150) {
		t.Errorf("after a paste too long the note holds %d characters", noteLength(got))
	}
	if words := screenWords(m); !strings.Contains(words, want) {
		t.Errorf("no %q:\n%s", want, words)
	}
	// A key typed after it takes the sentence away; a paste that fits is
	// taken.
	m = step(m, keyPress("backspace"))
	if words := screenWords(m); strings.Contains(words, "That note is") {
		t.Errorf("the refusal stays after a key:\n%s", words)
	}
	m = step(m, tea.PasteMsg{Content: strings.Repeat("c", 51)})
	if n := noteLength(m.perm().note.Value()); n != noteLimit {
		t.Errorf("a paste that fits: %d characters", n)
	}
	// Counted as the field counts: a tab and a line break are a space
	// each, other control characters nothing.
	if n := noteLength("a\tb\r\nc\x07é"); n != 7 {
		t.Errorf("noteLength = %d; want 7", n)
	}
}

// TestPlainNoteTooLong: in the plain mode a note line longer than the
// field holds is refused with a sentence, nothing sent; one that fits is
// sent whole.
func TestPlainNoteTooLong(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	r := startPlain(t, Options{Client: cl, Cards: newTestCards(t, userAEDoctor)})
	r.expectLines("Sign in", "Passcode: ")
	r.send(userPIN[userAEDoctor])
	r.expectLines("Working: signing in.", "Find a patient", "NHS number: ")
	r.send("9000000017")
	r.expectLines("Choose p, e or d: ")
	r.send("e")
	r.expectLines("Choose a reason, 1 to 2, or back: ")
	r.send("1")
	r.expectLines("Emergency access: Access made in an emergency",
		"Type a note for the privacy officer, of 200 characters at most, or an empty line for none; the privacy alert is sent, then the record opens. Type back to go back.",
		"Note: ")
	long := strings.Repeat("Patient collapsed in the pharmacy queue. ", 6) // 246 characters, 245 once trimmed
	r.send(long)
	said := r.expectLines("That note is 245 characters long: a note holds 200 characters at most. Nothing of it was kept; shorten it and type it again.", "Note: ")
	if strings.Contains(said, "Working") {
		t.Errorf("a note too long was sent:\n%s", said)
	}
	fits := strings.TrimSpace(long[:200])
	r.send(fits)
	r.expectLines("Working: recording the access.", "Working: opening the Summary Care Record.", "Summary Care Record")
	rows, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil || len(rows) != 1 || rows[0].Reason != fits {
		t.Errorf("privacy alerts: %+v, %v; want one with the note %q", rows, err, fits)
	}
}

// TestPlainDeceasedSending: the A&E doctor's access to the record of a
// patient who has died is said with the deceased flow's own words to the
// end: the alert on its way is not the question asked of a living patient.
func TestPlainDeceasedSending(t *testing.T) {
	r := plainSignedIn(t, userAEDoctor)
	r.send("9000000009")
	r.expectLines("This patient has died", "1. Access made in an emergency.", "Choose a reason, 1 to 1, or back: ")
	r.send("1")
	r.expectLines("Access after death: Access made in an emergency", "Note: ")
	r.send("arrived in resus")
	said := r.expectLines("Working: recording the access.", "Working: opening the Summary Care Record.", "Summary Care Record")
	for _, never := range []string{"Permission to view is required", "Ask the patient", "Patient gave permission", "Access after death"} {
		if strings.Contains(said, never) {
			t.Errorf("while the alert was on its way the plain mode said %q:\n%s", never, said)
		}
	}
	if !strings.HasPrefix(strings.TrimLeft(said, "\n"), "Working: recording the access.\nWorking: opening the Summary Care Record.\n") {
		t.Errorf("said after the note:\n%s", said)
	}
}

// TestPermissionSendingStep: while an alert is on its way the screen
// says the step it was sent from, under that step's heading: the deceased
// note's, not the question asked of a living patient.
func TestPermissionSendingStep(t *testing.T) {
	f := newFixture(t)
	m := deceasedModel(t, f, rbac.EmergencyAccessSCR)
	m = step(m, keyPress("enter"))
	if m.perm().step != permNote {
		t.Fatalf("not at the note: step %v", m.perm().step)
	}
	m = typed(m, "arrived in resus")
	m = step(m, keyPress("enter"))
	p := m.perm()
	if p.step != permSending {
		t.Fatalf("not sending: step %v", p.step)
	}
	if got := p.name(); got != "access after death" {
		t.Errorf("name %q", got)
	}
	c := p.says(&m.sess)
	if c.title != "Access after death: Access made in an emergency" || len(c.choices) != 0 || c.hint != "" {
		t.Errorf("says title %q, %d choices, hint %q", c.title, len(c.choices), c.hint)
	}
	words := screenWords(m)
	for _, never := range []string{"Permission to view is required", "Ask the patient", "Patient gave permission", "Patient declined"} {
		if strings.Contains(words, never) {
			t.Errorf("%q on the screen while the alert is sent:\n%s", never, words)
		}
	}
	if !strings.Contains(words, "Access after death: Access made in an emergency") || !strings.Contains(words, "arrived in resus") {
		t.Errorf("the step sent from is not shown:\n%s", words)
	}
	ps := plainScreenOf(&m)
	if ps.heading != "Access after death: Access made in an emergency" {
		t.Errorf("plain heading %q", ps.heading)
	}

	// With the patient's permission, the question stays while it is
	// recorded, as before.
	m = step(f.in(statePermission), keyPress("p"))
	if c := m.perm().says(&m.sess); m.perm().step != permSending || c.title != "Permission to view is required" {
		t.Errorf("permission being recorded: step %v, title %q", m.perm().step, c.title)
	}
}

// TestPlainNothingIsNoEntry: a section whose only row says there is
// nothing for it has no entries, and says so before the sentence.
func TestPlainNothingIsNoEntry(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	said := plainOpen(r, "9000000092")
	want := "\nSection 1 of 8: Allergies and Adverse Reactions, no entries.\nNo relevant information available for this category.\n"
	if !strings.Contains(said, want) {
		t.Errorf("no %q in:\n%s", want, said)
	}
	r.send("8")
	r.expectLines("Section 8 of 8: Diagnoses, no entries.", "No relevant information available for this category.", recordPrompt)
	r.send("6")
	r.expectLines("Section 6 of 8: Problems and Issues, 1 entry.", recordPrompt)
}

func TestPlainSectionEntries(t *testing.T) {
	nothing := recordview.Row{Cells: []recordview.Cell{recordview.NewCell(0, 3, "No relevant information available for this category.")}}
	row := func(texts ...string) recordview.Row {
		var cs []recordview.Cell
		for i, s := range texts {
			cs = append(cs, recordview.NewCell(i, 1, s))
		}
		return recordview.Row{Cells: cs}
	}
	table := func(rows ...recordview.Row) recordview.Block {
		return recordview.Block{Kind: recordview.TableBlock, Table: &recordview.Table{Columns: 3, Rows: rows}}
	}
	allergy := row("03-Feb-1994", "Penicillin allergy")
	allergy.Allergy = true
	for _, tc := range []struct {
		name string
		sec  recordview.Section
		head string
	}{
		{"a row saying nothing", recordview.Section{Title: "Diagnoses", Blocks: []recordview.Block{table(nothing)}},
			"Section 1 of 1: Diagnoses, no entries."},
		{"a paragraph saying nothing", recordview.Section{Title: "Diagnoses", Blocks: []recordview.Block{{Kind: recordview.Paragraph, Text: "No relevant information available for this category."}}},
			"Section 1 of 1: Diagnoses, no entries."},
		{"rows and a continuation", recordview.Section{Title: "Treatments", Blocks: []recordview.Block{table(row("01-Jan-2020", "Physio"), row("", "Weekly"), row("02-Jan-2020", "Rest"))}},
			"Section 1 of 1: Treatments, 2 entries."},
		{"no known allergies", recordview.Section{Title: "Allergies", Kind: client.SectionAllergies, Blocks: []recordview.Block{table(row("No known allergies"))}},
			"Section 1 of 1: Allergies, no entries."},
		{"an allergy", recordview.Section{Title: "Allergies", Kind: client.SectionAllergies, Blocks: []recordview.Block{table(allergy)}},
			"Section 1 of 1: Allergies, 1 entry."},
		{"text only", recordview.Section{Title: "General Practice Summary", Blocks: []recordview.Block{{Kind: recordview.Paragraph, Text: "Seen for review."}}},
			"Section 1 of 1: General Practice Summary."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := plainSection(&recordview.Record{Sections: []recordview.Section{tc.sec}}, 0)
			if out[0] != tc.head {
				t.Errorf("head %q; want %q", out[0], tc.head)
			}
		})
	}
}
