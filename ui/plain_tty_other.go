//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package ui

import "io"

// openPlainTerminal: no terminal control here; the passcode's echo stays
// the terminal's.
func openPlainTerminal(io.Reader, io.Writer) *plainTerminal { return &plainTerminal{} }
