//go:build unix

package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// noCoreLimit sets the core size limit to 0, the hard limit too, so that
// it cannot be raised again.
func noCoreLimit() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("cannot set the core size limit to 0: %w", err)
	}
	return nil
}
