package ui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/smartcard"
)

// plainRun is scr's plain mode run in-process, its input and output pipes:
// the test only writes lines and reads lines, as a screen reader user's
// input arrives and their output is read.
type plainRun struct {
	t    testing.TB
	in   *io.PipeWriter
	mu   sync.Mutex
	out  bytes.Buffer
	read int // how far the output has been read
	done chan error
}

func (r *plainRun) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(b)
}

func startPlain(t testing.TB, opts Options) *plainRun {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	pr, pw := io.Pipe()
	r := &plainRun{t: t, in: pw, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- RunPlain(ctx, opts, pr, r) }()
	t.Cleanup(func() {
		cancel()
		_ = pw.Close()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("the plain mode did not end")
		}
	})
	return r
}

// all is everything written.
func (r *plainRun) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// expect waits for each of want, in order, in what was written since the
// last expect, failing after 10 s; it returns what was read.
func (r *plainRun) expect(want ...string) string {
	r.t.Helper()
	return r.await("never wrote %q (in order)", want, func(out string, pos int, w string) int {
		if i := strings.Index(out[pos:], w); i >= 0 {
			return pos + i
		}
		return -1
	})
}

// await waits for each of want, in order, in what was written since the
// last expect, find saying where one is from pos on (-1: not yet); it fails
// after 10 s with failure, of the one missing.
func (r *plainRun) await(failure string, want []string, find func(out string, pos int, w string) int) string {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	start := r.read
	for {
		out := r.all()
		pos, missing := start, ""
		for _, w := range want {
			at := find(out, pos, w)
			if at < 0 {
				missing = w
				break
			}
			pos = at + len(w)
		}
		if missing == "" {
			r.read = pos
			return out[start:pos]
		}
		if time.Now().After(deadline) {
			r.t.Fatalf(failure+"; after the last step it wrote:\n%s", missing, out[start:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// send types a line.
func (r *plainRun) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

// notPlain finds what the plain mode must never write: an escape sequence
// other than the clear of the screen and its scrollback, a control
// character other than the new line, box drawing, a block or a geometric
// shape.
var notPlain = regexp.MustCompile("\x1b|[\x00-\x09\x0b-\x1f\x7f]|[\u2500-\u25ff]")

func checkPlainBytes(t testing.TB, out string) {
	t.Helper()
	rest := strings.ReplaceAll(out, clearAll, "")
	if loc := notPlain.FindStringIndex(rest); loc != nil {
		from := max(loc[0]-60, 0)
		t.Errorf("the plain mode wrote %q at byte %d: …%q…", rest[loc[0]:loc[1]], loc[0], rest[from:min(loc[1]+20, len(rest))])
	}
}

// TestPlainJourney is the pharmacist's journey in the plain mode, read as
// lines: the passcode, the NHS number, the permission, the record section
// by section, and the card pulled; the same root model as the full screen,
// so the permission is recorded before the record is read.
func TestPlainJourney(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userPharmacist)
	r := startPlain(t, Options{Client: cl, Cards: cards})

	r.expect("Sign in\n", "Card of: Priya SHARMA.", "Passcode: ")
	r.send(userPIN[userPharmacist])
	r.expect("Working: signing in.", "Find a patient\n", "NHS number: ")
	r.send("900 000 001")
	r.expect("Error: 9 of 10 digits.", "NHS number: ")
	r.send("9000000017")
	r.expect("Working: looking up NHS number 900 000 0017.",
		"Permission to view is required\n",
		"Patient: HARGREAVES, Robert Alan, Mr. Born 14 March 1958 (68 years). Gender: Male. NHS number: 900 000 0017.",
		"Ask the patient whether you may view their Summary Care Record.",
		"p: Patient gave permission.", "d: Patient declined.",
		"Choose p, e or d: ")
	r.send("p")
	r.expect("Summary Care Record\n",
		"Allergies: 3 known.",
		"Viewed as Health Professional Access Role at FA123, access recorded.",
		"Contents: 1 Allergies and Adverse Reactions; 2 Acute Medications",
		"Section 1 of ", ": Allergies and Adverse Reactions, 3 entries.",
		"Date: 03 February 1994. Description: Penicillin allergy. Certainty: Certain. Severity: Severe.",
		"Next, previous, a section number, allergies, medication, new or help: ")
	r.send("next")
	r.expect("Section 2 of ", "Acute Medications", "Clarithromycin 500mg tablets", "Next, previous")
	r.send("allergies")
	r.expect("Section 1 of ", "Penicillin allergy", "Next, previous")

	trail, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil || len(trail) != 1 || trail[0].AlertType != "1" || trail[0].AlertSubtype != "6" {
		t.Errorf("the permission recorded: %+v, %v", trail, err)
	}

	cards.remove()
	wiped := r.expect(clearAll, "Card removed. Session ended. Patient data cleared.", "Insert your smartcard.")
	for _, leak := range []string{"HARGREAVES", "Penicillin", "900 000 0017"} {
		if strings.Contains(wiped, leak) {
			t.Errorf("after the card came out the plain mode wrote %q:\n%s", leak, wiped)
		}
	}
	r.send("quit")
	r.expect(clearAll, "scr has ended.")
	if err := <-r.done; err != nil {
		t.Errorf("RunPlain: %v", err)
	}
	r.done <- nil
	out := r.all()
	checkPlainBytes(t, out)
	if strings.Contains(out, userPIN[userPharmacist]) {
		t.Error("the passcode was written")
	}
	t.Logf("the plain session:\n%s", out)
}

// plainAt is the fixture's model in state st behind the plain mode's front
// end, writing to out, as though that screen had just been said.
func plainAt(f fixture, st state, out io.Writer) plainModel {
	p := newPlainModel(f.in(st), out, &plainTerminal{})
	p.shown = plainScreenOf(&p.m)
	if sm, ok := p.m.current().(summaryScreen); ok {
		p.rec = sm.record()
	}
	return p
}

func plainStep(p plainModel, msg tea.Msg) plainModel {
	next, _ := p.Update(msg)
	return next.(plainModel)
}

// TestPlainEvents: the session's events, as the plain mode says them: each
// end of the session clears the screen and the scrollback first and names
// why; a stale answer says nothing; the lock clears too and says nothing of
// the record, which is read again, where it was, once unlocked.
func TestPlainEvents(t *testing.T) {
	f := newFixture(t)
	leaks := []string{"HARGREAVES", "Penicillin", "900 000 0017"}
	said := func(t *testing.T, out *bytes.Buffer, want ...string) string {
		t.Helper()
		txt := out.String()
		pos := 0
		for _, w := range want {
			i := strings.Index(txt[pos:], w)
			if i < 0 {
				t.Fatalf("did not say %q (in order):\n%s", w, txt)
			}
			pos += i + len(w)
		}
		checkPlainBytes(t, txt)
		return txt
	}

	t.Run("card removed", func(t *testing.T) {
		var out bytes.Buffer
		p := plainAt(f, stateSummary, &out)
		p = plainStep(p, cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}, events: make(chan smartcard.Event)})
		txt := said(t, &out, clearAll, "Card removed. Session ended. Patient data cleared.")
		for _, l := range leaks {
			if strings.Contains(txt, l) {
				t.Errorf("said %q", l)
			}
		}
		if p.rec != nil || p.m.patient() != nil {
			t.Error("the record is still held")
		}
	})
	t.Run("session expired", func(t *testing.T) {
		var out bytes.Buffer
		p := plainAt(f, stateFind, &out)
		p.m.sess.req = 3
		p = plainStep(p, answerMsg{gen: p.m.sess.gen, req: 3, msg: lookupMsg{err: &client.SignedOutError{}}})
		said(t, &out, clearAll, "Session expired. Patient data cleared.", "Sign in", "Your session has ended.", "Passcode: ")
		if p.m.where() != statePasscode {
			t.Errorf("after the session expired: %v", p.m.where())
		}
	})
	t.Run("stale answer", func(t *testing.T) {
		var out bytes.Buffer
		p := plainAt(f, stateFind, &out)
		p.m.sess.req = 7
		plainStep(p, answerMsg{gen: p.m.sess.gen - 1, req: 7, msg: lookupMsg{lookup: f.lookup}})
		plainStep(p, answerMsg{gen: p.m.sess.gen, req: 6, msg: lookupMsg{lookup: f.lookup}})
		if out.Len() != 0 {
			t.Errorf("a stale answer was said:\n%s", out.String())
		}
	})
	t.Run("idle lock", func(t *testing.T) {
		var out bytes.Buffer
		p := plainAt(f, stateSummary, &out)
		clock := newTestClock(fixedNow)
		p.m.sess.common.now = clock.now
		p.m.lastInput = clock.now()
		p = plainStep(p, plainLineMsg{[]byte("next")})
		said(t, &out, "Section 2 of 8: Acute Medications")
		out.Reset()
		clock.advance(DefaultIdleLock)
		p = plainStep(p, idleTickMsg{})
		txt := said(t, &out, clearAll, "Screen locked after 5 minutes. Enter your passcode.", "scr is locked", "Locked for: Priya SHARMA.", "Passcode: ")
		for _, l := range leaks {
			if strings.Contains(txt, l) {
				t.Errorf("the lock said %q", l)
			}
		}
		out.Reset()
		p = plainStep(p, answerMsg{gen: p.m.sess.gen, session: true, msg: unlockedMsg{}})
		said(t, &out, "Unlocked.", "Summary Care Record", "Patient: HARGREAVES", "Section 2 of 8: Acute Medications", "new or help: ")
	})
	t.Run("quit", func(t *testing.T) {
		var out bytes.Buffer
		p := plainAt(f, stateSummary, &out)
		p = plainStep(p, plainLineMsg{[]byte("quit")})
		said(t, &out, clearAll, "scr has ended. You were signed out. Patient data cleared.")
		if !p.m.quitting || p.m.patient() != nil {
			t.Error("quit left the patient, or did not quit")
		}
	})
}

// TestPlainWords: dates spelled out, the working line in place of the
// spinner, the glyphs gone.
func TestPlainWords(t *testing.T) {
	for in, want := range map[string]string{
		"03-Feb-1994":                             "03 February 1994",
		"Acute (12-Oct-2025 to 12-Oct-2026)":      "Acute (12 October 2025 to 12 October 2026)",
		"Oct-2010":                                "October 2010",
		"scr · Summary Care Record":               "scr, Summary Care Record",
		"✓ valid NHS number":                      "valid NHS number",
		"900 000 0106 → 900 000 0114":             "900 000 0106 replaced by 900 000 0114",
		"●●●":                                     "",
		"\x1b[1mbold\x1b[0m ┃ bar ▐ block ─ rule": "bold  bar  block  rule",
		"a\x07b\u202ec":                           "abc",
	} {
		if got := plainLine(in); got != want {
			t.Errorf("plainLine(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Looking up NHS No. 900 000 0017…": "Working: looking up NHS number 900 000 0017.",
		"Signing in…":                      "Working: signing in.",
		"Opening the Summary Care Record…": "Working: opening the Summary Care Record.",
	} {
		if got := working(in); got != want {
			t.Errorf("working(%q) = %q; want %q", in, got, want)
		}
	}
	if got := spellAge("Born 14-Mar-1958 (68y)"); got != "Born 14-Mar-1958 (68 years)" {
		t.Errorf("spellAge: %q", got)
	}
	if got := spanWords(90 * time.Second); got != "90 seconds" {
		t.Errorf("spanWords: %q", got)
	}
}

// TestPlainEmergency: the A&E doctor's emergency access in the plain mode,
// a reason chosen by its number and a note typed as a line; the privacy
// alert is recorded, with the note, before the record is read.
func TestPlainEmergency(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userAEDoctor)
	r := startPlain(t, Options{Client: cl, Cards: cards})
	r.expect("Card of: James OKAFOR.", "Passcode: ")
	r.send("999999")
	r.expect("Error: Wrong passcode. 2 tries left", "Passcode: ")
	r.send(userPIN[userAEDoctor])
	r.expect("NHS number: ")
	r.send("help")
	r.expect("What you can type here:", "search: search by name", "quit: ")
	r.send("9000000017")
	r.expect("e: Emergency access: the patient cannot be asked (a privacy alert is sent).", "Choose p, e or d: ")
	r.send("e")
	r.expect("Emergency access: why?\n", "1. Access made in an emergency.", "2. Self-claimed legitimate relationship: emergency.",
		"Choose a reason, 1 to 2, or back: ")
	r.send("3")
	r.expect("Type a number from 1 to 2.", "Choose a reason")
	r.send("1")
	r.expect("Emergency access: Access made in an emergency\n", "Note: ")
	r.send("Unconscious on arrival")
	r.expect("Working: recording the access.", "Summary Care Record\n", "Section 1 of 8: Allergies and Adverse Reactions")
	rows, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil || len(rows) != 1 || rows[0].AlertType != "2" || rows[0].Reason != "Unconscious on arrival" {
		t.Errorf("privacy alerts: %+v, %v", rows, err)
	}
	r.send("new")
	r.expect("Find a patient\n", "NHS number: ")

	// The privacy officer finds the access in the audit report, read a
	// row to a line.
	cards.remove()
	r.expect("Card removed. Session ended. Patient data cleared.")
	cards.insert(t, userOfficer)
	r.expect("Card of: Helen WOODS.", "Passcode: ")
	r.send(userPIN[userOfficer])
	r.expect("Audit: who accessed a patient's record\n", "Report: Patient (SAR).", "NHS number: ")
	r.send("9000000017")
	r.expect("From (dd-mm-yyyy): ")
	r.send("")
	r.expect("To (dd-mm-yyyy): ")
	r.send("")
	r.expect("Working: reading the audit trail.", "accesses, newest first",
		"Row 1 of ", "Who: James OKAFOR.", "Row 2 of ", "Reason: Unconscious on arrival.", "Sort, reverse, export, new or help: ")
	checkPlainBytes(t, r.all())
	if strings.Contains(r.all(), userPIN[userAEDoctor]) || strings.Contains(r.all(), "999999") {
		t.Error("a passcode was written")
	}
}

// TestPlainPullAsksOnce: the demo's pull takes the card out; the plain mode
// asks nothing before the card's event, which clears the session and says
// so, so that a screen reader does not read out a prompt that is then wiped.
func TestPlainPullAsksOnce(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userPharmacist)
	r := startPlain(t, Options{Client: cl, Cards: cards, Demo: &Demo{Cards: demoCards, ToggleCard: cards.remove}})
	r.expect("Sign in\n", "Passcode: ")
	r.send(userPIN[userPharmacist])
	r.expect("Find a patient\n", "NHS number: ")
	from := len(r.all())
	r.send("pull")
	r.expect(clearAll, "Card removed. Session ended. Patient data cleared.")
	said := r.all()[from:]
	if before, _, _ := strings.Cut(said, clearAll); strings.Contains(before, "NHS number: ") {
		t.Errorf("the prompt was asked again before the card came out:\n%q", said)
	}
	r.send("quit")
	r.expect(clearAll, "scr has ended.")
}
