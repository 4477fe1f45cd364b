package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/smartcard"
)

// The state machine, event by event: each model below is put in one state
// directly, given one message, and checked. The screen tests go through the
// same machine as a user does; these reach the corners a user rarely does.

// fixture is a model signed in as the pharmacist, with the patient of
// 9000000017 at hand, from which each state is made.
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
	l, err := s.Lookup(ctx, "9000000017")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Summary(ctx, "9000000017", l.Consent.SCRID)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Client: cl, Cards: cards, Now: func() time.Time { return fixedNow }})
	m.sess.watching = true
	m.sess.readers = map[string]bool{testReader: true}
	return fixture{srv: srv, base: m, card: card, session: s, role: role, lookup: l, summary: sum}
}

// state is which screen a model shows, for the tests (the root model
// routes to a screen, and keeps no state of its own).
type state int

const (
	stateCard       state = iota // waiting for a reader and a card
	statePasscode                // the holder types the passcode
	stateSigningIn               // the card signs; tokens and roles are fetched
	stateRole                    // the holder picks a role
	stateFind                    // NHS number or demographic search
	statePermission              // consent is Ask: permission, emergency, or declined
	stateSummary                 // the record
	stateAudit                   // a privacy officer's report
	stateLocked                  // idle: passcode to resume
)

func (s state) String() string {
	switch s {
	case stateCard:
		return "card"
	case statePasscode:
		return "passcode"
	case stateSigningIn:
		return "signing in"
	case stateRole:
		return "role"
	case stateFind:
		return "find patient"
	case statePermission:
		return "permission"
	case stateSummary:
		return "summary"
	case stateAudit:
		return "audit"
	case stateLocked:
		return "locked"
	}
	return "unknown"
}

// where is the screen m shows.
func (m Model) where() state {
	if m.locked {
		return stateLocked
	}
	switch m.scr.(type) {
	case cardScreen:
		return stateCard
	case passcodeScreen:
		return statePasscode
	case signingInScreen:
		return stateSigningIn
	case roleScreen:
		return stateRole
	case findScreen:
		return stateFind
	case permissionScreen:
		return statePermission
	case summaryScreen:
		return stateSummary
	case auditScreen:
		return stateAudit
	}
	return -1
}

// search is the search m holds: the one shown, the one behind the
// patient's screen or the roles, or the one to go back to once signed in
// again.
func (m Model) search() findScreen {
	switch sc := m.scr.(type) {
	case findScreen:
		return sc
	case permissionScreen:
		return sc.search()
	case summaryScreen:
		return sc.search()
	case roleScreen:
		switch b := sc.back.(type) {
		case findScreen:
			return b
		case summaryScreen:
			return b.search()
		}
	}
	if m.resume != nil {
		return *m.resume
	}
	return findScreen{}
}

// withSearch is m with f as its search: shown, or behind the patient's
// screen.
func (m Model) withSearch(f findScreen) Model {
	switch sc := m.scr.(type) {
	case permissionScreen:
		m.scr = sc.openedFrom(f)
	case summaryScreen:
		sc.from = &f
		m.scr = sc
	default:
		m.scr = f
	}
	return m
}

// patient is the patient m holds, on the permission or the record screen,
// or nil.
func (m Model) patient() *client.Patient {
	switch sc := m.scr.(type) {
	case permissionScreen:
		if sc.lookup != nil {
			return sc.lookup.Patient
		}
	case summaryScreen:
		return sc.p
	}
	return nil
}

// perm is the permission screen m shows, or a zero one.
func (m Model) perm() permissionScreen {
	p, _ := m.scr.(permissionScreen)
	return p
}

// withPerm is m with its permission screen changed by f.
func (m Model) withPerm(f func(p *permissionScreen)) Model {
	p := m.perm()
	f(&p)
	m.scr = p
	return m
}

// shownSummary is the record m shows, or a zero one.
func (m Model) shownSummary() summaryScreen {
	sm, _ := m.scr.(summaryScreen)
	return sm
}

// shownAudit is the audit screen m shows, or a zero one.
func (m Model) shownAudit() auditScreen {
	a, _ := m.scr.(auditScreen)
	return a
}

// withAudit is m with its audit screen changed by f.
func (m Model) withAudit(f func(a *auditScreen)) Model {
	a := m.shownAudit()
	f(&a)
	m.scr = a
	return m
}

// digits is the passcode field with the keys: the lock's, or the
// passcode screen's.
func (m Model) digits() passcodeField {
	if m.locked {
		return m.lock.typed
	}
	p, _ := m.scr.(passcodeScreen)
	return p.typed
}

// in is the fixture's model in state st, with what that state holds.
func (f fixture) in(st state) Model {
	m := f.base
	s := &m.sess
	s.readers = map[string]bool{testReader: true}
	if st == stateCard {
		return m
	}
	s.card = f.card
	s.pin = smartcard.PINStatus{TriesLeft: 3}
	switch st {
	case statePasscode:
		m.scr = passcodeScreen{}
		return m
	case stateSigningIn:
		m.scr = signingInScreen{}
		return m
	}
	s.api, s.role, s.hasRole, s.lastRole = f.session, f.role, true, f.role.ID
	empty := newFindScreen(s.common, "")
	switch st {
	case stateRole:
		m.scr = newRoleScreen(s, f.role.ID, empty)
	case stateFind:
		m.scr = newFindScreen(s.common, "9000000017")
	case statePermission:
		m.scr = newPermissionScreen(s.common, f.lookup, f.role, permAsk).openedFrom(empty)
	case stateSummary, stateLocked:
		sm := newSummaryScreen(s.common, f.lookup.Patient, f.summary, s.footer())
		sm.from = &empty
		m.scr = sm
		m.locked = st == stateLocked
	case stateAudit:
		m.scr = newAuditScreen(s.common)
	}
	return m
}

var allStates = []state{stateCard, statePasscode, stateSigningIn, stateRole, stateFind, statePermission, stateSummary, stateAudit, stateLocked}

// patientOnScreen is whether anything of 9000000017 is drawn.
func patientOnScreen(m Model) string {
	txt := ansi.Strip(m.render())
	for _, s := range []string{"HARGREAVES", "Robert", "Penicillin", "Clarithromycin", "900 000 0017"} {
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
		gen := m.sess.gen
		m = step(m, cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}})
		if st == stateCard {
			if m.where() != stateCard {
				t.Errorf("%v: → %v", st, m.where())
			}
			continue
		}
		if m.where() != stateCard || m.sess.api != nil || m.sess.card != nil || m.patient() != nil || m.sess.gen == gen {
			t.Errorf("%v: after removal state %v, session %v, card %v, lookup %v, gen %d→%d", st, m.where(), m.sess.api != nil, m.sess.card != nil, m.patient() != nil, gen, m.sess.gen)
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
			if got.where() != st || got.sess.gen != m.sess.gen {
				t.Errorf("%v: %v in another reader moved to %v", st, kind, got.where())
			}
		}
	}
}

func TestStateCardSwappedInSameReader(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates[1:] {
		m := step(f.in(st), cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}})
		if m.sess.api != nil || m.patient() != nil {
			t.Errorf("%v: a new card kept the old session", st)
		}
		if m.sess.opening != testReader {
			t.Errorf("%v: the new card is not being read", st)
		}
	}
}

func TestStateServiceLostWipes(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := step(f.in(st), cardEventMsg{ev: smartcard.Event{Kind: smartcard.ServiceLost, Err: errors.New("gone")}})
		if m.where() != stateCard || m.sess.api != nil || len(m.sess.readers) != 0 {
			t.Errorf("%v: service lost → %v, session %v", st, m.where(), m.sess.api != nil)
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
		m.sess.req = 7
		stale := []tea.Msg{
			answerMsg{gen: m.sess.gen - 1, req: 7, msg: lookupMsg{lookup: f.lookup}},
			answerMsg{gen: m.sess.gen, req: 6, msg: lookupMsg{lookup: f.lookup}},
			answerMsg{gen: m.sess.gen - 1, req: 7, msg: summaryMsg{summary: f.summary}},
			answerMsg{gen: m.sess.gen, req: 6, msg: summaryMsg{summary: f.summary}},
			answerMsg{gen: m.sess.gen, req: 6, msg: searchMsg{}},
			answerMsg{gen: m.sess.gen, req: 6, msg: alertSentMsg{}},
			answerMsg{gen: m.sess.gen, req: 6, msg: auditMsg{}},
			answerMsg{gen: m.sess.gen - 1, session: true, msg: roleChosenMsg{role: f.role}},
			answerMsg{gen: m.sess.gen - 1, session: true, msg: cardOpenedMsg{reader: testReader}},
			answerMsg{gen: m.sess.gen - 1, session: true, msg: unlockedMsg{}},
		}
		for _, msg := range stale {
			got := step(m, msg)
			if got.where() != st {
				t.Errorf("%v: stale %T moved to %v", st, msg, got.where())
			}
			if st != stateSummary && st != statePermission && st != stateLocked && got.patient() != nil {
				t.Errorf("%v: stale %T set a patient", st, msg)
			}
		}
	}
}

// A signed-out answer to a request asks for the passcode, keeping the number.
func TestStateSignedOutAnswer(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateFind)
	m.sess.req = 3
	m = step(m, answerMsg{gen: m.sess.gen, req: 3, msg: lookupMsg{err: &client.SignedOutError{}}})
	if m.where() != statePasscode || m.sess.api != nil || m.search().nhsValue() != "9000000017" || m.sess.card == nil {
		t.Fatalf("after a 401: state %v, session %v, number %q", m.where(), m.sess.api != nil, m.search().nhsValue())
	}
	if !strings.Contains(ansi.Strip(m.render()), "Your session has ended") {
		t.Errorf("no sentence:\n%s", ansi.Strip(m.render()))
	}
}

// TestStateSessionEndForgetsPatient: a signed-out answer ends the session
// the same way from every screen: nothing of a patient stays in the model,
// the audit screen's rows included, only the NHS number typed is kept for
// after the passcode, and signing in again shows none of it.
func TestStateSessionEndForgetsPatient(t *testing.T) {
	f := newFixture(t)
	officer := client.Role{ID: "officer", Name: `"Admin":"Privacy Officer"`, OrgCode: "R9A", ActivityCodes: []string{"B0015", "B0016"}}
	if !officer.CanAudit() || officer.CanView() {
		t.Fatal("the officer's role does not read audit reports only")
	}
	reported := f.in(stateAudit).withAudit(func(a *auditScreen) { a.asked = auditQuery{nhs: "9000000009"} })
	reported = step(reported, answerMsg{gen: reported.sess.gen, req: reported.sess.req, msg: auditMsg{rows: fakeTrail()}})
	if n := auditRowsHeld(reported); n == 0 {
		t.Fatal("no audit rows to forget")
	}
	form, _ := f.in(stateFind).search().showForm()
	results := f.in(stateFind).withSearch(form.setResults([]client.PatientMatch{{Patient: f.lookup.Patient, Score: 1}}, nil))
	for _, tc := range []struct {
		name   string
		m      Model
		number string // kept for after the passcode
		role   client.Role
	}{
		{"find results", results, "9000000017", f.role},
		{"permission", f.in(statePermission).withSearch(newFindScreen(f.base.sess.common, "9000000017")), "9000000017", f.role},
		{"summary", f.in(stateSummary).withSearch(newFindScreen(f.base.sess.common, "9000000017")), "9000000017", f.role},
		{"locked over the summary", f.in(stateLocked).withSearch(newFindScreen(f.base.sess.common, "9000000017")), "9000000017", f.role},
		{"audit report", reported, "", officer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			ended := step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: searchMsg{err: &client.SignedOutError{}}})
			if ended.where() != statePasscode || ended.sess.api != nil {
				t.Fatalf("after a signed-out answer: %v, session %v", ended.where(), ended.sess.api != nil)
			}
			if ended.patient() != nil || len(ended.search().matches) != 0 || auditRowsHeld(ended) != 0 {
				t.Errorf("kept: patient %v, %d matches, %d audit rows", ended.patient() != nil, len(ended.search().matches), auditRowsHeld(ended))
			}
			if n := ended.search().nhsValue(); n != tc.number {
				t.Errorf("the number kept is %q, want %q", n, tc.number)
			}
			again := step(ended, answerMsg{gen: ended.sess.gen, session: true, msg: roleChosenMsg{role: tc.role}})
			txt := ansi.Strip(again.render())
			for _, was := range []string{"HARGREAVES", "Robert", "Penicillin", "SHARMA", "OKAFOR", "Sandbox"} {
				if strings.Contains(txt, was) {
					t.Errorf("signed in again, the screen shows %q:\n%s", was, txt)
				}
			}
			if n := auditRowsHeld(again); n != 0 {
				t.Errorf("signed in again, %d audit rows are held", n)
			}
		})
	}
}

// auditRowsHeld is how many audit rows m holds, on any screen.
func auditRowsHeld(m Model) int {
	n := 0
	for _, sc := range []screen{m.scr, m.current()} {
		if r, ok := sc.(roleScreen); ok {
			sc = r.back
		}
		if a, ok := sc.(auditScreen); ok {
			n += len(a.rows) + len(a.shown)
		}
	}
	return n
}

// TestStateLockHoldsOverAnswers: an answer that comes while the screen is
// locked goes to the screen under the lock, which stays locked: a role
// chosen or a patient looked up never takes the lock off, and nothing of
// them is drawn before the passcode.
func TestStateLockHoldsOverAnswers(t *testing.T) {
	f := newFixture(t)
	roles := step(f.in(stateRole), keyPress("ctrl+l"))
	if roles.where() != stateLocked {
		t.Fatalf("ctrl+l on the roles: %v", roles.where())
	}
	chosen := step(roles, answerMsg{gen: roles.sess.gen, session: true, msg: roleChosenMsg{role: f.role}})
	if chosen.where() != stateLocked {
		t.Errorf("a role chosen under the lock took it off: %v", chosen.where())
	}
	if got := step(chosen, answerMsg{gen: chosen.sess.gen, session: true, msg: unlockedMsg{}}); got.where() != stateFind {
		t.Errorf("unlocked: %v, want the search of the role chosen", got.where())
	}

	find := f.in(stateFind)
	find.sess.req = 3
	locked := step(find, keyPress("ctrl+l"))
	looked := step(locked, answerMsg{gen: locked.sess.gen, req: 3, msg: lookupMsg{lookup: f.lookup}})
	if looked.where() != stateLocked {
		t.Fatalf("a lookup answered under the lock took it off: %v", looked.where())
	}
	if who := patientOnScreen(looked); who != "" {
		t.Errorf("%q drawn over the lock", who)
	}
	if got := step(looked, answerMsg{gen: looked.sess.gen, session: true, msg: unlockedMsg{}}); got.where() != statePermission {
		t.Errorf("unlocked: %v, want the permission question", got.where())
	}
}

// TestStateBackgroundRestylesRecord: the terminal's background colour,
// answered after the first frame, restyles the record shown at once, not
// at the next resize.
func TestStateBackgroundRestylesRecord(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateSummary)
	dark := m.render()
	got := step(m, tea.BackgroundColorMsg{Color: color.White})
	light := got.render()
	if light == dark {
		t.Fatal("the record keeps its dark colours on a light background")
	}
	// The record, less the key help under it (the help's own styles).
	record := func(screen string) string { return screen[:strings.LastIndex(screen, "\n")] }
	if fresh := f.in(stateSummary).render(); record(light) != record(fresh) {
		t.Errorf("the record restyled is not the record drawn light from the start:\n%q\n%q", record(light), record(fresh))
	}
}

func TestStateIdleLock(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		clock := newTestClock(fixedNow)
		m.sess.common.now = clock.now
		m.lastInput = clock.now()
		m.sess.opts.IdleLock = time.Minute
		if got := step(m, idleTickMsg{}); got.where() != st {
			t.Errorf("%v: locked before the idle time", st)
		}
		clock.advance(time.Minute)
		got := step(m, idleTickMsg{})
		want := stateLocked
		if m.sess.api == nil || st == stateSigningIn {
			want = st // nothing to protect yet, or a sign-in in flight
		}
		if got.where() != want {
			t.Errorf("%v: idle → %v, want %v", st, got.where(), want)
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
		if m.(Model).confirmQuit {
			// Something typed: asked once; ctrl+c again quits.
			m, cmd = m.(Model).Update(keyPress("ctrl+c"))
		}
		q := m.(Model)
		if !q.quitting || cmd == nil || q.patient() != nil {
			t.Errorf("%v: ctrl+c: quitting %v, patient %v", st, q.quitting, q.patient() != nil)
		}
		if v := q.View(); v.Content != "" {
			t.Errorf("%v: the last frame is not empty: %q", st, v.Content)
		}
		c := step(f.in(st), panicMsg{})
		if !c.crashed || c.sess.api != nil || c.patient() != nil || c.View().Content != "" {
			t.Errorf("%v: after a panic: crashed %v, session %v", st, c.crashed, c.sess.api != nil)
		}
	}
}

// A panic inside Update is recovered: the session is wiped and the program
// told to quit, with nothing of the panic kept.
func TestStatePanicInUpdateRecovered(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateSummary)
	m.sess.common = nil // the root and every screen read it: Update will panic
	next, cmd := m.Update(keyPress("j"))
	got := next.(Model)
	if !got.crashed || got.sess.api != nil || cmd == nil {
		t.Fatalf("crashed %v, session %v", got.crashed, got.sess.api != nil)
	}
	// And a command that panics becomes panicMsg.
	if msg := task(func() tea.Msg { panic("HARGREAVES 9000000017") })(); msg != (panicMsg{}) {
		t.Errorf("task's panic gave %#v", msg)
	}
}

func TestStateSmallWindowEverywhere(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := step(f.in(st), tea.WindowSizeMsg{Width: 50, Height: 2})
		if m.where() != st {
			t.Errorf("%v: a resize moved to %v", st, m.where())
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
	m := f.in(statePermission).withPerm(func(p *permissionScreen) { p.step = permSending })
	m.sess.req = 5
	next, cmd := m.Update(answerMsg{gen: m.sess.gen, req: 5, msg: alertSentMsg{err: &client.ForbiddenError{}}})
	got := next.(Model)
	if got.where() != statePermission || cmd != nil || got.sess.req != 6 {
		t.Fatalf("after a refused alert: state %v, a command %v, req %d", got.where(), cmd != nil, got.sess.req)
	}
	if !strings.Contains(ansi.Strip(got.render()), "access could not be recorded") {
		t.Errorf("no sentence:\n%s", ansi.Strip(got.render()))
	}
	if leak := patientOnScreen(got); leak == "Penicillin" || leak == "Clarithromycin" {
		t.Errorf("record content %q shown after a refused alert", leak)
	}
	next, cmd = m.Update(answerMsg{gen: m.sess.gen, req: 5, msg: alertSentMsg{}})
	if got := next.(Model); cmd == nil || got.sess.req != 6 || got.where() != statePermission {
		t.Errorf("after an acknowledged alert the record is not asked for: req %d, state %v", got.sess.req, got.where())
	}
}

// With the patient's permission the record is asked for beside the alert
// that records it, but shown only once that alert is acknowledged; if the
// alert is refused, the record that came is dropped.
func TestStatePermissionRecordedBeforeShown(t *testing.T) {
	f := newFixture(t)
	m := step(f.in(statePermission), keyPress("p"))
	if !m.perm().parallel || m.perm().step != permSending {
		t.Fatalf("p: parallel %v, step %v", m.perm().parallel, m.perm().step)
	}
	req := m.sess.req
	early := step(m, answerMsg{gen: m.sess.gen, req: req, msg: summaryMsg{summary: f.summary}})
	if early.where() != statePermission || patientOnScreen(early) == "Penicillin" {
		t.Fatalf("the record is shown before the permission is recorded: %v", early.where())
	}
	if shown := step(early, answerMsg{gen: m.sess.gen, req: req, msg: alertSentMsg{}}); shown.where() != stateSummary {
		t.Errorf("after the alert is acknowledged: %v", shown.where())
	}
	refused := step(early, answerMsg{gen: m.sess.gen, req: req, msg: alertSentMsg{err: &client.ForbiddenError{}}})
	if refused.where() != statePermission || refused.perm().pending != nil || refused.sess.req == req {
		t.Errorf("after a refused alert: state %v, pending %v", refused.where(), refused.perm().pending != nil)
	}
	// The other order: acknowledged first, then the record.
	acked := step(m, answerMsg{gen: m.sess.gen, req: req, msg: alertSentMsg{}})
	if acked.where() != statePermission {
		t.Fatalf("shown with no record: %v", acked.where())
	}
	if shown := step(acked, answerMsg{gen: m.sess.gen, req: req, msg: summaryMsg{summary: f.summary}}); shown.where() != stateSummary {
		t.Errorf("the record after the acknowledgement: %v", shown.where())
	}
}

// requestsOf runs cmd (and any batch it holds) and returns the messages
// that are answers to a request to the card or the server: a command that
// sends something has one of these as its result. A command still running
// after a moment (a tick) is taken as sending nothing.
func requestsOf(t testing.TB, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(300 * time.Millisecond):
		return nil
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, requestsOf(t, c)...)
		}
		return out
	case answerMsg:
		return []tea.Msg{msg}
	}
	return nil
}

// typed is m with text typed, key by key.
func typed(m Model, text string) Model {
	for _, r := range text {
		m = step(m, keyPress(string(r)))
	}
	return m
}

// screens are the fixture's screens, with the steps inside them, for the
// key tables below.
func (f fixture) screens(t *testing.T) map[string]Model {
	t.Helper()
	ctx := context.Background()
	sup, err := f.session.Lookup(ctx, "9000000106")
	if err != nil {
		t.Fatal(err)
	}
	noSCR, err := f.session.Lookup(ctx, "9000000033")
	if err != nil {
		t.Fatal(err)
	}
	dead, err := f.session.Lookup(ctx, "9000000009")
	if err != nil {
		t.Fatal(err)
	}
	perm := func(l *client.Lookup, st permStep, role client.Role) Model {
		m := f.in(statePermission)
		m.scr = newPermissionScreen(m.sess.common, l, role, st).openedFrom(m.search())
		return m
	}
	emergency := f.role
	emergency.ActivityCodes = append(slices.Clone(emergency.ActivityCodes), "B0168")
	sc := map[string]Model{}
	sc["card"] = f.in(stateCard)
	sc["passcode"] = f.in(statePasscode)
	sc["signing in"] = f.in(stateSigningIn)
	sc["role, first choice"] = f.in(stateRole)
	sc["role, first choice"] = func(m Model) Model {
		m.sess.hasRole = false
		m.scr = newRoleScreen(&m.sess, "", nil)
		return m
	}(sc["role, first choice"])
	sc["role, switching"] = f.in(stateRole)
	sc["find number"] = f.in(stateFind)
	form, _ := f.in(stateFind).search().showForm()
	details := f.in(stateFind).withSearch(form)
	sc["find details"] = details
	results := details.withSearch(form.setResults([]client.PatientMatch{{Patient: f.lookup.Patient, Score: 1}}, nil))
	sc["find results"] = results
	sup9 := perm(sup, permAsk, f.role)
	sup9 = sup9.withSearch(newFindScreen(sup9.sess.common, "9000000106"))
	sc["superseded"] = sup9
	ask := f.in(statePermission)
	ask = ask.withSearch(newFindScreen(ask.sess.common, "9000000017")) // as looked up
	sc["permission ask"] = ask
	reason := perm(f.lookup, permAsk, emergency)
	reason = reason.withPerm(func(p *permissionScreen) { p.step = permReason })
	sc["emergency reason"] = reason
	note := reason
	note = note.withPerm(func(p *permissionScreen) { p.step = permNote; p.note.Focus() })
	sc["emergency note"] = note
	sending := f.in(statePermission)
	sending = sending.withPerm(func(p *permissionScreen) { p.step = permSending })
	sc["sending"] = sending
	sc["no SCR"] = perm(noSCR, permNoSCR, f.role)
	deadNone := perm(dead, permDeceased, f.role)
	deadNone = deadNone.withSearch(newFindScreen(deadNone.sess.common, "9000000009"))
	sc["deceased, cannot view"] = deadNone
	deadReasons := perm(dead, permDeceased, emergency)
	deadReasons = deadReasons.withSearch(newFindScreen(deadReasons.sess.common, "9000000009"))
	sc["deceased, reasons"] = deadReasons
	deadNote := deadReasons
	deadNote = deadNote.withPerm(func(p *permissionScreen) { p.step = permNote; p.note.Focus() })
	sc["deceased, note"] = deadNote
	sc["summary"] = f.in(stateSummary)
	sc["audit"] = f.in(stateAudit)
	sc["locked"] = f.in(stateLocked)
	help := f.in(stateSummary)
	help.showHelp = true
	sc["help"] = help
	return sc
}

// TestStateEscGoesBack: on every screen Esc goes back one step, or stays
// where there is no back; it never sends a request or an alert, never
// records a refusal, and never clears what was typed.
func TestStateEscGoesBack(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)
	type want struct {
		state state
		step  permStep // when state is statePermission
		check func(Model) string
	}
	number := func(n string) func(Model) string {
		return func(m Model) string {
			if m.search().nhsValue() != n || m.search().mode != findByNumber {
				return fmt.Sprintf("find shows %q in mode %v, want %q", m.search().nhsValue(), m.search().mode, n)
			}
			return ""
		}
	}
	noPatient := func(m Model) string {
		if m.patient() != nil {
			return "the patient is still held"
		}
		return ""
	}
	rows := map[string]want{
		"card":               {state: stateCard},
		"passcode":           {state: statePasscode},
		"signing in":         {state: stateSigningIn},
		"role, first choice": {state: stateRole},
		"role, switching":    {state: stateFind},
		"find number":        {state: stateFind, check: number("9000000017")},
		"find details":       {state: stateFind, check: number("9000000017")},
		"find results": {state: stateFind, check: func(m Model) string {
			if m.search().mode != findByDetails {
				return "not back at the form"
			}
			return ""
		}},
		"superseded": {state: stateFind, check: func(m Model) string {
			if s := number("9000000106")(m); s != "" {
				return s
			}
			return noPatient(m)
		}},
		"permission ask":        {state: stateFind, check: func(m Model) string { return number("9000000017")(m) + noPatient(m) }},
		"emergency reason":      {state: statePermission, step: permAsk},
		"emergency note":        {state: statePermission, step: permReason},
		"sending":               {state: statePermission, step: permSending},
		"no SCR":                {state: stateFind, check: noPatient},
		"deceased, cannot view": {state: stateFind, check: func(m Model) string { return number("9000000009")(m) + noPatient(m) }},
		"deceased, reasons":     {state: stateFind, check: func(m Model) string { return number("9000000009")(m) + noPatient(m) }},
		"deceased, note":        {state: statePermission, step: permDeceased},
		"summary":               {state: stateFind, check: noPatient},
		"audit":                 {state: stateAudit},
		"locked":                {state: stateLocked},
		"help":                  {state: stateSummary},
	}
	if len(rows) != len(sc) {
		t.Fatalf("%d rows for %d screens", len(rows), len(sc))
	}
	before, err := f.srv.Audit().Query(context.Background(), audit.Filter{Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range rows {
		t.Run(name, func(t *testing.T) {
			m := sc[name]
			if m.where() == statePasscode || m.where() == stateLocked {
				m = typed(m, "12")
			}
			next, cmd := m.Update(keyPress("esc"))
			got := next.(Model)
			if sent := requestsOf(t, cmd); len(sent) > 0 {
				t.Errorf("Esc sent %T", sent[0])
			}
			if got.quitting || got.showHelp {
				t.Errorf("Esc: quitting %v, help %v", got.quitting, got.showHelp)
			}
			if got.where() != w.state || w.state == statePermission && got.perm().step != w.step {
				t.Errorf("Esc → %v (step %v), want %v (step %v)", got.where(), got.perm().step, w.state, w.step)
			}
			if got.search().notice != "" {
				t.Errorf("Esc said %q", got.search().notice)
			}
			if (m.where() == statePasscode || m.where() == stateLocked) && len(got.digits().digits) != 2 {
				t.Errorf("Esc cleared the passcode: %d digits", len(got.digits().digits))
			}
			if w.check != nil {
				if problem := w.check(got); problem != "" {
					t.Error(problem)
				}
			}
		})
	}
	after, err := f.srv.Audit().Query(context.Background(), audit.Filter{Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("Esc raised %d privacy alerts", len(after)-len(before))
	}
}

// TestStateQNeverQuitsWithInput: q typed with something in a field is a
// letter of a text field or ignored by a digits-only one; q outside a field
// quits at once when nothing is typed, and asks once when something typed
// would be lost. Every screen has a row: one without fails.
func TestStateQNeverQuitsWithInput(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)
	// exportConfirm is the audit's results with a path typed for the
	// export, at the personal-data warning: outside any field, with
	// something typed.
	exportConfirm := func(m Model) Model {
		return m.withAudit(func(a *auditScreen) {
			a.mode = auditExportConfirm
			a.path.SetValue("/home/helen/sar.csv")
		})
	}
	exportPath := func(m Model) Model {
		return m.withAudit(func(a *auditScreen) {
			a.mode = auditExportPath
			a.path.Reset()
			a.path.Focus()
		})
	}
	rows := []struct {
		screen string
		setup  func(Model) Model // the step of the screen, when not the fixture's
		typed  string
		quits  bool               // q quits at once: nothing typed would be lost
		asks   bool               // q asks once before quitting
		kept   func(Model) string // what is typed, after q
		want   string
	}{
		// A digits-only field ignores q among digits; empty, q quits.
		{screen: "passcode", typed: "12", kept: func(m Model) string { return m.digits().view() }, want: "●●······"},
		{screen: "passcode", typed: "", quits: true}, // nothing typed: q quits, as before a card is read
		{screen: "locked", typed: "12", kept: func(m Model) string { return m.digits().view() }, want: "●●······"},
		// Locked over a note being typed, the lock's field empty: q asks, as
		// the note under the lock would be lost.
		{screen: "locked", setup: func(Model) Model { return typed(sc["emergency note"], "Coll").lockNow() }, asks: true,
			kept: func(m Model) string { return m.perm().note.Value() }, want: "Coll"},
		{screen: "find number", typed: "\b\b\b\b", kept: func(m Model) string { return m.search().nhsValue() }, want: "900000"},
		{screen: "audit", typed: "900", kept: func(m Model) string { return m.shownAudit().number }, want: "900"},
		// A text field takes q as a letter, empty or not.
		{screen: "find details", typed: "Smi", kept: func(m Model) string { return m.search().fields[fieldFamily].Value() }, want: "Smiq"},
		{screen: "emergency note", typed: "Coll", kept: func(m Model) string { return m.perm().note.Value() }, want: "Collq"},
		{screen: "emergency note", typed: "", kept: func(m Model) string { return m.perm().note.Value() }, want: "q"},
		{screen: "deceased, note", typed: "Coll", kept: func(m Model) string { return m.perm().note.Value() }, want: "Collq"},
		{screen: "audit", setup: exportPath, typed: "/tmp/x", kept: func(m Model) string { return m.shownAudit().path.Value() }, want: "/tmp/xq"},
		// Outside a field, with a path typed for the export: asks once.
		{screen: "audit", setup: exportConfirm, asks: true, kept: func(m Model) string { return m.shownAudit().path.Value() }, want: "/home/helen/sar.csv"},
		// No field, nothing typed: q quits.
		{screen: "card", quits: true},
		{screen: "signing in", quits: true},
		{screen: "role, first choice", quits: true},
		{screen: "role, switching", quits: true},
		{screen: "find results", quits: true},
		{screen: "superseded", quits: true},
		{screen: "permission ask", quits: true},
		{screen: "emergency reason", quits: true},
		{screen: "sending", quits: true},
		{screen: "no SCR", quits: true},
		{screen: "deceased, cannot view", quits: true},
		{screen: "deceased, reasons", quits: true},
		{screen: "summary", quits: true},
		{screen: "help", quits: true},
	}
	covered := map[string]bool{}
	for _, r := range rows {
		if _, ok := sc[r.screen]; !ok {
			t.Fatalf("a row for %q, which is no screen", r.screen)
		}
		covered[r.screen] = true
	}
	if len(covered) != len(sc) {
		var missing []string
		for name := range sc {
			if !covered[name] {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		t.Fatalf("q rows for %d of the %d screens; none for %q", len(covered), len(sc), missing)
	}
	for _, r := range rows {
		name := r.screen + " " + r.typed
		if r.setup != nil {
			name = r.screen + " " + r.want
		}
		t.Run(name, func(t *testing.T) {
			m := sc[r.screen]
			if r.setup != nil {
				m = r.setup(m)
			}
			switch {
			case strings.HasPrefix(r.typed, "\b"):
				// 9000000017 less its last four digits: 900000.
				for range r.typed {
					m = step(m, keyPress("backspace"))
				}
			default:
				m = typed(m, r.typed)
			}
			got := step(m, keyPress("q"))
			if got.quitting != r.quits || got.confirmQuit != r.asks {
				t.Fatalf("q: quitting %v, asking %v; want quitting %v, asking %v", got.quitting, got.confirmQuit, r.quits, r.asks)
			}
			if r.kept != nil {
				if v := r.kept(got); v != r.want {
					t.Errorf("after q the field holds %q, want %q", v, r.want)
				}
			}
			if r.asks {
				// Once: q again is no answer, and neither quits nor
				// closes the question; n goes back to what was typed.
				again := step(got, keyPress("q"))
				if again.quitting || !again.confirmQuit {
					t.Errorf("q twice: quitting %v, asking %v", again.quitting, again.confirmQuit)
				}
				if back := step(again, keyPress("n")); back.quitting || back.confirmQuit || r.kept(back) != r.want {
					t.Errorf("n: quitting %v, asking %v, %q kept", back.quitting, back.confirmQuit, r.kept(back))
				}
			}
		})
	}
}

// TestStateQuitAsksWithInput: ctrl+c (and q outside a field) with
// something typed asks once; n or Esc goes back with it kept, y or a second
// ctrl+c quits. With nothing typed ctrl+c quits at once.
func TestStateQuitAsksWithInput(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)
	m := typed(sc["find details"], "Smi")
	asked := step(m, keyPress("ctrl+c"))
	if !asked.confirmQuit || asked.quitting {
		t.Fatalf("ctrl+c with a name typed: asking %v, quitting %v", asked.confirmQuit, asked.quitting)
	}
	if txt := ansi.Strip(asked.render()); !strings.Contains(txt, "Quit and lose what you typed? y/n") {
		t.Errorf("the question is not shown:\n%s", txt)
	}
	for _, no := range []string{"n", "esc"} {
		back := step(asked, keyPress(no))
		if back.confirmQuit || back.quitting || back.search().fields[fieldFamily].Value() != "Smi" {
			t.Errorf("%s: asking %v, quitting %v, name %q", no, back.confirmQuit, back.quitting, back.search().fields[fieldFamily].Value())
		}
	}
	if other := step(asked, keyPress("x")); !other.confirmQuit || other.quitting {
		t.Errorf("another key answered the question: asking %v, quitting %v", other.confirmQuit, other.quitting)
	}
	for _, yes := range []string{"y", "ctrl+c"} {
		if q := step(asked, keyPress(yes)); !q.quitting {
			t.Errorf("%s did not quit", yes)
		}
	}
	// From the help over a typed passcode, q asks rather than quits.
	pass := typed(sc["passcode"], "12")
	pass.showHelp = true
	if got := step(pass, keyPress("q")); got.quitting {
		t.Error("q in the help over a typed passcode quit")
	}
	if got := step(sc["find number"], keyPress("ctrl+u")); step(got, keyPress("ctrl+c")).confirmQuit {
		t.Error("ctrl+c with nothing typed asked")
	}
}

// TestStateSwitchRoleWithOneRole: ctrl+r with one role says so, and
// switches nothing; the next key takes the sentence away.
func TestStateSwitchRoleWithOneRole(t *testing.T) {
	f := newFixture(t)
	for _, st := range []state{stateFind, stateSummary, statePermission} {
		m := f.in(st)
		if len(m.sess.api.Roles) != 1 {
			t.Fatalf("the fixture has %d roles", len(m.sess.api.Roles))
		}
		got := step(m, keyPress("ctrl+r"))
		if got.where() != st {
			t.Errorf("%v: ctrl+r → %v", st, got.where())
		}
		if txt := ansi.Strip(got.render()); !strings.Contains(txt, "You have one role") {
			t.Errorf("%v: nothing said:\n%s", st, txt)
		}
		if txt := ansi.Strip(step(got, keyPress("down")).render()); strings.Contains(txt, "You have one role") {
			t.Errorf("%v: the sentence stays after the next key", st)
		}
	}
}

// TestStateSwitchRoleKeepsNumber: a new role chosen after ctrl+r forgets the
// patient, whom another role may not be allowed to see, but not the NHS
// number typed: that is the user's work, to look up again in the new role.
// Until then the record waits behind the roles: Esc goes back to it.
func TestStateSwitchRoleKeepsNumber(t *testing.T) {
	f := newFixture(t)
	for _, st := range []state{stateFind, statePermission, stateSummary} {
		m := f.in(st)
		// As the journey leaves it: the number typed is still in the
		// search behind the permission and summary screens.
		m = m.withSearch(newFindScreen(m.sess.common, "9000000017"))
		second := m.sess.api.Roles[0]
		second.ID += "2"
		m.sess.api.Roles = append(m.sess.api.Roles[:1:1], second)
		want := m.search().nhsValue()
		if want == "" {
			t.Fatalf("%v: no number typed to keep", st)
		}
		got := step(m, keyPress("ctrl+r"))
		if got.where() != stateRole || got.patient() != nil || got.shownSummary().s != nil {
			t.Errorf("%v: ctrl+r → %v, the patient kept: %v", st, got.where(), got.patient() != nil)
		}
		if back := step(got, keyPress("esc")); st == stateSummary && (back.where() != stateSummary || back.shownSummary().s == nil) {
			t.Errorf("summary: Esc on the roles → %v, not the record as it was", back.where())
		}
		if n := got.search().nhsValue(); n != want {
			t.Errorf("%v: after ctrl+r the number is %q, want %q", st, n, want)
		}
		// The new role chosen: the search, the number still in it.
		chosen := step(got, answerMsg{gen: got.sess.gen, session: true, msg: roleChosenMsg{role: second}})
		if chosen.where() != stateFind || chosen.search().nhsValue() != want {
			t.Errorf("%v: after the new role, %v with the number %q, want the search with %q", st, chosen.where(), chosen.search().nhsValue(), want)
		}
	}
}

// TestStatePasscodeAfterReinsert: once the card is back in, the passcode
// screen does not say why the last session ended.
func TestStatePasscodeAfterReinsert(t *testing.T) {
	f := newFixture(t)
	m := step(f.in(stateFind), cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}})
	if txt := ansi.Strip(m.render()); !strings.Contains(txt, "The card was removed.") {
		t.Fatalf("after removal:\n%s", txt)
	}
	next, cmd := m.Update(cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}})
	m = next.(Model)
	opened := requestsOf(t, cmd)
	if len(opened) != 1 {
		t.Fatalf("the card is not read: %v", opened)
	}
	m = step(m, opened[0])
	txt := ansi.Strip(m.render())
	if m.where() != statePasscode || !strings.Contains(txt, "Enter your passcode") {
		t.Fatalf("after re-insert: %v\n%s", m.where(), txt)
	}
	if strings.Contains(txt, "The card was removed") {
		t.Errorf("the passcode screen still says the card was removed:\n%s", txt)
	}
}

// TestStateSupersededConfirmedFirst: PDS answering for another number shows
// the one sentence before anything else; only Enter goes on, to the
// permission question; p, e or d do nothing there.
func TestStateSupersededConfirmedFirst(t *testing.T) {
	f := newFixture(t)
	sup, err := f.session.Lookup(context.Background(), "9000000106")
	if err != nil {
		t.Fatal(err)
	}
	m := f.in(stateFind).withSearch(newFindScreen(f.base.sess.common, "9000000106"))
	m.sess.req = 4
	m = step(m, answerMsg{gen: m.sess.gen, req: 4, msg: lookupMsg{lookup: sup}})
	if m.where() != statePermission || m.perm().step != permSuperseded {
		t.Fatalf("after the lookup: %v step %v", m.where(), m.perm().step)
	}
	want := "You asked for 900 000 0106. PDS says this number was replaced by 900 000 0114 (KOWALSKI, Daniel Piotr). Check this is the patient in front of you."
	if txt := flat(ansi.Strip(m.render())); !strings.Contains(txt, flat(want)) {
		t.Errorf("want %q:\n%s", want, ansi.Strip(m.render()))
	}
	for _, k := range []string{"p", "e", "d", "n", "j"} {
		next, cmd := m.Update(keyPress(k))
		if got := next.(Model); got.perm().step != permSuperseded || got.where() != statePermission || len(requestsOf(t, cmd)) > 0 {
			t.Errorf("%s on the superseded screen: %v step %v", k, got.where(), got.perm().step)
		}
	}
	if got := step(m, keyPress("enter")); got.perm().step != permAsk || !strings.Contains(ansi.Strip(got.render()), "Permission to view is required") {
		t.Errorf("Enter: step %v", got.perm().step)
	}
}

// TestStateFooterWrapsNotCuts: at the smallest window, the quit question, a
// message and the summary's access line wrap whole, the screen above gives
// way, and the key help ends at a whole key, not in "…".
func TestStateFooterWrapsNotCuts(t *testing.T) {
	f := newFixture(t)
	flat := func(m Model) string { return strings.Join(strings.Fields(ansi.Strip(m.render())), " ") }
	for _, st := range allStates {
		for _, size := range [][2]int{{minWidth, minHeight}, {80, 24}} {
			m := step(f.in(st), tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			fits := func(what string, m Model) {
				t.Helper()
				lines := strings.Split(m.render(), "\n")
				if len(lines) != size[1] {
					t.Errorf("%v %v %s: %d lines", st, size, what, len(lines))
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("%v %v %s: line %d is %d wide", st, size, what, i, w)
					}
				}
			}
			last := func(m Model) string {
				lines := strings.Split(ansi.Strip(m.render()), "\n")
				return lines[len(lines)-1]
			}
			if l := last(m); strings.Contains(l, "…") {
				t.Errorf("%v %v: the key help is cut: %q", st, size, l)
			}
			fits("keys", m)

			q := m
			q.confirmQuit = true
			if txt := flat(q); !strings.Contains(txt, quitQuestion+" (y quits; n or Esc goes back)") {
				t.Errorf("%v %v: the quit question is not whole:\n%s", st, size, ansi.Strip(q.render()))
			}
			fits("quit question", q)

			msg := "A message long enough to need two lines at the smallest window scr allows, said whole."
			fl := m
			fl.flash = msg
			if txt := flat(fl); !strings.Contains(txt, msg) {
				t.Errorf("%v %v: the message is not whole:\n%s", st, size, ansi.Strip(fl.render()))
			}
			fits("message", fl)
		}
	}
	// The access line, with a role name too long for one line.
	m := step(f.in(stateSummary), tea.WindowSizeMsg{Width: minWidth, Height: minHeight})
	access := "Viewed as Clinical Practitioner Access Role (Consultant) at RR8 Leeds Teaching Hospitals · access recorded"
	m.scr = newSummaryScreen(m.sess.common, f.lookup.Patient, f.summary, access)
	if txt := flat(m); !strings.Contains(txt, access) || !strings.Contains(txt, "HARGREAVES") {
		t.Errorf("the access line is not whole, or the banner went:\n%s", ansi.Strip(m.render()))
	}
}

// TestStateStopLocks: a stop signal locks every screen that has a session
// (nothing of the record stays in the model's view), wipes a passcode half
// typed, and stops the process through a command, never in Update.
func TestStateStopLocks(t *testing.T) {
	f := newFixture(t)
	for _, st := range allStates {
		m := f.in(st)
		if st == statePasscode || st == stateLocked {
			m = typed(m, "12")
		}
		got, cmd := m.Update(stopMsg{})
		gm := got.(Model)
		if cmd == nil {
			t.Errorf("%v: no command to stop the process", st)
		}
		if m.sess.api != nil && st != stateSigningIn && gm.where() != stateLocked {
			t.Errorf("%v: a stop signal left the screen %v", st, gm.where())
		}
		if who := patientOnScreen(gm); who != "" {
			t.Errorf("%v: %q on screen after a stop signal", st, who)
		}
		if v := gm.digits().view(); strings.Contains(v, "●") {
			t.Errorf("%v: the passcode typed stays: %q", st, v)
		}
		if back := step(gm, resumedMsg{}); back.where() != gm.where() {
			t.Errorf("%v: resuming moved to %v", st, back.where())
		}
	}
}
