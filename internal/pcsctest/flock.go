package pcsctest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Names of the machine-wide files, all in os.TempDir(). Every go test
// binary of a `go test ./...` run sees the same os.TempDir() (the go command
// does not change TMPDIR), so these coordinate all test processes on the
// machine. Running test processes with different TMPDIRs against one pcscd is
// not supported.
const (
	// startLockName is held exclusively while pcscd's state is examined or
	// changed: starting it, stopping it, joining or leaving its users.
	startLockName = "scr-pcscd.start.lock"
	// usersLockName is held shared by each process that uses pcscd, from its
	// first Need until Main returns (or the process dies).
	usersLockName = "scr-pcscd.users.lock"
	// stateName records the pcscd that a test process started (see
	// ownedPcscd); absent when the running pcscd, if any, is someone else's.
	stateName = "scr-pcscd.state"
	// logName receives the stdout and stderr of a pcscd started by tests.
	logName = "scr-pcscd.log"
)

func slotLockName(i int) string { return fmt.Sprintf("scr-vpcd-slot-%d.lock", i) }

func tempPath(name string) string { return filepath.Join(os.TempDir(), name) }

// openLock opens (creating if needed) a lock file. flock needs no write
// access, so O_RDONLY keeps a lock file created by another user usable. Go
// opens files close-on-exec: this matters, because a pcscd or virtual card we
// start must not inherit a lock and hold it for its whole life.
func openLock(name string) (*os.File, error) {
	f, err := os.OpenFile(tempPath(name), os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("pcsctest: lock file: %w", err)
	}
	return f, nil
}

// flock applies how (syscall.LOCK_*) to f, retrying on EINTR, which a
// blocking flock returns when a signal arrives.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// lockFile opens the lock file name and locks it with how. The lock is
// released by closing the returned file (or by the process dying, which is
// why flock is used at all: a crashed test cannot leave a lock behind).
func lockFile(name string, how int) (*os.File, error) {
	f, err := openLock(name)
	if err != nil {
		return nil, err
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryLockFile is lockFile with LOCK_NB: it returns (nil, nil) when another
// open file description holds a conflicting lock.
func tryLockFile(name string, how int) (*os.File, error) {
	f, err := lockFile(name, how|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, nil
	}
	return f, err
}
