// Package pcsctest is a harness for integration tests that talk to the real
// pcscd through the vpcd virtual reader driver (Debian packages pcscd and
// vsmartcard-vpcd).
//
// A package using it must route its TestMain through Main:
//
//	func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }
//
// and then, in a test:
//
//	s := pcsctest.TakeSlot(t)              // also makes sure pcscd runs
//	card := pcsctest.StartVCard(t, s)      // scr-vcard, card present in s.Reader
//	card.Remove()
//
// # Sharing pcscd between test processes
//
// `go test ./...` runs the test binaries of several packages at once, while
// pcscd's socket (/run/pcscd/pcscd.comm) and vpcd's TCP ports are
// machine-wide. So all test processes share one pcscd, and every vpcd slot is
// used by one test at a time, coordinated with flock(2) on files in
// os.TempDir(). flock locks vanish with the process holding them, so a test
// binary that crashes or is killed by its -timeout never wedges the others.
//
// Three kinds of lock:
//
//   - the start lock (exclusive) serialises every look at or change of
//     pcscd's state: checking it, starting it, stopping it, and joining or
//     leaving its users;
//   - the users lock is held shared by each process using pcscd, from its
//     first Need until Main returns;
//   - one slot lock per vpcd slot, held exclusively by one test.
//
// A process needing pcscd takes the start lock, takes the users lock shared,
// and reuses a reachable pcscd or else starts `pcscd --foreground`, records
// it in a state file, and waits until the vpcd readers are listed. On the way
// out (Main), it takes the start lock and tries, without blocking, to turn
// its shared users lock exclusive. If that fails, other processes still use
// pcscd and it simply leaves; if it succeeds it is the last user, and it stops
// the pcscd recorded in the state file, whichever test process started it.
// A pcscd that tests did not start has no state file and is never stopped.
//
// Why this shape, rather than having the process that started pcscd wait at
// its end for all other users to finish and then stop it: that process would
// have to wait for the users lock while holding the start lock (otherwise a
// newcomer could join after the wait and find pcscd gone), so every test
// process starting meanwhile would stall until all running ones finished,
// with the stall counted against its own -timeout. "Last one out stops it"
// never blocks on the users lock at all.
//
// Races and deadlocks, case by case:
//
//   - Two processes starting at once: the start lock admits one; it starts
//     pcscd; the other then finds it reachable and reuses it.
//   - A process starting while the last user is stopping pcscd: it waits for
//     the start lock, held across the stop, then finds pcscd unreachable and
//     starts a fresh one.
//   - The users lock is only ever taken shared or tried without blocking, and
//     the start lock is only held for bounded work (at most about ten seconds
//     while a pcscd starts, a few while one stops). So no process waits for a
//     lock held by a process that waits in turn, and nothing deadlocks.
//   - Joining and leaving happen under the start lock, so the last-user test
//     sees a stable set of users. The one exception is a process that dies:
//     its locks go without the start lock. If that made it the last user, the
//     pcscd that tests started stays running; the state file still names it,
//     so the last user of the next test run stops it.
//   - A process that started pcscd may exit while others still use it; pcscd
//     then lives on (reparented) and is stopped by the last user, which
//     identifies it by PID and start time, so a reused PID is never killed.
//
// # Slots
//
// vpcd serves two readers; a virtual card for reader "Virtual PCD 00 0N"
// dials 127.0.0.1:35963+N. Slot locks are taken without blocking (any free
// slot for TakeSlot) or in index order (TakeSlots), and released by
// t.Cleanup.
package pcsctest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"
)

const (
	// pcscdSocket and pcscdPIDFile are where Debian's pcscd 1.9 puts them;
	// the daemon has them compiled in.
	pcscdSocket  = "/run/pcscd/pcscd.comm"
	pcscdPIDFile = "/run/pcscd/pcscd.pid"

	// startTimeout bounds the wait for a pcscd to list the vpcd readers.
	// pcscd 1.9.9 does so within about 0.1 s of starting.
	startTimeout = 10 * time.Second
	// stopTimeout is how long pcscd gets to exit after SIGTERM before it is
	// sent SIGKILL. It exits at once in practice.
	stopTimeout = 3 * time.Second

	absentMsg = "pcscd not installed: apt-get install pcscd vsmartcard-vpcd (make deps)"
)

var (
	mainCalled atomic.Bool

	// mu serialises Need and release within the process. Lock order: mu,
	// then the start lock, then the users lock.
	mu sync.Mutex
	// users is this process's shared hold on the users lock; nil when the
	// process does not use pcscd (yet, or any more).
	users *os.File
	// failure is why pcscd could not be provided; later Needs fail the same
	// way instead of each waiting startTimeout again.
	failure error
	// notInstalled is set when pcscd is neither reachable nor installed.
	notInstalled bool
)

// Main runs the tests with m.Run, then leaves the processes using pcscd,
// stopping pcscd if this process is the last of them and test processes
// started it, and removes the binaries built by Build. A package using
// pcsctest must call it from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }
func Main(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	if err := release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	removeBuilds()
	return code
}

func checkMain(t testing.TB) {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pcsctest: TestMain must call pcsctest.Main, which lets pcscd go at the end: " +
			"func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }")
	}
}

// Need makes sure a pcscd is reachable, starting one if none runs. It skips
// the test when pcscd is not installed (and fails it instead when the CI
// environment variable is set), and fails it when pcscd cannot be started.
// Cheap after the first call.
func Need(t testing.TB) {
	t.Helper()
	checkMain(t)
	if err := need(); err != nil {
		if notInstalled {
			if os.Getenv("CI") != "" {
				t.Fatal(absentMsg + " (CI is set, so this fails rather than skips)")
			}
			t.Skip(absentMsg)
		}
		t.Fatal(err)
	}
}

func need() error {
	mu.Lock()
	defer mu.Unlock()
	if failure != nil {
		return failure
	}
	// While this process is a user nobody stops pcscd, so a reachable one
	// can be used without the start lock. It can only be unreachable here if
	// something outside the harness stopped it.
	if users != nil && reachable() == nil {
		return nil
	}
	start, err := lockFile(startLockName, syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer start.Close()
	if users == nil {
		// Never blocks for long: only the last user holds the users lock
		// exclusively, and it does so only while holding the start lock.
		if users, err = lockFile(usersLockName, syscall.LOCK_SH); err != nil {
			return err
		}
	}
	if err := ensurePcscd(); err != nil {
		if !notInstalled {
			failure = err
		}
		return err
	}
	return nil
}

// release ends this process's use of pcscd and, if it was the last user,
// stops the pcscd that test processes started.
func release() error {
	mu.Lock()
	defer mu.Unlock()
	if users == nil {
		return nil
	}
	start, err := lockFile(startLockName, syscall.LOCK_EX)
	if err != nil {
		return err
	}
	// Deferred calls run last first: leave the users before the start lock,
	// so that a newcomer admitted by the start lock finds no stale holder.
	defer start.Close()
	defer func() { users.Close(); users = nil }()
	// Linux converts a flock by dropping the old lock first, so a failed
	// LOCK_NB upgrade leaves no lock at all; that is fine, we are leaving.
	if err := flock(users, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil // others still use pcscd; the last of them stops it
		}
		return fmt.Errorf("pcsctest: users lock: %w", err)
	}
	p, ok := ownedPcscd()
	if !ok {
		return nil
	}
	if err := stopPcscd(p); err != nil {
		return err
	}
	os.Remove(tempPath(stateName))
	return nil
}

// ensurePcscd makes pcscd reachable. Called with the start lock held.
func ensurePcscd() error {
	notInstalled = false
	if reachable() == nil {
		return nil
	}
	if p, ok := ownedPcscd(); ok {
		// Only a test process that died while starting it leaves a pcscd
		// that tests started and that does not answer; it is ours to stop.
		if err := stopPcscd(p); err != nil {
			return err
		}
		os.Remove(tempPath(stateName))
	}
	if live := livePcscds(); len(live) > 0 {
		// Someone else's pcscd that does not answer (yet): it may be
		// starting. Never touch it; give it the time we would give ours.
		if waitFor(reachable, startTimeout, nil) == nil {
			return nil
		}
		return fmt.Errorf("pcsctest: pcscd (pid %v) runs but does not answer PC/SC requests within %v: %v",
			live, startTimeout, reachable())
	}
	path, err := pcscdPath()
	if err != nil {
		notInstalled = true
		return err
	}
	removeStalePcscdFiles()
	return startPcscd(path)
}

// pcscdPath finds the pcscd binary. It lives in /usr/sbin, which is not on
// every user's PATH.
func pcscdPath() (string, error) {
	if p, err := exec.LookPath("pcscd"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/pcscd", "/usr/local/sbin/pcscd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New(absentMsg)
}

// removeStalePcscdFiles removes what a killed pcscd leaves in /run/pcscd.
// Called only when no pcscd process is alive. pcscd 1.9.9 copes with a stale
// socket by itself when the PID file is missing or names a dead process, but
// refuses to start ("Another pcscd (pid: N) seems to be running.") when the
// PID file names a live process: a reused PID, or the unreaped zombie of the
// killed pcscd.
func removeStalePcscdFiles() {
	for _, f := range []string{pcscdSocket, pcscdPIDFile} {
		os.Remove(f)
	}
}

func startPcscd(path string) error {
	logf, err := os.OpenFile(tempPath(logName), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("pcsctest: pcscd log: %w", err)
	}
	defer logf.Close()
	// --info logs reader and card events but not every APDU. No
	// --auto-exit: pcscd must live until the last user stops it, however
	// long a test pauses between PC/SC calls.
	cmd := exec.Command(path, "--foreground", "--info")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/" // it may outlive this test, so not in its directory
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pcsctest: starting pcscd: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		// Reap it whenever it exits, which may be long after this call
		// returns (stopped by us as the last user) or never (it outlives
		// this process and is stopped by another one).
		cmd.Wait()
		close(exited)
	}()
	p := proc{pid: cmd.Process.Pid}
	_, _, p.start, err = procStat(p.pid)
	if err == nil {
		// Record it before waiting, so that if this process dies now the
		// next one knows the pcscd is the tests' to stop.
		err = os.WriteFile(tempPath(stateName), fmt.Appendf(nil, "%d %d\n", p.pid, p.start), 0o666)
	}
	if err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("pcsctest: recording pcscd: %w", err)
	}
	err = waitFor(readersReady, startTimeout, exited)
	if err == nil {
		return nil
	}
	select {
	case <-exited:
		err = fmt.Errorf("pcsctest: pcscd exited at start (%v): %v", cmd.ProcessState, err)
	default:
		err = fmt.Errorf("pcsctest: pcscd (pid %d) started but did not list the vpcd readers %q within %v "+
			"(is vsmartcard-vpcd installed? /etc/reader.conf.d/vpcd): %v", p.pid, vpcdReaders(), startTimeout, err)
		stopPcscd(p)
	}
	os.Remove(tempPath(stateName))
	return fmt.Errorf("%w\nTail of pcscd's log %s:\n%s", err, tempPath(logName), tail(tempPath(logName), 2048))
}

// waitFor polls cond until it returns nil or within has passed. exited, if
// not nil, aborts the wait when closed.
func waitFor(cond func() error, within time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-exited:
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readersReady reports whether pcscd answers and lists the vpcd readers.
func readersReady() error {
	have, err := listReaders()
	if err != nil {
		return err
	}
	for _, r := range vpcdReaders() {
		if !slices.Contains(have, r) {
			return fmt.Errorf("reader %q not listed (listed: %q)", r, have)
		}
	}
	return nil
}

// reachable reports whether a pcscd answers, with or without readers.
func reachable() error {
	_, err := listReaders()
	return err
}

func listReaders() ([]string, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pcscd not reachable: SCardEstablishContext: %w", err)
	}
	defer ctx.Release()
	readers, err := ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("SCardListReaders: %w", err)
	}
	return readers, nil
}

// ownedPcscd returns the pcscd that test processes started, if it still
// runs, from the state file. Called with the start lock held.
func ownedPcscd() (proc, bool) {
	b, err := os.ReadFile(tempPath(stateName))
	if err != nil {
		return proc{}, false
	}
	var p proc
	if _, err := fmt.Sscan(string(b), &p.pid, &p.start); err != nil || !p.alive() {
		// A pcscd that tests started and that has since died: whatever
		// pcscd runs now is someone else's.
		os.Remove(tempPath(stateName))
		return proc{}, false
	}
	return p, true
}

// stopPcscd stops p with SIGTERM, then SIGKILL after stopTimeout. p need not
// be our child: the process that started it may be gone.
func stopPcscd(p proc) error {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if !p.alive() {
			break
		}
		if err := syscall.Kill(p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("pcsctest: stopping pcscd (pid %d): %w", p.pid, err)
		}
		for deadline := time.Now().Add(stopTimeout); p.alive() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if p.alive() {
		return fmt.Errorf("pcsctest: pcscd (pid %d) survived SIGKILL", p.pid)
	}
	// After SIGTERM pcscd removes its socket and PID file itself; after
	// SIGKILL they stay behind.
	if len(livePcscds()) == 0 {
		removeStalePcscdFiles()
	}
	return nil
}

// tail returns at most the last n bytes of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimRight(string(b), "\n")
}

// vpcdReaders names the readers of all slots.
func vpcdReaders() []string {
	rs := make([]string, NumSlots)
	for i := range rs {
		rs[i] = slot(i).Reader
	}
	return rs
}
