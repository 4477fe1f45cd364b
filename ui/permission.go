package ui

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
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

// permissionScreen is the screen between the patient found and the record
// shown: the banner, and the question the SCR's consent asks.
type permissionScreen struct {
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
	noteErr     string // why the last paste into the note was refused
	// sentFrom is the step an alert was sent from, to go back to if the
	// server does not accept it.
	sentFrom permStep
	// parallel: the permission alert and the record were asked for side by
	// side; acked: the alert was acknowledged; pending: the record, held
	// until it is.
	parallel bool
	acked    bool
	pending  *client.Summary

	// from is the search the patient was found with, never changed: Esc
	// goes back to it, and the record keeps it for a new role or sign-in.
	from *findScreen
}

// newPermissionScreen is the screen for the lookup l, starting at step. A
// number PDS answered for with another record is confirmed before anything
// else, whatever step follows.
func newPermissionScreen(c *common, l *client.Lookup, role client.Role, step permStep) permissionScreen {
	p := permissionScreen{c: c, lookup: l, step: step, first: step, list: permReason}
	switch {
	case step == permDeceased:
		p.list = permDeceased
		p.reasons = deceasedReasons(role)
	case role.CanEmergency():
		p.reasons = []client.AlertReason{client.AlertEmergency, client.AlertLRSelfClaimEmergency}
	}
	p.note = newTextInput("", noteLimit, max(c.width-4, 20)) // the example is under it: noteHint
	if l != nil && l.Patient != nil && l.Patient.SupersededFrom != "" {
		p.step = permSuperseded
	}
	return p
}

// noteHint is the example shown under the note field, never inside it: with
// NO_COLOR a placeholder loses its faint colour and reads as if it had been
// typed (as the search form's fieldHints).
func (p permissionScreen) noteHint() string {
	if p.list == permDeceased {
		return "e.g. coroner's request; collapsed and died in A&E"
	}
	return "e.g. unconscious on arrival, no one to ask"
}

// noteLimit is the most characters the note for the privacy officer holds;
// noteNear, how many typed before the room left is shown.
const (
	noteLimit = 200
	noteNear  = 150
)

// noteLength is how many characters text makes in the note field, counted
// as the field takes it (a tab or a line break is a space; other control
// characters and invalid bytes are dropped).
func noteLength(text string) int {
	n := 0
	for _, r := range text {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			continue
		}
		n++
	}
	return n
}

// noteTooLong is the sentence refusing a note of n characters, which the
// field would cut.
func noteTooLong(n int) string {
	return "That note is " + strconv.Itoa(n) + " characters long: a note holds " + strconv.Itoa(noteLimit) +
		" characters at most. Nothing of it was kept; shorten it and type it again."
}

// noteRoom is the room left in the note, said once typing nears the limit
// ("23 characters left"), so that the field's stop is never silent; "" before.
func (p permissionScreen) noteRoom() string {
	switch n := noteLength(p.note.Value()); {
	case n >= noteLimit:
		return "No room left: " + strconv.Itoa(noteLimit) + " characters at most"
	case n >= noteNear:
		return explain.Plural(noteLimit-n, "character", "characters") + " left"
	}
	return ""
}

// shown is the step whose question is on the screen: while an alert is on
// its way, the step it was sent from (the reason chosen for a patient who
// has died is not followed by the question asked of a living one).
func (p permissionScreen) shown() permStep {
	if p.step == permSending {
		return p.sentFrom
	}
	return p.step
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
func (p permissionScreen) deceased() bool {
	return p.lookup != nil && p.lookup.Patient != nil && p.lookup.Patient.Deceased
}

// openedFrom is p opened from the search f.
func (p permissionScreen) openedFrom(f findScreen) permissionScreen {
	p.from = &f
	return p
}

// search is the search the patient was found with.
func (p permissionScreen) search() findScreen {
	if p.from == nil {
		return newFindScreen(p.c, "")
	}
	return *p.from
}

func (p permissionScreen) field(*session) field {
	if p.step == permNote {
		return textField
	}
	return noField
}

func (p permissionScreen) name() string {
	switch p.shown() {
	case permSuperseded:
		return "NHS number replaced"
	case permNoSCR:
		return "no Summary Care Record"
	case permReason:
		return "emergency access"
	case permNote:
		if p.list == permDeceased {
			return "access after death"
		}
		return "emergency access"
	case permDeceased:
		return "patient who has died"
	}
	return "permission to view"
}

// hasInput is whether words typed for the privacy officer would be lost.
func (p permissionScreen) hasInput() bool {
	return p.step == permNote && strings.TrimSpace(p.note.Value()) != ""
}

// bindings are the keys of the step shown.
func (p permissionScreen) bindings(s *session, _ bool) []key.Binding {
	k := s.keys
	switch p.step {
	case permSuperseded:
		return []key.Binding{withHelp(k.Submit, "enter", "continue"), withHelp(k.Back, "esc", "back to the number")}
	case permNoSCR:
		return []key.Binding{k.NewPatient, withHelp(k.Submit, "enter", "find another patient"), k.Back}
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

func (p permissionScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return p.key(s, msg)
	case alertSentMsg:
		return p.alertSent(s, msg)
	case summaryMsg:
		return p.summaryArrived(s, msg)
	}
	return p.typeNote(msg)
}

// typeNote gives what is typed to the note, while it is asked for. A paste
// that would not fit is refused, saying so, rather than cut.
func (p permissionScreen) typeNote(msg tea.Msg) (permissionScreen, tea.Cmd) {
	if p.step != permNote {
		return p, nil
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		if n := noteLength(p.note.Value()) + noteLength(msg.Content); n > noteLimit {
			p.noteErr = noteTooLong(n)
			return p, nil
		}
		p.noteErr = ""
	case tea.KeyPressMsg:
		p.noteErr = ""
	}
	var cmd tea.Cmd
	p.note, cmd = p.note.Update(msg)
	return p, cmd
}

// key answers the question. Esc goes back one step and never answers it:
// going back from the question itself leaves the patient, recording
// nothing.
func (p permissionScreen) key(s *session, msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	switch p.step {
	case permSuperseded:
		switch {
		case key.Matches(msg, k.Submit):
			p.step = p.first
		case key.Matches(msg, k.Back):
			return p.leave(s, keepSearch), nil
		}
		return p, nil
	case permNoSCR:
		switch {
		case key.Matches(msg, k.Back):
			return p.leave(s, keepSearch), nil
		case key.Matches(msg, k.NewPatient), key.Matches(msg, k.Submit):
			return p.leave(s, keepNothing), nil
		}
		return p, nil
	case permAsk:
		switch {
		case key.Matches(msg, k.PermGiven):
			return p.viewWithPermission(s)
		case key.Matches(msg, k.PermEmergency):
			if len(p.reasons) == 0 {
				p.err = "Your role cannot use emergency access (it needs activity B0168). Ask the patient, or switch role."
				return p, nil
			}
			p.step, p.err = permReason, ""
			return p, nil
		case key.Matches(msg, k.PermDeclined):
			f := p.leave(s, keepNothing)
			f.notice = "Nothing was shown: the patient did not give permission."
			return f, nil
		case key.Matches(msg, k.Back):
			return p.leave(s, keepSearch), nil
		}
		return p, nil
	case permReason, permDeceased:
		switch {
		case key.Matches(msg, k.Back) && p.step == permDeceased:
			return p.leave(s, keepSearch), nil
		case key.Matches(msg, k.Back):
			p.step = permAsk
		case key.Matches(msg, k.Up) && p.reasonIdx > 0:
			p.reasonIdx--
		case key.Matches(msg, k.Down) && p.reasonIdx < len(p.reasons)-1:
			p.reasonIdx++
		case key.Matches(msg, k.Submit) && len(p.reasons) > 0:
			p.step = permNote
			return p, p.note.Focus()
		}
		return p, nil
	case permNote:
		switch {
		case key.Matches(msg, k.Back):
			p.note.Blur()
			p.step, p.noteErr = p.list, ""
			return p, nil
		case key.Matches(msg, k.Submit):
			return p.sendAlert(s, p.reasons[p.reasonIdx], p.note.Value())
		}
	case permSending:
		// What is sent cannot be called back; the answer decides.
		return p, nil
	}
	return p.typeNote(msg)
}

// leave forgets the patient (forgetPatient) for the search, kept as k says.
func (p permissionScreen) leave(s *session, k keep) findScreen {
	f, _ := forgetPatient(s, p, k).(findScreen)
	return f
}

// alertSentMsg answers sendAlert.
type alertSentMsg struct{ err error }

func (msg alertSentMsg) failed() error { return msg.err }

// summaryMsg answers summaryTask.
type summaryMsg struct {
	summary *client.Summary
	err     error
}

func (msg summaryMsg) failed() error { return msg.err }

// sendAlert raises the privacy alert for reason, with the user's note; the
// record is fetched only once the server has acknowledged it.
func (p permissionScreen) sendAlert(s *session, reason client.AlertReason, note string) (permissionScreen, tea.Cmd) {
	p.sentFrom, p.noteErr = p.step, ""
	p.note.Blur() // nothing more is typed into it
	p.step, p.err = permSending, ""
	p.parallel, p.acked, p.pending = false, false, nil
	alert := client.PrivacyAlert{
		NHS:    p.lookup.Patient.NHSNumber,
		SCRID:  p.lookup.Consent.SCRID,
		Reason: reason,
		Note:   note,
	}
	api, ctx := s.api, s.run
	return p, s.ask("Recording the access…", func() tea.Msg {
		return alertSentMsg{err: api.SendPrivacyAlert(ctx, alert)}
	})
}

// viewWithPermission records the patient's permission with the server as a
// self-claimed legitimate relationship (alert type 1, subtype 6, "SCR
// accessed with the patient's permission"), so the audit trail says the
// record was viewed with it, and asks for the record at the same time: one
// round trip, not two. The record is shown only once both have come back
// and the alert was acknowledged.
func (p permissionScreen) viewWithPermission(s *session) (permissionScreen, tea.Cmd) {
	if p.deceased() {
		// No one can give permission after death: never claim it.
		return p, nil
	}
	p, alertCmd := p.sendAlert(s, client.AlertLRWithPermission, "The patient gave permission to view their Summary Care Record.")
	p.parallel, p.acked, p.pending = true, false, nil
	s.busy = "Opening the Summary Care Record…"
	return p, tea.Batch(alertCmd, p.summaryTask(s))
}

func (p permissionScreen) alertSent(s *session, msg alertSentMsg) (screen, tea.Cmd) {
	if msg.err != nil {
		s.req++ // a record on its way beside the alert is dropped
		s.busy = ""
		p.step, p.pending = p.sentFrom, nil
		if p.step == permNote {
			p.step = p.list
		}
		p.err = "The access could not be recorded, so the record is not shown. " + explain.Error(msg.err)
		return p, nil
	}
	if !p.parallel {
		return p.fetchSummary(s)
	}
	p.acked = true
	if p.pending != nil {
		return p.showSummary(s, p.pending), nil
	}
	return p, nil
}

// summaryTask fetches the record for the current request.
func (p permissionScreen) summaryTask(s *session) tea.Cmd {
	nhs, scrID := p.lookup.Patient.NHSNumber, p.lookup.Consent.SCRID
	api, ctx := s.api, s.run
	return s.start(func() tea.Msg {
		sum, err := api.Summary(ctx, nhs, scrID)
		return summaryMsg{summary: sum, err: err}
	})
}

// showSummary is the record, the search it was found with kept behind it.
func (p permissionScreen) showSummary(s *session, sum *client.Summary) summaryScreen {
	s.busy = ""
	sm := newSummaryScreen(p.c, p.lookup.Patient, sum, s.footer())
	sm.from = p.from
	return sm
}

// fetchSummary asks for the record once an emergency alert is acknowledged.
func (p permissionScreen) fetchSummary(s *session) (permissionScreen, tea.Cmd) {
	p.step = permSending
	s.req++
	s.busy = "Opening the Summary Care Record…"
	return p, tea.Batch(s.spin.Tick, p.summaryTask(s))
}

func (p permissionScreen) summaryArrived(s *session, msg summaryMsg) (screen, tea.Cmd) {
	if msg.err != nil {
		s.busy = ""
		s.req++ // the alert beside it, if any, no longer leads anywhere
		var optedOut *client.OptedOutError
		switch {
		case errors.As(msg.err, &optedOut):
			// Back to the search as typed, naming whom it found.
			f := p.leave(s, keepSearch)
			f.err = optedOutSentence(p.lookup.Patient)
			return f, nil
		case errors.Is(msg.err, client.ErrRecordChanged):
			// The record changed under the read: what was looked up is out
			// of date, so the patient is looked up afresh, number kept.
			nhs := p.lookup.Patient.NHSNumber
			p.leave(s, keepNothing)
			f := newFindScreen(p.c, string(nhs))
			f.err = explain.Error(msg.err)
			return f, nil
		case errors.Is(msg.err, client.ErrNoSCR):
			// The SCR was withdrawn between the lookup and the read.
			p.step, p.err = permNoSCR, ""
			return p, nil
		}
		p.step = p.first
		p.err = explain.Error(msg.err)
		return p, nil
	}
	if p.parallel && !p.acked {
		// Not shown before the server has the permission recorded.
		p.pending = msg.summary
		return p, nil
	}
	return p.showSummary(s, msg.summary), nil
}

func (p permissionScreen) view(s *session, _ int) string { return p.draw(s, s.busyLine()) }

// says is what the screen says at the step shown: the patient's banner, the
// question, and the answers it offers.
func (p permissionScreen) says(s *session) content {
	var c content
	if p.lookup == nil || p.lookup.Patient == nil {
		return c
	}
	pt := p.lookup.Patient
	c.facts, c.err = bannerFacts(p.c, pt, nil).lines(s.keys), p.err
	switch p.shown() {
	case permSuperseded:
		name := pt.Name
		name.Prefix = nil // "(SMITH, Jane)", not "(SMITH, Jane (Mrs))"
		who := formatName(name)
		if who == "" {
			who = notKnown
		}
		c.title = "NHS number replaced"
		c.text = []string{"You asked for " + formatNHSNumber(pt.SupersededFrom) + ". PDS says this number was replaced by " +
			formatNHSNumber(pt.NHSNumber) + " (" + who + "). Check this is the patient in front of you."}
		c.hint = "Enter continues with " + formatNHSNumber(pt.NHSNumber) + "; Esc goes back to the number."
	case permDeceased:
		c.title = "This patient has died"
		c.text = []string{diedSentence(pt) + " A patient who has died cannot give permission."}
		if len(p.reasons) == 0 {
			c.notice = "Your role cannot view the record of a patient who has died: that needs " +
				"emergency access (B0168) or legal override of consent (B0082)."
			c.hint = "Esc goes back."
			break
		}
		c.text = append(c.text, "You may view it for one of these reasons. A privacy alert is sent first, and your privacy "+
			"officer is told, with your reason.")
		c.choices, c.hint = p.reasonChoices(), "Enter chooses; Esc goes back."
	case permNoSCR:
		c.notice = "This patient has no Summary Care Record."
		c.hint = "Enter finds another patient; Esc goes back."
	case permAsk:
		c.title = "Permission to view is required"
		c.text = []string{"Ask the patient whether you may view their Summary Care Record."}
		emergency := choice{key: "e", words: "Emergency access: the patient cannot be asked (a privacy alert is sent)"}
		if len(p.reasons) == 0 {
			emergency = choice{key: "e", words: "Emergency access: not allowed for your role", off: true}
		}
		c.choices = []choice{{key: "p", words: "Patient gave permission"}, emergency, {key: "d", words: "Patient declined"}}
	case permReason:
		c.title = "Emergency access: why?"
		c.text = []string{"Your privacy officer is told of this access, with your reason."}
		c.choices, c.hint = p.reasonChoices(), "Enter chooses; Esc goes back."
	case permNote:
		c.title = "Emergency access: " + reasonWords(p.reasons[p.reasonIdx])
		if p.list == permDeceased {
			c.title = "Access after death: " + reasonWords(p.reasons[p.reasonIdx])
		}
		c.prompt, c.value = "In your own words (optional), for the privacy officer:", p.note.Value()
		c.hint = "Enter sends the privacy alert, then opens the record; Esc goes back."
		c.err = strings.TrimSpace(c.err + " " + p.noteErr)
	}
	if p.step == permSending {
		c.hint = "" // the keys wait for the answer
	}
	return c
}

// reasonChoices are the reasons the role may give, the cursor on one.
func (p permissionScreen) reasonChoices() []choice {
	cs := make([]choice, len(p.reasons))
	for i, r := range p.reasons {
		cs[i] = choice{words: reasonWords(r), at: i == p.reasonIdx}
	}
	return cs
}

// draw is the screen, busy the line saying what is waited for: the banner,
// then what the step says (says), laid out.
func (p permissionScreen) draw(s *session, busy string) string {
	if p.lookup == nil || p.lookup.Patient == nil {
		return ""
	}
	c := p.says(s)
	st := p.c.styles
	wrap := lipgloss.NewStyle().Width(max(p.c.width-2, 10))
	var b strings.Builder
	b.WriteString(renderBanner(p.c, p.lookup.Patient) + "\n\n")
	switch p.shown() {
	case permSuperseded:
		b.WriteString(st.Title.Render(c.title) + "\n")
		b.WriteString(wrap.Render(c.text[0]) + "\n\n")
		b.WriteString(st.Faint.Render(wrap.Render(c.hint)) + "\n")
	case permDeceased:
		b.WriteString(st.Title.Render(c.title) + "\n")
		b.WriteString(wrap.Render(c.text[0]) + "\n\n")
		if c.notice != "" {
			b.WriteString(wrap.Render(st.Notice.Render(c.notice)) + "\n\n")
			b.WriteString(st.Faint.Render(c.hint) + "\n")
			break
		}
		b.WriteString(wrap.Render(c.text[1]) + "\n\n")
		p.writeReasons(&b, c)
	case permNoSCR:
		b.WriteString(st.Notice.Render(c.notice) + "\n\n")
		b.WriteString(st.Faint.Render(c.hint) + "\n")
	case permAsk:
		b.WriteString(st.Title.Render(c.title) + "\n")
		b.WriteString(wrap.Render(c.text[0]) + "\n\n")
		for _, ch := range c.choices {
			// Options wrap under their own words, not under the key.
			opt := "  " + ch.key + "  " + strings.ReplaceAll(ansi.Wrap(ch.words, max(p.c.width-7, 10), ""), "\n", "\n     ")
			if ch.off {
				opt = st.Disabled.Render(opt)
			}
			b.WriteString(opt + "\n")
		}
	case permReason:
		b.WriteString(st.Title.Render(c.title) + "\n")
		b.WriteString(wrap.Render(c.text[0]) + "\n\n")
		p.writeReasons(&b, c)
	case permNote:
		b.WriteString(wrap.Render(st.Title.Render(c.title)) + "\n\n")
		b.WriteString(c.prompt + "\n")
		b.WriteString(p.note.View() + "\n")
		// Under the field, the example; once typing nears the limit, the
		// room left instead, so that the field never stops unexplained.
		switch room := p.noteRoom(); {
		case room == "":
			b.WriteString(st.Faint.Render(wrap.Render(p.noteHint())) + "\n\n")
		case noteLength(p.note.Value()) >= noteLimit:
			b.WriteString(st.Notice.Render(room) + "\n\n")
		default:
			b.WriteString(st.Faint.Render(room) + "\n\n")
		}
		if c.hint != "" {
			b.WriteString(st.Faint.Render(c.hint) + "\n")
		}
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + wrap.Render(st.Error.Render(c.err)) + "\n")
	}
	return b.String()
}

// writeReasons lists the reasons to choose from, the cursor on one.
func (p permissionScreen) writeReasons(b *strings.Builder, c content) {
	st := p.c.styles
	for _, ch := range c.choices {
		words := strings.ReplaceAll(ansi.Wrap(ch.words, max(p.c.width-4, 10), ""), "\n", "\n  ")
		if ch.at {
			b.WriteString(st.Selected.Render("> "+words) + "\n")
		} else {
			b.WriteString("  " + words + "\n")
		}
	}
	b.WriteString("\n" + st.Faint.Render(c.hint) + "\n")
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
