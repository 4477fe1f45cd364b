package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/rbac"
)

// permStep is where the permission screen is.
type permStep int

const (
	permAsk        permStep = iota // ask the patient: p, e or d
	permReason                     // emergency access: choose the reason
	permNote                       // the user's own words for the privacy officer
	permSending                    // the alert or the record is on its way
	permNoSCR                      // the patient has no SCR: banner and a sentence
	permSuperseded                 // PDS answered for another number: confirm first
	permDeceased                   // the patient has died: no one to ask; a reason, or nothing
)

// permissionModel is the screen between the patient found and the record
// shown: the banner, and the question the SCR's consent asks.
type permissionModel struct {
	c         *common
	lookup    *client.Lookup
	step      permStep
	reasons   []client.AlertReason // what this role may claim without permission
	reasonIdx int
	// first is the question the screen starts with (permAsk, permDeceased
	// or permNoSCR), shown once a superseded number is confirmed and gone
	// back to when the record cannot be read; list is where the reasons are
	// chosen (permReason, or permDeceased), where Esc from the note goes.
	first, list permStep
	note        textinput.Model
	err         string
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

// newPermissionModel is the screen for the lookup l, starting at step. A
// number PDS answered for with another record is confirmed before anything
// else, whatever step follows.
func newPermissionModel(c *common, l *client.Lookup, role client.Role, step permStep) permissionModel {
	p := permissionModel{c: c, lookup: l, step: step, first: step, list: permReason}
	placeholder := "e.g. unconscious on arrival, no one to ask"
	switch {
	case step == permDeceased:
		p.list = permDeceased
		p.reasons = deceasedReasons(role)
		placeholder = "e.g. coroner's request; collapsed and died in A&E"
	case role.CanEmergency():
		p.reasons = []client.AlertReason{client.AlertEmergency, client.AlertLRSelfClaimEmergency}
	}
	p.note = newTextInput(placeholder, 200, max(c.width-4, 20))
	if l != nil && l.Patient != nil && l.Patient.SupersededFrom != "" {
		p.step = permSuperseded
	}
	return p
}

// deceasedReasons are the Access Alert reasons (type 2) a role may give to view
// the record of a patient who has died, as its activities allow them (B0168
// for 2/5, B0082 for 2/1–2/3, as the server checks). Never 1/6: it records
// the patient's permission, which a patient who has died cannot give.
func deceasedReasons(role client.Role) []client.AlertReason {
	var rs []client.AlertReason
	if role.CanEmergency() {
		rs = append(rs, client.AlertEmergency)
	}
	if rbac.Allows(role.ActivityCodes, rbac.LegalOverride) {
		rs = append(rs, client.AlertStatute, client.AlertCourtOrder, client.AlertPublicInterest)
	}
	return rs
}

// deceased is whether the patient has died: no one can give permission.
func (p permissionModel) deceased() bool {
	return p.lookup != nil && p.lookup.Patient != nil && p.lookup.Patient.Deceased
}

func (p permissionModel) typing() bool { return p.step == permNote }

// hasInput is whether words typed for the privacy officer would be lost.
func (p permissionModel) hasInput() bool {
	return p.step == permNote && strings.TrimSpace(p.note.Value()) != ""
}

// bindings are the keys of the step shown.
func (p permissionModel) bindings() []key.Binding {
	k := p.c.keys
	switch p.step {
	case permSuperseded:
		return []key.Binding{withHelp(k.Submit, "enter", "continue"), withHelp(k.Back, "esc", "back to the number")}
	case permNoSCR:
		return []key.Binding{withHelp(k.Submit, "enter", "find another patient"), k.Back}
	case permAsk:
		bs := []key.Binding{k.PermGiven}
		if len(p.reasons) > 0 {
			bs = append(bs, k.PermEmergency)
		}
		return append(bs, k.PermDeclined, k.Back)
	case permReason, permDeceased:
		if len(p.reasons) == 0 {
			return []key.Binding{k.Back}
		}
		return []key.Binding{k.Up, k.Down, k.Submit, k.Back}
	case permNote:
		return []key.Binding{withHelp(k.Submit, "enter", "send and open"), k.Back}
	}
	return nil
}

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
	case permSuperseded:
		pt := p.lookup.Patient
		name := pt.Name
		name.Prefix = nil // "(SMITH, Jane)", not "(SMITH, Jane (Mrs))"
		who := formatName(name)
		if who == "" {
			who = notKnown
		}
		b.WriteString(s.Title.Render("NHS number replaced") + "\n")
		b.WriteString(wrap.Render("You asked for "+formatNHSNumber(pt.SupersededFrom)+". PDS says this number was replaced by "+
			formatNHSNumber(pt.NHSNumber)+" ("+who+"). Check this is the patient in front of you.") + "\n\n")
		b.WriteString(s.Faint.Render(wrap.Render("Enter continues with "+formatNHSNumber(pt.NHSNumber)+"; Esc goes back to the number.")) + "\n")
	case permDeceased:
		b.WriteString(s.Title.Render("This patient has died") + "\n")
		b.WriteString(wrap.Render(diedSentence(p.lookup.Patient)+" A patient who has died cannot give permission.") + "\n\n")
		if len(p.reasons) == 0 {
			b.WriteString(wrap.Render(s.Notice.Render("Your role cannot view the record of a patient who has died: that needs "+
				"emergency access (B0168) or legal override of consent (B0082).")) + "\n\n")
			b.WriteString(s.Faint.Render("Esc goes back.") + "\n")
			break
		}
		b.WriteString(wrap.Render("You may view it for one of these reasons. A privacy alert is sent first, and your privacy "+
			"officer is told, with your reason.") + "\n\n")
		p.writeReasons(&b)
	case permNoSCR:
		b.WriteString(s.Notice.Render("This patient has no Summary Care Record.") + "\n\n")
		b.WriteString(s.Faint.Render("Enter finds another patient; Esc goes back.") + "\n")
	case permAsk, permSending:
		b.WriteString(s.Title.Render("Permission to view is required") + "\n")
		b.WriteString(wrap.Render("Ask the patient whether you may view their Summary Care Record.") + "\n\n")
		// Options wrap under their own words, not under the key.
		opt := func(k, words string) string {
			return "  " + k + "  " + strings.ReplaceAll(ansi.Wrap(words, max(p.c.width-7, 10), ""), "\n", "\n     ")
		}
		b.WriteString(opt("p", "Patient gave permission") + "\n")
		if len(p.reasons) > 0 {
			b.WriteString(opt("e", "Emergency access: the patient cannot be asked (a privacy alert is sent)") + "\n")
		} else {
			b.WriteString(s.Disabled.Render(opt("e", "Emergency access: not allowed for your role")) + "\n")
		}
		b.WriteString(opt("d", "Patient declined") + "\n")
	case permReason:
		b.WriteString(s.Title.Render("Emergency access: why?") + "\n")
		b.WriteString(wrap.Render("Your privacy officer is told of this access, with your reason.") + "\n\n")
		p.writeReasons(&b)
	case permNote:
		title := "Emergency access: "
		if p.list == permDeceased {
			title = "Access after death: "
		}
		b.WriteString(wrap.Render(s.Title.Render(title+reasonWords(p.reasons[p.reasonIdx]))) + "\n\n")
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

// writeReasons lists the reasons to choose from, the cursor on one.
func (p permissionModel) writeReasons(b *strings.Builder) {
	s := p.c.styles
	for i, r := range p.reasons {
		words := strings.ReplaceAll(ansi.Wrap(reasonWords(r), max(p.c.width-4, 10), ""), "\n", "\n  ")
		if i == p.reasonIdx {
			b.WriteString(s.Selected.Render("> "+words) + "\n")
		} else {
			b.WriteString("  " + words + "\n")
		}
	}
	b.WriteString("\n" + s.Faint.Render("Enter chooses; Esc goes back.") + "\n")
}

// diedSentence says who died and when, or that the date is not known (PDS
// may send deceasedBoolean alone).
func diedSentence(pt *client.Patient) string {
	name := pt.Name
	name.Prefix = nil // "SMITH, Jane", as on the replaced-number screen
	who := formatName(name)
	if who == "" {
		who = "The patient"
	}
	if pt.DeceasedDate.IsZero() {
		return who + " has died; the date of death is not recorded."
	}
	return who + " died on " + formatDate(pt.DeceasedDate) + "."
}

// reasonWords is an alert reason as the user chooses it.
func reasonWords(r client.AlertReason) string {
	switch r {
	case client.AlertEmergency:
		return "Access made in an emergency"
	case client.AlertLRSelfClaimEmergency:
		return "Self-claimed legitimate relationship: emergency"
	case client.AlertStatute:
		return "Access required by statute, e.g. a coroner's inquiry"
	case client.AlertCourtOrder:
		return "Access required by a court order"
	case client.AlertPublicInterest:
		return "Access made in the public interest"
	}
	return r.String()
}
