package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/scrterm/scr/client"
)

// permStep is where the permission screen is.
type permStep int

const (
	permAsk     permStep = iota // ask the patient: p, e or d
	permReason                  // emergency access: choose the reason
	permNote                    // emergency access: the user's own words
	permSending                 // the alert or the record is on its way
	permNoSCR                   // the patient has no SCR: banner and a sentence
)

// permissionModel is the screen between the patient found and the record
// shown: the banner, and the question the SCR's consent asks.
type permissionModel struct {
	c         *common
	lookup    *client.Lookup
	step      permStep
	reasons   []client.AlertReason // what this role may claim without permission
	reasonIdx int
	note      textinput.Model
	err       string
	// sentFrom is the step an alert was sent from, to go back to if the
	// server does not accept it.
	sentFrom permStep
	// parallel: the permission alert and the record were asked for side by
	// side; acked: the alert was acknowledged; pending: the record, held
	// until it is.
	parallel bool
	acked    bool
	pending  *client.Summary
}

func newPermissionModel(c *common, l *client.Lookup, role client.Role, step permStep) permissionModel {
	p := permissionModel{c: c, lookup: l, step: step}
	if role.CanEmergency() {
		p.reasons = []client.AlertReason{client.AlertEmergency, client.AlertLRSelfClaimEmergency}
	}
	p.note = newTextInput("e.g. unconscious on arrival, no one to ask", 200, max(c.width-4, 20))
	return p
}

func (p permissionModel) typing() bool { return p.step == permNote }

func (p permissionModel) update(msg tea.Msg) (permissionModel, tea.Cmd) {
	if p.step != permNote {
		return p, nil
	}
	var cmd tea.Cmd
	p.note, cmd = p.note.Update(msg)
	return p, cmd
}

func (p permissionModel) view(busy string) string {
	if p.lookup == nil || p.lookup.Patient == nil {
		return ""
	}
	s := p.c.styles
	wrap := lipgloss.NewStyle().Width(max(p.c.width-2, 10))
	var b strings.Builder
	b.WriteString(renderBanner(p.c, p.lookup.Patient) + "\n\n")
	switch p.step {
	case permNoSCR:
		b.WriteString(s.Notice.Render("This patient has no Summary Care Record.") + "\n\n")
		b.WriteString(s.Faint.Render("Enter or Esc: find another patient.") + "\n")
	case permAsk, permSending:
		b.WriteString(s.Title.Render("Permission to view is required") + "\n")
		b.WriteString(wrap.Render("Ask the patient whether you may view their Summary Care Record.") + "\n\n")
		b.WriteString("  p  Patient gave permission\n")
		if len(p.reasons) > 0 {
			b.WriteString("  e  Emergency access: the patient cannot be asked (a privacy alert is sent)\n")
		} else {
			b.WriteString(s.Disabled.Render("  e  Emergency access: not allowed for your role") + "\n")
		}
		b.WriteString("  d  Patient declined\n")
	case permReason:
		b.WriteString(s.Title.Render("Emergency access: why?") + "\n")
		b.WriteString(wrap.Render("Your privacy officer is told of this access, with your reason.") + "\n\n")
		for i, r := range p.reasons {
			line := reasonWords(r)
			if i == p.reasonIdx {
				b.WriteString(s.Selected.Render("> "+line) + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
		b.WriteString("\n" + s.Faint.Render("Enter chooses; Esc goes back.") + "\n")
	case permNote:
		b.WriteString(s.Title.Render("Emergency access: "+reasonWords(p.reasons[p.reasonIdx])) + "\n\n")
		b.WriteString("In your own words (optional), for the privacy officer:\n")
		b.WriteString(p.note.View() + "\n\n")
		b.WriteString(s.Faint.Render("Enter sends the privacy alert, then opens the record; Esc goes back.") + "\n")
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if p.err != "" {
		b.WriteString("\n" + wrap.Render(s.Error.Render(p.err)) + "\n")
	}
	return b.String()
}

// reasonWords is an alert reason as the user chooses it.
func reasonWords(r client.AlertReason) string {
	switch r {
	case client.AlertEmergency:
		return "Access made in an emergency"
	case client.AlertLRSelfClaimEmergency:
		return "Self-claimed legitimate relationship: emergency"
	}
	return r.String()
}
