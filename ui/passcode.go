package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/smartcard"
)

// passcodeScreen asks the card's holder for the passcode, and signs in with
// it: the card signs the server's challenge (startSignIn), and the root takes
// the session that comes back (Model.signedIn).
type passcodeScreen struct {
	typed passcodeField
	err   string // why the last passcode did not sign in
}

func (p passcodeScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok || s.pin.Blocked() {
		return p, nil
	}
	pin, problem, done := p.typed.enter(km)
	if !done {
		if problem != "" {
			p.err = problem
		}
		return p, nil
	}
	if s.opts.CIS2 != nil {
		// The demo's stand-in for CIS2's page signs with the card.
		return startCIS2(s, pin)
	}
	return signingInScreen{}, startSignIn(s, pin)
}

// says is the card's holder, why the last session ended, and the passcode
// asked for, or that the card is blocked.
func (p passcodeScreen) says(s *session) content {
	c := content{title: "scr · Summary Care Record", notice: s.notice, err: p.err}
	if s.card != nil {
		c.facts = []fact{{"Card of", s.card.Holder().Name}}
	}
	if s.pin.Blocked() {
		c.err = explain.Error(smartcard.ErrPINBlocked)
		return c
	}
	c.prompt, c.value = "Enter your passcode", p.typed.view()
	if pin := s.pin; !pin.Verified && pin.TriesLeft > 0 && pin.TriesLeft <= 3 {
		c.text = []string{fmt.Sprintf("%d tries left before the card is locked.", pin.TriesLeft)}
	}
	if o := s.opts.CIS2; o != nil && o.Browser != nil {
		// The demo under CIS2: its stand-in for CIS2's page signs with
		// the card this passcode unlocks (real CIS2 asks on its page).
		c.text = append(c.text, "You sign in through NHS CIS2 (here, the sandbox's stand-in for its page).")
	}
	return c
}

func (p passcodeScreen) view(s *session, _ int) string {
	c := p.says(s)
	st := s.styles
	wrap := lipgloss.NewStyle().Width(s.width - 2)
	var b strings.Builder
	b.WriteString(st.Title.Render(c.title) + "\n\n")
	for _, f := range c.facts {
		b.WriteString(f.label + " " + st.Highlight.Render(f.value) + "\n\n")
	}
	if c.notice != "" {
		b.WriteString(wrap.Render(st.Notice.Render(c.notice)) + "\n\n")
	}
	if c.prompt == "" {
		// Blocked: no passcode to ask for.
		b.WriteString(wrap.Render(st.Error.Render(c.err)) + "\n")
		return b.String() + demoView(s, false)
	}
	b.WriteString(c.prompt + "  " + c.value + "\n")
	for _, t := range c.text {
		b.WriteString(st.Faint.Render(t) + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + wrap.Render(st.Error.Render(c.err)) + "\n")
	}
	return b.String() + demoView(s, false)
}

func (p passcodeScreen) bindings(s *session, _ bool) []key.Binding {
	if s.pin.Blocked() {
		return nil
	}
	k := s.keys
	return []key.Binding{withHelp(k.Submit, "enter", "sign in"), k.ClearField}
}

// field: a blocked card takes no passcode, so its keys are commands.
func (passcodeScreen) field(s *session) field {
	if s.pin.Blocked() {
		return noField
	}
	return digitField
}

func (p passcodeScreen) hasInput() bool { return len(p.typed.digits) > 0 }
func (passcodeScreen) name() string     { return "passcode" }

// signingInScreen is shown while the card signs, the tokens and roles are
// fetched, and the role is chosen for the holder.
type signingInScreen struct{}

func (signingInScreen) update(*session, tea.Msg) (screen, tea.Cmd) { return signingInScreen{}, nil }
func (signingInScreen) view(s *session, _ int) string              { return s.header() + "\n" + s.busyLine() }
func (signingInScreen) bindings(*session, bool) []key.Binding      { return nil }
func (signingInScreen) field(*session) field                       { return noField }
func (signingInScreen) hasInput() bool                             { return false }
func (signingInScreen) name() string                               { return "signing in" }

// signedInMsg answers startSignIn.
type signedInMsg struct {
	session *client.Session
	err     error
	pin     *smartcard.PINStatus // after a failure, what the card now says
}

// release signs out a session that came for a card no longer in.
func (msg signedInMsg) release() {
	if s := msg.session; s != nil {
		go func() { _ = s.SignOut(context.Background()) }()
	}
}

// startSignIn has the card sign the server's challenge with pin, which it owns
// and wipes.
func startSignIn(s *session, pin []byte) tea.Cmd {
	s.busy = "Signing in…"
	card, cl, ctx := s.card, s.opts.Client, s.run
	return tea.Batch(s.spin.Tick, s.startSession(func() tea.Msg {
		signer := card.Signer(pin)
		defer forgetSigner(signer)
		sess, err := cl.SignIn(ctx, signer, card.Certificate(), card.Holder().UUID)
		msg := signedInMsg{session: sess, err: err}
		if err != nil {
			// The tries left after a wrong passcode; a blocked card must
			// stop the field.
			if st, perr := card.PINStatus(); perr == nil {
				msg.pin = &st
			}
		}
		return msg
	}))
}

func forgetSigner(s any) {
	if f, ok := s.(interface{ Forget() }); ok {
		f.Forget()
	}
}

// passcodeField is a masked entry for the card's passcode. It is written
// here rather than taken from bubbles/textinput because it must keep the
// digits in a byte slice it can wipe: a string cannot be wiped, and a
// passcode must not linger in memory after it has been sent to the card.
type passcodeField struct {
	digits []byte
	// extra counts the digits typed past maxPasscode, which are not kept:
	// an entry that long is no passcode (most often a scanned NHS number),
	// and Enter sends nothing of it to the card, where it would use up a
	// try. Only the count is kept; Backspace takes these off first.
	extra int
}

// maxPasscode is PIV's longest PIN (SP 800-73-4 Part 2, 3.2.1: 8 bytes).
const maxPasscode = 8

// tooLongPasscode is said when Enter is pressed on more digits than a
// passcode has: nothing went to the card, so no try was used.
const tooLongPasscode = "That was more than 8 digits (a scanned NHS number?), so it was not sent to the card and no try was used: a passcode is 6 to 8 digits."

func (f passcodeField) update(msg tea.KeyPressMsg) passcodeField {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if f.extra > 0 {
			f.extra--
			return f
		}
		if n := len(f.digits); n > 0 {
			f.digits[n-1] = 0
			f.digits = f.digits[:n-1]
		}
		return f
	case "ctrl+u":
		// Only ctrl+u clears: Esc means back, and there is no back from here.
		f.wipe()
		return f
	}
	// Only digits are taken; anything else would only fail at the card.
	// Past the eighth, a digit is only counted (extra).
	for _, r := range msg.Text {
		switch {
		case r < '0' || r > '9':
		case len(f.digits) < maxPasscode:
			if f.digits == nil {
				f.digits = make([]byte, 0, maxPasscode)
			}
			f.digits = append(f.digits, byte(r))
		default:
			f.extra++
		}
	}
	return f
}

// enter gives a key to the field; on Enter it hands over the digits (done)
// if they can be a passcode, else wipes them and says why: more digits than
// a passcode has are never sent, not even the first eight. The caller owns,
// and must wipe or hand on, the digits.
func (f *passcodeField) enter(msg tea.KeyPressMsg) (pin []byte, problem string, done bool) {
	if msg.String() != "enter" {
		*f = f.update(msg)
		return nil, "", false
	}
	if f.extra > 0 {
		f.wipe()
		return nil, tooLongPasscode, false
	}
	pin = f.take()
	if err := smartcard.CheckPIN(pin); err != nil {
		clear(pin)
		return nil, explain.Error(err), false
	}
	return pin, "", true
}

// take hands the digits over and leaves the field empty: the caller owns
// (and wipes) the slice.
func (f *passcodeField) take() []byte {
	d := f.digits
	f.digits, f.extra = nil, 0
	return d
}

// wipe zeroes and drops the digits.
func (f *passcodeField) wipe() {
	clear(f.digits[:cap(f.digits)])
	f.digits, f.extra = nil, 0
}

// view is a dot for each digit kept, and, past the eighth, a note that the
// entry is too long (nothing of the digits not kept).
func (f passcodeField) view() string {
	v := strings.Repeat("●", len(f.digits)) + strings.Repeat("·", maxPasscode-len(f.digits))
	if f.extra > 0 {
		v += "  too many digits"
	}
	return v
}
