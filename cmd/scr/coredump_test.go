//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/demo"
	"github.com/scrterm/scr/internal/pcsctest"
)

// raiseCoreLimit is `ulimit -c unlimited`, or as high as the hard limit
// lets it go.
const raiseCoreLimit = `ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"`

// TestNoCoreDumpOfTheViewer is issue 13's reproduction: kill -QUIT of scr
// showing a record, with `ulimit -c unlimited` and GOTRACEBACK=crash (with
// which Go answers SIGQUIT by printing the goroutines' stacks and aborting,
// to dump core), wrote a 150 MB core holding the record and the tokens.
// scr now catches SIGQUIT (it clears the screen and signs out:
// TestSignalsClearTheScreen), so the crash is made with SIGABRT, which Go
// answers the same way.
// Now no core is written: main sets the core size limit to 0 and makes the
// process non-dumpable (internal/harden) before anything else.
//
// Where the kernel puts a core depends on core_pattern; coreDumps looks
// there (a file pattern), or where the usual handlers keep them (a pipe).
// So that "no core" proves something, a control process (sleep, started the
// same way) is sent SIGQUIT first, and must dump core where coreDumps finds
// it. When this machine dumps no core at all (a hard limit of 0, a pipe to a
// handler, which the control is not sent to), that is logged, and the core
// size limit scr set, read from /proc, is what is checked.
func TestNoCoreDumpOfTheViewer(t *testing.T) {
	needTmux(t)
	began := time.Now()
	controlDumped := controlCore(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")

	home, tmp, work := t.TempDir(), t.TempDir(), t.TempDir()
	stderrFile := filepath.Join(work, "stderr")
	// scr runs in work, where a core of the default pattern would be
	// written; its standard error, where Go prints the stacks, goes to a
	// file to be searched.
	script := raiseCoreLimit + `; cd "$2" && GOTRACEBACK=crash PCSCLITE_CSOCK_NAME="$2/no-pcscd.comm" exec "$1" --demo --card "$3" 2>"$2/stderr"`
	tm := startTmux(t, home, tmp, "/bin/sh", "-c", script, "sh", scr, work, demo.DemoUUID)
	tm.waitFor(t, "the demo's passcode hint", "Passcode 123456")
	signIn(t, tm, "Priya SHARMA", "123456")
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the summary", "Penicillin allergy", "Clarithromycin")

	pid, err := tm.pid(t)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(b)) != "scr" {
		t.Fatalf("the pane's shell runs %q, not scr", strings.TrimSpace(string(b)))
	}
	if lim := coreLimit(t, pid); lim != "0 0" {
		t.Errorf("scr's core size limit (soft, hard) is %s; want 0 0", lim)
	}
	if os.Geteuid() != 0 {
		// A non-dumpable process's /proc files are root's. (Root's own
		// processes' are root's anyway: internal/harden's test reads
		// PR_GET_DUMPABLE instead.)
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/environ", pid), &st); err != nil || st.Uid != 0 {
			t.Errorf("/proc/%d/environ is owned by uid %d (%v): scr is dumpable", pid, st.Uid, err)
		}
	}

	if err := syscall.Kill(pid, syscall.SIGABRT); err != nil {
		t.Fatal(err)
	}
	// With GOTRACEBACK=crash, Go relays SIGQUIT to each thread for its
	// stack before it aborts; scr catches SIGQUIT, so the relay stops and
	// Go's 10-second watchdog aborts instead.
	deadline := time.Now().Add(exitWait + 15*time.Second)
	for {
		dead, status := tm.dead(t)
		if dead {
			// 128+SIGABRT: GOTRACEBACK=crash took effect, so a core would have
			// been written were it not turned off.
			if status != 128+int(syscall.SIGABRT) {
				t.Errorf("scr exited with status %d after SIGABRT; want %d (aborted)", status, 128+int(syscall.SIGABRT))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scr still running %v after SIGABRT", exitWait+15*time.Second)
		}
		time.Sleep(pollEvery)
	}

	if dumps := coreDumps(t, began, work); len(dumps) > 0 {
		t.Errorf("scr dumped core: %s", strings.Join(dumps, ", "))
	} else if !controlDumped {
		t.Log("no core from scr; but this machine dumped none of the control either, so the core size limit above is the proof")
	}

	// What Go printed: the goroutines' stacks, which name functions and show
	// argument words in hex, never the contents of strings.
	stacks, err := os.ReadFile(stderrFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stacks), "SIGABRT: abort") || !strings.Contains(string(stacks), "goroutine ") {
		t.Fatalf("scr's standard error holds no goroutine stacks:\n%s", stacks)
	}
	hits := leakHits(stacks, leakWords)
	if regexp.MustCompile(`(^|[^0-9A-Za-z])123456([^0-9A-Za-z]|$)`).Match(stacks) {
		hits = append(hits, "the passcode")
	}
	if len(hits) > 0 {
		t.Errorf("the stacks Go printed on SIGABRT hold %s", strings.Join(hits, ", "))
	}
}

// controlCore starts sleep as the test starts scr, the core size limit
// raised, in a folder of its own, and sends it SIGQUIT, whose default
// action is to dump core. It reports whether the kernel says it did, and
// fails the test if coreDumps then cannot find that core: the check on scr
// would prove nothing. With core_pattern piped to a handler it sends
// nothing, to leave no core of sleep with the handler.
func controlCore(t *testing.T) bool {
	t.Helper()
	pattern := corePattern()
	if strings.HasPrefix(pattern, "|") {
		t.Logf("core_pattern %q pipes cores to a handler: no control process", pattern)
		return false
	}
	dir := t.TempDir()
	began := time.Now()
	cmd := exec.Command("sh", "-c", raiseCoreLimit+"; exec sleep 60")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the exec, so that it is sleep that gets the signal.
	comm := fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(comm); strings.TrimSpace(string(b)) == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the control process never became sleep")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	dumps := coreDumps(t, began, dir)
	for _, d := range dumps {
		if !strings.HasPrefix(d, dir+string(filepath.Separator)) {
			os.Remove(d) // under core_pattern's absolute folder: sleep's, and ours to tidy
		}
	}
	switch {
	case !ws.Signaled() || ws.Signal() != syscall.SIGQUIT:
		t.Fatalf("the control process ended %v; want killed by SIGQUIT", cmd.ProcessState)
	case ws.CoreDump() && len(dumps) == 0:
		t.Fatalf("the kernel dumped a core of the control process, but coreDumps did not find it (core_pattern %q)", pattern)
	case !ws.CoreDump():
		t.Logf("this machine dumped no core of the control process (core_pattern %q)", pattern)
	}
	return ws.CoreDump()
}

// coreLimit is the process's core size limit, soft and hard, from
// /proc/PID/limits: "0 0", or "unlimited unlimited".
func coreLimit(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Max core file size"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0] + " " + f[1]
			}
		}
	}
	t.Fatalf("no core size limit in /proc/%d/limits:\n%s", pid, b)
	return ""
}
