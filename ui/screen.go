package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// screen is one screen of the viewer: the card, the passcode, signing in,
// the role, finding a patient, the permission question, the record, the
// audit reports, and the lock over any of them. Each owns its keys, its view
// and its requests, which it starts through the session (session.ask); the
// root model routes to the screen shown and owns only the session: the card,
// signing in and out, the lock, the help and the quit question.
//
// Screens are values, like the root model: update returns the screen to show
// next, itself changed or another (the permission question becomes the
// record, Esc from it the search it came from). s is the root's session for
// the length of one call; a screen keeps no pointer to it.
type screen interface {
	// update takes a key, a paste, an answer to one of the screen's
	// requests (stale ones never arrive), or a window or colour change.
	update(s *session, msg tea.Msg) (screen, tea.Cmd)
	// view draws the screen in height lines of s.width cells; the root
	// fits what is drawn to them.
	view(s *session, height int) string
	// bindings are the keys that do something on the screen, for the
	// footer and, with full, the help; k.NewPatient among them is put first
	// in the footer, with help and quit.
	bindings(s *session, full bool) []key.Binding
	// field is what the keys go into.
	field(s *session) field
	// hasInput is whether something typed would be lost by quitting.
	hasInput() bool
	// name is the screen in words, for the title of its help.
	name() string
}

// field is what a screen's keys go into, which decides what q and ? mean.
type field int

const (
	noField    field = iota // keys are commands: q quits, ? opens the help
	digitField              // digits only (a passcode, an NHS number, a date): q is ignored, so it never quits from under them; ? helps
	textField               // letters: q and ? are characters
)
