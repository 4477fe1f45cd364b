package pcsctest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebfe/scard"
)

const (
	// VCardPkg is the virtual card that StartVCard runs.
	VCardPkg = "github.com/scrterm/scr/cmd/scr-vcard"

	// cardTimeout bounds a wait for pcscd to see a card come or go. pcscd
	// polls vpcd readers every 0.4 s, so this allows for a loaded machine.
	cardTimeout = 3 * time.Second
	// vcardStartTimeout bounds a virtual card's start until its card shows.
	vcardStartTimeout = 10 * time.Second
	// vcardStopTimeout is how long a virtual card gets to exit after
	// SIGTERM before it is killed (and the test failed).
	vcardStopTimeout = 5 * time.Second
	// resendEvery: see VCard.Insert.
	resendEvery = time.Second
)

var (
	buildMu  sync.Mutex
	buildDir string                // made on first Build, removed by Main
	builds   = map[string]*built{} // by package path
)

type built struct {
	once sync.Once
	path string
	err  error
}

// Build compiles the main package pkg (an import path, such as VCardPkg)
// once per test process and returns the path of the binary. Main removes it.
//
// It runs the go command found first on PATH, which `go test` makes the one
// running the tests by putting its GOROOT/bin first on the test binary's PATH.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	checkMain(t)
	buildMu.Lock()
	b := builds[pkg]
	if b == nil {
		b = new(built)
		builds[pkg] = b
	}
	buildMu.Unlock()
	// Concurrent callers for the same package wait for one build.
	b.once.Do(func() { b.path, b.err = build(pkg) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func build(pkg string) (string, error) {
	buildMu.Lock()
	if buildDir == "" {
		d, err := os.MkdirTemp("", "pcsctest-bin-")
		if err != nil {
			buildMu.Unlock()
			return "", fmt.Errorf("pcsctest: %w", err)
		}
		buildDir = d
	}
	dir := buildDir
	buildMu.Unlock()
	// A directory per package, as two packages may share a last element.
	out, err := os.MkdirTemp(dir, "")
	if err != nil {
		return "", fmt.Errorf("pcsctest: %w", err)
	}
	bin := filepath.Join(out, path.Base(pkg))
	if msg, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("pcsctest: go build %s: %v\n%s", pkg, err, msg)
	}
	return bin, nil
}

func removeBuilds() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
		buildDir = ""
		clear(builds)
	}
}

// VCard is a running virtual card process serving a slot; see StartVCard.
// Its methods must be called from the goroutine running the test that
// started it, as they may call t.Fatal.
type VCard struct {
	Slot Slot

	t       testing.TB
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result, set before exited is closed
	stop    sync.Once
}

// StartVCard builds and starts scr-vcard for slot s:
//
//	scr-vcard --port <s.Port> args...
//
// and waits until pcscd shows its card present in s.Reader (unless args
// include --removed) and it handles SIGUSR1 and SIGUSR2. Its stdout and
// stderr go to a file, see Log. t.Cleanup stops it (see Stop) before the
// slot is released.
func StartVCard(t testing.TB, s Slot, args ...string) *VCard {
	t.Helper()
	return startVICC(t, s, []string{Build(t, VCardPkg)}, nil, args...)
}

// startVICC is StartVCard for any program that behaves like scr-vcard:
// argv[0] is the program and argv[1:] its leading arguments, env extends the
// environment.
func startVICC(t testing.TB, s Slot, argv, env []string, args ...string) *VCard {
	t.Helper()
	v := &VCard{Slot: s, t: t, name: filepath.Base(argv[0]), exited: make(chan struct{})}
	logf, err := os.CreateTemp(t.TempDir(), fmt.Sprintf("vcard-slot%d-*.log", s.Index))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child has its own copy
	v.logPath = logf.Name()
	full := append(append(append([]string(nil), argv[1:]...), "--port", strconv.Itoa(s.Port)), args...)
	v.cmd = exec.Command(argv[0], full...)
	v.cmd.Stdout, v.cmd.Stderr = logf, logf
	if env != nil {
		v.cmd.Env = append(os.Environ(), env...)
	}
	if err := v.cmd.Start(); err != nil {
		t.Fatalf("pcsctest: starting %s: %v", v.name, err)
	}
	go func() {
		v.waitErr = v.cmd.Wait()
		close(v.exited)
	}()
	t.Cleanup(v.Stop)
	if !startsRemoved(args) {
		if err := waitCard(s.Reader, true, vcardStartTimeout, v.exited); err != nil {
			v.fatal("did not insert its card", err)
		}
	}
	// Until a program has installed its handlers, SIGUSR1 and SIGUSR2
	// kill it. (A Go program installs them at start and then drops these
	// signals until it calls signal.Notify; Insert and Remove resend.)
	err = waitFor(func() error {
		if exited(v.exited) {
			return errors.New("exited")
		}
		if !catches(v.cmd.Process.Pid, syscall.SIGUSR1) || !catches(v.cmd.Process.Pid, syscall.SIGUSR2) {
			return errors.New("does not handle SIGUSR1 and SIGUSR2")
		}
		return nil
	}, vcardStartTimeout, v.exited)
	if err != nil {
		v.fatal("is not ready for signals", err)
	}
	return v
}

// startsRemoved reports whether args contain the flag --removed (or
// -removed), in any form the flag package accepts, and it is true.
func startsRemoved(args []string) bool {
	removed := false
	for _, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "removed" {
			continue
		}
		removed = true
		if hasVal {
			removed, _ = strconv.ParseBool(val)
		}
	}
	return removed
}

// Insert sends SIGUSR1 and waits until pcscd shows the card present.
//
// It resends the signal each second until it gives up, after 3 s: a Go
// program drops signals that arrive before it calls signal.Notify, which a
// card started with --removed may not have done yet. So SIGUSR1 to a
// present card must be a no-op.
func (v *VCard) Insert() {
	v.t.Helper()
	v.signalFor(syscall.SIGUSR1, true)
}

// Remove sends SIGUSR2 and waits until pcscd shows the card absent. Like
// Insert it resends the signal; SIGUSR2 to an absent card must be a no-op.
func (v *VCard) Remove() {
	v.t.Helper()
	v.signalFor(syscall.SIGUSR2, false)
}

func (v *VCard) signalFor(sig syscall.Signal, present bool) {
	v.t.Helper()
	deadline := time.Now().Add(cardTimeout)
	for {
		if err := v.cmd.Process.Signal(sig); err != nil {
			v.fatal(fmt.Sprintf("could not be sent %v", sig), err)
		}
		err := waitCard(v.Slot.Reader, present, min(resendEvery, time.Until(deadline)), v.exited)
		if err == nil {
			return
		}
		if exited(v.exited) || time.Now().After(deadline) {
			v.fatal(fmt.Sprintf("did not react to %v within %v", sig, cardTimeout), err)
		}
	}
}

// Stop sends SIGTERM, waits for the process to exit (killing it after 5 s)
// and then for pcscd to show the reader empty. It fails the test if the
// process exited on its own with an error, or was killed. t.Cleanup calls
// it; calling it earlier is fine.
func (v *VCard) Stop() {
	v.t.Helper()
	v.stop.Do(func() {
		// Errorf rather than Fatalf: Stop runs in cleanups, and the slot
		// must still be released after a failure here.
		signaled := false
		if !exited(v.exited) {
			v.cmd.Process.Signal(syscall.SIGTERM)
			signaled = true
			select {
			case <-v.exited:
			case <-time.After(vcardStopTimeout):
				v.cmd.Process.Kill()
				<-v.exited
				v.t.Errorf("pcsctest: %s on slot %d did not exit within %v of SIGTERM; killed it. Its log:\n%s",
					v.name, v.Slot.Index, vcardStopTimeout, tail(v.logPath, 4096))
				signaled = false
			}
		}
		if !cleanExit(v.waitErr, signaled) {
			v.t.Errorf("pcsctest: %s on slot %d: %v. Its log:\n%s", v.name, v.Slot.Index, v.waitErr, tail(v.logPath, 4096))
		}
		if err := waitCard(v.Slot.Reader, false, cardTimeout, nil); err != nil {
			v.t.Errorf("pcsctest: %s on slot %d exited but %v", v.name, v.Slot.Index, err)
		}
	})
}

// cleanExit reports whether a virtual card's exit status is a success, where
// death by SIGTERM counts as one if we sent it.
func cleanExit(err error, sentTerm bool) bool {
	var ee *exec.ExitError
	if err == nil {
		return true
	}
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && sentTerm && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// Log returns what the virtual card has written so far to stdout and stderr.
func (v *VCard) Log() string {
	b, err := os.ReadFile(v.logPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func (v *VCard) fatal(what string, err error) {
	v.t.Helper()
	state := "still running"
	if exited(v.exited) {
		state = "exited: " + fmt.Sprint(v.cmd.ProcessState)
	}
	v.t.Fatalf("pcsctest: %s on slot %d (%s) %s: %v. Its log:\n%s",
		v.name, v.Slot.Index, state, what, err, tail(v.logPath, 4096))
}

func exited(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// WaitCard waits until pcscd shows a card present in reader (present true)
// or the reader empty (present false), failing the test after within.
func WaitCard(t testing.TB, reader string, present bool, within time.Duration) {
	t.Helper()
	Need(t)
	if err := waitCard(reader, present, within, nil); err != nil {
		t.Fatal("pcsctest: ", err)
	}
}

// waitCard is WaitCard's engine. When abort is not nil, it gives up as soon
// as abort is closed (checked every 100 ms).
func waitCard(reader string, present bool, within time.Duration, abort <-chan struct{}) error {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return fmt.Errorf("pcscd not reachable: SCardEstablishContext: %w", err)
	}
	defer ctx.Release()
	want := "empty"
	if present {
		want = "present"
	}
	deadline := time.Now().Add(within)
	// Start unaware, so that the first call returns the current state at
	// once; then feed back each state to block until it changes.
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		step := max(time.Until(deadline), 0)
		if abort != nil {
			step = min(step, 100*time.Millisecond)
		}
		err := ctx.GetStatusChange(rs, step)
		switch {
		case err == nil:
			st := rs[0].EventState
			if st&scard.StateUnknown != 0 {
				return fmt.Errorf("reader %q is unknown to pcscd", reader)
			}
			if present && st&scard.StatePresent != 0 || !present && st&scard.StateEmpty != 0 {
				return nil
			}
			rs[0].CurrentState = st
		case errors.Is(err, scard.ErrTimeout):
		default:
			return fmt.Errorf("SCardGetStatusChange(%q): %w", reader, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("reader %q not %s within %v (pcscd reports %s)",
				reader, want, within, stateString(rs[0].EventState))
		}
		if abort != nil && exited(abort) {
			return fmt.Errorf("gave up waiting for reader %q to be %s (pcscd reports %s)",
				reader, want, stateString(rs[0].EventState))
		}
	}
}

func stateString(f scard.StateFlag) string {
	names := []struct {
		f    scard.StateFlag
		name string
	}{
		{scard.StateChanged, "changed"}, {scard.StateUnknown, "unknown"},
		{scard.StateUnavailable, "unavailable"}, {scard.StateEmpty, "empty"},
		{scard.StatePresent, "present"}, {scard.StateExclusive, "exclusive"},
		{scard.StateInuse, "inuse"}, {scard.StateMute, "mute"},
		{scard.StateUnpowered, "unpowered"},
	}
	var s []string
	for _, n := range names {
		if f&n.f != 0 {
			s = append(s, n.name)
		}
	}
	if len(s) == 0 {
		return "no state"
	}
	// pcscd keeps a count of card events in the upper 16 bits.
	return fmt.Sprintf("%s, event %d", strings.Join(s, "|"), f>>16)
}
