package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/internal/recordview"
)

// The demo's card picker: while the demo's reader is empty, the card screen
// lists every sandbox card (the pharmacist, the A&E doctor with emergency
// access, the privacy officer, the locum, the expired and revoked cards) and
// enter puts the highlighted one in, so each user's journey can be tried.

// demoPicking is whether the card screen shows the picker: a demo with
// cards to offer, and no card in its reader or being read.
func (m Model) demoPicking() bool {
	d := m.opts.Demo
	if m.state != stateCard || d == nil || len(d.Cards) == 0 || d.Insert == nil {
		return false
	}
	if m.watchErr != nil || m.serviceLost || !m.watching || m.opening != "" {
		return false
	}
	for _, in := range m.readers {
		if in {
			return false
		}
	}
	return true
}

// demoPickerKey moves the picker's highlight and puts the card in.
func (m Model) demoPickerKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if !m.demoPicking() {
		return m, nil
	}
	k, cards := m.c.keys, m.opts.Demo.Cards
	switch {
	case key.Matches(msg, k.Up):
		m.demoPick = (m.demoPick + len(cards) - 1) % len(cards)
	case key.Matches(msg, k.Down):
		m.demoPick = (m.demoPick + 1) % len(cards)
	case key.Matches(msg, k.Submit):
		insert, uuid := m.opts.Demo.Insert, cards[min(m.demoPick, len(cards)-1)].UUID
		return m, task(func() tea.Msg { insert(uuid); return nil })
	}
	return m, nil
}

// demoView tells a demo user what to do: which card to put in while the
// reader is empty, else the passcode of the card in and the patients to try.
func (m Model) demoView() string {
	d := m.opts.Demo
	if d == nil {
		return ""
	}
	s := m.c.styles
	var b strings.Builder
	b.WriteString("\n" + s.Notice.Render("Demo: sandbox data only, nothing real."))
	if m.demoPicking() {
		b.WriteString(" Choose a card to put in:\n\n")
		nameW := 0
		for _, c := range d.Cards {
			nameW = max(nameW, recordview.Width(c.Name))
		}
		for i, c := range d.Cards {
			name := c.Name + strings.Repeat(" ", nameW-recordview.Width(c.Name))
			line := ansiTruncate(name+"  "+c.What+"  (passcode "+c.Passcode+")", m.c.width-2)
			if i == m.demoPick {
				b.WriteString(s.Selected.Render("> "+line) + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
		return b.String()
	}
	if pass := m.demoPasscode(); pass != "" {
		b.WriteString(" Passcode " + s.Highlight.Render(pass) + ";")
	}
	b.WriteString(" F2 pulls or inserts the card.\n")
	for _, p := range d.Patients {
		b.WriteString(ansiTruncate("  "+p.NHSNumber+"  "+p.What, m.c.width) + "\n")
	}
	return b.String()
}

// demoPasscode is the passcode of the demo card in the reader, or of the
// card the demo started with.
func (m Model) demoPasscode() string {
	d := m.opts.Demo
	if m.card != nil {
		uuid := m.card.Holder().UUID
		for _, c := range d.Cards {
			if c.UUID == uuid {
				return c.Passcode
			}
		}
	}
	return d.Passcode
}
