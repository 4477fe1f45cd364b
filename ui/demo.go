package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/internal/recordview"
)

// The demo's card picker: while the demo's reader is empty, the card screen
// lists every sandbox card (the pharmacist, the A&E doctor with emergency
// access, the privacy officer, the locum, the expired and revoked cards) and
// enter puts the highlighted one in, so each user's journey can be tried.

// demoPicking is whether the card screen shows the picker: a demo with
// cards to offer, and no card in its reader or being read.
func demoPicking(s *session) bool {
	d := s.opts.Demo
	if d == nil || len(d.Cards) == 0 || d.Insert == nil {
		return false
	}
	if s.watchErr != nil || s.serviceLost || !s.watching || s.opening != "" {
		return false
	}
	for _, in := range s.readers {
		if in {
			return false
		}
	}
	return true
}

// demoPickerKey moves the picker's highlight and puts the card in.
func demoPickerKey(s *session, msg tea.KeyPressMsg) tea.Cmd {
	if !demoPicking(s) {
		return nil
	}
	k, cards := s.keys, s.opts.Demo.Cards
	switch {
	case key.Matches(msg, k.Up):
		s.demoPick = (s.demoPick + len(cards) - 1) % len(cards)
	case key.Matches(msg, k.Down):
		s.demoPick = (s.demoPick + 1) % len(cards)
	case key.Matches(msg, k.Submit):
		insert, uuid := s.opts.Demo.Insert, cards[min(s.demoPick, len(cards)-1)].UUID
		return task(func() tea.Msg { insert(uuid); return nil })
	}
	return nil
}

// demoView tells a demo user what to do: which card to put in while the
// picker is shown, else the passcode of the card in and the patients to try.
func demoView(s *session, picking bool) string {
	d := s.opts.Demo
	if d == nil {
		return ""
	}
	st := s.styles
	var b strings.Builder
	notice := st.Notice.Render("Demo: sandbox data only, nothing real.")
	if picking {
		b.WriteString("\n" + notice + " Choose a card to put in:\n\n")
		nameW := 0
		for _, c := range d.Cards {
			nameW = max(nameW, recordview.Width(c.Name))
		}
		for i, c := range d.Cards {
			name := c.Name + strings.Repeat(" ", nameW-recordview.Width(c.Name))
			line := name + "  " + c.What + "  (passcode " + c.Passcode + ")"
			if i == s.demoPick {
				b.WriteString(styledRow(st.Selected, "> ", line, s.width))
			} else {
				b.WriteString(styledRow(lipgloss.NewStyle(), "  ", line, s.width))
			}
		}
		return b.String()
	}
	// The hint wraps rather than losing its end at 80 columns.
	hint := notice
	if pass := demoPasscode(s); pass != "" {
		hint += " Passcode " + st.Highlight.Render(pass) + ";"
	}
	hint += " F2 pulls or inserts the card."
	b.WriteString("\n" + ansi.Wrap(hint, max(s.width, 1), "") + "\n")
	for _, p := range d.Patients {
		b.WriteString(styledRow(lipgloss.NewStyle(), "  ", p.NHSNumber+"  "+p.What, s.width))
	}
	if len(d.Patients) > 0 {
		b.WriteString(st.Faint.Render("  More patients: the demo table in README.md.") + "\n")
	}
	return b.String()
}

// demoPasscode is the passcode of the demo card in the reader, or of the
// card the demo started with.
func demoPasscode(s *session) string {
	d := s.opts.Demo
	if s.card != nil {
		uuid := s.card.Holder().UUID
		for _, c := range d.Cards {
			if c.UUID == uuid {
				return c.Passcode
			}
		}
	}
	return d.Passcode
}
