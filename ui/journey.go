package ui

import (
	"errors"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
)

// The patient part of the journey: find, permission, summary.

func (m Model) findKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.c.keys
	var cmd tea.Cmd
	switch m.find.mode {
	case findByNumber:
		switch {
		case key.Matches(msg, k.Submit):
			nhs, hint, ok := m.find.numberState()
			if !ok {
				m.find.err = hint
				return m, nil
			}
			return m.startLookup(nhs)
		case key.Matches(msg, k.SearchForm):
			m.find, cmd = m.find.showForm()
			return m, cmd
		case key.Matches(msg, k.Back):
			// Nothing to go back to; the number stays (ctrl+u clears it).
			return m, nil
		}
	case findByDetails:
		switch {
		case key.Matches(msg, k.Submit):
			q, problem := m.find.query()
			if problem != "" {
				m.find.err = problem
				return m, nil
			}
			return m.startSearch(q)
		case key.Matches(msg, k.Back), key.Matches(msg, k.SearchForm):
			m.find = m.find.showNumber()
			return m, nil
		case msg.String() == "tab" || msg.String() == "down":
			m.find, cmd = m.find.focusField(m.find.focus + 1)
			return m, cmd
		case msg.String() == "shift+tab" || msg.String() == "up":
			m.find, cmd = m.find.focusField(m.find.focus - 1)
			return m, cmd
		}
	case findResults:
		switch {
		case key.Matches(msg, k.Submit):
			if p := m.find.picked(); p != nil {
				return m.startLookup(p.NHSNumber)
			}
			return m, nil // a result that cannot be used is not looked up
		case key.Matches(msg, k.Back):
			m.find, cmd = m.find.showForm()
			return m, cmd
		}
	}
	m.find, cmd = m.find.update(msg)
	return m, cmd
}

func (m Model) startLookup(nhs client.NHSNumber) (Model, tea.Cmd) {
	m.req++
	m.busy = "Looking up NHS No. " + formatNHSNumber(nhs) + "…"
	m.find.err, m.find.notice = "", ""
	s, gen, req, ctx := m.session, m.gen, m.req, m.ctx
	return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
		l, err := s.Lookup(ctx, nhs)
		return lookupMsg{gen: gen, req: req, lookup: l, err: err}
	}))
}

func (m Model) startSearch(q client.PatientQuery) (Model, tea.Cmd) {
	m.req++
	m.busy = "Searching…"
	m.find.err = ""
	s, gen, req, ctx := m.session, m.gen, m.req, m.ctx
	return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
		ms, err := s.SearchPatients(ctx, q)
		return searchMsg{gen: gen, req: req, matches: ms, err: err}
	}))
}

// looked decides what the lookup allows: nothing for an opted-out patient,
// the banner and a sentence for no SCR, otherwise the permission question
// (legacy consent Yes is asked like Ask, as API.md has it).
func (m Model) looked(msg lookupMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || msg.req != m.req || m.state != stateFind {
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		if m.isSignedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		m.find.err = explain.Error(msg.err)
		return m, nil
	}
	l := msg.lookup
	var optedOut *client.OptedOutError
	switch {
	case errors.As(l.ConsentErr, &optedOut), l.ConsentErr == nil && l.Consent.Permission == client.ConsentNo:
		// Opted out: say so and show nothing of the record.
		m.find = newFindModel(m.c, "")
		m.find.err = explain.Error(&client.OptedOutError{})
		return m, nil
	case errors.Is(l.ConsentErr, client.ErrNoSCR):
		m.lookup = l
		m.permission = newPermissionModel(m.c, l, m.role, permNoSCR)
		m.state = statePermission
		return m, nil
	case l.ConsentErr != nil:
		if m.isSignedOut(l.ConsentErr) {
			return m.sessionEnded(), nil
		}
		m.find.err = explain.Error(l.ConsentErr)
		return m, nil
	}
	m.lookup = l
	first := permAsk
	if l.Patient != nil && l.Patient.Deceased {
		// No one can give permission for a patient who has died.
		first = permDeceased
	}
	m.permission = newPermissionModel(m.c, l, m.role, first)
	m.state = statePermission
	return m, nil
}

func (m Model) permissionKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	p := &m.permission
	k := m.c.keys
	// Esc goes back one step and never answers the question: going back
	// from the question itself leaves the patient, recording nothing.
	switch p.step {
	case permSuperseded:
		switch {
		case key.Matches(msg, k.Submit):
			p.step = p.first
		case key.Matches(msg, k.Back):
			return m.backToFind(), nil
		}
		return m, nil
	case permNoSCR:
		switch {
		case key.Matches(msg, k.Back):
			return m.backToFind(), nil
		case key.Matches(msg, k.NewPatient), key.Matches(msg, k.Submit):
			return m.newPatient(), nil
		}
		return m, nil
	case permAsk:
		switch {
		case key.Matches(msg, k.PermGiven):
			return m.viewWithPermission()
		case key.Matches(msg, k.PermEmergency):
			if len(p.reasons) == 0 {
				p.err = "Your role cannot use emergency access (it needs activity B0168). Ask the patient, or switch role."
				return m, nil
			}
			p.step, p.err = permReason, ""
			return m, nil
		case key.Matches(msg, k.PermDeclined):
			m = m.newPatient()
			m.find.notice = "Nothing was shown: the patient did not give permission."
			return m, nil
		case key.Matches(msg, k.Back):
			return m.backToFind(), nil
		}
		return m, nil
	case permReason, permDeceased:
		switch {
		case key.Matches(msg, k.Back) && p.step == permDeceased:
			return m.backToFind(), nil
		case key.Matches(msg, k.Back):
			p.step = permAsk
		case key.Matches(msg, k.Up) && p.reasonIdx > 0:
			p.reasonIdx--
		case key.Matches(msg, k.Down) && p.reasonIdx < len(p.reasons)-1:
			p.reasonIdx++
		case key.Matches(msg, k.Submit) && len(p.reasons) > 0:
			p.step = permNote
			return m, p.note.Focus()
		}
		return m, nil
	case permNote:
		switch {
		case key.Matches(msg, k.Back):
			p.note.Blur()
			p.step = p.list
			return m, nil
		case key.Matches(msg, k.Submit):
			return m.sendAlert(p.reasons[p.reasonIdx], p.note.Value())
		}
	case permSending:
		// What is sent cannot be called back; the answer decides.
		return m, nil
	}
	var cmd tea.Cmd
	m.permission, cmd = m.permission.update(msg)
	return m, cmd
}

// backToFind is Esc from a patient: the search as it was (the number typed,
// or the matches), with nothing of the patient kept and nothing sent.
func (m Model) backToFind() Model {
	find := m.find
	m = m.clearPatient()
	find.err, find.notice = "", ""
	m.find = find
	m.state = stateFind
	return m
}

// sendAlert raises the privacy alert for reason, with the user's note; the
// record is fetched only once the server has acknowledged it.
func (m Model) sendAlert(reason client.AlertReason, note string) (Model, tea.Cmd) {
	p := &m.permission
	p.sentFrom = p.step
	p.step, p.err = permSending, ""
	p.parallel, p.acked, p.pending = false, false, nil
	m.req++
	m.busy = "Recording the access…"
	alert := client.PrivacyAlert{
		NHS:    m.lookup.Patient.NHSNumber,
		SCRID:  m.lookup.Consent.SCRID,
		Reason: reason,
		Note:   note,
	}
	s, gen, req, ctx := m.session, m.gen, m.req, m.ctx
	return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
		return alertSentMsg{gen: gen, req: req, err: s.SendPrivacyAlert(ctx, alert)}
	}))
}

// viewWithPermission records the patient's permission with the server as a
// self-claimed legitimate relationship (alert type 1, subtype 6, "SCR
// accessed with the patient's permission"), so the audit trail says the
// record was viewed with it, and asks for the record at the same time: one
// round trip, not two. The record is shown only once both have come back
// and the alert was acknowledged.
func (m Model) viewWithPermission() (Model, tea.Cmd) {
	if m.permission.deceased() {
		// No one can give permission after death: never claim it.
		return m, nil
	}
	m, alertCmd := m.sendAlert(client.AlertLRWithPermission, "The patient gave permission to view their Summary Care Record.")
	m.permission.parallel, m.permission.acked, m.permission.pending = true, false, nil
	m.busy = "Opening the Summary Care Record…"
	return m, tea.Batch(alertCmd, m.summaryTask())
}

func (m Model) alertSent(msg alertSentMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || msg.req != m.req || m.state != statePermission {
		return m, nil
	}
	p := &m.permission
	if msg.err != nil {
		if m.isSignedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		m.req++ // a record on its way beside the alert is dropped
		m.busy = ""
		p.step, p.pending = p.sentFrom, nil
		if p.step == permNote {
			p.step = p.list
		}
		p.err = "The access could not be recorded, so the record is not shown. " + explain.Error(msg.err)
		return m, nil
	}
	if !p.parallel {
		return m.fetchSummary()
	}
	p.acked = true
	if p.pending != nil {
		return m.showSummary(p.pending), nil
	}
	return m, nil
}

// summaryTask fetches the record for the current request.
func (m Model) summaryTask() tea.Cmd {
	nhs, scrID := m.lookup.Patient.NHSNumber, m.lookup.Consent.SCRID
	s, gen, req, ctx := m.session, m.gen, m.req, m.ctx
	return task(func() tea.Msg {
		sum, err := s.Summary(ctx, nhs, scrID)
		return summaryMsg{gen: gen, req: req, summary: sum, err: err}
	})
}

func (m Model) showSummary(sum *client.Summary) Model {
	m.busy = ""
	m.permission.pending = nil
	m.summary = newSummaryModel(m.c, m.lookup.Patient, sum, m.footer())
	m.state = stateSummary
	return m
}

// fetchSummary asks for the record once an emergency alert is acknowledged.
func (m Model) fetchSummary() (Model, tea.Cmd) {
	m.req++
	m.permission.step = permSending
	m.busy = "Opening the Summary Care Record…"
	return m, tea.Batch(m.spin.Tick, m.summaryTask())
}

func (m Model) summaryArrived(msg summaryMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || msg.req != m.req || m.state != statePermission || m.lookup == nil {
		return m, nil
	}
	if msg.err != nil {
		m.busy = ""
		m.req++ // the alert beside it, if any, no longer leads anywhere
		if m.isSignedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		var optedOut *client.OptedOutError
		switch {
		case errors.As(msg.err, &optedOut):
			m = m.newPatient()
			m.find.err = explain.Error(msg.err)
			return m, nil
		case errors.Is(msg.err, client.ErrRecordChanged):
			// The record changed under the read: what was looked up is out
			// of date, so the patient is looked up afresh, number kept.
			nhs := m.lookup.Patient.NHSNumber
			m = m.newPatient()
			m.find = newFindModel(m.c, string(nhs))
			m.find.err = explain.Error(msg.err)
			return m, nil
		case errors.Is(msg.err, client.ErrNoSCR):
			// The SCR was withdrawn between the lookup and the read.
			m.permission.step, m.permission.err = permNoSCR, ""
			return m, nil
		}
		m.permission.step = m.permission.first
		m.permission.err = explain.Error(msg.err)
		return m, nil
	}
	if p := &m.permission; p.parallel && !p.acked {
		// Not shown before the server has the permission recorded.
		p.pending = msg.summary
		return m, nil
	}
	m = m.showSummary(msg.summary)
	return m, nil
}

// footer is the summary's last line: who is looking, and that it is recorded.
func (m Model) footer() string {
	return "Viewed as " + roleName(m.role) + " at " + m.role.OrgCode + " · access recorded"
}

// newPatient forgets the patient and goes back to the search.
func (m Model) newPatient() Model {
	m = m.clearPatient()
	m.state = stateFind
	return m
}
