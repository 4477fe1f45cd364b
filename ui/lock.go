package ui

import (
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/smartcard"
)

// The idle lock, the root's: after IdleLock without a key (or on ctrl+l, or
// a stop signal) the lock screen covers the screen shown, which keeps its
// place and its requests; the card's passcode takes it off. With auth =
// "cis2" too: the card checks the passcode its holder types at CIS2's page,
// and CIS2 is not asked again (cis2.go).

type (
	idleTickMsg struct{}
	// unlockedMsg answers the passcode typed on the lock screen.
	unlockedMsg struct{ err error }
)

// idleTick checks for the idle lock every second.
func idleTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return idleTickMsg{} })
}

func (m Model) checkIdle() Model {
	if !m.sessionOpen() {
		return m
	}
	if m.sess.now().Sub(m.lastInput) >= m.sess.opts.IdleLock {
		return m.lockNow()
	}
	return m
}

// lockNow puts the lock over the screen.
func (m Model) lockNow() Model {
	m.lock.typed.wipe()
	m.locked, m.lock = true, lockScreen{}
	m.showHelp, m.confirmQuit, m.flash = false, false, ""
	return m
}

func (m Model) unlocked(msg unlockedMsg) (Model, tea.Cmd) {
	if !m.locked {
		return m, nil
	}
	m.sess.busy = ""
	if msg.err != nil {
		m.lock.err = explain.Error(msg.err)
		if errors.Is(msg.err, smartcard.ErrPINBlocked) {
			m = m.wipe(explain.Error(msg.err))
		}
		return m, nil
	}
	m.locked, m.lock = false, lockScreen{}
	m.lastInput = m.sess.now()
	return m, nil
}

// lockScreen is the lock over the screen: nothing of it is shown, and only
// the card's passcode (checked by the card itself) takes the lock off.
type lockScreen struct {
	typed passcodeField
	err   string // why the last passcode did not unlock
}

// key gives a key to the passcode field; Enter has the card check it.
func (l lockScreen) key(s *session, msg tea.Msg) (lockScreen, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return l, nil
	}
	pin, problem, done := l.typed.enter(km)
	if !done {
		if problem != "" {
			l.err = problem
		}
		return l, nil
	}
	// The last try's error is not this one's answer: it goes while the
	// card checks (the plain mode would say it again as though it were).
	card := s.card
	l.err, s.busy = "", "Checking…"
	return l, s.startSession(func() tea.Msg {
		return unlockedMsg{err: card.VerifyPIN(pin)}
	})
}

func (l lockScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) { return l.key(s, msg) }

// says is whose session is locked and the passcode asked for; never
// anything of the screen under it.
func (l lockScreen) says(s *session) content {
	c := content{title: "scr is locked", err: l.err, hint: "Someone else? Take the card out: the session ends."}
	if s.card != nil {
		c.facts = []fact{{"Locked for", s.card.Holder().Name}}
		c.text = []string{"Nothing of the record is shown while locked."}
	}
	c.prompt, c.value = "Enter your passcode to resume", l.typed.view()
	return c
}

func (l lockScreen) view(s *session, _ int) string {
	c := l.says(s)
	st := s.styles
	wrap := lipgloss.NewStyle().Width(s.width - 2)
	var b strings.Builder
	b.WriteString(st.Title.Render(c.title) + "\n\n")
	for _, f := range c.facts {
		b.WriteString(wrap.Render(f.label+" "+st.Highlight.Render(f.value)+". "+strings.Join(c.text, " ")) + "\n\n")
	}
	b.WriteString(c.prompt + "  " + c.value + "\n")
	if busy := s.busyLine(); busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + wrap.Render(st.Error.Render(c.err)) + "\n")
	}
	b.WriteString("\n" + st.Faint.Render(c.hint) + "\n")
	return b.String()
}

func (lockScreen) bindings(s *session, _ bool) []key.Binding {
	k := s.keys
	return []key.Binding{withHelp(k.Submit, "enter", "unlock"), k.ClearField}
}

func (lockScreen) field(*session) field { return digitField }
func (l lockScreen) hasInput() bool     { return len(l.typed.digits) > 0 }
func (lockScreen) name() string         { return "locked" }
