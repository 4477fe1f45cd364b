package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
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
	profile := quickColorProfile(out, env)
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
	go upgradeColorInTmux(p.Send, profile, env)
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

// quickColorProfile is what colorprofile.Detect finds, less its question to
// tmux: inside tmux, Detect runs `tmux info` to see whether it passes 24-bit
// colour, which holds up the first frame by several milliseconds.
// upgradeColorInTmux asks after the first frame instead.
func quickColorProfile(out io.Writer, env []string) colorprofile.Profile {
	return colorprofile.Detect(out, slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "TMUX=")
	}))
}

// upgradeColorInTmux asks tmux whether it passes 24-bit colour, where
// Detect would have, and if it does tells the program as a terminal that
// says so would: Bubble Tea draws in 24-bit colour from the next frame.
// Only a colour terminal is upgraded: never one NO_COLOR or a pipe made
// monochrome.
func upgradeColorInTmux(send func(tea.Msg), quick colorprofile.Profile, env []string) {
	if quick < colorprofile.ANSI || quick == colorprofile.TrueColor {
		return
	}
	if colorprofile.Tmux(env) == colorprofile.TrueColor {
		send(tea.CapabilityMsg{Content: "RGB"})
	}
}
