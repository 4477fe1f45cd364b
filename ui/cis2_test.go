package ui

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// auth = "cis2" in the viewer: the card first, then CIS2 in the browser,
// against the sandbox's CIS2 stand-in as the sandbox's registered
// application. The browser is the test's: the viewer's Open records each
// page it was asked to open, and the test signs in there (cis2.Browser) with
// the card of whichever user it chooses, when it chooses.

// cis2Env is a sandbox with its CIS2 stand-in, and the browser of one test.
type cis2Env struct {
	srv       *sandbox.Server
	cl        *client.Client
	cfg       client.CIS2Config
	hc        *http.Client
	pages     chan string // each page the viewer opened
	noBrowser atomic.Bool // Open fails: no browser can be opened
}

func newCIS2Env(t testing.TB) *cis2Env {
	t.Helper()
	srv, cl := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.ParseSigningKey(creds.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &cis2Env{
		srv: srv, cl: cl, hc: hc, pages: make(chan string, 8),
		cfg: client.CIS2Config{
			Issuer: srv.CIS2Issuer(), ClientID: creds.ClientID, APIKey: creds.APIKey, Key: key, KID: creds.KID,
			SignInTimeout: time.Minute,
		},
	}
}

// options are the viewer's, with auth = "cis2" and the test's browser.
func (e *cis2Env) options(cards Cards) Options {
	return Options{Client: e.cl, Cards: cards, CIS2: &CIS2{Discover: DiscoverOnce(e.cl, e.cfg), Open: e.open}}
}

func (e *cis2Env) open(url string) error {
	select {
	case e.pages <- url:
	default:
	}
	if e.noBrowser.Load() {
		return errors.New("no browser")
	}
	return nil
}

// page is the next page the viewer opened.
func (e *cis2Env) page(t testing.TB) string {
	t.Helper()
	select {
	case u := <-e.pages:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("the viewer opened no sign-in page")
	}
	return ""
}

// signer is user's card, unlocked with its passcode for one signature.
func cardSigner(t testing.TB, user string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	vc, err := virtual.New(identity(t, user), virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCard(testReader, vc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Signer([]byte(userPIN[user])), c.Certificate()
}

// browser plays the browser at CIS2's page with the card of user.
func (e *cis2Env) browser(t testing.TB, user string) *cis2.Browser {
	t.Helper()
	signer, cert := cardSigner(t, user)
	return &cis2.Browser{
		HTTP: e.hc,
		Sign: func(_ context.Context, challenge, aud string) (string, error) {
			return client.Assertion{Cert: cert, UserUUID: user, Audience: aud, JTI: challenge, Now: time.Now()}.Sign(signer)
		},
	}
}

// signInAt signs in at the page url as user, as a person would in the
// browser; it fails the test if the browser's part fails.
func (e *cis2Env) signInAt(t testing.TB, url, user string) {
	t.Helper()
	if err := e.browser(t, user).Open(context.Background(), url); err != nil {
		t.Fatalf("the browser: %v", err)
	}
}

// session is a whole sign-in at CIS2 by user, outside the viewer.
func (e *cis2Env) session(t testing.TB, user string) *client.Session {
	t.Helper()
	p, err := e.cl.DiscoverCIS2(context.Background(), e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t, user)
	s, err := p.SignIn(context.Background(), user, func(url string) error { return b.Open(context.Background(), url) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCIS2Journey: the card goes in and the browser opens at CIS2's page at
// once; the pharmacist signs in there; her one viewing role is chosen, the
// record is read, the lock takes the card's passcode; the card comes out and
// everything goes.
func TestCIS2Journey(t *testing.T) {
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, e.options(cards), 80, 24)

	s.waitFor("Sign in with NHS CIS2", "Card of Priya SHARMA", "Your browser has been opened", "Keep your card in the reader", "o open the browser again")
	if txt := s.text(); strings.Contains(txt, "passcode  ") || strings.Contains(txt, "Enter your passcode") {
		t.Errorf("auth cis2 asks for the passcode in scr:\n%s", txt)
	}
	e.signInAt(t, e.page(t), userPharmacist)
	s.waitFor("Find a patient", "Priya SHARMA", "FA123")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("p")
	s.waitFor("Penicillin allergy", "access recorded")

	// The lock: the card's passcode, checked by the card.
	s.press("ctrl+l")
	s.waitFor("scr is locked", "Enter your passcode to resume")
	s.typeText("000000")
	s.press("enter")
	s.waitFor("Wrong passcode")
	s.typeText(userPIN[userPharmacist])
	s.press("enter")
	s.waitFor("Penicillin allergy")

	cards.remove()
	txt := s.waitGone(time.Second, "HARGREAVES", "Penicillin", "900 000 0017")
	if !strings.Contains(txt, "The card was removed") {
		t.Errorf("after removal:\n%s", txt)
	}
	m := s.quit()
	if m.sess.api != nil || m.sess.card != nil {
		t.Error("the session or the card outlived the card's removal")
	}
}

// TestCIS2NoBrowser: with no browser to open, the screen gives the address
// whole, to open by hand; o tries the browser again; signing in there goes
// on as usual.
func TestCIS2NoBrowser(t *testing.T) {
	e := newCIS2Env(t)
	e.noBrowser.Store(true)
	cards := newTestCards(t, userLocum)
	s := newScreen(t, e.options(cards), 80, 24)

	txt := s.waitFor("No browser could be opened here", "sign in there with your smartcard", "o open the browser again")
	url := e.page(t)
	if flat := strings.ReplaceAll(txt, "\n", ""); !strings.Contains(flat, url[:60]) {
		t.Errorf("the address %s… is not on the screen:\n%s", url[:60], txt)
	}
	s.typeText("o")
	if again := e.page(t); again != url {
		t.Errorf("o opened %q; want the same page %q", again, url)
	}
	e.signInAt(t, url, userLocum)
	// The locum has two roles: she chooses.
	s.waitFor("Choose your role", "FK456")
}

// TestCIS2EscThenAgain: Esc cancels the sign-in (its page answers no more)
// and Enter starts another, at a new page.
func TestCIS2EscThenAgain(t *testing.T) {
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, e.options(cards), 80, 24)

	s.waitFor("Your browser has been opened")
	old := e.page(t)
	s.press("esc")
	s.waitFor("You cancelled the sign-in", "Press Enter to sign in with NHS CIS2", "enter sign in")
	if err := e.browser(t, userPharmacist).Open(context.Background(), old); err == nil {
		t.Error("the cancelled sign-in's page still led back to scr")
	}
	s.press("enter")
	s.waitFor("Your browser has been opened")
	next := e.page(t)
	if next == old {
		t.Error("the new sign-in reused the cancelled one's page")
	}
	e.signInAt(t, next, userPharmacist)
	s.waitFor("Find a patient")
}

// TestCIS2WrongUser: someone else signs in at CIS2 with the pharmacist's
// card in the reader: one sentence, signed out, and the card is let go.
func TestCIS2WrongUser(t *testing.T) {
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, e.options(cards), 80, 24)

	s.waitFor("Your browser has been opened")
	e.signInAt(t, e.page(t), userAEDoctor)
	txt := s.waitFor("is not the holder of the card in the reader", "Sign in with your own card")
	if strings.Contains(txt, "Find a patient") || strings.Contains(txt, "OKAFOR") {
		t.Errorf("the other user's session was used:\n%s", txt)
	}
	// The right card, put in, signs in afresh.
	cards.remove()
	cards.insert(t, userAEDoctor)
	s.waitFor("Card of James OKAFOR", "Your browser has been opened")
	e.signInAt(t, e.page(t), userAEDoctor)
	s.waitFor("Find a patient", "R9A")
}

// TestCIS2CardPulledWhileWaiting: the card comes out while the browser is
// open: the sign-in ends (its page answers no more); the next card's holder
// signs in at a page of their own.
func TestCIS2CardPulledWhileWaiting(t *testing.T) {
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, e.options(cards), 80, 24)

	s.waitFor("Card of Priya SHARMA", "Your browser has been opened")
	old := e.page(t)
	cards.remove()
	s.waitFor("The card was removed")
	if err := e.browser(t, userPharmacist).Open(context.Background(), old); err == nil {
		t.Error("the pulled card's sign-in still listened for the browser")
	}
	cards.insert(t, userAEDoctor)
	s.waitFor("Card of James OKAFOR", "Your browser has been opened")
	e.signInAt(t, e.page(t), userAEDoctor)
	s.waitFor("Find a patient", "James OKAFOR")
}

// TestCIS2Demo is scr --demo --auth cis2's path: the passcode first, then
// the stand-in for the browser signs in at the sandbox's page with the card;
// a wrong passcode is the card's, said as for auth = "card".
func TestCIS2Demo(t *testing.T) {
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	opts := e.options(cards)
	opts.CIS2.Open = func(string) error { return errors.New("the demo opens no browser") }
	opts.CIS2.Browser = func(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) func(string) error {
		b := &cis2.Browser{HTTP: e.hc, Sign: func(_ context.Context, challenge, aud string) (string, error) {
			return client.Assertion{Cert: cert, UserUUID: uuid, Audience: aud, JTI: challenge, Now: time.Now()}.Sign(signer)
		}}
		return func(url string) error { return b.Open(ctx, url) }
	}
	s := newScreen(t, opts, 80, 24)

	s.waitFor("Card of Priya SHARMA", "Enter your passcode")
	s.typeText("999999")
	s.press("enter")
	s.waitFor("Wrong passcode. 2 tries left")
	s.typeText(userPIN[userPharmacist])
	s.press("enter")
	s.waitFor("Find a patient", "FA123")
}

// cis2Fixture is a viewer with auth = "cis2" and the pharmacist's card
// opened, from which each state is made.
type cis2Fixture struct {
	e    *cis2Env
	base Model
	card Card
}

func newCIS2Fixture(t testing.TB) cis2Fixture {
	t.Helper()
	e := newCIS2Env(t)
	cards := newTestCards(t, userPharmacist)
	card, err := cards.Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	opts := e.options(cards)
	opts.Now = func() time.Time { return fixedNow }
	m := New(opts)
	m.sess.watching = true
	m.sess.readers = map[string]bool{testReader: true}
	m.sess.card, m.sess.pin = card, smartcard.PINStatus{TriesLeft: 3}
	return cis2Fixture{e: e, base: m, card: card}
}

// waiting is the fixture waiting for the browser, the sign-in's context
// returned to see it cancelled.
func (f cis2Fixture) waiting(url string) (Model, context.Context) {
	m := f.base
	ctx, stop := context.WithCancel(context.Background())
	m.scr = cis2Screen{attempt: cis2Attempts.Add(1), waiting: true, stop: stop, url: url}
	m.sess.busy = "Waiting for you to sign in in the browser…"
	return m, ctx
}

// done is the answer to m's sign-in, as the command would bring it.
func done(m Model, sess *client.Session, err error) answerMsg {
	w := m.scr.(cis2Screen)
	return answerMsg{gen: m.sess.gen, session: true, msg: cis2DoneMsg{attempt: w.attempt, signedInMsg: signedInMsg{session: sess, err: err}}}
}

// signedOutSoon waits for a session let go of to be signed out.
func signedOutSoon(t *testing.T, sess *client.Session) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := sess.ChooseRole(context.Background(), sess.Roles[0].ID)
		if signedOut(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a session that was let go of still works: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCIS2StateEscCancels(t *testing.T) {
	f := newCIS2Fixture(t)
	m, ctx := f.waiting("https://cis2.example/authorize")
	m = step(m, keyPress("esc"))
	w, ok := m.scr.(cis2Screen)
	if !ok || w.waiting || ctx.Err() == nil || m.sess.card == nil {
		t.Fatalf("after Esc: screen %T waiting %v, sign-in cancelled %v, card kept %v", m.scr, w.waiting, ctx.Err() != nil, m.sess.card != nil)
	}
	if !strings.Contains(ansi.Strip(m.render()), "You cancelled the sign-in") {
		t.Errorf("after Esc:\n%s", ansi.Strip(m.render()))
	}
	// The cancelled sign-in's answer, were it to come, is dropped and let go.
	sess := f.e.session(t, userPharmacist)
	next := step(m, answerMsg{gen: m.sess.gen, session: true, msg: cis2DoneMsg{attempt: w.attempt, signedInMsg: signedInMsg{session: sess}}})
	if next.sess.api != nil || next.where() == stateFind {
		t.Error("the cancelled sign-in's session was taken")
	}
	signedOutSoon(t, sess)
}

func TestCIS2StateCardPulledWhileWaiting(t *testing.T) {
	f := newCIS2Fixture(t)
	for _, kind := range []smartcard.EventKind{smartcard.CardRemoved, smartcard.CardInserted, smartcard.ReaderRemoved} {
		t.Run(kind.String(), func(t *testing.T) {
			m, ctx := f.waiting("https://cis2.example/authorize")
			answer := done(m, nil, nil)
			gen := m.sess.gen
			m = step(m, cardEventMsg{ev: smartcard.Event{Kind: kind, Reader: testReader}})
			if m.where() != stateCard || m.sess.card != nil || m.sess.gen == gen || ctx.Err() == nil {
				t.Fatalf("after %v: %v, card %v, gen %d→%d, sign-in cancelled %v", kind, m.where(), m.sess.card != nil, gen, m.sess.gen, ctx.Err() != nil)
			}
			// The answer for the card that went, after another went in,
			// is dropped and its session let go.
			sess := f.e.session(t, userPharmacist)
			a := answer
			a.msg = cis2DoneMsg{attempt: answer.msg.(cis2DoneMsg).attempt, signedInMsg: signedInMsg{session: sess}}
			m.sess.card = f.card
			m.scr = cis2Screen{attempt: answer.msg.(cis2DoneMsg).attempt, waiting: true}
			next := step(m, a)
			if next.sess.api != nil {
				t.Error("a sign-in of the card that went was taken for the next")
			}
			signedOutSoon(t, sess)
		})
	}
}

func TestCIS2StateWrongUser(t *testing.T) {
	f := newCIS2Fixture(t)
	m, ctx := f.waiting("https://cis2.example/authorize")
	gen := m.sess.gen
	err := &client.WrongUserError{CardUUID: userPharmacist, TokenUUID: userAEDoctor}
	m = step(m, done(m, nil, err))
	if m.where() != stateCard || m.sess.card != nil || m.sess.api != nil || m.sess.gen == gen || ctx.Err() == nil {
		t.Fatalf("after a wrong user: %v, card %v, session %v, gen %d→%d", m.where(), m.sess.card != nil, m.sess.api != nil, gen, m.sess.gen)
	}
	if m.sess.notice != explain.Error(err) {
		t.Errorf("notice %q; want %q", m.sess.notice, explain.Error(err))
	}
	// A session of another user than the card's, however it came, is
	// refused the same way.
	m, _ = f.waiting("")
	other := f.e.session(t, userAEDoctor)
	m = step(m, done(m, other, nil))
	if m.where() != stateCard || m.sess.api != nil || !strings.Contains(m.sess.notice, "not the holder of the card") {
		t.Errorf("another user's session: %v, session %v, notice %q", m.where(), m.sess.api != nil, m.sess.notice)
	}
	signedOutSoon(t, other)
}

func TestCIS2StateFailureThenEnter(t *testing.T) {
	f := newCIS2Fixture(t)
	m, _ := f.waiting("")
	m = step(m, done(m, nil, &client.AuthorizationError{Code: "access_denied"}))
	w, ok := m.scr.(cis2Screen)
	if !ok || w.waiting || !strings.Contains(w.err, "access_denied") || m.sess.card == nil {
		t.Fatalf("after a refusal: %T %+v", m.scr, w)
	}
	next, cmd := m.Update(keyPress("enter"))
	m = next.(Model)
	if w, ok := m.scr.(cis2Screen); !ok || !w.waiting || cmd == nil {
		t.Fatalf("Enter did not sign in again: %T %+v", m.scr, w)
	}
	m.scr.(cis2Screen).cancel()
}

func TestCIS2StateSuccess(t *testing.T) {
	f := newCIS2Fixture(t)
	// One viewing role: chosen at once, as for the card.
	m, ctx := f.waiting("")
	sess := f.e.session(t, userPharmacist)
	next, cmd := m.Update(done(m, sess, nil))
	m = next.(Model)
	if m.sess.api != sess || m.where() != stateSigningIn || cmd == nil || ctx.Err() == nil {
		t.Fatalf("after success: %v, session %v, command %v", m.where(), m.sess.api == sess, cmd != nil)
	}
	if m.sessionOpen() {
		t.Error("the session's keys work while its role is chosen")
	}

	// Two roles: the user picks.
	g := newCIS2Fixture(t)
	cards := newTestCards(t, userLocum)
	card, err := cards.Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = g.waiting("")
	m.sess.card = card
	locum := g.e.session(t, userLocum)
	m = step(m, done(m, locum, nil))
	if m.where() != stateRole || m.sess.api != locum {
		t.Fatalf("two roles: %v", m.where())
	}
}

func TestCIS2StateStaleAnswers(t *testing.T) {
	f := newCIS2Fixture(t)
	m, _ := f.waiting("https://cis2.example/authorize")
	w := m.scr.(cis2Screen)
	// A page of another sign-in changes nothing.
	next := step(m, answerMsg{gen: m.sess.gen, session: true, msg: cis2PageMsg{attempt: w.attempt + 1000, url: "https://evil.example/", err: errors.New("x")}})
	if got := next.scr.(cis2Screen); got.url != w.url || got.noOpen {
		t.Errorf("another sign-in's page was shown: %+v", got)
	}
	// An answer of an earlier sign-in (Esc, then Enter) is let go.
	sess := f.e.session(t, userPharmacist)
	next = step(m, answerMsg{gen: m.sess.gen, session: true, msg: cis2DoneMsg{attempt: w.attempt - 1, signedInMsg: signedInMsg{session: sess}}})
	if next.sess.api != nil {
		t.Error("an earlier sign-in's session was taken")
	}
	signedOutSoon(t, sess)
	// An answer after the screen moved on (the card went, and came back)
	// is dropped by its generation.
	m2 := step(m, cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}})
	if m2.where() != stateCard {
		t.Fatalf("a card put in over the one waiting: %v", m2.where())
	}
	sess2 := f.e.session(t, userPharmacist)
	m2 = step(m2, answerMsg{gen: m.sess.gen, session: true, msg: cis2DoneMsg{attempt: w.attempt, signedInMsg: signedInMsg{session: sess2}}})
	if m2.sess.api != nil || m2.where() != stateCard {
		t.Error("a card swap's stale sign-in was taken")
	}
	signedOutSoon(t, sess2)
}

func TestCIS2StateSessionEnded(t *testing.T) {
	f := newCIS2Fixture(t)
	m := f.base
	s := &m.sess
	sess := f.e.session(t, userPharmacist)
	role, err := sess.ChooseRole(context.Background(), sess.Roles[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	s.api, s.role, s.hasRole, s.lastRole = sess, role, true, role.ID
	m.scr = newFindScreen(s.common, "9000000017")
	m = step(m, answerMsg{gen: s.gen, req: s.req, msg: lookupMsg{err: &client.SignedOutError{ServerReply: client.ServerReply{Code: "id_token_expired"}}}})
	w, ok := m.scr.(cis2Screen)
	if !ok || w.waiting || m.sess.api != nil || m.sess.notice != cis2SessionEnded || m.resume == nil || m.resume.nhsValue() != "9000000017" {
		t.Fatalf("after the session ended: %T waiting %v, session %v, notice %q, resume %v", m.scr, w.waiting, m.sess.api != nil, m.sess.notice, m.resume != nil)
	}
	txt := ansi.Strip(m.render())
	for _, want := range []string{"Your session has ended", "Press Enter to sign in with NHS CIS2", "Card of Priya SHARMA"} {
		if !strings.Contains(txt, want) {
			t.Errorf("%q not shown:\n%s", want, txt)
		}
	}
}

func TestCIS2StateSignOutWaitsForEnter(t *testing.T) {
	f := newCIS2Fixture(t)
	m := f.base
	s := &m.sess
	sess := f.e.session(t, userPharmacist)
	s.api = sess
	m.scr = newFindScreen(s.common, "")
	next, cmd := m.Update(keyPress("ctrl+o"))
	m = next.(Model)
	if m.where() != stateCard || cmd == nil || !strings.Contains(m.sess.notice, "press Enter to sign in again with NHS CIS2") {
		t.Fatalf("after ctrl+o: %v, notice %q", m.where(), m.sess.notice)
	}
	// The card, opened again, waits for Enter: no browser opens on its own.
	card, err := newTestCards(t, userPharmacist).Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	m = step(m, answerMsg{gen: m.sess.gen, session: true, msg: cardOpenedMsg{reader: testReader, card: card, pin: smartcard.PINStatus{TriesLeft: 3}}})
	if w, ok := m.scr.(cis2Screen); !ok || w.waiting {
		t.Fatalf("after sign-out the card opened to %T %+v", m.scr, w)
	}
	select {
	case u := <-f.e.pages:
		t.Errorf("a browser was opened at %s after signing out", u)
	default:
	}
	signedOutSoon(t, sess)
}

func TestCIS2StateBlockedCard(t *testing.T) {
	f := newCIS2Fixture(t)
	m := f.base
	m.sess.card, m.sess.opening = nil, testReader
	m = step(m, answerMsg{gen: m.sess.gen, session: true, msg: cardOpenedMsg{reader: testReader, card: f.card, pin: smartcard.PINStatus{TriesLeft: 0}}})
	w, ok := m.scr.(cis2Screen)
	if !ok || w.waiting || w.err != explain.Error(smartcard.ErrPINBlocked) {
		t.Fatalf("a blocked card: %T %+v", m.scr, w)
	}
	// Enter does nothing: CIS2 would refuse the card.
	m = step(m, keyPress("enter"))
	if w, _ := m.scr.(cis2Screen); w.waiting {
		t.Error("a sign-in started with a blocked card")
	}
	select {
	case u := <-f.e.pages:
		t.Errorf("a browser was opened at %s for a blocked card", u)
	default:
	}
}

// TestCIS2Golden keeps the sign-in screens as the user reads them, at 80×24
// and 120×40 (go test ./ui -run CIS2Golden -update rewrites them).
func TestCIS2Golden(t *testing.T) {
	const page = "https://int.cis2.example.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare/authorize?client_id=scr-int&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&nonce=n-0S6_WzA2Mj&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fscr%2Fcallback&response_type=code&scope=openid+nationalrbacaccess&state=af0ifjsldkj"
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			f := newCIS2Fixture(t)
			shot := func(name string, m Model) {
				t.Helper()
				m = step(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				lines := strings.Split(ansi.Strip(m.render()), "\n")
				for i, l := range lines {
					lines[i] = strings.TrimRight(l, " ")
				}
				t.Run(name, func(t *testing.T) { golden.RequireEqual(t, strings.Join(lines, "\n")+"\n") })
			}
			m, _ := f.waiting("")
			m.sess.busy = "Opening the NHS CIS2 sign-in page…"
			shot("01-opening", m)
			m, _ = f.waiting(page)
			shot("02-browser-opened", m)
			m, _ = f.waiting(page)
			w := m.scr.(cis2Screen)
			w.noOpen = true
			m.scr = w
			shot("03-no-browser", m)
			m, _ = f.waiting(page)
			m = step(m, keyPress("esc"))
			shot("04-cancelled", m)
			m, _ = f.waiting(page)
			m = step(m, done(m, nil, &client.AuthorizationError{Code: "access_denied"}))
			shot("05-refused", m)
			m, _ = f.waiting(page)
			m = step(m, done(m, nil, &client.WrongUserError{CardUUID: userPharmacist, TokenUUID: userAEDoctor}))
			shot("06-wrong-user", m)
			m = f.base
			m.scr, m.sess.notice = cis2Screen{}, cis2SessionEnded
			shot("07-session-ended", m)
			m, _ = f.waiting(page)
			m = step(m, keyPress("?"))
			shot("08-help", m)
		})
	}
}

// TestCIS2DemoPasscodeSaysCIS2: the demo under auth cis2 asks for the
// passcode first, as its stand-in for CIS2's page signs with the card; the
// screen says the sign-in goes through CIS2. Without CIS2 it says nothing of
// it.
func TestCIS2DemoPasscodeSaysCIS2(t *testing.T) {
	f := newCIS2Fixture(t)
	m := f.base
	m.sess.opts.CIS2.Browser = func(context.Context, crypto.Signer, *x509.Certificate, string) func(string) error {
		return func(string) error { return nil }
	}
	m.scr = passcodeScreen{}
	if got := ansi.Strip(m.render()); !strings.Contains(got, "You sign in through NHS CIS2") {
		t.Errorf("the demo's passcode screen under CIS2 does not say so:\n%s", got)
	}
	m.sess.opts.CIS2 = nil
	if got := ansi.Strip(m.render()); strings.Contains(got, "CIS2") {
		t.Errorf("the passcode screen speaks of CIS2 with auth card:\n%s", got)
	}
}

// TestCIS2Plain: the plain mode says the CIS2 screen in lines to type: the
// address whole, on a line of its own, with nothing after it that a copy
// would take as part of it; back and o, not Esc; a prompt that reads.
func TestCIS2Plain(t *testing.T) {
	const page = "https://cis2.example/authorize?client_id=x&state=y"
	f := newCIS2Fixture(t)
	m, _ := f.waiting(page)
	m.scr = cis2Screen{attempt: m.scr.(cis2Screen).attempt, waiting: true, url: page, noOpen: true}
	ps := plainScreenOf(&m)
	if !slices.Contains(ps.lines, page) {
		t.Errorf("the address is not a line of its own, whole:\n%s", strings.Join(ps.lines, "\n"))
	}
	said := strings.Join(append(ps.lines, ps.prompt), "\n")
	for _, bad := range []string{"Esc", page + "."} {
		if strings.Contains(said, bad) {
			t.Errorf("said %q:\n%s", bad, said)
		}
	}
	if ps.prompt != "Type o to try the browser again, or back to cancel:" {
		t.Errorf("prompt %q", ps.prompt)
	}
	m = f.base
	m.scr = cis2Screen{}
	if ps := plainScreenOf(&m); ps.prompt != "Press Enter to sign in with NHS CIS2 in your browser:" {
		t.Errorf("prompt before the sign-in %q", ps.prompt)
	}
}
