package ui

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
)

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
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
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
