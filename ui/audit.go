package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
)

// auditModel is the privacy officer's screen: who accessed one patient's
// records (a Subject Access Request), newest first.
type auditModel struct {
	c       *common
	number  string
	asked   client.NHSNumber
	rows    []client.Access
	loaded  bool
	top     int // first row shown
	err     string
	editing bool
}

func newAuditModel(c *common) auditModel {
	return auditModel{c: c, editing: true}
}

func (a auditModel) clear() auditModel {
	return auditModel{c: a.c, editing: true}
}

// typing: digits go to the number field, letters stay commands.
func (a auditModel) typing() bool { return false }

func (a auditModel) update(msg tea.Msg) (auditModel, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return a, nil
	}
	if a.editing {
		switch k.String() {
		case "backspace", "ctrl+h":
			if n := len(a.number); n > 0 {
				a.number = a.number[:n-1]
			}
		case "ctrl+u":
			a.number = ""
		default:
			a.number = appendNumberChars(a.number, k.Text)
		}
		a.err = ""
		return a, nil
	}
	keys := a.c.keys
	switch {
	case key.Matches(k, keys.Up) && a.top > 0:
		a.top--
	case key.Matches(k, keys.Down) && a.top < len(a.rows)-1:
		a.top++
	case key.Matches(k, keys.Top):
		a.top = 0
	case key.Matches(k, keys.Bottom):
		a.top = max(len(a.rows)-1, 0)
	}
	return a, nil
}

func (a auditModel) setRows(rows []client.Access, err error) auditModel {
	if err != nil {
		a.err, a.editing = Explain(err), true
		return a
	}
	// Newest first: the question is usually "who looked recently".
	out := make([]client.Access, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r
	}
	a.rows, a.loaded, a.top, a.editing, a.err = out, true, 0, false, ""
	return a
}

func (m Model) auditKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.c.keys
	a := &m.audit
	switch {
	case a.editing && key.Matches(msg, k.Submit):
		nhs, err := client.ParseNHSNumber(a.number)
		if err != nil {
			a.err = Explain(err)
			return m, nil
		}
		a.asked = nhs
		m.req++
		m.busy = "Reading the audit trail…"
		s, gen, req, ctx := m.session, m.gen, m.req, m.ctx
		return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
			rows, err := s.AccessReport(ctx, nhs, time.Time{}, time.Time{})
			return auditMsg{gen: gen, req: req, rows: rows, err: err}
		}))
	case !a.editing && (key.Matches(msg, k.NewPatient) || key.Matches(msg, k.Back)):
		m.audit = m.audit.clear()
		m.req++
		return m, nil
	}
	var cmd tea.Cmd
	m.audit, cmd = m.audit.update(msg)
	return m, cmd
}

func (a auditModel) view(busy string, height int) string {
	s := a.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Audit: who accessed a patient's record") + "\n\n")
	if a.editing {
		b.WriteString("NHS number  " + s.Selected.Render(" "+a.number+"█ ") + "\n")
		b.WriteString(s.Faint.Render("Enter lists every access to this patient's records.") + "\n")
	} else {
		fmt.Fprintf(&b, "NHS No. %s: %d accesses, newest first. n: another patient.\n\n", formatNHSNumber(a.asked), len(a.rows))
		room := height - 6
		for _, r := range a.rows[min(a.top, len(a.rows)):] {
			if room < 2 {
				break
			}
			who, what := accessLines(r)
			b.WriteString(ansiTruncate(who, a.c.width) + "\n")
			// The reason is the user's own words: wrapped, never cut.
			for _, l := range strings.Split(ansi.Wrap(what, max(a.c.width-4, 10), " "), "\n") {
				b.WriteString("    " + l + "\n")
				room--
			}
			room--
		}
		if len(a.rows) == 0 {
			b.WriteString("No access is recorded for this patient.\n")
		}
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if a.err != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(max(a.c.width-2, 10)).Render(s.Error.Render(a.err)) + "\n")
	}
	return b.String()
}

// accessLines is one audit row in two lines: when, who, as what and where;
// then what was done, whether with the patient's permission, and why.
func accessLines(r client.Access) (who, what string) {
	perm := "without permission"
	if r.WithPermission {
		perm = "with permission"
	}
	what = r.Kind
	if r.Outcome != client.AccessSucceeded {
		what += " (" + r.Outcome.String() + ")"
	}
	what += ", " + perm
	if r.Reason != "" {
		what += ": " + r.Reason
	}
	who = fmt.Sprintf("%s  %s, %s at %s", formatDateTime(r.When), r.UserName, roleWords(r.RoleName), r.OrgCode)
	return who, what
}
