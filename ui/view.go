package ui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

// View draws the screen. It is always in the alternate screen, which the
// terminal discards on exit, and it is empty once quitting, so nothing of a
// record is left in the terminal or its scrollback.
func (m Model) View() (v tea.View) {
	defer func() {
		if recover() != nil {
			v = tea.NewView("scr hit an internal error and cleared the screen. Press ctrl+c to quit.")
			v.AltScreen = true
		}
	}()
	v.AltScreen = true
	v.WindowTitle = "scr"
	if m.quitting {
		return v
	}
	v.SetContent(m.render())
	return v
}

func (m Model) render() string {
	w, h := m.c.width, m.c.height
	if w < minWidth || h < minHeight {
		// Not the record in pieces: a banner cut in half misleads.
		// ctrl+c, not q: q may be going into a field the window hides.
		msg := fmt.Sprintf("Make the window larger: scr needs at least %d×%d (this one is %d×%d). ctrl+c quits.", minWidth, minHeight, w, h)
		if m.confirmQuit {
			msg = quitQuestion
		}
		return fitScreen(ansi.Wrap(msg, max(w, 1), " "), w, h)
	}
	if m.showHelp {
		return fitScreen(m.helpView(), w, h)
	}
	// The footer first: a message that wraps takes its lines from the
	// screen above it.
	foot := m.footerLines()
	if len(foot) > h-1 {
		foot = foot[len(foot)-(h-1):]
	}
	bodyH := h - len(foot)
	var body string
	busy := ""
	if m.busy != "" {
		busy = m.spin.View() + " " + m.busy
	}
	switch m.state {
	case stateCard:
		body = m.cardView()
	case statePasscode:
		body = m.passcodeView()
	case stateSigningIn:
		body = m.header() + "\n" + busy
	case stateRole:
		body = m.header() + m.roleView(busy)
	case stateFind:
		body = m.header() + m.find.view(busy)
	case statePermission:
		body = m.permission.view(busy)
	case stateSummary:
		body = m.summary.viewIn(bodyH)
	case stateAudit:
		body = m.header() + m.audit.view(busy, bodyH-1)
	case stateLocked:
		body = m.lockedView(busy)
	}
	return fitScreen(body, w, bodyH) + "\n" + strings.Join(foot, "\n")
}

// quitQuestion is asked before quitting would lose what was typed.
const quitQuestion = "Quit and lose what you typed? y/n"

// footerLines are the last lines: the quit question when one is open, else
// a message just given, else the keys of this screen. A sentence wraps onto
// as many lines as it needs, and the screen above gives way: a message cut
// short could say the opposite of what was meant.
func (m Model) footerLines() []string {
	s := m.c.styles
	w := max(m.c.width, 1)
	switch {
	case m.confirmQuit:
		return strings.Split(ansi.Wrap(s.Error.Render(quitQuestion)+s.Faint.Render("  (y quits; n or Esc goes back)"), w, ""), "\n")
	case m.flash != "":
		return strings.Split(ansi.Wrap(s.Notice.Render(m.flash), w, ""), "\n")
	}
	return []string{m.helpLine()}
}

// header is the line over the screens after sign-in: who, as what.
func (m Model) header() string {
	if m.session == nil {
		return ""
	}
	s := m.c.styles
	line := m.session.UserName
	if m.hasRole {
		line += " · " + roleName(m.role) + " · " + m.role.OrgCode
	}
	return s.Faint.Render(ansiTruncate(line, m.c.width)) + "\n\n"
}

func (m Model) cardView() string {
	s := m.c.styles
	wrap := lipgloss.NewStyle().Width(m.c.width - 2)
	var b strings.Builder
	b.WriteString(s.Title.Render("scr · Summary Care Record") + "\n\n")
	switch {
	case m.watchErr != nil:
		b.WriteString(wrap.Render(s.Error.Render(explain.Error(m.watchErr))) + "\n")
	case m.serviceLost:
		// The notice below says it; "no reader" would send the user to a
		// cable that is fine.
	case !m.watching:
		b.WriteString("Looking for card readers…\n")
	case len(m.readers) == 0:
		b.WriteString(wrap.Render(s.Error.Render("No card reader is connected. Plug in a reader, or check its cable.")) + "\n")
	default:
		b.WriteString(s.Highlight.Render("Insert your smartcard.") + "\n\n")
		names := make([]string, 0, len(m.readers))
		for r := range m.readers {
			names = append(names, r)
		}
		sort.Strings(names)
		for _, r := range names {
			state := "empty"
			if m.readers[r] {
				state = "card inserted"
				if m.opening == r {
					state = "reading the card…"
				}
			}
			if m.opts.Reader != "" && r != m.opts.Reader {
				state += " (not used: --reader names another)"
			}
			// The reader's name is the PC/SC driver's: through the gate.
			b.WriteString(ansiTruncate("  "+safetext.Line(r)+": "+state, m.c.width) + "\n")
		}
	}
	if m.cardErr != nil {
		b.WriteString("\n" + wrap.Render(s.Error.Render(explain.Error(m.cardErr))) + "\n")
	}
	if m.passNotice != "" {
		b.WriteString("\n" + wrap.Render(s.Notice.Render(m.passNotice)) + "\n")
	}
	b.WriteString(m.demoView())
	return b.String()
}

func (m Model) passcodeView() string {
	s := m.c.styles
	wrap := lipgloss.NewStyle().Width(m.c.width - 2)
	var b strings.Builder
	b.WriteString(s.Title.Render("scr · Summary Care Record") + "\n\n")
	if m.card != nil {
		b.WriteString("Card of " + s.Highlight.Render(m.card.Holder().Name) + "\n\n")
	}
	if m.passNotice != "" {
		b.WriteString(wrap.Render(s.Notice.Render(m.passNotice)) + "\n\n")
	}
	if m.pinStatus.Blocked() {
		b.WriteString(wrap.Render(s.Error.Render(explain.Error(smartcard.ErrPINBlocked))) + "\n")
		return b.String() + m.demoView()
	}
	b.WriteString("Enter your passcode  " + m.passcode.view() + "\n")
	if !m.pinStatus.Verified && m.pinStatus.TriesLeft > 0 && m.pinStatus.TriesLeft <= 3 {
		b.WriteString(s.Faint.Render(fmt.Sprintf("%d tries left before the card is locked.", m.pinStatus.TriesLeft)) + "\n")
	}
	if m.passErr != "" {
		b.WriteString("\n" + wrap.Render(s.Error.Render(m.passErr)) + "\n")
	}
	return b.String() + m.demoView()
}

func (m Model) roleView(busy string) string {
	s := m.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Choose your role") + "\n\n")
	for i, r := range m.session.Roles {
		line := roleName(r) + " — " + r.OrgCode
		switch {
		case r.CanView():
		case r.CanAudit():
			line += "  (audit reports)"
		default:
			line += "  (cannot view a Summary Care Record)"
		}
		line = ansiTruncate(line, m.c.width-2)
		switch {
		case !roleUsable(r):
			b.WriteString(s.Disabled.Render("  "+line) + "\n")
		case i == m.roleIdx:
			b.WriteString(s.Selected.Render("> "+line) + "\n")
		default:
			b.WriteString("  " + line + "\n")
		}
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if m.roleErr != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(m.c.width-2).Render(s.Error.Render(m.roleErr)) + "\n")
	}
	return b.String()
}

func (m Model) lockedView(busy string) string {
	s := m.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("scr is locked") + "\n\n")
	if m.card != nil {
		b.WriteString(lipgloss.NewStyle().Width(m.c.width-2).Render("Locked for "+s.Highlight.Render(m.card.Holder().Name)+". Nothing of the record is shown while locked.") + "\n\n")
	}
	b.WriteString("Enter your passcode to resume  " + m.passcode.view() + "\n")
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if m.unlockErr != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(m.c.width-2).Render(s.Error.Render(m.unlockErr)) + "\n")
	}
	b.WriteString("\n" + s.Faint.Render("Someone else? Take the card out: the session ends.") + "\n")
	return b.String()
}

// helpLine is the keys of this screen, the ones that matter most first (n,
// ? and q), as many whole keys as fit: a narrow window leaves out the
// others, which ? lists, rather than showing half of one.
func (m Model) helpLine() string {
	return ansiTruncate(strings.TrimRight(m.help.ShortHelpView(m.bindings()), " "), m.c.width)
}

// helpView is the help of the screen it was opened on: that screen's keys,
// the session's, and help and quit; no key that does nothing here.
func (m Model) helpView() string {
	s := m.c.styles
	cols := [][]key.Binding{}
	if here := m.screenKeys(true); len(here) > 0 {
		cols = append(cols, here)
	}
	if session := m.sessionKeys(); len(session) > 0 {
		cols = append(cols, session)
	}
	cols = append(cols, m.firstKeys())
	return s.Title.Render("Keys: "+m.screenName()) + "\n\n" + m.help.FullHelpView(cols) +
		"\n\n" + s.Faint.Render("Any key closes this help.")
}

// screenName is the screen the help was opened on, in words.
func (m Model) screenName() string {
	switch m.state {
	case stateFind:
		switch m.find.mode {
		case findByDetails:
			return "search by details"
		case findResults:
			return "search results"
		}
		return "find a patient by NHS number"
	case statePermission:
		switch m.permission.step {
		case permSuperseded:
			return "NHS number replaced"
		case permNoSCR:
			return "no Summary Care Record"
		case permReason:
			return "emergency access"
		case permNote:
			if m.permission.list == permDeceased {
				return "access after death"
			}
			return "emergency access"
		case permDeceased:
			return "patient who has died"
		}
		return "permission to view"
	case stateSummary:
		return "Summary Care Record"
	}
	return m.state.String()
}

// bindings are the footer's keys: n, ? and q first where they apply, then
// the screen's own.
func (m Model) bindings() []key.Binding {
	return append(m.firstKeys(), m.screenKeys(false)...)
}

// firstKeys are new patient, help and quit, where they apply. In a field q
// is a letter or ignored, so there ctrl+c is the way out; in a text field ?
// is a character.
func (m Model) firstKeys() []key.Binding {
	k := m.c.keys
	var bs []key.Binding
	if m.state == stateSummary || m.state == statePermission && m.permission.step == permNoSCR {
		bs = append(bs, k.NewPatient)
	}
	if !m.typing() {
		bs = append(bs, k.Help)
	}
	if m.inField() {
		bs = append(bs, key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")))
	} else {
		bs = append(bs, k.Quit)
	}
	return bs
}

// screenKeys are the keys that do something on the screen shown; full adds
// those the footer has no room for.
func (m Model) screenKeys(full bool) []key.Binding {
	k := m.c.keys
	var bs []key.Binding
	switch m.state {
	case stateCard:
		if m.demoPicking() {
			bs = []key.Binding{k.Up, k.Down, withHelp(k.Submit, "enter", "put the card in")}
		}
	case statePasscode:
		if !m.pinStatus.Blocked() {
			bs = []key.Binding{withHelp(k.Submit, "enter", "sign in"), k.ClearField}
		}
	case stateLocked:
		bs = []key.Binding{withHelp(k.Submit, "enter", "unlock"), k.ClearField}
	case stateRole:
		bs = []key.Binding{k.Up, k.Down, k.Submit}
		if m.hasRole {
			bs = append(bs, k.Back)
		}
	case stateFind:
		switch m.find.mode {
		case findByNumber:
			bs = []key.Binding{withHelp(k.Submit, "enter", "look up"), k.SearchForm, k.ClearField}
		case findByDetails:
			bs = []key.Binding{withHelp(k.Submit, "enter", "search"), k.NextField, k.Back}
			if full {
				bs = append(bs, k.PrevField)
			}
		case findResults:
			bs = []key.Binding{k.Up, k.Down, withHelp(k.Submit, "enter", "open"), k.Back}
		}
	case statePermission:
		bs = m.permission.bindings()
	case stateSummary:
		bs = []key.Binding{k.Down, k.PageDown, k.NextSection, k.Allergies, k.Medication}
		bs = append(bs, m.summary.flagBindings()...) // the banner's flags
		if full {
			bs = append(bs, k.Up, k.PageUp, k.Top, k.Bottom, k.PrevSection, withHelp(k.Back, "esc", "new patient"))
		}
	case stateAudit:
		bs = m.audit.bindings()
	}
	if full && k.ToggleDemo.Enabled() {
		bs = append(bs, k.ToggleDemo)
	}
	return bs
}

// sessionKeys work wherever a session is open and the screen is not locked.
func (m Model) sessionKeys() []key.Binding {
	if m.session == nil || m.state == stateLocked || m.state == stateSigningIn {
		return nil
	}
	k := m.c.keys
	var bs []key.Binding
	if m.hasRole && len(m.session.Roles) > 1 {
		bs = append(bs, k.SwitchRole)
	}
	return append(bs, k.Lock, k.SignOut)
}

func withHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

// fitScreen makes s exactly h lines of at most w cells, so that a long
// line never wraps and pushes the screen up.
func fitScreen(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansiTruncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func ansiTruncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

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
