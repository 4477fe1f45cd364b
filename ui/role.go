package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/scrterm/scr/client"
)

// roleScreen lists the holder's roles (name and organisation), those that
// cannot view a record or read audit reports marked and passed over; Enter
// chooses one (chooseRole), and the root takes the role that comes back
// (Model.roleChosen).
type roleScreen struct {
	idx int    // the role the cursor is on
	err string // why no role, or the last choice, would do
	// back is where Esc goes when switching roles (ctrl+r): the screen
	// switched from (a record, as it was; any other, its patient
	// forgotten), forgotten in any case once a role is chosen. nil on the
	// first choice, which has no back.
	back screen
}

// newRoleScreen is the roles with the cursor on the role of ID at, if it
// can be used, else on the first that can.
func newRoleScreen(s *session, at string, back screen) roleScreen {
	r := roleScreen{back: back}
	first := -1
	for i, role := range s.api.Roles {
		if !roleUsable(role) {
			continue
		}
		if first < 0 {
			first = i
		}
		if at != "" && role.ID == at {
			r.idx = i
			return r
		}
	}
	r.idx = max(first, 0)
	return r
}

// roleChosenMsg answers chooseRole.
type roleChosenMsg struct {
	role client.Role
	err  error
}

// chooseRole exchanges the session's token for one scoped to r.
func chooseRole(s *session, r client.Role) tea.Cmd {
	s.busy = "Choosing " + roleName(r) + "…"
	api, ctx := s.api, s.run
	return tea.Batch(s.spin.Tick, s.startSession(func() tea.Msg {
		role, err := api.ChooseRole(ctx, r.ID)
		return roleChosenMsg{role: role, err: err}
	}))
}

func (r roleScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return r, nil
	}
	k, roles := s.keys, s.api.Roles
	switch {
	case key.Matches(km, k.Up):
		for i := r.idx - 1; i >= 0; i-- {
			if roleUsable(roles[i]) {
				r.idx = i
				break
			}
		}
	case key.Matches(km, k.Down):
		for i := r.idx + 1; i < len(roles); i++ {
			if roleUsable(roles[i]) {
				r.idx = i
				break
			}
		}
	case key.Matches(km, k.Back) && r.back != nil:
		return r.back, nil
	case key.Matches(km, k.Submit):
		if r.idx < len(roles) && roleUsable(roles[r.idx]) {
			// The patient of the old role goes now: the new one may not
			// see them.
			if r.back != nil {
				r.back = forgetPatient(s, r.back, keepForm)
			}
			r.err = ""
			return r, chooseRole(s, roles[r.idx])
		}
	}
	return r, nil
}

// says is the roles, each with its organisation and what it cannot do.
func (r roleScreen) says(s *session) content {
	c := content{title: "Choose your role", err: r.err}
	for i, role := range s.api.Roles {
		words := roleName(role) + " — " + role.OrgCode
		switch {
		case role.CanView():
		case role.CanAudit():
			words += "  (audit reports)"
		default:
			words += "  (cannot view a Summary Care Record)"
		}
		c.choices = append(c.choices, choice{words: words, off: !roleUsable(role), at: i == r.idx})
	}
	return c
}

func (r roleScreen) view(s *session, _ int) string {
	c := r.says(s)
	st := s.styles
	var b strings.Builder
	b.WriteString(s.header())
	b.WriteString(st.Title.Render(c.title) + "\n\n")
	for _, ch := range c.choices {
		switch {
		case ch.off:
			b.WriteString(styledRow(st.Disabled, "  ", ch.words, s.width))
		case ch.at:
			b.WriteString(styledRow(st.Selected, "> ", ch.words, s.width))
		default:
			b.WriteString(styledRow(lipgloss.NewStyle(), "  ", ch.words, s.width))
		}
	}
	if busy := s.busyLine(); busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(s.width-2).Render(st.Error.Render(c.err)) + "\n")
	}
	return b.String()
}

func (r roleScreen) bindings(s *session, _ bool) []key.Binding {
	k := s.keys
	bs := []key.Binding{k.Up, k.Down, k.Submit}
	if r.back != nil {
		bs = append(bs, k.Back)
	}
	return bs
}

func (roleScreen) field(*session) field { return noField }
func (roleScreen) hasInput() bool       { return false }
func (roleScreen) name() string         { return "role" }

// roleUsable: a role that can view records or read audit reports.
func roleUsable(r client.Role) bool { return r.CanView() || r.CanAudit() }

// roleName is the last part of a CIS2 role name
// ("Clinical":"Clinical Provision":"Health Professional Access Role").
func roleName(r client.Role) string { return roleWords(r.Name) }

func roleWords(name string) string {
	parts := strings.Split(name, ":")
	last := strings.Trim(strings.TrimSpace(parts[len(parts)-1]), `"`)
	if last == "" {
		return "Role " + name
	}
	return last
}
