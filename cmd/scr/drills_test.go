//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
)

// Fault drills: what a user sees when PC/SC goes wrong under a running scr,
// end to end with the real scr, scr-vcard and scr-sandbox in tmux against a
// real pcscd with vpcd. Each drill checks the one sentence the user is given,
// that the screen still answers keys, and that no patient data stays on the
// screen or in the pane's history once the session has ended.
//
// A reader unplugged is not drilled here, for want of a real way to unplug
// one: vpcd's readers come from reader.conf, and pcscd (1.9.9) removes such a
// reader only when it stops. `pcscd --hotplug` (SIGUSR1) re-reads reader.conf
// but only to restart readers still listed: RFReCheckReaderConf returns when
// the list is empty and cancels ("has been modified. Recheck canceled") when
// it changed. There is no USB reader to unplug either. ReaderRemoved is
// covered in-process by the ui tests (ui/state_test.go).

const (
	pharmacist    = "Priya SHARMA" // the demo card's holder
	pharmacistPIN = "123456"
	doctorName    = "James OKAFOR"
)

// helpShown is the last line of the help screen, whatever screen it is for.
const helpShown = "Any key closes this help."

// assertResponsive opens the help with ? and closes it again: the screen
// still answers keys.
func assertResponsive(t testing.TB, tm *tmux) {
	t.Helper()
	tm.keys(t, "?")
	tm.waitFor(t, "the help", helpShown)
	tm.keys(t, "Escape")
	tm.waitGone(t, "the help", helpShown)
}

// assertNotOnScreen fails if the screen shows any of words (case-insensitive).
func assertNotOnScreen(t testing.TB, tm *tmux, what string, words ...string) {
	t.Helper()
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	screen := tm.screen(t)
	if w := leaked(screen, lower...); w != "" {
		t.Fatalf("%s shows %q:\n%s", what, w, screen)
	}
}

// endSession quits scr and checks that nothing of the record is left in the
// pane's history or on disk.
func endSession(t testing.TB, tm *tmux, home, tmp string) {
	t.Helper()
	tm.keys(t, "q")
	tm.waitExit(t)
	tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
	assertNoRecordOnDisk(t, home, tmp)
	assertEmpty(t, home, tmp)
}

func doctorIdentity(t testing.TB) string {
	t.Helper()
	ident, err := filepath.Abs(filepath.Join("..", "..", "assets", "sandbox", "cards", doctorCard))
	if err != nil {
		t.Fatal(err)
	}
	return ident
}

// viewSummary looks up the patient with the patient's permission and waits
// for the summary.
func viewSummary(t testing.TB, tm *tmux) {
	t.Helper()
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the summary", "Penicillin allergy", "Clarithromycin")
}

// The sentences scr gives when a card, reader or the card service goes.
const (
	sayCardRemoved   = "The card was removed."
	sayServiceLost   = "The card service stopped. Waiting for it to come back."
	sayNoReader      = "No card reader is connected. Plug in a reader, or check its cable."
	sayReaderRemoved = "The card reader was disconnected."
)

// waitWiped waits, within wipeWithin of now, for the screen to show none of
// the patient's data, then for the sentence saying why, and checks that it is
// the only such sentence, but for those in also.
func waitWiped(t testing.TB, tm *tmux, what, sentence string, also ...string) {
	t.Helper()
	tm.waitClean(t, what, time.Now().Add(wipeWithin), forbidden...)
	tm.waitFor(t, what, sentence)
	assertOnly(t, tm, what, sentence, also...)
}

// assertOnly fails if the screen shows a status sentence other than sentence
// and those in also.
func assertOnly(t testing.TB, tm *tmux, what, sentence string, also ...string) {
	t.Helper()
	var others []string
	for _, s := range []string{sayCardRemoved, sayServiceLost, sayNoReader, sayReaderRemoved} {
		if s != sentence && !slices.Contains(also, s) {
			others = append(others, s)
		}
	}
	assertNotOnScreen(t, tm, what+" (one sentence: "+sentence+")", others...)
}

// TestDrillCardRemovedWhileSigning pulls the card in the middle of the
// sign-in, after the passcode was sent to the card: no session, one
// sentence, and the sign-in works once the card is back.
func TestDrillCardRemovedWhileSigning(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(t)
	slot := pcsctest.TakeSlot(t)
	card := pcsctest.StartVCard(t, slot, "--remove-after", strconv.Itoa(signInAPDU), "--verbose")
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)

	tm.waitFor(t, "the passcode screen", pharmacist, "passcode")
	tm.literal(t, pharmacistPIN)
	tm.keys(t, "Enter")
	tm.waitFor(t, "the screen after the card was pulled while signing in", sayCardRemoved)
	assertOnly(t, tm, "the screen after the card was pulled while signing in", sayCardRemoved)
	if !strings.Contains(card.Log(), "--remove-after") {
		t.Fatalf("the card was not pulled by --remove-after %d; its log:\n%s", signInAPDU, card.Log())
	}
	assertNotOnScreen(t, tm, "the screen after the card was pulled while signing in", "NHS number", pharmacist, "Enter your passcode")
	assertResponsive(t, tm)

	card.Insert()
	signIn(t, tm, pharmacist, pharmacistPIN)
	viewSummary(t, tm)
	card.Remove()
	waitWiped(t, tm, "the screen after the card was pulled", sayCardRemoved)
	assertResponsive(t, tm)
	endSession(t, tm, home, tmp)
}

// signInAPDU is the command APDU, counted from the card's start, on which
// --remove-after pulls the card in TestDrillCardRemovedWhileSigning: one
// sent after the passcode was typed.
const signInAPDU = 6

// TestDrillAnotherUsersCard: the pharmacist views a record and pulls her
// card, and the A&E doctor puts his in the same reader. Nothing of hers
// stays: not the record, not her name, not her role.
func TestDrillAnotherUsersCard(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(t)
	slot := pcsctest.TakeSlot(t)
	hers := pcsctest.StartVCard(t, slot)
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)

	signIn(t, tm, pharmacist, pharmacistPIN)
	tm.waitFor(t, "the pharmacist's header", pharmacist, "Health Professional Access Role", "FA123")
	viewSummary(t, tm)
	hers.Remove()
	waitWiped(t, tm, "the screen after her card was pulled", sayCardRemoved)
	hers.Stop()

	pcsctest.StartVCard(t, slot, "--identity", doctorIdentity(t))
	tm.waitFor(t, "the doctor's passcode screen", doctorName, "passcode")
	hersToo := append([]string{pharmacist, "FA123", "Health Professional"}, forbidden...)
	assertNotOnScreen(t, tm, "the doctor's passcode screen", hersToo...)
	assertResponsive(t, tm)
	signIn(t, tm, doctorName, doctorPIN)
	tm.waitFor(t, "the doctor's header", doctorName, "Clinical Practitioner Access Role", "R9A")
	assertNotOnScreen(t, tm, "the doctor's patient search", hersToo...)
	findPatient(t, tm)
	tm.waitFor(t, "the doctor's permission screen", "Patient gave permission", "Emergency access")
	assertNotOnScreen(t, tm, "the doctor's permission screen", pharmacist, "FA123", "Health Professional")
	endSession(t, tm, home, tmp)
}

// TestDrillTwoReaders: the demo card in the first reader and the doctor's in
// the second. scr takes the first by name unless --reader names the other,
// and only pulling the card it uses ends the session.
func TestDrillTwoReaders(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(t)
	slots := pcsctest.TakeSlots(t, 2)
	if slots[0].Reader != "Virtual PCD 00 00" || slots[1].Reader != "Virtual PCD 00 01" {
		t.Fatalf("vpcd readers %q and %q, want Virtual PCD 00 00 and 01", slots[0].Reader, slots[1].Reader)
	}
	first := pcsctest.StartVCard(t, slots[0])
	second := pcsctest.StartVCard(t, slots[1], "--identity", doctorIdentity(t))

	t.Run("the first reader by name", func(t *testing.T) {
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile)
		signIn(t, tm, pharmacist, pharmacistPIN)
		assertNotOnScreen(t, tm, "the pharmacist's patient search", doctorName)

		second.Remove() // not the card in use
		viewSummary(t, tm)
		assertResponsive(t, tm)
		tm.waitFor(t, "the summary, with the other card pulled", "Penicillin allergy")

		first.Remove()
		waitWiped(t, tm, "the screen after the card in use was pulled", sayCardRemoved)
		assertResponsive(t, tm)
		endSession(t, tm, home, tmp)
	})
	if t.Failed() {
		return
	}
	first.Insert()
	second.Insert()

	t.Run("--reader names the second", func(t *testing.T) {
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slots[1].Reader)
		signIn(t, tm, doctorName, doctorPIN)
		assertNotOnScreen(t, tm, "the doctor's patient search", pharmacist)

		first.Remove() // not the card in use
		findPatient(t, tm)
		tm.waitFor(t, "the permission screen, with the other card pulled", "Patient gave permission", "Emergency access")
		assertResponsive(t, tm)

		second.Remove()
		waitWiped(t, tm, "the screen after the card in use was pulled", sayCardRemoved)
		assertNotOnScreen(t, tm, "the screen after the card in use was pulled", doctorName, "Emergency access")
		assertResponsive(t, tm)
		endSession(t, tm, home, tmp)
	})
}

// TestDrillPcscdRestart kills pcscd under a signed-in scr showing a record,
// then starts it again. The pcscd is a private one, in a mount namespace of
// its own with a tmpfs on /run/pcscd (so its socket and PID file are not the
// shared pcscd's), and its vpcd listens on ports of its own; scr runs in the
// same namespace, through nsenter, and so talks to it and only to it.
func TestDrillPcscdRestart(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t) // skips (or fails under CI) when pcscd is not installed
	needTool(t, "unshare")
	needTool(t, "nsenter")
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	vcard := pcsctest.Build(t, pcsctest.VCardPkg)
	sb := startSandbox(t)
	lockPrivateVpcd(t)
	pd := startPrivatePcscd(t)
	startPrivateVCard(t, vcard, privateVpcdPort)
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmuxIn(t, pd.enter(), home, tmp, scr, "--server", sb.url, "--ca", sb.caFile)

	signIn(t, tm, pharmacist, pharmacistPIN)
	viewSummary(t, tm)

	pd.kill(t)
	waitWiped(t, tm, "the screen after pcscd was killed", sayServiceLost)
	assertNotOnScreen(t, tm, "the screen after pcscd was killed", pharmacist, "NHS number")
	assertResponsive(t, tm)

	pd.start(t)
	tm.waitFor(t, "the passcode screen after pcscd came back", pharmacist, "Enter your passcode")
	assertResponsive(t, tm)
	signIn(t, tm, pharmacist, pharmacistPIN)
	viewSummary(t, tm)
	pd.kill(t)
	waitWiped(t, tm, "the screen after pcscd was killed again", sayServiceLost)
	endSession(t, tm, home, tmp)
}

func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (util-linux); CI is set, so this fails rather than skips", name)
		}
		t.Skipf("%s is not installed: apt-get install util-linux", name)
	}
}

// privateVpcdPort is where the private pcscd's vpcd listens for its first
// slot: the shared one's ports (0x8C7B and up) plus 16, so that the two
// pcscds, which share the network, do not meet.
const privateVpcdPort = 0x8C7B + 16

// lockPrivateVpcd holds, for the test, a lock that keeps other test
// processes from running a private pcscd on privateVpcdPort at the same time.
// flock: a test process that dies cannot leave it held.
func lockPrivateVpcd(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "scr-drill-private-vpcd.lock"), os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// privatePcscd is a pcscd in a mount namespace of its own, held open by a
// process that lives for the test.
type privatePcscd struct {
	holder *exec.Cmd
	conf   string // its reader.conf.d
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
}

func startPrivatePcscd(t testing.TB) *privatePcscd {
	t.Helper()
	dir := t.TempDir()
	pd := &privatePcscd{conf: filepath.Join(dir, "reader.conf.d"), log: filepath.Join(dir, "pcscd.log")}
	if err := os.Mkdir(pd.conf, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n",
		privateVpcdPort, vpcdDriver(t), privateVpcdPort)
	if err := os.WriteFile(filepath.Join(pd.conf, "vpcd"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The holder makes the namespace, mounts the tmpfs and waits on its
	// stdin, which the test holds: it ends with the test, however that ends.
	args := []string{"--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	args = append(args, "sh", "-c", `mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd || exit 97
echo ready; exec cat >/dev/null`)
	pd.holder = exec.Command("unshare", args...)
	pd.holder.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := pd.holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := pd.holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	pd.holder.Stderr = &stderr
	if err := pd.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pd.cmd != nil {
			pd.cmd.Process.Kill()
			<-pd.exited
		}
		stdin.Close()
		pd.holder.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			pd.holder.Wait()
			t.Fatalf("unshare --mount with a tmpfs on /run/pcscd: %v %s", pd.holder.ProcessState, stderr.String())
		}
	case <-time.After(screenWait):
		t.Fatal("unshare --mount did not get ready")
	}
	pd.start(t)
	return pd
}

func vpcdDriver(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/lib/pcsc/drivers/serial/libifdvpcd.so", "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("vpcd driver libifdvpcd.so not found (apt-get install vsmartcard-vpcd)")
	return ""
}

// enter is the command prefix that runs a program in the namespace.
func (pd *privatePcscd) enter() []string {
	args := []string{"nsenter", "--target", strconv.Itoa(pd.holder.Process.Pid), "--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--user", "--preserve-credentials")
	}
	return append(args, "--")
}

// run is the namespace's /run/pcscd, seen from outside it.
func (pd *privatePcscd) run(name string) string {
	return filepath.Join("/proc", strconv.Itoa(pd.holder.Process.Pid), "root", "run", "pcscd", name)
}

// start starts pcscd in the namespace and waits for its socket.
func (pd *privatePcscd) start(t testing.TB) {
	t.Helper()
	path, err := exec.LookPath("pcscd")
	if err != nil {
		path = "/usr/sbin/pcscd"
	}
	logf, err := os.OpenFile(pd.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	argv := append(pd.enter(), path, "--foreground", "--info", "--config", pd.conf)
	pd.cmd = exec.Command(argv[0], argv[1:]...)
	pd.cmd.Stdout, pd.cmd.Stderr = logf, logf
	pd.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pd.cmd.Dir = "/"
	if err := pd.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pd.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(pd.cmd, pd.exited)
	for deadline := time.Now().Add(screenWait); ; time.Sleep(pollEvery) {
		if fi, err := os.Stat(pd.run("pcscd.comm")); err == nil && fi.Mode().Type() == os.ModeSocket {
			return
		}
		select {
		case <-pd.exited:
			t.Fatalf("the private pcscd exited at start: %v\n%s", pd.cmd.ProcessState, readLog(pd.log))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the private pcscd made no socket within %v\n%s", screenWait, readLog(pd.log))
		}
	}
}

// kill kills pcscd as a crash would (SIGKILL), reaps it, and removes the
// socket and PID file it leaves, which would stop the next one starting.
func (pd *privatePcscd) kill(t testing.TB) {
	t.Helper()
	if err := pd.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-pd.exited
	pd.cmd = nil
	for _, f := range []string{"pcscd.comm", "pcscd.pid"} {
		if err := os.Remove(pd.run(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// startPrivateVCard runs scr-vcard with the demo card for the private
// pcscd's vpcd on port. It redials by itself while pcscd is down.
func startPrivateVCard(t testing.TB, bin string, port int) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "vcard.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("scr-vcard did not exit within 5 s of SIGTERM; its log:\n%s", readLog(logPath))
		}
	})
}

// startTmuxIn is startTmux with scr run through prefix (such as nsenter).
func startTmuxIn(t testing.TB, prefix []string, home, tmp, scr string, args ...string) *tmux {
	t.Helper()
	dir := t.TempDir()
	tm := &tmux{sock: filepath.Join(dir, "tmux.sock"), status: filepath.Join(dir, "status")}
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g history-limit 10000\nset -g status off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := []string{"-S", tm.sock, "-f", conf, "new-session", "-d", "-x", termWidth, "-y", termHeight, "-s", tmuxTarget, "--"}
	argv = append(argv, prefix...)
	argv = append(argv, "env", "-u", envServer, "-u", envCA, "-u", envReader, "-u", envIdleLock,
		"-u", "XDG_CONFIG_HOME", "-u", "XDG_CACHE_HOME", "-u", "XDG_DATA_HOME", "-u", "XDG_STATE_HOME", "-u", "XDG_RUNTIME_DIR",
		"-u", "PCSCLITE_CSOCK_NAME", "HOME="+home, "TMPDIR="+tmp,
		"SCR_E2E_STATUS="+tm.status, "sh", "-c", `"$@"; echo $? >"$SCR_E2E_STATUS"`, "sh", scr)
	argv = append(argv, args...)
	if out, err := tmuxCommand(argv...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { tmuxCommand("-S", tm.sock, "kill-server").Run() })
	return tm
}
