package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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
	w, h := m.sess.width, m.sess.height
	if m.tooSmall() {
		// Not the record in pieces: a banner cut in half misleads.
		// ctrl+c, not q: below the minimum no other key is taken
		// (handleSmall), so none answers a screen not shown.
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
	body := m.current().view(&m.sess, bodyH)
	return fitScreen(body, w, bodyH) + "\n" + strings.Join(foot, "\n")
}

// tooSmall is whether the window is below the minimum, where the view asks
// for a larger one and shows nothing of the screen under it; the keys
// (handleSmall) go by the same test, so nothing is answered unseen.
func (m Model) tooSmall() bool {
	return m.sess.width < minWidth || m.sess.height < minHeight
}

// quitQuestion is asked before quitting would lose what was typed.
const quitQuestion = "Quit and lose what you typed? y/n"

// footerLines are the last lines: the quit question when one is open, else
// a message just given, else the keys of this screen. A sentence wraps onto
// as many lines as it needs, and the screen above gives way: a message cut
// short could say the opposite of what was meant.
func (m Model) footerLines() []string {
	s := m.sess.styles
	w := max(m.sess.width, 1)
	switch {
	case m.confirmQuit:
		return strings.Split(ansi.Wrap(s.Error.Render(quitQuestion)+s.Faint.Render("  (y quits; n or Esc goes back)"), w, ""), "\n")
	case m.flash != "":
		return strings.Split(ansi.Wrap(s.Notice.Render(m.flash), w, ""), "\n")
	}
	return []string{m.helpLine()}
}

// helpLine is the keys of this screen, the ones that matter most first (n,
// ? and q), as many whole keys as fit: a narrow window leaves out the
// others, which ? lists, rather than showing half of one.
func (m Model) helpLine() string {
	first, here := m.screenKeys(false)
	keys := append(first, here...)
	// help stops at the width on its own, but not where the keys before
	// leave less than a cell over: then one key fewer.
	for n := len(keys); n > 0; n-- {
		if line := strings.TrimRight(m.help.ShortHelpView(keys[:n]), " "); ansi.StringWidth(line) <= m.sess.width {
			return line
		}
	}
	return ""
}

// helpView is the help of the screen it was opened on: that screen's keys,
// the session's, and new patient, help and quit; no key that does nothing
// here.
func (m Model) helpView() string {
	s := m.sess.styles
	first, here := m.screenKeys(true)
	cols := [][]key.Binding{}
	if len(here) > 0 {
		cols = append(cols, here)
	}
	if session := m.sessionKeys(); len(session) > 0 {
		cols = append(cols, session)
	}
	cols = append(cols, first)
	return s.Title.Render("Keys: "+m.current().name()) + "\n\n" + m.help.FullHelpView(cols) +
		"\n\n" + s.Faint.Render("Any key closes this help.")
}

// screenKeys are the keys of the screen shown: first, new patient (where
// the screen offers it), help and quit; then the screen's own, those the
// footer has no room for too when full. In a field q is a letter or
// ignored, so there ctrl+c is the way out; in a text field ? is a
// character.
func (m Model) screenKeys(full bool) (first, here []key.Binding) {
	k := m.sess.keys
	cur := m.current()
	for _, b := range cur.bindings(&m.sess, full) {
		if b.Help() == k.NewPatient.Help() {
			first = append(first, b)
			continue
		}
		here = append(here, b)
	}
	if full && k.ToggleDemo.Enabled() {
		here = append(here, k.ToggleDemo)
	}
	switch cur.field(&m.sess) {
	case noField:
		first = append(first, k.Help, k.Quit)
	case digitField:
		first = append(first, k.Help, k.QuitInField)
	case textField:
		first = append(first, k.QuitInField)
	}
	return first, here
}

// sessionKeys work wherever a session is open and the screen is not locked.
func (m Model) sessionKeys() []key.Binding {
	if !m.sessionOpen() {
		return nil
	}
	k := m.sess.keys
	var bs []key.Binding
	if m.sess.hasRole && len(m.sess.api.Roles) > 1 {
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

// listRow is one row of a list, never cut: its text wrapped to the width,
// the first line after mark ("> ", or "  "), the others under the first's
// text and two further in, so that a row's second line is not read as a
// row of its own.
func listRow(mark, text string, width int) []string {
	first, rest, _ := strings.Cut(ansi.Wrap(text, max(width-len(mark), 10), ""), "\n")
	lines := []string{mark + first}
	if rest == "" {
		return lines
	}
	indent := strings.Repeat(" ", len(mark)+2)
	for _, l := range strings.Split(ansi.Wrap(strings.ReplaceAll(rest, "\n", " "), max(width-len(indent), 10), ""), "\n") {
		lines = append(lines, indent+l)
	}
	return lines
}

// styledRow is listRow with each line rendered in style.
func styledRow(style lipgloss.Style, mark, text string, width int) string {
	var b strings.Builder
	for _, l := range listRow(mark, text, width) {
		b.WriteString(style.Render(l) + "\n")
	}
	return b.String()
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
