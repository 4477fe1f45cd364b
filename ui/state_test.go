package ui

import (
	"context"
	"errors"
	"fmt"
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
		m.find = newFindModel(m.c, "9000000017")
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
	if m.state != statePasscode || m.session != nil || m.find.nhsValue() != "9000000017" || m.card == nil {
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
		if m.(Model).confirmQuit {
			// Something typed: asked once; ctrl+c again quits.
			m, cmd = m.(Model).Update(keyPress("ctrl+c"))
		}
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
	if msg := task(func() tea.Msg { panic("HARGREAVES 9000000017") })(); msg != (panicMsg{}) {
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
	if leak := patientOnScreen(got); leak == "Penicillin" || leak == "Clarithromycin" {
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
	if early.state != statePermission || patientOnScreen(early) == "Penicillin" {
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
	case lookupMsg, searchMsg, summaryMsg, alertSentMsg, auditMsg, signedInMsg, roleChosenMsg, unlockedMsg, cardOpenedMsg:
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
		m.lookup = l
		m.permission = newPermissionModel(m.c, l, role, st)
		return m
	}
	emergency := f.role
	emergency.ActivityCodes = append(slices.Clone(emergency.ActivityCodes), "B0168")
	sc := map[string]Model{}
	sc["card"] = f.in(stateCard)
	sc["passcode"] = f.in(statePasscode)
	sc["signing in"] = f.in(stateSigningIn)
	sc["role, first choice"] = f.in(stateRole)
	sc["role, first choice"] = func(m Model) Model { m.hasRole = false; return m }(sc["role, first choice"])
	sc["role, switching"] = f.in(stateRole)
	sc["find number"] = f.in(stateFind)
	details := f.in(stateFind)
	details.find, _ = details.find.showForm()
	sc["find details"] = details
	results := details
	results.find = results.find.setResults([]client.PatientMatch{{Patient: f.lookup.Patient, Score: 1}}, nil)
	sc["find results"] = results
	sup9 := perm(sup, permAsk, f.role)
	sup9.find = newFindModel(sup9.c, "9000000106")
	sc["superseded"] = sup9
	ask := f.in(statePermission)
	ask.find = newFindModel(ask.c, "9000000017") // as looked up
	sc["permission ask"] = ask
	reason := perm(f.lookup, permAsk, emergency)
	reason.permission.step = permReason
	sc["emergency reason"] = reason
	note := reason
	note.permission.step = permNote
	note.permission.note.Focus()
	sc["emergency note"] = note
	sending := f.in(statePermission)
	sending.permission.step = permSending
	sc["sending"] = sending
	sc["no SCR"] = perm(noSCR, permNoSCR, f.role)
	deadNone := perm(dead, permDeceased, f.role)
	deadNone.find = newFindModel(deadNone.c, "9000000009")
	sc["deceased, cannot view"] = deadNone
	deadReasons := perm(dead, permDeceased, emergency)
	deadReasons.find = newFindModel(deadReasons.c, "9000000009")
	sc["deceased, reasons"] = deadReasons
	deadNote := deadReasons
	deadNote.permission.step = permNote
	deadNote.permission.note.Focus()
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
			if m.find.nhsValue() != n || m.find.mode != findByNumber {
				return fmt.Sprintf("find shows %q in mode %v, want %q", m.find.nhsValue(), m.find.mode, n)
			}
			return ""
		}
	}
	noPatient := func(m Model) string {
		if m.lookup != nil {
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
			if m.find.mode != findByDetails {
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
			if m.state == statePasscode || m.state == stateLocked {
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
			if got.state != w.state || w.state == statePermission && got.permission.step != w.step {
				t.Errorf("Esc → %v (step %v), want %v (step %v)", got.state, got.permission.step, w.state, w.step)
			}
			if got.find.notice != "" {
				t.Errorf("Esc said %q", got.find.notice)
			}
			if (m.state == statePasscode || m.state == stateLocked) && len(got.passcode.digits) != 2 {
				t.Errorf("Esc cleared the passcode: %d digits", len(got.passcode.digits))
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
// quits at once when nothing is typed.
func TestStateQNeverQuitsWithInput(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)
	rows := []struct {
		screen string
		typed  string
		quits  bool
		kept   func(Model) string // what is typed, after q
		want   string
	}{
		{screen: "passcode", typed: "12", kept: func(m Model) string { return m.passcode.view() }, want: "●●······"},
		{screen: "passcode", typed: "", quits: true}, // nothing typed: q quits, as before a card is read
		{screen: "locked", typed: "12", kept: func(m Model) string { return m.passcode.view() }, want: "●●······"},
		{screen: "find number", typed: "\b\b\b\b", kept: func(m Model) string { return m.find.nhsValue() }, want: "900000"},
		{screen: "find details", typed: "Smi", kept: func(m Model) string { return m.find.fields[fieldFamily].Value() }, want: "Smiq"},
		{screen: "emergency note", typed: "Coll", kept: func(m Model) string { return m.permission.note.Value() }, want: "Collq"},
		{screen: "audit", typed: "900", kept: func(m Model) string { return m.audit.number }, want: "900"},
		{screen: "card", quits: true},
		{screen: "role, switching", quits: true},
		{screen: "permission ask", quits: true},
		{screen: "deceased, cannot view", quits: true},
		{screen: "deceased, note", typed: "Coll", kept: func(m Model) string { return m.permission.note.Value() }, want: "Collq"},
		{screen: "summary", quits: true},
		{screen: "help", quits: true},
	}
	for _, r := range rows {
		t.Run(r.screen+" "+r.typed, func(t *testing.T) {
			m := sc[r.screen]
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
			if got.quitting != r.quits || got.confirmQuit {
				t.Fatalf("q: quitting %v, asking %v; want quitting %v", got.quitting, got.confirmQuit, r.quits)
			}
			if r.kept != nil {
				if v := r.kept(got); v != r.want {
					t.Errorf("after q the field holds %q, want %q", v, r.want)
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
		if back.confirmQuit || back.quitting || back.find.fields[fieldFamily].Value() != "Smi" {
			t.Errorf("%s: asking %v, quitting %v, name %q", no, back.confirmQuit, back.quitting, back.find.fields[fieldFamily].Value())
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
		if len(m.session.Roles) != 1 {
			t.Fatalf("the fixture has %d roles", len(m.session.Roles))
		}
		got := step(m, keyPress("ctrl+r"))
		if got.state != st {
			t.Errorf("%v: ctrl+r → %v", st, got.state)
		}
		if txt := ansi.Strip(got.render()); !strings.Contains(txt, "You have one role") {
			t.Errorf("%v: nothing said:\n%s", st, txt)
		}
		if txt := ansi.Strip(step(got, keyPress("down")).render()); strings.Contains(txt, "You have one role") {
			t.Errorf("%v: the sentence stays after the next key", st)
		}
	}
}

// TestStateSwitchRoleKeepsNumber: ctrl+r forgets the patient, whom another
// role may not be allowed to see, but not the NHS number typed: that is the
// user's work, to look up again in the new role.
func TestStateSwitchRoleKeepsNumber(t *testing.T) {
	f := newFixture(t)
	for _, st := range []state{stateFind, statePermission, stateSummary} {
		m := f.in(st)
		// As the journey leaves it: the number typed is still in the
		// search behind the permission and summary screens.
		m.find = newFindModel(m.c, "9000000017")
		second := m.session.Roles[0]
		second.ID += "2"
		m.session.Roles = append(m.session.Roles[:1:1], second)
		want := m.find.nhsValue()
		if want == "" {
			t.Fatalf("%v: no number typed to keep", st)
		}
		got := step(m, keyPress("ctrl+r"))
		if got.state != stateRole || got.lookup != nil || got.summary.s != nil {
			t.Errorf("%v: ctrl+r → %v, the patient kept: %v", st, got.state, got.lookup != nil)
		}
		if n := got.find.nhsValue(); n != want {
			t.Errorf("%v: after ctrl+r the number is %q, want %q", st, n, want)
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
	if m.state != statePasscode || !strings.Contains(txt, "Enter your passcode") {
		t.Fatalf("after re-insert: %v\n%s", m.state, txt)
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
	m := f.in(stateFind)
	m.find = newFindModel(m.c, "9000000106")
	m.req = 4
	m = step(m, lookupMsg{gen: m.gen, req: 4, lookup: sup})
	if m.state != statePermission || m.permission.step != permSuperseded {
		t.Fatalf("after the lookup: %v step %v", m.state, m.permission.step)
	}
	want := "You asked for 900 000 0106. PDS says this number was replaced by 900 000 0114 (KOWALSKI, Daniel Piotr). Check this is the patient in front of you."
	if txt := flat(ansi.Strip(m.render())); !strings.Contains(txt, flat(want)) {
		t.Errorf("want %q:\n%s", want, ansi.Strip(m.render()))
	}
	for _, k := range []string{"p", "e", "d", "n", "j"} {
		next, cmd := m.Update(keyPress(k))
		if got := next.(Model); got.permission.step != permSuperseded || got.state != statePermission || len(requestsOf(t, cmd)) > 0 {
			t.Errorf("%s on the superseded screen: %v step %v", k, got.state, got.permission.step)
		}
	}
	if got := step(m, keyPress("enter")); got.permission.step != permAsk || !strings.Contains(ansi.Strip(got.render()), "Permission to view is required") {
		t.Errorf("Enter: step %v", got.permission.step)
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
	m.summary = newSummaryModel(m.c, f.lookup.Patient, f.summary, access)
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
		if m.session != nil && st != stateSigningIn && gm.state != stateLocked {
			t.Errorf("%v: a stop signal left the screen %v", st, gm.state)
		}
		if who := patientOnScreen(gm); who != "" {
			t.Errorf("%v: %q on screen after a stop signal", st, who)
		}
		if v := gm.passcode.view(); strings.Contains(v, "●") {
			t.Errorf("%v: the passcode typed stays: %q", st, v)
		}
		if back := step(gm, resumedMsg{}); back.state != gm.state {
			t.Errorf("%v: resuming moved to %v", st, back.state)
		}
	}
}
