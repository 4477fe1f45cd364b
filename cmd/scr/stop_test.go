package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pcsctest"
)

// TestStopSignalLocks: `kill -TSTP` with a record on screen, scr run from
// an interactive shell as a user would, gives the terminal back to the
// shell with nothing of the record on it, and `fg` brings the viewer back
// locked: the passcode, not the record, is asked for first.
func TestStopSignalLocks(t *testing.T) {
	needTmux(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash, for a shell with job control:", err)
	}
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, "bash", "--norc", "--noprofile", "-i")
	tm.literal(t, "PCSCLITE_CSOCK_NAME=/nonexistent "+scr+" --demo --card "+demoPharmacist)
	tm.keys(t, "Enter")
	signIn(t, tm, "Priya SHARMA", "123456")
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the summary", "Penicillin allergy", "HARGREAVES")

	bash, err := tm.pid(t)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := childOf(bash)
	if err != nil {
		t.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		if err := syscall.Kill(pid, syscall.SIGTSTP); err != nil {
			t.Fatal(err)
		}
		waitState(t, pid, "T", "scr stopped")
		tm.waitFor(t, "the shell's word that scr stopped", "Stopped")
		tm.assertClean(t, "the terminal while scr is stopped", tm.screen(t))

		tm.literal(t, "fg")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the lock screen after fg", "scr is locked", "Enter your passcode")
		tm.assertClean(t, "the lock screen after fg", tm.screen(t))
		tm.literal(t, "123456")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the record again after the passcode", "Penicillin allergy")
	}
	tm.keys(t, "q")
	waitGoneProcess(t, pid)
}

// waitGoneProcess waits for process pid to exit.
func waitGoneProcess(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(exitWait); time.Now().Before(deadline); time.Sleep(pollEvery) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return
		}
	}
	t.Fatalf("scr (pid %d) did not exit", pid)
}

// waitState waits until process pid is in state (a letter of
// /proc/PID/stat: "T" stopped, "S" sleeping).
func waitState(t *testing.T, pid int, state, what string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(screenWait); time.Now().Before(deadline); time.Sleep(pollEvery) {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		// pid (comm) state …: the state follows the last ')'.
		fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(fields) > 0 && fields[0] == state {
			return
		}
		last = string(raw)
	}
	t.Fatalf("%s: scr never reached state %s: %s", what, state, last)
}

// TestSignalsClearTheScreen: SIGTERM, SIGHUP (the terminal window closed)
// and SIGQUIT each end scr as quitting does: the screen and the terminal's
// history hold nothing of the record, and scr exits 0. (Go's own answer to
// SIGQUIT would print stacks and die in the alternate screen, the record
// still on it.)
func TestSignalsClearTheScreen(t *testing.T) {
	needTmux(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			home, tmp := t.TempDir(), t.TempDir()
			tm := startTmux(t, home, tmp, scr, "--demo", "--card", demoPharmacist)
			signIn(t, tm, "Priya SHARMA", "123456")
			findPatient(t, tm)
			tm.waitFor(t, "the permission screen", "Patient gave permission")
			tm.keys(t, "p")
			tm.waitFor(t, "the summary", "Penicillin allergy", "HARGREAVES")
			pid, err := tm.pid(t)
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			tm.waitExit(t)
			tm.assertClean(t, "the terminal history after "+sig.String(), tm.history(t))
		})
	}
}
