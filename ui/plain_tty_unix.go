//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ui

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// openPlainTerminal takes hold of in, if it is a terminal.
func openPlainTerminal(in io.Reader, _ io.Writer) *plainTerminal {
	f, ok := in.(*os.File)
	if !ok {
		return &plainTerminal{}
	}
	fd := int(f.Fd())
	orig, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return &plainTerminal{}
	}
	saved := *orig
	return &plainTerminal{
		tty: true,
		setEcho: func(on bool) error {
			t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
			if err != nil {
				return err
			}
			if on {
				t.Lflag |= unix.ECHO
			} else {
				t.Lflag &^= unix.ECHO
			}
			return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
		},
		reset: func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, &saved) },
	}
}
