package harden

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestNoCoreDumpsNonDumpable: on Linux the process is also made
// non-dumpable, which stops a core_pattern handler (systemd-coredump,
// apport) that the size limit does not.
func TestNoCoreDumpsNonDumpable(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := NoCoreDumps(); err != nil {
		t.Fatal(err)
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d, %v; want 0", d, err)
	}
}
