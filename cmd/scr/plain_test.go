//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scrterm/scr/internal/pcsctest"
)

// scr --plain, the linear mode for screen readers, end to end: the real
// binary, once in a terminal (tmux) and once driven only by lines read and
// written through a pseudo-terminal, as a screen reader user's input
// arrives. Both go from the passcode to the allergies of 9000000017 and pull
// the card (the plain mode's pull command: the demo's F2), and both check
// every byte scr wrote.

// plainClear is the one escape sequence the plain mode writes: the screen
// and its scrollback cleared, the cursor home.
const plainClear = "\x1b[2J\x1b[3J\x1b[H"

// plainJourney is what the journey must say, in this order.
var plainJourney = []string{
	"Sign in", "Card of: Priya SHARMA.", "Passcode: ",
	"Working: signing in.",
	"Find a patient", "NHS number: ",
	"Working: looking up NHS number 900 000 0017.",
	"Permission to view is required",
	"Patient: HARGREAVES, Robert Alan, Mr. Born 14 March 1958 (68 years). Gender: Male. NHS number: 900 000 0017.",
	"p: Patient gave permission.", "Choose p, e or d: ",
	"Working: opening the Summary Care Record.",
	"Summary Care Record",
	"Allergies: 3 known.",
	"Viewed as Health Professional Access Role at FA123, access recorded.",
	"Section 1 of 8: Allergies and Adverse Reactions, 3 entries.",
	"Date: 03 February 1994. Description: Penicillin allergy. Certainty: Certain. Severity: Severe.",
	"Date: 19 August 2011. Description: Codeine adverse reaction.",
	"Date: 07 June 2018. Description: Latex allergy.",
	"Next, previous, a section number, allergies, medication, new or help: ",
	plainClear, "Card removed. Session ended. Patient data cleared.",
	"The cards you can put in:", "Choose a card, 1 to 7: ",
	plainClear, "scr has ended. You were signed out. Patient data cleared.",
}

// notPlainBytes is what the plain mode never writes: an escape sequence
// (the clear aside: cursor movement, erase in line, colour), a control
// character but CR and LF, box drawing, a block or a geometric shape.
var notPlainBytes = regexp.MustCompile("\x1b|[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|[\u2500-\u25ff]")

// checkPlainOutput fails unless out holds the journey's lines in order and
// nothing but plain lines and the clear; the passcode must never be shown.
func checkPlainOutput(t *testing.T, out string) {
	t.Helper()
	pos := 0
	for _, want := range plainJourney {
		i := strings.Index(out[pos:], want)
		if i < 0 {
			t.Fatalf("the plain session does not say %q after what came before; from there it says:\n%s", want, out[pos:])
		}
		pos += i + len(want)
	}
	rest := strings.ReplaceAll(out, plainClear, "")
	if loc := notPlainBytes.FindStringIndex(rest); loc != nil {
		t.Errorf("scr --plain wrote %q: …%q…", rest[loc[0]:loc[1]], rest[max(loc[0]-60, 0):min(loc[1]+20, len(rest))])
	}
	if strings.Contains(out, "Passcode: 1") || strings.Contains(out, "123456\r\n") {
		t.Errorf("the passcode was echoed:\n%s", out)
	}
	// After the card came out, nothing of the patient is said again.
	after := out[strings.Index(out, "Card removed."):]
	if w := leaked(after, forbiddenDemo...); w != "" {
		t.Errorf("after the card was pulled scr --plain said %q:\n%s", w, after)
	}
}

// TestPlainEndToEnd runs scr --demo --plain in a terminal (tmux), its
// output recorded byte for byte by script(1) between tmux and scr.
func TestPlainEndToEnd(t *testing.T) {
	needTmux(t)
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script(1) is not installed (util-linux's bsdutils)")
	}
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	home, tmp := t.TempDir(), t.TempDir()
	raw := filepath.Join(t.TempDir(), "typescript")
	tm := startTmux(t, home, tmp, scriptBin, "--quiet", "--flush", "--return", "--log-out", raw,
		"--command", scr+" --demo --card "+demoPharmacist+" --plain")

	tm.waitFor(t, "the passcode prompt", "Card of: Priya SHARMA.", "Passcode:")
	tm.literal(t, "123456")
	tm.keys(t, "Enter")
	tm.waitFor(t, "the patient search", "Find a patient", "NHS number:")
	tm.literal(t, patientNHS)
	tm.keys(t, "Enter")
	tm.waitFor(t, "the permission question", "Choose p, e or d:")
	tm.literal(t, "p")
	tm.keys(t, "Enter")
	tm.waitFor(t, "the allergies", "Latex allergy", "Next, previous")

	tm.literal(t, "pull")
	tm.keys(t, "Enter")
	tm.waitFor(t, "the wipe", "Card removed. Session ended. Patient data cleared.", "Choose a card")
	// ESC[3J: tmux clears its history with it, so nothing of the record
	// can be scrolled back to.
	tm.assertClean(t, "the terminal's history after the card was pulled", tm.history(t))

	tm.literal(t, "quit")
	tm.keys(t, "Enter")
	tm.waitExit(t)
	tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
	assertEmpty(t, home, tmp)

	out, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkPlainOutput(t, string(out))
}

// TestPlainOverPTY drives scr --demo --plain with nothing but lines: each
// line written to a pseudo-terminal as a user types it, Enter and all, and
// what scr says read back as lines, with no terminal emulator between.
func TestPlainOverPTY(t *testing.T) {
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	master, slave := openPTY(t)
	home, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(scr, "--demo", "--card", demoPharmacist, "--plain")
	cmd.Env = []string{"HOME=" + home, "TMPDIR=" + tmp, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})
	r := &lineReader{}
	go r.readFrom(master)

	say := func(line string) {
		t.Helper()
		if _, err := io.WriteString(master, line+"\r"); err != nil { // Enter is CR, as a keyboard sends it
			t.Fatal(err)
		}
	}
	r.expect(t, "Card of: Priya SHARMA.", "Passcode: ")
	say("123456")
	r.expect(t, "Working: signing in.", "Find a patient", "NHS number: ")
	say(patientNHS)
	r.expect(t, "Choose p, e or d: ")
	say("p")
	r.expect(t, "Section 1 of 8: Allergies and Adverse Reactions, 3 entries.", "Latex allergy", "new or help: ")
	say("next")
	r.expect(t, "Section 2 of 8: Acute Medications", "Clarithromycin 500mg tablets", "new or help: ")
	say("allergies")
	r.expect(t, "Section 1 of 8: Allergies", "new or help: ")
	say("pull")
	r.expect(t, "Card removed. Session ended. Patient data cleared.", "Choose a card, 1 to 7: ")
	say("quit")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("scr --plain exited: %v\n%s", err, r.text())
		}
	case <-time.After(exitWait):
		t.Fatalf("scr --plain did not exit within %v of quit:\n%s", exitWait, r.text())
	}
	r.waitClosed(t)
	out := r.text()
	checkPlainOutput(t, out)
	// The terminal echoed what was typed, but for the passcode.
	if !strings.Contains(out, "NHS number: "+patientNHS+"\r\n") {
		t.Errorf("the NHS number typed was not echoed:\n%s", out)
	}
	assertEmpty(t, home, tmp)
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// lineReader keeps what is read from the terminal, for expect.
type lineReader struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	read   int
	closed bool
}

func (r *lineReader) readFrom(f *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		r.mu.Lock()
		r.buf.Write(b[:n])
		if err != nil {
			r.closed = true
		}
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (r *lineReader) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// expect waits for each of want, in order, after what the last expect
// found.
func (r *lineReader) expect(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		out := r.text()
		pos, missing := r.read, ""
		for _, w := range want {
			i := strings.Index(out[pos:], w)
			if i < 0 {
				missing = w
				break
			}
			pos += i + len(w)
		}
		if missing == "" {
			r.read = pos
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scr --plain never said %q; since the last step it said:\n%s", missing, out[r.read:])
		}
		time.Sleep(pollEvery)
	}
}

// waitClosed waits for the terminal's other end to close: all of scr's
// output read.
func (r *lineReader) waitClosed(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(exitWait); time.Now().Before(deadline); time.Sleep(pollEvery) {
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed {
			return
		}
	}
	t.Error(errors.New("the terminal was not closed after scr exited"))
}
