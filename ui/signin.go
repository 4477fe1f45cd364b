package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/internal/explain"
)

// Signing in, the root's part: the session the card's signature brought,
// the role chosen for it, and the first screen of the session.

func (m Model) signedIn(msg signedInMsg) (Model, tea.Cmd) {
	s := &m.sess
	s.busy = ""
	if msg.err != nil {
		if msg.pin != nil {
			s.pin = *msg.pin
		}
		m.scr = passcodeScreen{err: explain.Error(msg.err)}
		return m, nil
	}
	s.api, s.notice = msg.session, ""
	return m.afterSignIn()
}

// afterSignIn chooses the role: the one used before a forced sign-in, else
// the only one that can do anything, else the user picks.
func (m Model) afterSignIn() (Model, tea.Cmd) {
	s := &m.sess
	roles := s.api.Roles
	if s.lastRole != "" {
		for _, r := range roles {
			if r.ID == s.lastRole {
				return m, chooseRole(s, r)
			}
		}
	}
	usable := -1
	n := 0
	for i, r := range roles {
		if roleUsable(r) {
			usable, n = i, n+1
		}
	}
	if n == 1 {
		return m, chooseRole(s, roles[usable])
	}
	r := newRoleScreen(s, "", nil)
	if n == 0 {
		r.err = "None of your roles can view a Summary Care Record or read audit reports. Ask your Registration Authority."
	}
	m.scr = r
	return m, nil
}

// roleChosen takes the role: the audit screen for a role that only reads
// audit reports, else the search, with the number typed before a forced
// sign-in. The lock, if it is on, stays on.
func (m Model) roleChosen(msg roleChosenMsg) (Model, tea.Cmd) {
	s := &m.sess
	s.busy = ""
	if msg.err != nil {
		if signedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		r, ok := m.scr.(roleScreen)
		if !ok {
			var back screen
			if s.hasRole {
				back = forgetPatient(s, m.scr, keepForm)
			}
			r = newRoleScreen(s, s.lastRole, back)
		}
		r.err = explain.Error(msg.err)
		m.scr = r
		return m, nil
	}
	s.role, s.hasRole, s.lastRole = msg.role, true, msg.role.ID
	resume := m.resume
	m.resume = nil
	switch {
	case msg.role.CanAudit() && !msg.role.CanView():
		m.scr = newAuditScreen(s.common)
	case resume != nil:
		// Back where the session ended, with the number still typed.
		m.scr = *resume
	default:
		// After ctrl+r, the search switched from, with what was typed in
		// it; its matches, and any patient, were the old role's and go.
		find := newFindScreen(s.common, "")
		if r, ok := m.scr.(roleScreen); ok && r.back != nil {
			if f, ok := forgetPatient(s, r.back, keepForm).(findScreen); ok {
				find = f
			}
		}
		m.scr = find
	}
	return m, nil
}
