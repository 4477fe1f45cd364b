package ui

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

// The NHS's own sign-in (auth = "cis2", issue 16): the card still comes
// first, and still ends the session when it leaves, but the user signs in at
// CIS2 in the system browser (NHS Credential Management uses the same card
// there, in shared mode, while scr holds no transaction), and the session
// that comes back is the card sign-in's: the same roles, record calls and
// sign-out. The client refuses a sign-in whose ID token is not the card's
// user's (*client.WrongUserError): one sentence, and signed out.
//
// The idle lock is the card flow's: the card's passcode, checked by the card
// itself (the same passcode the user types at CIS2's page), takes it off;
// CIS2 is not asked again, and its tokens are kept under the lock. A session
// that ends (the server refuses the token, the ID token has expired) asks to
// sign in at CIS2 again, keeping the NHS number typed.

// CIS2 is what the viewer needs for auth = "cis2"; cmd/scr builds it from
// the settings. The viewer parses no settings itself.
type CIS2 struct {
	// Discover returns CIS2 as its discovery document and JWKS describe
	// it (client.Client.DiscoverCIS2; DiscoverOnce keeps what it found).
	// It is called from a command at each sign-in.
	Discover func(ctx context.Context) (*client.CIS2, error)
	// Open shows the sign-in page at url in the system browser. An error
	// means no browser could be opened: the screen then gives the address
	// for the user to open, and the sign-in goes on waiting.
	Open func(url string) error
	// Browser, when set (scr --demo), stands in for the browser: the
	// open function it returns signs in at the sandbox's CIS2 page with
	// the card's key, unlocked once by the passcode, which the viewer
	// then asks for first, as for auth = "card" (demo.Env.CIS2Browser).
	Browser func(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) func(url string) error
}

// asksPasscode is whether the viewer asks for the card's passcode before
// signing in: auth = "card", and the demo's stand-in for CIS2's page.
func (o *CIS2) asksPasscode() bool { return o == nil || o.Browser != nil }

// DiscoverOnce returns a Discover for CIS2 that reads CIS2's discovery
// document and JWKS once it first succeeds, and keeps them: until then each
// sign-in tries again.
func DiscoverOnce(c *client.Client, cfg client.CIS2Config) func(ctx context.Context) (*client.CIS2, error) {
	var (
		mu    sync.Mutex
		found *client.CIS2
	)
	return func(ctx context.Context) (*client.CIS2, error) {
		mu.Lock()
		defer mu.Unlock()
		if found != nil {
			return found, nil
		}
		p, err := c.DiscoverCIS2(ctx, cfg)
		if err == nil {
			found = p
		}
		return p, err
	}
}

// cis2Attempts numbers the sign-ins, so that the answer to one that was
// cancelled, or given up for a newer one, is dropped.
var cis2Attempts atomic.Uint64

type (
	// cis2PageMsg: the sign-in page of attempt was opened in the browser
	// (err nil), or could not be (err), so the screen gives its address.
	cis2PageMsg struct {
		attempt uint64
		url     string
		err     error
	}
	// cis2DoneMsg answers a sign-in at CIS2: the session, or why not.
	cis2DoneMsg struct {
		attempt uint64
		signedInMsg
	}
)

// cis2Screen is "Sign in with NHS CIS2": while waiting, that the browser has
// been opened at CIS2's page (or the address to open, when no browser could
// be), that the card must stay in, and the spinner; Esc cancels, o opens the
// page again. Not waiting (after Esc, a failed sign-in, or the session's
// end), the card's holder and why, and Enter signs in again.
type cis2Screen struct {
	attempt uint64
	waiting bool
	stop    context.CancelFunc // ends the sign-in waited for
	url     string             // the page, once the sign-in has made it
	noOpen  bool               // no browser could be opened: the address is shown
	err     string             // why the last sign-in did not go through
	notice  string             // what happened last, not an error
}

// cancel ends the sign-in waited for, if any: its listener closes and its
// answer, when it comes, is dropped.
func (w cis2Screen) cancel() {
	if w.stop != nil {
		w.stop()
	}
}

// startCIS2 signs the card's holder in at CIS2. pin is nil but for the
// demo, whose stand-in for the browser signs with the card: the passcode is
// then owned here, and wiped.
func startCIS2(s *session, pin []byte) (cis2Screen, tea.Cmd) {
	o, card := s.opts.CIS2, s.card
	ctx, stop := context.WithCancel(s.run)
	w := cis2Screen{attempt: cis2Attempts.Add(1), waiting: true, stop: stop}
	attempt := w.attempt
	s.busy = "Opening the NHS CIS2 sign-in page…"
	if o.Browser != nil {
		s.busy = "Signing in at the sandbox's CIS2 page with the card…"
	}
	pages := make(chan cis2PageMsg, 1)
	signIn := s.startSession(func() tea.Msg {
		defer close(pages)
		defer stop()
		uuid := card.Holder().UUID
		open := func(url string) error {
			err := o.Open(url)
			select {
			case pages <- cis2PageMsg{attempt: attempt, url: url, err: err}:
			default:
			}
			// The address is shown when no browser opened: the sign-in
			// goes on waiting for the user to open it.
			return nil
		}
		if pin != nil {
			signer := card.Signer(pin)
			defer forgetSigner(signer)
			open = o.Browser(ctx, signer, card.Certificate(), uuid)
		}
		msg := cis2DoneMsg{attempt: attempt}
		p, err := o.Discover(ctx)
		if err == nil {
			msg.session, err = p.SignIn(ctx, uuid, open)
		}
		msg.err = err
		if err != nil && pin != nil {
			if st, perr := card.PINStatus(); perr == nil {
				msg.pin = &st
			}
		}
		return msg
	})
	page := s.startSession(func() tea.Msg {
		if p, ok := <-pages; ok {
			return p
		}
		return nil
	})
	return w, tea.Batch(s.spin.Tick, signIn, page)
}

// cis2Begin is the card just opened, with auth = "cis2": the sign-in starts
// at once, unless the card's passcode is blocked (CIS2 would refuse it), or
// a notice is to be read first (the user signed out, keeping the card in):
// Enter starts it then.
func (m Model) cis2Begin() (Model, tea.Cmd) {
	if m.sess.pin.Blocked() {
		m.scr = cis2Screen{err: explain.Error(smartcard.ErrPINBlocked)}
		return m, nil
	}
	if m.sess.notice != "" {
		m.scr = cis2Screen{}
		return m, nil
	}
	var cmd tea.Cmd
	m.scr, cmd = startCIS2(&m.sess, nil)
	return m, cmd
}

// cis2SessionEnded is why the session ended, with auth = "cis2", until the
// next begins (Model.sessionEnded).
const cis2SessionEnded = "Your session has ended: sign in again with NHS CIS2. The NHS number you typed is kept."

// cis2Done takes a sign-in's answer: the session, as the card sign-in's
// (roles next); a wrong user, signed out with one sentence; or why not,
// with Enter to try again (in the demo, the passcode asked again). An
// answer to a sign-in no longer waited for is let go.
func (m Model) cis2Done(msg cis2DoneMsg) (Model, tea.Cmd) {
	w, ok := m.scr.(cis2Screen)
	if !ok || !w.waiting || w.attempt != msg.attempt {
		msg.release()
		return m, nil
	}
	w.cancel()
	s := &m.sess
	s.busy = ""
	if msg.err == nil && s.card != nil {
		// The client checked the ID token against the card it was given;
		// the card in now must be the same user's.
		if err := msg.session.SameUser(s.card.Holder().UUID); err != nil {
			msg.release()
			msg.session, msg.err = nil, err
		}
	}
	var wrong *client.WrongUserError
	switch {
	case errors.As(msg.err, &wrong):
		return m.wipe(explain.Error(msg.err)), nil
	case msg.err != nil && s.opts.CIS2.asksPasscode():
		if msg.pin != nil {
			s.pin = *msg.pin
		}
		m.scr = passcodeScreen{err: explain.Error(msg.err)}
		return m, nil
	case msg.err != nil:
		m.scr = cis2Screen{attempt: w.attempt, err: explain.Error(msg.err)}
		return m, nil
	}
	s.api, s.notice = msg.session, ""
	m.scr = signingInScreen{}
	return m.afterSignIn()
}

func (w cis2Screen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case cis2PageMsg:
		if w.waiting && msg.attempt == w.attempt {
			w.url, w.noOpen = msg.url, msg.err != nil
			s.busy = "Waiting for you to sign in in the browser…"
		}
		return w, nil
	case tea.KeyPressMsg:
		k := s.keys
		switch {
		case w.waiting && key.Matches(msg, k.Back):
			w.cancel()
			s.busy = ""
			if s.opts.CIS2.asksPasscode() {
				return passcodeScreen{}, nil
			}
			return cis2Screen{attempt: w.attempt, notice: "You cancelled the sign-in."}, nil
		case w.waiting && w.url != "" && s.opts.CIS2.Browser == nil && key.Matches(msg, k.OpenBrowser):
			open, url, attempt := s.opts.CIS2.Open, w.url, w.attempt
			return w, s.startSession(func() tea.Msg {
				return cis2PageMsg{attempt: attempt, url: url, err: open(url)}
			})
		case !w.waiting && !s.pin.Blocked() && s.card != nil && key.Matches(msg, k.Submit):
			return startCIS2(s, nil)
		}
	}
	return w, nil
}

// says is the card's holder, what the sign-in is waiting for (the browser
// opened at CIS2's page, or its address to open), that the card must stay
// in; or, not waiting, why and that Enter signs in again.
// keepCardIn is why the card stays in while CIS2's page is open.
const keepCardIn = "Keep your card in the reader: taking it out ends the sign-in."

func (w cis2Screen) says(s *session) content {
	c := content{title: "Sign in with NHS CIS2", err: w.err, notice: w.notice}
	if c.notice == "" {
		c.notice = s.notice
	}
	if s.card != nil {
		c.facts = []fact{{"Card of", s.card.Holder().Name}}
	}
	demo := s.opts.CIS2 != nil && s.opts.CIS2.Browser != nil
	switch {
	case w.waiting && demo:
		c.text = []string{"Demo: in place of a browser, scr signs in at the sandbox's CIS2 page with the card in the reader."}
		c.hint = keepCardIn + " Esc cancels."
	case w.waiting && w.url == "":
		c.text = []string{"Opening the NHS CIS2 sign-in page in your browser."}
		c.hint = keepCardIn + " Esc cancels."
	case w.waiting && w.noOpen:
		c.text = []string{"No browser could be opened here. Open this address in a browser on this computer, and sign in there with your smartcard and passcode:"}
		c.address = safetext.Line(w.url)
		c.hint = keepCardIn + " o tries the browser again; Esc cancels."
	case w.waiting:
		c.text = []string{"Your browser has been opened at the NHS CIS2 sign-in page. Sign in there with your smartcard and passcode, then come back here."}
		c.hint = keepCardIn + " o opens the page again; Esc cancels."
	case s.pin.Blocked():
		// c.err says it; there is nothing to do here but take the card out.
	default:
		if pin := s.pin; !pin.Verified && pin.TriesLeft > 0 && pin.TriesLeft <= 3 {
			c.text = []string{explain.Plural(pin.TriesLeft, "try", "tries") + " left before the card is locked."}
		}
		c.prompt = "Press Enter to sign in with NHS CIS2 in your browser."
	}
	return c
}

func (w cis2Screen) view(s *session, _ int) string {
	c := w.says(s)
	st := s.styles
	width := max(s.width-2, 10)
	wrap := lipgloss.NewStyle().Width(width)
	var b strings.Builder
	b.WriteString(st.Title.Render(c.title) + "\n\n")
	for _, f := range c.facts {
		b.WriteString(f.label + " " + st.Highlight.Render(f.value) + "\n\n")
	}
	if c.notice != "" {
		b.WriteString(wrap.Render(st.Notice.Render(c.notice)) + "\n\n")
	}
	if c.err != "" {
		b.WriteString(wrap.Render(st.Error.Render(c.err)) + "\n\n")
	}
	for _, t := range c.text {
		b.WriteString(wrap.Render(t) + "\n\n")
	}
	if c.address != "" {
		// Whole: cut at the width rather than at a word, since it has
		// none, and never shortened.
		b.WriteString(st.Highlight.Render(ansi.Hardwrap(c.address, width, false)) + "\n\n")
	}
	if c.prompt != "" {
		b.WriteString(c.prompt + "\n\n")
	}
	if busy := s.busyLine(); busy != "" && w.waiting {
		b.WriteString(busy + "\n\n")
	}
	if c.hint != "" {
		b.WriteString(wrap.Render(st.Faint.Render(c.hint)) + "\n")
	}
	return b.String() + demoView(s, false)
}

func (w cis2Screen) bindings(s *session, _ bool) []key.Binding {
	k := s.keys
	switch {
	case w.waiting && w.url != "" && s.opts.CIS2.Browser == nil:
		return []key.Binding{k.OpenBrowser, withHelp(k.Back, "esc", "cancel")}
	case w.waiting:
		return []key.Binding{withHelp(k.Back, "esc", "cancel")}
	case s.pin.Blocked():
		return nil
	}
	return []key.Binding{withHelp(k.Submit, "enter", "sign in")}
}

func (cis2Screen) field(*session) field { return noField }
func (cis2Screen) hasInput() bool       { return false }
func (cis2Screen) name() string         { return "sign in with NHS CIS2" }
