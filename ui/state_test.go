package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/smartcard"
)

// The state machine, event by event: each model below is put in one state
// directly, given one message, and checked. The screen tests go through the
// same machine as a user does; these reach the corners a user rarely does.

// fixture is a model signed in as the pharmacist, with the patient of
// 9000000009 at hand, from which each state is made.
type fixture struct {
	srv     *sandbox.Server
	base    Model
	card    Card
	session *client.Session
	role    client.Role
	lookup  *client.Lookup
	summary *client.Summary
}

func newFixture(t testing.TB) fixture { return newFixtureVia(t, nil) }

// newFixtureVia is newFixture with the client reaching the sandbox through
// front (e.g. a proxy that adds network latency), when front is not nil.
func newFixtureVia(t testing.TB, front func(sandboxURL string) string) fixture {
	t.Helper()
	srv, cl := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	if front != nil {
		var err error
		cl, err = client.New(client.Config{Server: front(srv.URL()), CAPEM: srv.CACertPEM()})
		if err != nil {
			t.Fatal(err)
		}
	}
	cards := newTestCards(t, userPharmacist)
	card, err := cards.Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := cl.SignIn(ctx, card.Signer([]byte(userPIN[userPharmacist])), card.Certificate(), card.Holder().UUID)
	if err != nil {
		t.Fatal(err)
	}
	role, err := s.ChooseRole(ctx, s.Roles[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.Lookup(ctx, "9000000009")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx, "9000000009", l.Consent.SCRID)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Client: cl, Cards: cards, Now: func() time.Time { return fixedNow }})
	m.watching = true
	m.readers = map[string]bool{testReader: true}
	return fixture{srv: srv, base: m, card: card, session: s, role: role, lookup: l, summary: sum}
}

// in is the fixture's model in state st, with what that state holds.
func (f fixture) in(st state) Model {
	m := f.base
	m.readers = map[string]bool{testReader: true}
	m.state = st
	if st == stateCard {
		return m
	}
	m.card = f.card
	m.pinStatus = smartcard.PINStatus{TriesLeft: 3}
	if st == statePasscode || st == stateSigningIn {
		return m
	}
	m.session, m.role, m.hasRole, m.lastRole = f.session, f.role, true, f.role.ID
	switch st {
	case stateFind:
		m.find = newFindModel(m.c, "9000000009")
	case statePermission:
		m.lookup = f.lookup
		m.permission = newPermissionModel(m.c, f.lookup, f.role, permAsk)
	case stateSummary:
		m.lookup = f.lookup
		m.summary = newSummaryModel(m.c, f.lookup.Patient, f.summary, m.footer())
	case stateAudit:
		m.audit = newAuditModel(m.c)
	case stateLocked:
		m.lookup = f.lookup
		m.summary = newSummaryModel(m.c, f.lookup.Patient, f.summary, m.footer())
		m.lockedFrom = stateSummary
	}
	return m
}

var allStates = []state{stateCard, statePasscode, stateSigningIn, stateRole, stateFind, statePermission, stateSummary, stateAudit, stateLocked}

// patientOnScreen is whether anything of 9000000009 is drawn.
func patientOnScreen(m Model) string {
	txt := ansi.Strip(m.render())
	for _, s := range []string{"SMITH", "Jane", "wasp", "Co-codamol", "900 000 0009"} {
		if strings.Contains(txt, s) {
			return s
		}
	}
	return ""
}

func step(m Model, msg tea.Msg) Model {
	next, _ := m.Update(msg)
	return next.(Model)
}

func TestStateCardRemovedWipesEverything(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		gen := m.gen
		m = step(m, cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}})
		if st == stateCard {
			if m.state != stateCard {
				t.Errorf("%v: → %v", st, m.state)
			}
			continue
		}
		if m.state != stateCard || m.session != nil || m.card != nil || m.lookup != nil || m.gen == gen {
			t.Errorf("%v: after removal state %v, session %v, card %v, lookup %v, gen %d→%d", st, m.state, m.session != nil, m.card != nil, m.lookup != nil, gen, m.gen)
		}
		if leak := patientOnScreen(m); leak != "" {
			t.Errorf("%v: %q still on screen after removal", st, leak)
		}
	}
}

func TestStateOtherReaderIgnored(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		for _, kind := range []smartcard.EventKind{smartcard.CardRemoved, smartcard.CardInserted, smartcard.ReaderRemoved} {
			got := step(m, cardEventMsg{ev: smartcard.Event{Kind: kind, Reader: "Other Reader 01 00"}})
			if got.state != st || got.gen != m.gen {
				t.Errorf("%v: %v in another reader moved to %v", st, kind, got.state)
			}
		}
	}
}

func TestStateCardSwappedInSameReader(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates[1:] {
		m := step(f.in(st), cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}})
		if m.session != nil || m.lookup != nil {
			t.Errorf("%v: a new card kept the old session", st)
		}
		if m.opening != testReader {
			t.Errorf("%v: the new card is not being read", st)
		}
	}
}

func TestStateServiceLostWipes(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := step(f.in(st), cardEventMsg{ev: smartcard.Event{Kind: smartcard.ServiceLost, Err: errors.New("gone")}})
		if m.state != stateCard || m.session != nil || len(m.readers) != 0 {
			t.Errorf("%v: service lost → %v, session %v", st, m.state, m.session != nil)
		}
		// One sentence: the service, not a missing reader.
		if txt := ansi.Strip(m.render()); !strings.Contains(txt, "The card service stopped") || strings.Contains(txt, "No card reader") {
			t.Errorf("%v: after the service went the screen says:\n%s", st, txt)
		}
	}
}

// Answers from before a wipe (gen) or for an older request (req) are dropped.
func TestStateStaleAnswersDropped(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		m.req = 7
		stale := []tea.Msg{
			lookupMsg{gen: m.gen - 1, req: 7, lookup: f.lookup},
			lookupMsg{gen: m.gen, req: 6, lookup: f.lookup},
			summaryMsg{gen: m.gen - 1, req: 7, summary: f.summary},
			summaryMsg{gen: m.gen, req: 6, summary: f.summary},
			searchMsg{gen: m.gen, req: 6},
			alertSentMsg{gen: m.gen, req: 6},
			auditMsg{gen: m.gen, req: 6},
			roleChosenMsg{gen: m.gen - 1, role: f.role},
			cardOpenedMsg{gen: m.gen - 1, reader: testReader},
			unlockedMsg{gen: m.gen - 1},
		}
		for _, msg := range stale {
			got := step(m, msg)
			if got.state != st {
				t.Errorf("%v: stale %T moved to %v", st, msg, got.state)
			}
			if st != stateSummary && st != statePermission && st != stateLocked && got.lookup != nil {
				t.Errorf("%v: stale %T set a patient", st, msg)
			}
		}
	}
}

// A signed-out answer to a request asks for the passcode, keeping the number.
func TestStateSignedOutAnswer(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateFind)
	m.req = 3
	m = step(m, lookupMsg{gen: m.gen, req: 3, err: &client.SignedOutError{}})
	if m.state != statePasscode || m.session != nil || m.find.nhsValue() != "9000000009" || m.card == nil {
		t.Fatalf("after a 401: state %v, session %v, number %q", m.state, m.session != nil, m.find.nhsValue())
	}
	if !strings.Contains(ansi.Strip(m.render()), "Your session has ended") {
		t.Errorf("no sentence:\n%s", ansi.Strip(m.render()))
	}
}

func TestStateIdleLock(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		clock := newTestClock(fixedNow)
		m.c.now = clock.now
		m.lastInput = clock.now()
		m.opts.IdleLock = time.Minute
		if got := step(m, idleTickMsg{}); got.state != st {
			t.Errorf("%v: locked before the idle time", st)
		}
		clock.advance(time.Minute)
		got := step(m, idleTickMsg{})
		want := stateLocked
		if m.session == nil || st == stateSigningIn {
			want = st // nothing to protect yet, or a sign-in in flight
		}
		if got.state != want {
			t.Errorf("%v: idle → %v, want %v", st, got.state, want)
		}
		if want == stateLocked {
			if leak := patientOnScreen(got); leak != "" {
				t.Errorf("%v: %q on the lock screen", st, leak)
			}
		}
	}
}

func TestStateQuitAndCrash(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m, cmd := f.in(st).Update(keyPress("ctrl+c"))
		q := m.(Model)
		if !q.quitting || cmd == nil || q.lookup != nil {
			t.Errorf("%v: ctrl+c: quitting %v, lookup %v", st, q.quitting, q.lookup != nil)
		}
		if v := q.View(); v.Content != "" {
			t.Errorf("%v: the last frame is not empty: %q", st, v.Content)
		}
		c := step(f.in(st), panicMsg{})
		if !c.crashed || c.session != nil || c.lookup != nil || c.View().Content != "" {
			t.Errorf("%v: after a panic: crashed %v, session %v", st, c.crashed, c.session != nil)
		}
	}
}

// A panic inside Update is recovered: the session is wiped and the program
// told to quit, with nothing of the panic kept.
func TestStatePanicInUpdateRecovered(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateSummary)
	m.c = nil // every screen reads it: Update will panic
	next, cmd := m.Update(keyPress("j"))
	got := next.(Model)
	if !got.crashed || got.session != nil || cmd == nil {
		t.Fatalf("crashed %v, session %v", got.crashed, got.session != nil)
	}
	// And a command that panics becomes panicMsg.
	if msg := task(func() tea.Msg { panic("SMITH 9000000009") })(); msg != (panicMsg{}) {
		t.Errorf("task's panic gave %#v", msg)
	}
}

func TestStateSmallWindowEverywhere(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := step(f.in(st), tea.WindowSizeMsg{Width: 50, Height: 2})
		if m.state != st {
			t.Errorf("%v: a resize moved to %v", st, m.state)
		}
		txt := ansi.Strip(m.render())
		if !strings.Contains(txt, "Make the") || patientOnScreen(m) != "" {
			t.Errorf("%v at 50×2:\n%s", st, txt)
		}
		if n := strings.Count(txt, "\n") + 1; n > 2 {
			t.Errorf("%v: %d lines in a 2-line window", st, n)
		}
	}
}

// Every state renders exactly the window, at every size, without a panic.
func TestStateRenderFitsWindow(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 16}, {200, 60}} {
			m := step(f.in(st), tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			lines := strings.Split(m.render(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%v %v: %d lines", st, size, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%v %v: line %d is %d wide", st, size, i, w)
				}
			}
		}
	}
}

func TestMain(m *testing.M) {
	// Screen tests must not depend on the machine's zone.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// Emergency access: the record is asked for only once the privacy alert is
// acknowledged; a refused alert shows nothing and asks for nothing.
func TestStateRecordOnlyAfterAlert(t *testing.T) {
	f := newFixture(t)
	m := f.in(statePermission)
	m.permission.step = permSending
	m.req = 5
	next, cmd := m.Update(alertSentMsg{gen: m.gen, req: 5, err: &client.ForbiddenError{}})
	got := next.(Model)
	if got.state != statePermission || cmd != nil || got.req != 6 {
		t.Fatalf("after a refused alert: state %v, a command %v, req %d", got.state, cmd != nil, got.req)
	}
	if !strings.Contains(ansi.Strip(got.render()), "access could not be recorded") {
		t.Errorf("no sentence:\n%s", ansi.Strip(got.render()))
	}
	if leak := patientOnScreen(got); leak == "wasp" || leak == "Co-codamol" {
		t.Errorf("record content %q shown after a refused alert", leak)
	}
	next, cmd = m.Update(alertSentMsg{gen: m.gen, req: 5})
	if got := next.(Model); cmd == nil || got.req != 6 || got.state != statePermission {
		t.Errorf("after an acknowledged alert the record is not asked for: req %d, state %v", got.req, got.state)
	}
}

// With the patient's permission the record is asked for beside the alert
// that records it, but shown only once that alert is acknowledged; if the
// alert is refused, the record that came is dropped.
func TestStatePermissionRecordedBeforeShown(t *testing.T) {
	f := newFixture(t)
	m := step(f.in(statePermission), keyPress("p"))
	if !m.permission.parallel || m.permission.step != permSending {
		t.Fatalf("p: parallel %v, step %v", m.permission.parallel, m.permission.step)
	}
	req := m.req
	early := step(m, summaryMsg{gen: m.gen, req: req, summary: f.summary})
	if early.state != statePermission || patientOnScreen(early) == "wasp" {
		t.Fatalf("the record is shown before the permission is recorded: %v", early.state)
	}
	if shown := step(early, alertSentMsg{gen: m.gen, req: req}); shown.state != stateSummary {
		t.Errorf("after the alert is acknowledged: %v", shown.state)
	}
	refused := step(early, alertSentMsg{gen: m.gen, req: req, err: &client.ForbiddenError{}})
	if refused.state != statePermission || refused.permission.pending != nil || refused.req == req {
		t.Errorf("after a refused alert: state %v, pending %v", refused.state, refused.permission.pending != nil)
	}
	// The other order: acknowledged first, then the record.
	acked := step(m, alertSentMsg{gen: m.gen, req: req})
	if acked.state != statePermission {
		t.Fatalf("shown with no record: %v", acked.state)
	}
	if shown := step(acked, summaryMsg{gen: m.gen, req: req, summary: f.summary}); shown.state != stateSummary {
		t.Errorf("the record after the acknowledgement: %v", shown.state)
	}
}
