package ui

import (
	"context"
	"errors"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

// session is what the screens share, and the root model owns: the window,
// keys, looks and clock (common); the readers and the card; the signed-in
// session and its role; and the counters every answer is checked against.
// Screens read it and start their requests through it (ask, start); only the
// root opens and lets go of the card, signs in and out, and chooses the role.
//
// It is a value in the root model, lent to a screen by pointer for one call:
// copies of the model stay apart, so a copy never sees another's newer
// request.
type session struct {
	*common
	opts Options
	run  context.Context // ends when the viewer does

	// The readers and the card: the card screen shows them, the passcode
	// screen the card's holder.
	watching    bool
	watchErr    error
	serviceLost bool            // the service went; no reader list until it is back
	readers     map[string]bool // reader → card present
	opening     string          // reader whose card is being opened
	card        Card
	pin         smartcard.PINStatus
	cardErr     error
	notice      string // why the last session ended, until the next begins
	demoPick    int    // the sandbox card the demo's picker has highlighted, kept while cards come and go

	// The signed-in session with the server: nil before sign-in.
	api      *client.Session
	role     client.Role
	hasRole  bool
	lastRole string // the role to choose again after signing in anew

	// gen is bumped whenever the session is wiped or ends, req for every
	// request about a patient; busy is what is being waited for, shown
	// with the spinner.
	gen, req uint64
	busy     string
	spin     spinner.Model
}

// answerMsg is a request's answer, stamped with the generation and request
// it was started under (session.start): the root gives it to the screen only
// if neither has moved on, so an answer that arrives after a card swap, a
// sign-out, a new patient or a newer search is dropped, never shown.
type answerMsg struct {
	gen, req uint64
	// session: a request of the session itself (opening the card, signing
	// in, choosing the role, unlocking), which a new patient does not
	// make stale; only the generation is checked.
	session bool
	msg     tea.Msg
}

// current is whether the answer still belongs to s.
func (a answerMsg) current(s *session) bool {
	return a.gen == s.gen && (a.session || a.req == s.req)
}

// A releaser is an answer holding something to let go of (an opened card, a
// session) when it is dropped as stale.
type releaser interface{ release() }

// failure is an answer's error, for the session's end (signedOut): a
// signed-out refusal, whichever request it answers, asks for the passcode.
type failure interface{ failed() error }

// start runs f as a command that cannot take the program down (task), its
// answer stamped with the generation and the current request.
func (s *session) start(f func() tea.Msg) tea.Cmd {
	gen, req := s.gen, s.req
	return task(func() tea.Msg { return answerMsg{gen: gen, req: req, msg: f()} })
}

// startSession is start for a request of the session itself, whose answer
// only a new generation makes stale.
func (s *session) startSession(f func() tea.Msg) tea.Cmd {
	gen := s.gen
	return task(func() tea.Msg { return answerMsg{gen: gen, session: true, msg: f()} })
}

// ask starts a request about a patient: a new request number, so that the
// answer to any earlier one is dropped; busy says what is waited for.
func (s *session) ask(busy string, f func() tea.Msg) tea.Cmd {
	s.req++
	s.busy = busy
	return tea.Batch(s.spin.Tick, s.start(f))
}

// busyLine is what is being waited for, with the spinner, or "".
func (s *session) busyLine() string {
	if s.busy == "" {
		return ""
	}
	return s.spin.View() + " " + s.busy
}

// header is the line over the screens after sign-in: who, as what.
func (s *session) header() string {
	if s.api == nil {
		return ""
	}
	line := s.api.UserName
	if s.hasRole {
		line += " · " + roleName(s.role) + " · " + s.role.OrgCode
	}
	return s.styles.Faint.Render(ansiTruncate(line, s.width)) + "\n\n"
}

// footer is the record's last line: who is looking, and that it is recorded.
func (s *session) footer() string {
	return "Viewed as " + roleName(s.role) + " at " + s.role.OrgCode + " · access recorded"
}

// signedOut: the token was refused; the user signs in again with the
// passcode, keeping what they typed.
func signedOut(err error) bool {
	var so *client.SignedOutError
	return errors.As(err, &so)
}

// task runs f as a command that cannot take the program down: a panic in it
// becomes panicMsg, with nothing of its value kept.
func task(f func() tea.Msg) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if recover() != nil {
				msg = panicMsg{}
			}
		}()
		return f()
	}
}
