package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NoCoreDumps sets the core size limit to 0 and makes the process
// non-dumpable.
func NoCoreDumps() error {
	if err := noCoreLimit(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("cannot make the process non-dumpable: %w", err)
	}
	return nil
}
