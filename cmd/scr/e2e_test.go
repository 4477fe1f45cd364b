//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// End-to-end: the real scr binary in a real terminal (tmux), against the
// real sandbox binary over HTTPS, with the card read through a real pcscd and
// vpcd from scr-vcard. Every wait polls with a deadline; nothing sleeps to
// assert.

const (
	screenWait = 10 * time.Second       // for a screen to show what it should
	pollEvery  = 50 * time.Millisecond  // how often the screen is read
	wipeWithin = time.Second            // for the record to go after the card does
	exitWait   = 10 * time.Second       // for scr to exit after q
	termWidth  = "80"                   // the smallest terminal scr is for
	termHeight = "24"                   //
	patientNHS = "9000000017"           // Mr Robert Hargreaves: allergies and medication, living (9000000009 has died)
	doctorCard = "555000000102"         // James OKAFOR, A&E, emergency access
	doctorPIN  = "102102"               // assets/sandbox/README.md
	emergNote  = "unconscious in resus" // the clinician's own words for the privacy officer
)

// forbidden is what must be gone from the terminal once the card is out or
// scr has quit: the patient's name, record and NHS number in any spacing.
var forbidden = []string{"hargreaves", "penicillin", "clarithromycin", "9000000017", "900 000 0017", "900-000-0017"}

// forbiddenDemo is forbidden less the bare NHS number, which the demo's own
// hint lists on the card screen as one to try.
var forbiddenDemo = []string{"hargreaves", "penicillin", "clarithromycin", "900 000 0017", "900-000-0017"}

func TestViewerEndToEnd(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(t)
	// Which journeys reached their end, for the audit checks below.
	var pharmacistViewed, doctorViewed bool

	t.Run("pharmacist with permission, card pulled", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		card := pcsctest.StartVCard(t, slot) // the demo identity: Priya SHARMA, B0401
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)

		signIn(t, tm, "Priya SHARMA", "123456")
		findPatient(t, tm)
		tm.waitFor(t, "the permission screen", "Patient gave permission", "Emergency access", "Patient declined")
		tm.keys(t, "p")
		tm.waitFor(t, "the summary", "Penicillin allergy", "Clarithromycin")
		pharmacistViewed = true

		pulled := time.Now()
		card.Remove() // SIGUSR2; returns once pcscd shows the reader empty
		deadline := pulled.Add(wipeWithin)
		if seen := time.Now(); seen.After(deadline) {
			// pcscd itself was slow to notice: give scr its second from then.
			t.Logf("pcscd took %v to report the card gone", seen.Sub(pulled).Round(time.Millisecond))
			deadline = seen.Add(wipeWithin)
		}
		tm.waitClean(t, "the screen after the card was pulled", deadline, forbidden...)

		tm.keys(t, "q")
		tm.waitExit(t)
		tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
		assertNoRecordOnDisk(t, home, tmp)
		assertEmpty(t, home, tmp)
	})

	t.Run("A&E doctor with emergency access", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		ident, err := filepath.Abs(filepath.Join("..", "..", "assets", "sandbox", "cards", doctorCard))
		if err != nil {
			t.Fatal(err)
		}
		pcsctest.StartVCard(t, slot, "--identity", ident)
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)

		signIn(t, tm, "James OKAFOR", doctorPIN)
		findPatient(t, tm)
		tm.waitFor(t, "the permission screen", "Patient gave permission", "Emergency access")
		tm.keys(t, "e")
		tm.waitFor(t, "the emergency reasons", "Emergency access: why?")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the note", "In your own words")
		tm.literal(t, emergNote)
		tm.waitFor(t, "the note as typed", emergNote)
		tm.keys(t, "Enter")
		tm.waitFor(t, "the summary", "Penicillin allergy", "Clarithromycin")
		doctorViewed = true

		tm.keys(t, "q")
		tm.waitExit(t)
		tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
		assertNoRecordOnDisk(t, home, tmp)
		assertEmpty(t, home, tmp)
	})

	// The audit trail, read from the sandbox's own database once it stopped.
	if !doctorViewed {
		return // nothing to look for; the subtest said why
	}
	sb.stop(t)
	store, err := audit.Open(sb.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if err := store.Verify(ctx); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	alerts, err := store.Query(ctx, audit.Filter{Patient: patientNHS, Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil {
		t.Fatal(err)
	}
	var alert *audit.Record
	for i, r := range alerts {
		if r.UserUUID == doctorCard && r.Outcome == audit.Allowed {
			alert = &alerts[i]
		}
		// The pharmacist viewed with the patient's permission: that is
		// recorded too, as alert 1/6, and must say so.
		if r.UserUUID != doctorCard && !(r.AlertType == "1" && r.AlertSubtype == "6" && r.Permission) {
			t.Errorf("a privacy alert %s/%s for %s by %s (%s), who viewed with permission", r.AlertType, r.AlertSubtype, patientNHS, r.UserUUID, r.UserName)
		}
	}
	if alert == nil {
		t.Fatalf("no allowed privacy alert for %s by %s in the audit trail (%d alerts: %+v)", patientNHS, doctorCard, len(alerts), alerts)
	}
	emergency := alert.AlertType == "2" && alert.AlertSubtype == "5" || alert.AlertType == "1" && alert.AlertSubtype == "4"
	if !emergency || alert.Permission || !strings.Contains(alert.Reason, emergNote) {
		t.Errorf("privacy alert type %s subtype %s, permission %v, reason %q; want an emergency access alert without permission giving %q",
			alert.AlertType, alert.AlertSubtype, alert.Permission, alert.Reason, emergNote)
	}
	reads, err := store.Query(ctx, audit.Filter{Patient: patientNHS, Kinds: []audit.Kind{audit.SCRRead}})
	if err != nil {
		t.Fatal(err)
	}
	viewed := map[string]bool{}
	for _, r := range reads {
		if r.Outcome == audit.Allowed {
			viewed[r.UserUUID] = true
			// The permission is recorded beside the read (the report
			// joins them), an emergency alert never counts as one.
			given, err := store.PermissionGiven(ctx, r.UserUUID, r.RoleID, r.Patient, r.Time.Add(time.Minute))
			if want := r.UserUUID != doctorCard; err != nil || given != want {
				t.Errorf("%s's record read covered by a recorded permission: %v (%v), want %v", r.UserUUID, given, err, want)
			}
			if r.UserUUID == doctorCard && r.Seq < alert.Seq {
				t.Errorf("the doctor's record read (row %d) came before the privacy alert (row %d)", r.Seq, alert.Seq)
			}
		}
	}
	if !viewed[doctorCard] || pharmacistViewed && !viewed["555000000101"] {
		t.Errorf("allowed SCR reads of %s recorded for %v; want the doctor's and (if that journey ran) the pharmacist's", patientNHS, viewed)
	}
}

// TestDemoEndToEnd runs scr --demo in a terminal with pcscd out of reach and
// fresh, empty HOME and TMPDIR: the whole journey works in-process, F2 pulls
// the card, and nothing is left on disk or in the terminal.
func TestDemoEndToEnd(t *testing.T) {
	needTmux(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, scr, "--demo")
	// No --card: the card screen offers every sandbox card, the
	// pharmacist's first.
	tm.waitFor(t, "the demo's card picker", "Choose a card to put in", "> Priya SHARMA", "Helen WOODS", "(passcode 104104)")
	tm.keys(t, "Enter")
	tm.waitFor(t, "the demo's passcode hint", "Passcode 123456")

	signIn(t, tm, "Priya SHARMA", "123456")
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the summary", "Penicillin allergy", "Clarithromycin")
	tm.keys(t, "F2")
	tm.waitClean(t, "the screen after F2 pulled the demo card", time.Now().Add(wipeWithin), forbiddenDemo...)
	tm.keys(t, "q")
	tm.waitExit(t)
	tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
	assertEmpty(t, home, tmp)
}

func needTmux(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed (make deps); CI is set, so this fails rather than skips")
		}
		t.Skip("tmux is not installed: apt-get install tmux (make deps)")
	}
}

// signIn waits for the passcode screen for holder, then types pin and Enter,
// and waits for the patient search (a single viewing role goes straight
// there).
func signIn(t testing.TB, tm *tmux, holder, pin string) {
	t.Helper()
	tm.waitFor(t, "the passcode screen", holder, "passcode")
	tm.literal(t, pin)
	tm.keys(t, "Enter")
	tm.waitFor(t, "the patient search", "NHS number")
	tm.waitGone(t, "the passcode screen", "Enter your passcode")
}

func findPatient(t testing.TB, tm *tmux) {
	t.Helper()
	tm.literal(t, patientNHS)
	tm.keys(t, "Enter")
}

// sandbox is a running scr-sandbox process.
type sandbox struct {
	url, caFile, db string
	cmd             *exec.Cmd
	exited          chan struct{}
	stopped         bool
}

func startSandbox(t testing.TB) *sandbox {
	t.Helper()
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr-sandbox")
	dir := t.TempDir()
	sb := &sandbox{caFile: filepath.Join(dir, "ca.pem"), db: filepath.Join(dir, "audit.db"), exited: make(chan struct{})}
	sb.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ca-out", sb.caFile, "--db", sb.db)
	stdout, err := sb.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "sandbox.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	sb.cmd.Stderr = logf
	if err := sb.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "scr-sandbox listening on "); ok {
				urls <- u
			}
		}
		sb.cmd.Wait()
		close(sb.exited)
	}()
	t.Cleanup(func() { sb.stop(t) })
	select {
	case sb.url = <-urls:
	case <-sb.exited:
		t.Fatalf("scr-sandbox exited at start: %v\n%s", sb.cmd.ProcessState, readLog(logf.Name()))
	case <-time.After(screenWait):
		t.Fatalf("scr-sandbox did not start within %v\n%s", screenWait, readLog(logf.Name()))
	}
	return sb
}

// stop sends SIGTERM and waits: the sandbox finishes requests in flight and
// closes its audit database.
func (sb *sandbox) stop(t testing.TB) {
	t.Helper()
	if sb.stopped {
		return
	}
	sb.stopped = true
	sb.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sb.exited:
		if !sb.cmd.ProcessState.Success() {
			t.Errorf("scr-sandbox: %v", sb.cmd.ProcessState)
		}
	case <-time.After(15 * time.Second):
		sb.cmd.Process.Kill()
		<-sb.exited
		t.Errorf("scr-sandbox did not stop within 15 s of SIGTERM")
	}
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// tmux is one scr running in a private tmux server.
type tmux struct {
	sock   string
	status string // scr's exit status is written here when it exits
}

const tmuxTarget = "scr"

// startTmux runs scr with args in an 80×24 tmux pane, with HOME and TMPDIR
// set to home and tmp and nothing of scr's configuration in the environment.
// The pane stays after scr exits, for its history. A shell runs scr and
// writes its exit status to a file: tmux 3.3a sometimes never reaps a pane's
// process (it stays a zombie, with no #{pane_dead_status}).
func startTmux(t testing.TB, home, tmp, scr string, args ...string) *tmux {
	t.Helper()
	dir := t.TempDir() // tmux's own files: not scr's HOME or TMPDIR
	tm := &tmux{sock: filepath.Join(dir, "tmux.sock"), status: filepath.Join(dir, "status")}
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := []string{"-S", tm.sock, "-f", conf, "new-session", "-d", "-x", termWidth, "-y", termHeight, "-s", tmuxTarget, "--",
		"env", "-u", envServer, "-u", envCA, "-u", envReader, "-u", envIdleLock,
		// Every other setting too: a developer's own must not change the journey.
		"-u", "SCR_PLAIN", "-u", "SCR_AUTH", "-u", "SCR_CIS2_ISSUER", "-u", "SCR_CLIENT_ID",
		"-u", "SCR_API_KEY", "-u", "SCR_SIGNING_KEY", "-u", "SCR_KID", "-u", "SCR_CONFIG",
		"-u", "XDG_CONFIG_HOME", "-u", "XDG_CACHE_HOME", "-u", "XDG_DATA_HOME", "-u", "XDG_STATE_HOME", "-u", "XDG_RUNTIME_DIR",
		"HOME=" + home, "TMPDIR=" + tmp}
	if slices.Contains(args, "--demo") {
		// The demo must not need pcscd: give it none to find.
		argv = append(argv, "PCSCLITE_CSOCK_NAME="+filepath.Join(dir, "no-pcscd.comm"))
	}
	argv = append(argv, "SCR_E2E_STATUS="+tm.status, "sh", "-c", `"$@"; echo $? >"$SCR_E2E_STATUS"`, "sh", scr)
	argv = append(argv, args...)
	if out, err := tmuxCommand(argv...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { tmuxCommand("-S", tm.sock, "kill-server").Run() })
	return tm
}

// tmuxCommand is the tmux command, told nothing of a tmux the tests may be
// running in.
func tmuxCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("tmux", args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TMUX=") || strings.HasPrefix(kv, "TMUX_PANE=")
	})
	return cmd
}

func (tm *tmux) run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := tmuxCommand(append([]string{"-S", tm.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, F2, or a single character).
func (tm *tmux) keys(t testing.TB, keys ...string) {
	t.Helper()
	tm.run(t, append([]string{"send-keys", "-t", tmuxTarget}, keys...)...)
}

// literal types s as it is.
func (tm *tmux) literal(t testing.TB, s string) {
	t.Helper()
	tm.run(t, "send-keys", "-t", tmuxTarget, "-l", s)
}

func (tm *tmux) screen(t testing.TB) string {
	t.Helper()
	return tm.run(t, "capture-pane", "-p", "-t", tmuxTarget)
}

// history is the pane's whole content: its scrollback and the screen.
func (tm *tmux) history(t testing.TB) string {
	t.Helper()
	return tm.run(t, "capture-pane", "-p", "-S", "-", "-E", "-", "-t", tmuxTarget)
}

// waitFor polls the screen until it shows every one of want (case-insensitive).
func (tm *tmux) waitFor(t testing.TB, what string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		screen := tm.screen(t)
		missing := ""
		for _, w := range want {
			if !strings.Contains(strings.ToLower(screen), strings.ToLower(w)) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if dead, status := tm.dead(t); dead {
			t.Fatalf("waiting for %s: scr exited (status %d); the screen:\n%s", what, status, screen)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: no %q on the screen within %v; it shows:\n%s", what, missing, screenWait, screen)
		}
		time.Sleep(pollEvery)
	}
}

// waitGone polls the screen until it no longer shows gone (case-insensitive).
func (tm *tmux) waitGone(t testing.TB, what, gone string) {
	t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		screen := tm.screen(t)
		if !strings.Contains(strings.ToLower(screen), strings.ToLower(gone)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still shows %q after %v:\n%s", what, gone, screenWait, screen)
		}
		time.Sleep(pollEvery)
	}
}

// waitClean polls the screen until it shows none of words (case-insensitive),
// failing the test at deadline.
func (tm *tmux) waitClean(t testing.TB, what string, deadline time.Time, words ...string) {
	t.Helper()
	for {
		screen := tm.screen(t)
		w := leaked(screen, words...)
		if w == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still shows %q:\n%s", what, w, screen)
		}
		time.Sleep(pollEvery)
	}
}

func (tm *tmux) assertClean(t testing.TB, what, text string) {
	t.Helper()
	if w := leaked(text, forbidden...); w != "" {
		t.Fatalf("%s still shows %q:\n%s", what, w, text)
	}
}

// leaked returns the first of words in text, ignoring case, or "".
func leaked(text string, words ...string) string {
	lower := strings.ToLower(text)
	for _, w := range words {
		if strings.Contains(lower, w) {
			return w
		}
	}
	return ""
}

// dead reports whether scr has exited, and its exit status (128+N for death
// by signal N).
func (tm *tmux) dead(t testing.TB) (bool, int) {
	t.Helper()
	b, err := os.ReadFile(tm.status)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return false, 0 // being written
	}
	status, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("exit status file holds %q", b)
	}
	return true, status
}

// goroutines makes a hung scr print its goroutines' stacks (SIGABRT: scr
// catches SIGQUIT to clear the screen) and
// returns them, from the pane's history.
func (tm *tmux) goroutines(t testing.TB) string {
	t.Helper()
	pid, err := tm.pid(t)
	if err != nil {
		return err.Error()
	}
	if err := syscall.Kill(pid, syscall.SIGABRT); err != nil {
		return err.Error()
	}
	for deadline := time.Now().Add(exitWait); time.Now().Before(deadline); time.Sleep(pollEvery) {
		if dead, _ := tm.dead(t); dead {
			break
		}
	}
	return tm.history(t)
}

// pid is scr's process ID: the one child of the pane's shell.
func (tm *tmux) pid(t testing.TB) (int, error) {
	t.Helper()
	shell, err := strconv.Atoi(strings.TrimSpace(tm.run(t, "display-message", "-p", "-t", tmuxTarget, "#{pane_pid}")))
	if err != nil {
		return 0, err
	}
	return childOf(shell)
}

// childOf is the one child of process pid.
func childOf(pid int) (int, error) {
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0, err
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(children)))
	if err != nil {
		return 0, fmt.Errorf("the children of %d: %q", pid, children)
	}
	return child, nil
}

// waitExit waits for scr to exit, and fails the test unless it exited 0.
func (tm *tmux) waitExit(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(exitWait)
	for {
		if dead, status := tm.dead(t); dead {
			if status != 0 {
				t.Fatalf("scr exited with status %d; the screen:\n%s", status, tm.screen(t))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scr did not exit within %v of q; the screen:\n%s\nIts goroutines:\n%s", exitWait, tm.screen(t), tm.goroutines(t))
		}
		time.Sleep(pollEvery)
	}
}

// assertNoRecordOnDisk fails if any file under the dirs holds the patient's
// NHS number or record.
func assertNoRecordOnDisk(t testing.TB, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if w := leaked(string(b), forbidden...); w != "" {
				t.Errorf("%s holds %q", path, w)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

// assertEmpty fails if scr left anything at all in the dirs.
func assertEmpty(t testing.TB, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		var found []string
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if path != dir {
				found = append(found, path)
			}
			return err
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Error(err)
		}
		if len(found) > 0 {
			t.Errorf("scr wrote to %s: %s", dir, fmt.Sprint(found))
		}
	}
}
