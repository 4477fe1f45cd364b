//go:build unix

package harden

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestNoCoreDumps turns core dumps off in the test's own process, as main
// does in scr's, with the limit first raised as `ulimit -c unlimited`
// would, where it may be. The end-to-end check, SIGQUIT to the real scr with
// GOTRACEBACK=crash, is cmd/scr's TestNoCoreDumpOfTheViewer.
func TestNoCoreDumps(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := NoCoreDumps(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil || lim.Cur != 0 || lim.Max != 0 {
		t.Errorf("core size limit %d, hard %d (%v); want 0 and 0", lim.Cur, lim.Max, err)
	}
	// Twice is harmless: nothing to undo.
	if err := NoCoreDumps(); err != nil {
		t.Fatal(err)
	}
}
