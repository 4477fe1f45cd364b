package ui

import (
	"context"
	"errors"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// maxFPS is the most frames a second Bubble Tea allows.
const maxFPS = 120

// ErrInternal is what Run returns after the viewer recovered from a bug. It
// says nothing more on purpose: a panic's value can hold record data.
var ErrInternal = errors.New("scr stopped after an internal error; the screen was cleared and you were signed out")

// Run shows the viewer on the terminal in and out until the user quits or
// ctx ends, and signs the user out on the way.
//
// Bubble Tea's own panic catching is off: it prints the panic value and the
// stack, and can write them to a file, and a value can hold record data. The
// model recovers in Update and View and in every command it starts instead.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	m := New(opts)
	env := os.Environ()
	profile := colorProfile(out, env)
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithEnvironment(env),
		tea.WithColorProfile(profile),
		// Frames are written only when the screen changed, so a higher
		// rate costs no bytes; it halves the wait for the first frame.
		tea.WithFPS(maxFPS),
		tea.WithoutCatchPanics(),
	)
	defer watchStops(p.Send)()
	final, err := p.Run()
	if fm, ok := final.(Model); ok {
		fm.shutdown()
		if fm.crashed {
			return ErrInternal
		}
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // interrupted: a normal way out
	}
	return err
}

// colorProfile is what the terminal can show. For the process's own
// stdout Lip Gloss has already worked that out: its package Writer runs
// colorprofile.Detect on os.Stdout as the program starts, reading terminfo
// and, inside tmux, running `tmux info`. Detecting again would pay for that
// twice before the first frame.
func colorProfile(out io.Writer, env []string) colorprofile.Profile {
	if out == io.Writer(os.Stdout) && lipgloss.Writer != nil {
		return lipgloss.Writer.Profile
	}
	return colorprofile.Detect(out, env)
}
