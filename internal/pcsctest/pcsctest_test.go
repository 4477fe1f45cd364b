package pcsctest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// Several tests below first leave pcscd with release(), so that they can
// watch it being started and stopped; none of the tests may run in parallel.

// TestNeedStartsPcscd: Need starts a pcscd when none runs, and that pcscd
// serves both vpcd readers.
func TestNeedStartsPcscd(t *testing.T) {
	if err := release(); err != nil {
		t.Fatal(err)
	}
	before := livePcscds()
	began := time.Now()
	Need(t)
	t.Logf("Need took %v", time.Since(began).Round(time.Millisecond))
	readers, err := listReaders()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Virtual PCD 00 00", "Virtual PCD 00 01"} {
		if !slices.Contains(readers, want) {
			t.Errorf("reader %q not listed; readers: %q", want, readers)
		}
	}
	if len(before) > 0 {
		t.Logf("reused the running pcscd %v (it ran before the test)", before)
		return
	}
	p, owned := lockedOwnedPcscd(t)
	if !owned {
		t.Fatal("no pcscd ran, yet after Need none is recorded as started by tests")
	}
	if live := livePcscds(); !slices.Equal(live, []proc{p}) {
		t.Errorf("live pcscds %v, want only the one started by tests, %v", live, p)
	}
}

// lockedOwnedPcscd is ownedPcscd under the start lock, as it must be called.
func lockedOwnedPcscd(t *testing.T) (proc, bool) {
	start, err := lockFile(startLockName, syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	defer start.Close()
	return ownedPcscd()
}

// TestWaitCard drives a slot with an in-process stand-in card: pcscd shows
// the card while the stand-in is connected, and an empty reader once it has
// hung up.
func TestWaitCard(t *testing.T) {
	s := TakeSlot(t)
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	served := make(chan error, 1)
	go func() { served <- serveVICC(conn, io.Discard) }()

	began := time.Now()
	WaitCard(t, s.Reader, true, cardTimeout)
	t.Logf("pcscd saw the card %v after connecting", time.Since(began).Round(time.Millisecond))

	conn.Close()
	if err := <-served; !errors.Is(err, net.ErrClosed) {
		t.Errorf("stand-in card: %v", err)
	}
	began = time.Now()
	WaitCard(t, s.Reader, false, cardTimeout)
	t.Logf("pcscd saw the reader empty %v after hanging up", time.Since(began).Round(time.Millisecond))
}

// standIn is the stand-in card run as a process, as StartVCard would run
// scr-vcard.
var standIn = []string{os.Args[0], "-test.run=^TestHelperProcess$", "--"}

func TestStartVCardStandIn(t *testing.T) {
	s := TakeSlot(t)
	env := []string{"PCSCTEST_HELPER=vicc"}
	v := startVICC(t, s, standIn, env)
	v.Remove()
	v.Insert()
	v.Stop()
	if log := v.Log(); !strings.Contains(log, "got ATR request") {
		t.Errorf("stand-in log lacks ATR requests:\n%s", log)
	}

	v = startVICC(t, s, standIn, env, "--removed")
	began := time.Now()
	v.Insert()
	t.Logf("Insert took %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	v.Remove()
	t.Logf("Remove took %v", time.Since(began).Round(time.Millisecond))
}

// TestStartVCard runs the real scr-vcard.
func TestStartVCard(t *testing.T) {
	s := TakeSlot(t)
	v := StartVCard(t, s)
	v.Remove()
	v.Insert()
	v.Stop()

	v = StartVCard(t, s, "--removed")
	v.Insert()
	v.Remove()
}

func TestTakeSlots(t *testing.T) {
	got := TakeSlots(t, 2)
	if want := []Slot{slot(0), slot(1)}; !slices.Equal(got, want) {
		t.Errorf("TakeSlots(2) = %v, want %v", got, want)
	}
	if got[1] != (Slot{Index: 1, Port: 35964, Reader: "Virtual PCD 00 01"}) {
		t.Errorf("slot 1 = %+v", got[1])
	}
}

func TestStartsRemoved(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--removed"}, true},
		{[]string{"-removed"}, true},
		{[]string{"--identity", "d", "--removed=true"}, true},
		{[]string{"--removed=false"}, false},
		{[]string{"--remove-after", "3"}, false},
		{[]string{"--", "--removed"}, false},
	} {
		if got := startsRemoved(c.args); got != c.want {
			t.Errorf("startsRemoved(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// TestTwoProcesses runs two test processes that use pcscd and compete for
// slots at the same time, and checks that they never hold one slot at once,
// that they share one pcscd which outlives the first to finish, and that the
// pcscd is stopped after the second if, and only if, tests started it.
func TestTwoProcesses(t *testing.T) {
	if err := release(); err != nil { // so that the helpers are the only users
		t.Fatal(err)
	}
	before := livePcscds()
	_, ownedBefore := lockedOwnedPcscd(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	type helper struct {
		role string
		cmd  *exec.Cmd
		out  bytes.Buffer
		done chan error
	}
	var hs []*helper
	for _, role := range []string{"first", "second"} {
		h := &helper{role: role, done: make(chan error, 1)}
		h.cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
		h.cmd.Env = append(os.Environ(), "PCSCTEST_HELPER=slots", "PCSCTEST_DIR="+dir, "PCSCTEST_ROLE="+role)
		h.cmd.Stdout, h.cmd.Stderr = &h.out, &h.out
		if err := h.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { h.done <- h.cmd.Wait() }()
		hs = append(hs, h)
	}
	for _, h := range hs {
		if err := <-h.done; err != nil {
			t.Fatalf("%s helper: %v\n%s", h.role, err, &h.out)
		}
		t.Logf("%s helper done", h.role)
		if h.role == "first" {
			// Now the second may check that pcscd outlived the first.
			if err := os.WriteFile(filepath.Join(dir, "first-exited"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Each helper noted the pcscd it saw when it started and when it ended.
	var seen []string
	for _, h := range hs {
		b, err := os.ReadFile(filepath.Join(dir, "pcscd-"+h.role))
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, strings.Fields(string(b))...)
	}
	if len(seen) != 4 || len(slices.Compact(slices.Clone(seen))) != 1 {
		t.Fatalf("helpers saw pcscd PIDs %v (first start, end; second start, end), want one pcscd throughout", seen)
	}
	pid, _ := strconv.Atoi(seen[0])
	t.Logf("helpers shared pcscd %d; it ran before: %v (started by tests: %v)", pid, before, ownedBefore)

	// Look at pcscd as a user would, under the start lock, while the users
	// lock tells whether some other test process (of another package, say)
	// still uses it.
	start, err := lockFile(startLockName, syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	defer start.Close()
	others, err := tryLockFile(usersLockName, syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	if others == nil {
		t.Log("other test processes use pcscd, so it must run on; not checking that it stopped")
		return
	}
	others.Close()
	// A zombie counts as stopped: whoever its parent now is reaps it later.
	running := proc{pid, startOf(pid)}.alive()
	_, owned := ownedPcscd()
	switch {
	case len(before) > 0 && !ownedBefore:
		// Someone else's pcscd: reused and left running.
		if !slices.Contains(before, proc{pid, startOf(pid)}) {
			t.Errorf("helpers used pcscd %d, not the one running before, %v", pid, before)
		}
		if !running {
			t.Errorf("pcscd %d, which tests did not start, was stopped", pid)
		}
	default:
		if running || owned || len(livePcscds()) > 0 {
			t.Errorf("pcscd started by tests still runs after its last user left (pid %d running: %v; recorded: %v; live: %v)",
				pid, running, owned, livePcscds())
		}
	}
}

func startOf(pid int) uint64 {
	_, _, start, _ := procStat(pid)
	return start
}

// TestHelperProcess is not a test: it is the body of the helper processes
// that other tests start, selected by $PCSCTEST_HELPER.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("PCSCTEST_HELPER") {
	case "":
		return
	case "vicc":
		standInMain(t)
	case "slots":
		slotsHelper(t)
	default:
		t.Fatalf("unknown PCSCTEST_HELPER %q", os.Getenv("PCSCTEST_HELPER"))
	}
}

// slotsHelper is one of TestTwoProcesses's helpers.
func slotsHelper(t *testing.T) {
	dir, role := os.Getenv("PCSCTEST_DIR"), os.Getenv("PCSCTEST_ROLE")
	Need(t)
	pidAtStart := currentPcscdPID(t)

	// Wait for the other helper, so that both use pcscd at once.
	touch(t, filepath.Join(dir, "ready-"+role))
	other := map[string]string{"first": "second", "second": "first"}[role]
	waitFile(t, filepath.Join(dir, "ready-"+other), 10*time.Second)

	for i := range 6 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			var slots []Slot
			if (i%2 == 0) == (role == "first") {
				slots = []Slot{TakeSlot(t)}
			} else {
				slots = TakeSlots(t, 2)
			}
			var held []string
			for _, s := range slots {
				// O_EXCL: creating the marker fails if the other
				// process holds the slot too.
				marker := filepath.Join(dir, fmt.Sprintf("slot-%d", s.Index))
				f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				if err != nil {
					b, _ := os.ReadFile(marker)
					t.Errorf("slot %d is held by %s too: %v", s.Index, b, err)
					continue
				}
				fmt.Fprint(f, role)
				f.Close()
				held = append(held, marker)
			}
			time.Sleep(50 * time.Millisecond)
			for _, m := range held {
				os.Remove(m) // before the slot is released by cleanup
			}
		})
	}

	if role == "second" {
		// The first has exited, leaving pcscd to us: it must still run.
		waitFile(t, filepath.Join(dir, "first-exited"), 10*time.Second)
	}
	Need(t)
	pidAtEnd := currentPcscdPID(t)
	if err := os.WriteFile(filepath.Join(dir, "pcscd-"+role), fmt.Appendf(nil, "%d %d\n", pidAtStart, pidAtEnd), 0o644); err != nil {
		t.Fatal(err)
	}
}

// currentPcscdPID returns the PID of the running pcscd.
func currentPcscdPID(t *testing.T) int {
	t.Helper()
	if err := reachable(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pcscdPIDFile)
	if err != nil {
		t.Fatal(err)
	}
	// pcscd 1.9.9 writes "PID\n\0".
	pid, err := strconv.Atoi(strings.TrimRight(string(b), "\n\x00"))
	if err != nil {
		t.Fatalf("%s: %v", pcscdPIDFile, err)
	}
	return pid
}

func touch(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitFile(t *testing.T, name string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(name); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", name, within)
		}
	}
}

// standInMain is a tiny virtual card with scr-vcard's command line and
// signals: --port N [--removed]; SIGUSR1 connects to vpcd (inserts the
// card), SIGUSR2 hangs up (removes it), SIGTERM exits.
func standInMain(t *testing.T) {
	fs := flag.NewFlagSet("vicc", flag.ContinueOnError)
	port := fs.Int("port", 0, "vpcd port")
	removed := fs.Bool("removed", false, "start with the card removed")
	if err := fs.Parse(flag.Args()); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM)
	var (
		conn net.Conn
		wg   sync.WaitGroup
	)
	insert := func() {
		if conn != nil {
			return
		}
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
		if err != nil {
			t.Fatal(err)
		}
		conn = c
		fmt.Fprintln(os.Stderr, "vicc: inserted")
		wg.Go(func() {
			if err := serveVICC(c, os.Stderr); err != nil && !errors.Is(err, net.ErrClosed) {
				fmt.Fprintln(os.Stderr, "vicc:", err)
			}
		})
	}
	remove := func() {
		if conn == nil {
			return
		}
		conn.Close()
		conn = nil
		wg.Wait()
		fmt.Fprintln(os.Stderr, "vicc: removed")
	}
	if !*removed {
		insert()
	}
	for sig := range sigs {
		switch sig {
		case syscall.SIGUSR1:
			insert()
		case syscall.SIGUSR2:
			remove()
		case syscall.SIGTERM:
			remove()
			return
		}
	}
}

// serveVICC answers vpcd on conn until conn fails: frames are a 2-byte
// big-endian length and a payload. A 1-byte payload is a control: 0x00 power
// off, 0x01 power on, 0x02 reset (no reply), 0x04 get ATR. Any other payload
// is an APDU, refused with 6D00 (instruction not supported).
func serveVICC(conn net.Conn, log io.Writer) error {
	atr := []byte{0x3B, 0x80, 0x80, 0x01, 0x01} // T=0 and T=1, no historical bytes
	for {
		var n uint16
		if err := binary.Read(conn, binary.BigEndian, &n); err != nil {
			return err
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(conn, msg); err != nil {
			return err
		}
		var reply []byte
		switch {
		case n == 1 && msg[0] == 0x04:
			fmt.Fprintln(log, "vicc: got ATR request")
			reply = atr
		case n == 1:
			fmt.Fprintf(log, "vicc: got control %#02x\n", msg[0])
			continue
		default:
			fmt.Fprintf(log, "vicc: got APDU % X\n", msg)
			reply = []byte{0x6D, 0x00}
		}
		frame := binary.BigEndian.AppendUint16(nil, uint16(len(reply)))
		if _, err := conn.Write(append(frame, reply...)); err != nil {
			return err
		}
	}
}
