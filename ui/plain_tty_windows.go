package ui

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// openPlainTerminal takes hold of the console: in, if it is one, for its
// echo; out, if it is one, to take the one escape sequence the plain mode
// writes (the clear of the screen and its scrollback) as such.
func openPlainTerminal(in io.Reader, out io.Writer) *plainTerminal {
	t := &plainTerminal{}
	var resets []func()
	if f, ok := out.(*os.File); ok {
		h := windows.Handle(f.Fd())
		var mode uint32
		if windows.GetConsoleMode(h, &mode) == nil {
			_ = windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING|windows.ENABLE_PROCESSED_OUTPUT)
			resets = append(resets, func() { _ = windows.SetConsoleMode(h, mode) })
		}
	}
	if f, ok := in.(*os.File); ok {
		h := windows.Handle(f.Fd())
		var mode uint32
		if windows.GetConsoleMode(h, &mode) == nil {
			t.tty = true
			t.setEcho = func(on bool) error {
				var m uint32
				if err := windows.GetConsoleMode(h, &m); err != nil {
					return err
				}
				if on {
					m |= windows.ENABLE_ECHO_INPUT
				} else {
					m &^= windows.ENABLE_ECHO_INPUT
				}
				return windows.SetConsoleMode(h, m)
			}
			resets = append(resets, func() { _ = windows.SetConsoleMode(h, mode) })
		}
	}
	t.reset = func() {
		for _, r := range resets {
			r()
		}
	}
	return t
}
