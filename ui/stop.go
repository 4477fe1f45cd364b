package ui

import (
	"io"

	tea "charm.land/bubbletea/v2"
)

// A stop signal (SIGTSTP, as `kill -TSTP` sends) would freeze scr with the
// record on screen and hand the terminal back to the shell. Instead scr
// catches it: the screen locks, as the idle lock does; the terminal is
// given back, its alternate screen (and whatever was on it) gone; and only
// then does the process stop. When it is continued (fg, or SIGCONT), the
// viewer comes back locked: whoever resumes it types the passcode first.

// stopMsg says a stop signal arrived.
type stopMsg struct{}

// resumedMsg says the process has continued after a stop.
type resumedMsg struct{}

// stopped locks the screen, if there is anything to hide, and stops the
// process as a command Bubble Tea runs with the terminal released
// (tea.Exec), so that it gives the terminal back before the stop and takes
// it again after.
func (m Model) stopped() (Model, tea.Cmd) {
	if m.sessionOpen() {
		m = m.lockNow()
	}
	m = m.wipePasscodes()
	return m, tea.Exec(stopProcess{}, func(error) tea.Msg { return resumedMsg{} })
}

// stopProcess is the stop, as a tea.ExecCommand: Run returns once the
// process has been continued.
type stopProcess struct{}

func (stopProcess) Run() error          { return stopSelf() }
func (stopProcess) SetStdin(io.Reader)  {}
func (stopProcess) SetStdout(io.Writer) {}
func (stopProcess) SetStderr(io.Writer) {}
