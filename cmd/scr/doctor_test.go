//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/pki"
)

// `scr doctor` end to end: the real scr binary, the card through a real pcscd
// and vpcd from scr-vcard, the real scr-sandbox over HTTPS.

const (
	repoRoot           = "../.."                              // where runDoctorBin runs scr
	sandboxSmartcardCA = "assets/sandbox/smartcard-ca/ca.pem" // from repoRoot
	sandboxCards       = "../../assets/sandbox/cards"
	doctorWait         = 30 * time.Second // for one scr doctor run
)

// doctorRun is one run of the scr binary.
type doctorRun struct {
	code   int
	out    string
	stderr string
}

// lines returns the checklist lines whose check is name, with their advice.
func (r doctorRun) lines(name string) []string {
	var got []string
	ls := strings.Split(r.out, "\n")
	for i, l := range ls {
		f := strings.Fields(l)
		if len(f) >= 2 && f[1] == name && (f[0] == "PASS" || f[0] == "WARN" || f[0] == "FAIL" || f[0] == "SKIP") {
			if i+1 < len(ls) && strings.HasPrefix(strings.TrimSpace(ls[i+1]), "→") {
				l += "\n" + ls[i+1]
			}
			got = append(got, l)
		}
	}
	return got
}

// runDoctorBin runs `scr doctor args…` with stdin, and SCR_* cleared from
// the environment plus env.
func runDoctorBin(t *testing.T, env []string, stdin string, args ...string) doctorRun {
	t.Helper()
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	cmd := exec.Command(bin, append([]string{"doctor"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SCR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Dir = repoRoot // so that the command lines logged read as a user would type them
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(doctorWait):
		cmd.Process.Kill()
		<-done
		t.Fatalf("scr doctor %v did not finish within %v:\n%s%s", args, doctorWait, stdout.String(), stderr.String())
	}
	r := doctorRun{out: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	t.Logf("scr doctor %s → exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.stderr)
	return r
}

// expect is one line the checklist must hold: the check, its status, and
// words its detail or advice must contain.
type expect struct {
	name, status string
	words        []string
}

func (r doctorRun) want(t *testing.T, code int, exps ...expect) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d", r.code, code)
	}
	for _, e := range exps {
		ls := r.lines(e.name)
		if len(ls) == 0 {
			t.Errorf("no %q line:\n%s", e.name, r.out)
			continue
		}
		ok := false
		for _, l := range ls {
			if strings.HasPrefix(l, e.status+" ") && containsAll(l, e.words...) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no %s %q line with %q; got:\n%s", e.status, e.name, e.words, strings.Join(ls, "\n"))
		}
	}
	// The list is always complete: every check has its line (a role line
	// per role, or one SKIP).
	for _, name := range []string{"service", "readers", "card", "piv", "certificate", "validity", "chain", "pin", "server", "clock", "sign-in", "access", "sign-out"} {
		if len(r.lines(name)) != 1 {
			t.Errorf("%d %q lines, want 1:\n%s", len(r.lines(name)), name, r.out)
		}
	}
	if len(r.lines("role")) == 0 {
		t.Errorf("no role line:\n%s", r.out)
	}
	// Every FAIL and WARN says what to do.
	for _, l := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(l, "FAIL ") || strings.HasPrefix(l, "WARN ") {
			if !strings.Contains(r.out, l+"\n"+strings.Repeat(" ", 19)+"→ ") {
				t.Errorf("%q carries no advice", l)
			}
		}
	}
}

func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func card(id string) []string {
	return []string{"--identity", filepath.Join(sandboxCards, id)}
}

func TestDoctorEndToEnd(t *testing.T) {
	pcsctest.Need(t)
	sb := startSandbox(t)
	server := []string{"--server", sb.url, "--ca", sb.caFile, "--smartcard-ca", sandboxSmartcardCA}

	t.Run("all good", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		r := runDoctorBin(t, nil, "123456\n", append(server, "--reader", slot.Reader, "--pin-stdin")...)
		r.want(t, 0,
			expect{"service", "PASS", nil},
			expect{"readers", "PASS", []string{slot.Reader + " (card)"}},
			expect{"card", "PASS", []string{"in " + slot.Reader, "ATR 3B "}},
			expect{"piv", "PASS", []string{"selected"}},
			expect{"certificate", "PASS", []string{"Priya SHARMA", "user ID 555000000101"}},
			expect{"validity", "PASS", []string{"valid until 01-Jan-2046"}},
			expect{"chain", "PASS", []string{"scr sandbox smartcard CA", "chains to the smartcard CA"}},
			expect{"pin", "PASS", []string{"3 tries left"}},
			expect{"server", "PASS", []string{sb.url, "TLS 1.3"}},
			expect{"clock", "PASS", []string{"(within 1m0s)"}},
			expect{"sign-in", "PASS", []string{"Priya SHARMA (555000000101)", "1 role"}},
			expect{"role", "PASS", []string{"FA123", "view SCR yes, emergency access no, audit reports no"}},
			expect{"access", "PASS", []string{"1 of 1 role can view an SCR"}},
			expect{"sign-out", "PASS", []string{"revoked"}},
		)
		for _, l := range strings.Split(strings.TrimSpace(r.out), "\n") {
			if !strings.HasPrefix(l, "PASS ") && l != "Every check passed." {
				t.Errorf("not a PASS: %q", l)
			}
		}
		if strings.Contains(r.out+r.stderr, "123456") {
			t.Error("the passcode was printed")
		}

		// The same as JSON, for a ticket: the passcode was right, so the card
		// still has 3 tries.
		r = runDoctorBin(t, nil, "123456\n", append(server, "--reader", slot.Reader, "--pin-stdin", "--json")...)
		var got struct {
			Checks []map[string]any `json:"checks"`
			OK     *bool            `json:"ok"`
		}
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, r.out)
		}
		if r.code != 0 || got.OK == nil || !*got.OK || len(got.Checks) != 14 {
			t.Fatalf("JSON: exit %d, ok %v, %d checks", r.code, got.OK, len(got.Checks))
		}
		for _, c := range got.Checks {
			if len(c) != 4 || c["status"] != "PASS" || c["name"] == "" || c["detail"] == "" || c["advice"] != "" {
				t.Errorf("JSON check %v", c)
			}
			if c["name"] == "pin" && c["detail"] != "3 tries left" {
				t.Errorf("after a right passcode: %v", c)
			}
		}
	})

	t.Run("passcode typed at the prompt, not echoed", func(t *testing.T) {
		needTmux(t)
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		scCA, err := filepath.Abs(filepath.Join(repoRoot, sandboxSmartcardCA))
		if err != nil {
			t.Fatal(err)
		}
		scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
		tm := startTmux(t, t.TempDir(), t.TempDir(), scr, "doctor", "--server", sb.url, "--ca", sb.caFile,
			"--smartcard-ca", scCA, "--reader", slot.Reader)
		tm.waitFor(t, "the passcode prompt", "PASS  pin", "Passcode, to check the sign-in")
		tm.literal(t, "123456")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the verdict", "Every check passed.")
		tm.waitExit(t)
		if h := tm.history(t); strings.Contains(h, "123456") || !strings.Contains(h, "PASS  sign-in") {
			t.Fatalf("the pane:\n%s", h)
		}
	})

	t.Run("Ctrl-C at the passcode prompt", func(t *testing.T) {
		needTmux(t)
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
		tm := startTmux(t, t.TempDir(), t.TempDir(), scr, "doctor", "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)
		tm.waitFor(t, "the passcode prompt", "Passcode, to check the sign-in")
		tm.keys(t, "C-c")
		// Ctrl-C reaches the shell that runs scr in the pane too, so the
		// pane dies by SIGINT and no exit status is written: the checklist
		// ending is what shows scr stopped waiting for the passcode.
		tm.waitFor(t, "the end of the checklist", "SKIP  sign-in      interrupted", "SKIP  sign-out     no sign-in", "No check failed; 1 warning, 4 skipped.")
	})

	t.Run("wrong passcode", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		r := runDoctorBin(t, nil, "246802\n", append(server, "--reader", slot.Reader, "--pin-stdin")...)
		r.want(t, 1,
			expect{"pin", "PASS", []string{"3 tries left"}},
			expect{"sign-in", "FAIL", []string{"wrong passcode: 2 tries left", "2 tries left before the card is locked"}},
		)
		if i := strings.Index(r.out, "246802"); i >= 0 {
			t.Errorf("the passcode was printed: %q", r.out[max(0, i-40):i+10])
		}
	})

	t.Run("expired certificate", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot, card("555000000106")...)
		r := runDoctorBin(t, nil, "106106\n", append(server, "--reader", slot.Reader, "--pin-stdin")...)
		r.want(t, 1,
			expect{"certificate", "PASS", []string{"Grace ADEYEMI", "555000000106"}},
			expect{"validity", "FAIL", []string{"expired on 01-Jun-2026", "Registration Authority"}},
			expect{"chain", "PASS", nil},
			expect{"sign-in", "FAIL", []string{"refused by the server", "invalid_grant", "expired"}},
		)
	})

	t.Run("revoked certificate", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot, card("555000000107")...)
		r := runDoctorBin(t, nil, "107107\n", append(server, "--reader", slot.Reader, "--pin-stdin")...)
		r.want(t, 1,
			expect{"certificate", "PASS", []string{"Mark JENKINS", "555000000107"}},
			expect{"validity", "PASS", nil},
			expect{"chain", "PASS", nil},
			expect{"pin", "PASS", nil},
			expect{"server", "PASS", nil},
			expect{"sign-in", "FAIL", []string{"refused by the server", "revoked", "only the server knows whether it has been revoked"}},
		)
	})

	t.Run("role without viewing rights", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot, card("555000000103")...)
		r := runDoctorBin(t, nil, "103103\n", append(server, "--reader", slot.Reader, "--pin-stdin")...)
		r.want(t, 1,
			expect{"sign-in", "PASS", []string{"Jordan BAKER", "2 roles"}},
			expect{"role", "WARN", []string{"555000000203", "view SCR no, emergency access no, audit reports no"}},
			expect{"role", "WARN", []string{"555000000204", "view SCR no"}},
			expect{"access", "FAIL", []string{"none of your roles can view an SCR", "Registration Authority"}},
			expect{"sign-out", "PASS", nil},
		)
	})

	t.Run("server down", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		r := runDoctorBin(t, nil, "123456\n", "--server", "https://"+closedPort(t), "--reader", slot.Reader, "--pin-stdin")
		r.want(t, 1,
			expect{"pin", "PASS", []string{"3 tries left"}},
			expect{"chain", "WARN", []string{"not checked: no smartcard CA configured"}},
			expect{"server", "FAIL", []string{"connection refused", "Check the address in --server"}},
			expect{"clock", "SKIP", []string{"server not reachable"}},
			expect{"sign-in", "SKIP", []string{"server not reachable"}},
		)
	})

	t.Run("wrong TLS CA", func(t *testing.T) {
		slot := pcsctest.TakeSlot(t)
		pcsctest.StartVCard(t, slot)
		r := runDoctorBin(t, nil, "", "--server", sb.url, "--reader", slot.Reader, "--no-signin")
		r.want(t, 1,
			expect{"server", "FAIL", []string{"unknown authority", "Check --ca"}},
			expect{"sign-in", "SKIP", []string{"server not reachable"}},
		)
	})
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestDoctorWrongSmartcardCA(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	ca, err := pki.NewCA("some other smartcard CA", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(caFile, pki.EncodeCert(ca.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runDoctorBin(t, nil, "", "--reader", slot.Reader, "--smartcard-ca", caFile)
	r.want(t, 1,
		expect{"certificate", "PASS", []string{"Priya SHARMA"}},
		expect{"chain", "FAIL", []string{`issued by "scr sandbox smartcard CA (NOT FOR REAL USE)", not by the smartcard CA in ` + caFile, "--smartcard-ca"}},
		expect{"server", "SKIP", []string{"no server configured"}},
		expect{"sign-in", "SKIP", []string{"no server configured"}},
	)
}

// TestDoctorClockSkew puts a stand-in HTTPS server in front whose Date is off.
func TestDoctorClockSkew(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	var mu sync.Mutex
	var offset time.Duration
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Date", time.Now().Add(offset).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "standin-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		offset time.Duration
		code   int
		want   expect
	}{
		{10 * time.Minute, 1, expect{"clock", "FAIL", []string{"behind the server's", "tokens would be refused"}}},
		{-10 * time.Minute, 1, expect{"clock", "FAIL", []string{"ahead of the server's"}}},
		{2 * time.Minute, 0, expect{"clock", "WARN", []string{"behind the server's", "over 5 minutes"}}},
		{0, 0, expect{"clock", "PASS", []string{"(within 1m0s)"}}},
	} {
		t.Run(fmt.Sprint(tt.offset), func(t *testing.T) {
			mu.Lock()
			offset = tt.offset
			mu.Unlock()
			r := runDoctorBin(t, nil, "", "--server", srv.URL, "--ca", caFile, "--reader", slot.Reader,
				"--smartcard-ca", sandboxSmartcardCA, "--no-signin")
			r.want(t, tt.code, expect{"server", "PASS", []string{srv.URL}}, tt.want,
				expect{"sign-in", "SKIP", []string{"--no-signin"}})
		})
	}
}

func TestDoctorNoCard(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot, "--removed")
	r := runDoctorBin(t, []string{"SCR_READER=" + slot.Reader}, "")
	r.want(t, 1,
		expect{"service", "PASS", nil},
		expect{"readers", "PASS", []string{slot.Reader + " (empty)"}},
		expect{"card", "FAIL", []string{"none in " + slot.Reader, "Insert your smartcard"}},
		expect{"piv", "SKIP", []string{"no card"}},
		expect{"pin", "SKIP", []string{"no card"}},
		expect{"server", "SKIP", []string{"no server configured"}},
	)
}

func TestDoctorWithoutService(t *testing.T) {
	pcsctest.Need(t) // for the build only: the command must not reach this pcscd
	r := runDoctorBin(t, []string{"PCSCLITE_CSOCK_NAME=" + filepath.Join(t.TempDir(), "no-pcscd.comm")}, "")
	r.want(t, 1,
		expect{"service", "FAIL", []string{"The smart card service is not running", "systemctl start pcscd"}},
		expect{"readers", "SKIP", []string{"no PC/SC service"}},
		expect{"pin", "SKIP", []string{"no PC/SC service"}},
	)
	if first := strings.SplitN(r.out, "\n", 2)[0]; !strings.HasPrefix(first, "FAIL  service") {
		t.Errorf("first line %q", first)
	}
}

// TestDoctorWithoutReader runs scr doctor against a pcscd of its own with no
// reader, in a private mount namespace, as TestCardWithoutReader does.
func TestDoctorWithoutReader(t *testing.T) {
	pcsctest.Need(t)
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	noReaders := t.TempDir()
	script := `mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd || exit 97
pcscd -f -c "$1" >/dev/null 2>&1 & pid=$!
i=0; while [ ! -S /run/pcscd/pcscd.comm ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
"$2" doctor; code=$?
kill $pid; wait $pid
exit $code`
	args := []string{"--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	args = append(args, "sh", "-c", script, "sh", noReaders, bin)
	cmd := exec.Command("unshare", args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	r := doctorRun{out: string(out)}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	}
	t.Logf("exit %d\n%s", r.code, out)
	r.want(t, 1,
		expect{"service", "PASS", nil},
		expect{"readers", "FAIL", []string{"none connected", "No card reader is connected"}},
		expect{"card", "SKIP", []string{"no reader"}},
	)
}

// TestDoctorWatch follows a card in and out of a reader, then stops on
// SIGINT, as Ctrl-C sends it.
func TestDoctorWatch(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	vc := pcsctest.StartVCard(t, slot, "--removed")
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	cmd := exec.Command(bin, "doctor", "--watch", "--reader", slot.Reader)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stamp := `^\d\d:\d\d:\d\d\.\d\d\d  `
	waitLine := func(pattern string) {
		t.Helper()
		re := regexp.MustCompile(stamp + pattern)
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("scr doctor --watch ended before a line matching %q", pattern)
				}
				t.Log(l)
				if re.MatchString(l) {
					return
				}
				if strings.Contains(l, "Virtual PCD") && !strings.Contains(l, slot.Reader) {
					t.Errorf("--reader %s, yet: %q", slot.Reader, l)
				}
			case <-deadline:
				t.Fatalf("no line matching %q within 10 s", pattern)
			}
		}
	}
	waitLine(`reader added    ` + regexp.QuoteMeta(slot.Reader) + `$`)
	vc.Insert()
	waitLine(`card inserted   ` + regexp.QuoteMeta(slot.Reader) + `  ATR 3B( [0-9A-F]{2})+$`)
	vc.Remove()
	waitLine(`card removed    ` + regexp.QuoteMeta(slot.Reader) + `$`)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for range lines { // drain until stdout closes
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("scr doctor --watch after Ctrl-C: %v, want exit status 0", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scr doctor --watch did not stop within 5 s of SIGINT")
	}
}

func TestDoctorUsage(t *testing.T) {
	t.Setenv("SCR_SERVER", "")
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"doctor", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"doctor", "extra"}, 2, "unexpected argument"},
		{[]string{"doctor", "--pin-stdin", "--no-signin"}, 2, "cannot be used together"},
		{[]string{"doctor", "--watch", "--json"}, 2, "--watch"},
		{[]string{"doctor", "--server", "ftp://example.com"}, 2, "scheme must be https"},
		{[]string{"doctor", "--server", "http://example.com"}, 2, "loopback"},
		{[]string{"doctor", "--smartcard-ca", "/nonexistent/ca.pem"}, 2, "--smartcard-ca"},
		{[]string{"doctor", "--help"}, 0, ""},
	} {
		code, out, stderr := runScr(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.err) {
			t.Errorf("scr %v = %d, %q; want %d, %q", tt.args, code, stderr, tt.code, tt.err)
		}
		if tt.code == 0 && !strings.HasPrefix(out, "Usage: scr doctor") {
			t.Errorf("scr %v printed %q", tt.args, out)
		}
	}
}

func TestParseDoctor(t *testing.T) {
	env := map[string]string{"SCR_SERVER": "https://env", "SCR_CA": "env.pem", "SCR_READER": "Env Reader", "SCR_SMARTCARD_CA": "env-sc.pem"}
	getenv := func(k string) string { return env[k] }
	cfg, err := parseDoctor(nil, getenv)
	if err != nil || cfg.server != "https://env" || cfg.ca != "env.pem" || cfg.reader != "Env Reader" || cfg.smartcardCA != "env-sc.pem" {
		t.Fatalf("from the environment: %+v, %v", cfg, err)
	}
	cfg, err = parseDoctor([]string{"--server", "https://flag", "--ca", "flag.pem", "--reader", "Flag Reader", "--smartcard-ca", "flag-sc.pem", "--json"}, getenv)
	if err != nil || cfg.server != "https://flag" || cfg.ca != "flag.pem" || cfg.reader != "Flag Reader" || cfg.smartcardCA != "flag-sc.pem" || !cfg.json {
		t.Fatalf("flags win: %+v, %v", cfg, err)
	}

	// The system-wide file comes after flags and environment, as for the viewer.
	file := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(file, []byte("server = \"https://file\"\nsmartcard-ca = \"/etc/scr/sc.pem\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fileOnly := func(k string) string {
		if k == "SCR_CONFIG" {
			return file
		}
		return ""
	}
	cfg, err = parseDoctor([]string{"--reader", "Flag Reader"}, fileOnly)
	if err != nil || cfg.server != "https://file" || cfg.smartcardCA != "/etc/scr/sc.pem" || cfg.reader != "Flag Reader" {
		t.Fatalf("from the file: %+v, %v", cfg, err)
	}

	// auth = "cis2" and the application's settings, the same way.
	cis2Env := map[string]string{"SCR_SERVER": "https://env", "SCR_AUTH": "cis2", "SCR_CIS2_ISSUER": "https://cis2.env",
		"SCR_CLIENT_ID": "env-client", "SCR_API_KEY": "env-key", "SCR_SIGNING_KEY": "/env/key.pem", "SCR_KID": "env-kid"}
	getCIS2 := func(k string) string { return cis2Env[k] }
	cfg, err = parseDoctor([]string{"--kid", "flag-kid"}, getCIS2)
	if s := cfg.settings; err != nil || s.Auth != "cis2" || s.CIS2Issuer != "https://cis2.env" || s.ClientID != "env-client" ||
		s.APIKey != "env-key" || s.SigningKey != "/env/key.pem" || s.KID != "flag-kid" {
		t.Fatalf("cis2 settings: %+v, %v", cfg.settings, err)
	}
	if cfg, err = parseDoctor(nil, getenv); err != nil || cfg.settings.Auth != "card" {
		t.Fatalf("auth by default: %q, %v", cfg.settings.Auth, err)
	}
	// --demo takes auth only: the application's settings in the
	// environment are not for it.
	cfg, err = parseDoctor([]string{"--demo"}, getCIS2)
	if err != nil || cfg.settings != (config.Settings{Auth: "cis2"}) || cfg.server != "" {
		t.Fatalf("--demo: %+v, %v", cfg, err)
	}
	if _, err = parseDoctor([]string{"--auth", "nhs"}, getenv); err == nil || !strings.Contains(err.Error(), `--auth "nhs" is not card or cis2`) {
		t.Fatalf("--auth nhs: %v", err)
	}
}

// TestParseDoctorPlain: scr doctor's plain form is the viewer's setting,
// resolved as the viewer resolves it: --plain, else SCR_PLAIN, else plain in
// the configuration file (bare or quoted), with --demo and --watch too.
func TestParseDoctorPlain(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		file string
		want bool
		err  string
	}{
		{args: nil, want: false},
		{args: []string{"--plain"}, want: true},
		{args: []string{"--plain=false"}, env: map[string]string{"SCR_PLAIN": "1"}, want: false},
		{args: nil, env: map[string]string{"SCR_PLAIN": "1"}, want: true},
		{args: nil, env: map[string]string{"SCR_PLAIN": "true"}, want: true},
		{args: nil, file: "plain = true\n", want: true},
		{args: nil, file: "plain = \"true\"\n", want: true},
		{args: nil, env: map[string]string{"SCR_PLAIN": "0"}, file: "plain = true\n", want: false},
		{args: []string{"--demo"}, env: map[string]string{"SCR_PLAIN": "1"}, want: true},
		{args: []string{"--demo"}, file: "plain = true\n", want: true},
		{args: []string{"--watch", "--plain"}, want: true},
		{args: []string{"--json", "--plain"}, want: true}, // JSON all the same: see TestDoctorPlain
		{args: nil, env: map[string]string{"SCR_PLAIN": "sometimes"}, err: `SCR_PLAIN "sometimes" is not true or false`},
		{args: nil, file: "plain = \"loud\"\n", err: `plain in `},
	} {
		path := configFile(t, tt.file)
		cfg, err := parseDoctor(tt.args, func(k string) string {
			if k == config.EnvConfig {
				return path
			}
			return tt.env[k]
		})
		if tt.err != "" {
			wantUsage(t, err, tt.err)
			continue
		}
		if err != nil || cfg.plain != tt.want {
			t.Errorf("%v %v (file %q): plain %v, %v; want %v", tt.args, tt.env, tt.file, cfg.plain, err, tt.want)
		}
	}
}

// TestDoctorPlain: scr doctor --plain, SCR_PLAIN=1 and plain in the
// configuration file each print the checklist for a screen reader, each
// check a sentence, each FAIL's advice on the next line, dates spelled out,
// no column padding or arrow; --json is the same JSON whatever the setting.
func TestDoctorPlain(t *testing.T) {
	t.Setenv("PCSCLITE_CSOCK_NAME", t.TempDir()+"/no-pcscd.comm") // no pcscd to lean on
	t.Setenv("SCR_AUTH", "")                                      // the card sign-in
	t.Setenv("SCR_PLAIN", "")
	t.Setenv(config.EnvConfig, configFile(t, ""))
	expired := []string{"doctor", "--demo", "--card", "555000000106"}
	lineStart := regexp.MustCompile(`^((PASS|WARN|FAIL|SKIP), [a-z-]+[:.]|What to do: |Result: )`)
	cuiDate := regexp.MustCompile(`\b\d{2}-[A-Z][a-z]{2}-\d{4}\b`)
	for _, tt := range []struct {
		name string
		args []string
		env  string // SCR_PLAIN
		file string
	}{
		{name: "flag", args: []string{"--plain"}},
		{name: "environment", env: "1"},
		{name: "file", file: "plain = true\n"},
		{name: "file, quoted", file: "plain = \"true\"\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SCR_PLAIN", tt.env)
			t.Setenv(config.EnvConfig, configFile(t, tt.file))
			code, out, stderr := runScr(t, append(expired, tt.args...)...)
			if code != 1 || stderr != "" {
				t.Fatalf("exit %d, stderr %q:\n%s", code, stderr, out)
			}
			for _, want := range []string{
				"PASS, service: none needed: the card is in this process.\n",
				"PASS, certificate: Grace ADEYEMI, user ID 555000000106",
				"FAIL, validity: expired on 01 June 2026.\nWhat to do: The server refuses an expired certificate. Contact your Registration Authority to renew the card's certificate.\n",
				"(within 1 minute).\n",
				"FAIL, sign-in: refused by the server: invalid_grant",
				"SKIP, role: no sign-in.\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in:\n%s", want, out)
				}
			}
			if !strings.HasSuffix(out, "\nResult: 2 checks failed, 0 warnings. This is why the card does not get its holder in.\n") {
				t.Errorf("the summary is not the last line:\n%s", out)
			}
			if strings.Contains(out, "  ") || strings.ContainsAny(out, "→\x1b\r\t") || cuiDate.MatchString(out) {
				t.Errorf("column padding, an arrow, an escape or a date not spelled out in:\n%s", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for i, l := range lines {
				if !lineStart.MatchString(l) || !strings.HasSuffix(l, ".") {
					t.Errorf("line %q is not a check's sentence, its advice or the result", l)
				}
				if (strings.HasPrefix(l, "FAIL, ") || strings.HasPrefix(l, "WARN, ")) && (i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "What to do: ")) {
					t.Errorf("%q carries no advice", l)
				}
			}
		})
	}

	// --plain=false wins over SCR_PLAIN, as for the viewer: the columns.
	t.Setenv("SCR_PLAIN", "1")
	code, out, _ := runScr(t, append(expired, "--plain=false")...)
	if code != 1 || !strings.Contains(out, "FAIL  validity     expired on 01-Jun-2026\n                   → The server refuses") {
		t.Errorf("--plain=false: exit %d:\n%s", code, out)
	}

	// JSON is the same JSON, plain or not: the dates as they are.
	for _, args := range [][]string{{"--json"}, {"--json", "--plain"}} {
		for _, env := range []string{"", "1"} {
			t.Setenv("SCR_PLAIN", env)
			code, out, _ := runScr(t, append(expired, args...)...)
			var rep struct {
				Checks []struct{ Name, Status, Detail, Advice string }
				OK     bool
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK || len(rep.Checks) != 14 {
				t.Fatalf("%v, SCR_PLAIN=%q: exit %d, %v:\n%s", args, env, code, err, out)
			}
			if c := rep.Checks[5]; c.Name != "validity" || c.Status != "FAIL" || c.Detail != "expired on 01-Jun-2026" ||
				c.Advice != "The server refuses an expired certificate. Contact your Registration Authority to renew the card's certificate." {
				t.Errorf("%v, SCR_PLAIN=%q: %+v", args, env, c)
			}
		}
	}
}

// TestDoctorCIS2 runs scr doctor with auth = "cis2" against scr-sandbox, as
// its registered application, with the demo card through pcscd: every check
// of the NHS's own sign-in, then the sign-in itself skipped, as it is CIS2's
// in the browser. A key others can read, and a kid the platform has no key
// for, FAIL where they should.
func TestDoctorCIS2(t *testing.T) {
	pcsctest.Need(t)
	sb := startSandbox(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)

	pemData, err := os.ReadFile(filepath.Join(repoRoot, "assets/sandbox/app/key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, shared := filepath.Join(dir, "app.pem"), filepath.Join(dir, "shared.pem")
	if err := os.WriteFile(key, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shared, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"SCR_SERVER=" + sb.url, "SCR_CA=" + sb.caFile, "SCR_READER=" + slot.Reader,
		"SCR_SMARTCARD_CA=" + sandboxSmartcardCA, "SCR_AUTH=cis2", "SCR_CIS2_ISSUER=" + sb.url + "/cis2",
		"SCR_CLIENT_ID=scr-sandbox-cis2-client", "SCR_API_KEY=scr-sandbox-api-key", "SCR_SIGNING_KEY=" + key, "SCR_KID=scr-sandbox-app-1"}

	// The passcode on standard input is not read: the sign-in is CIS2's.
	r := runDoctorBin(t, env, "123456\n")
	r.want(t, 0,
		expect{"certificate", "PASS", []string{"Priya SHARMA", "user ID 555000000101"}},
		expect{"server", "PASS", []string{sb.url}},
		expect{"auth", "PASS", []string{`client-id "scr-sandbox-cis2-client"`, `api-key "scr-sandbox-api-key"`}},
		expect{"signing-key", "PASS", []string{"RSA-4096 private key in " + key, `kid "scr-sandbox-app-1"`, "thumbprint (RFC 7638)"}},
		expect{"cis2", "PASS", []string{sb.url + "/cis2: its discovery document is read"}},
		expect{"jwks", "PASS", nil},
		expect{"platform", "PASS", []string{sb.url + "/oauth2/token takes the application's client assertion"}},
		expect{"user-id", "PASS", []string{"555000000101"}},
		expect{"sign-in", "SKIP", []string{"auth cis2: the sign-in is CIS2's, in the browser"}},
		expect{"role", "SKIP", []string{"no sign-in"}},
	)
	for _, name := range []string{"auth", "signing-key", "cis2", "jwks", "platform", "user-id"} {
		if len(r.lines(name)) != 1 {
			t.Errorf("%d %q lines, want 1", len(r.lines(name)), name)
		}
	}

	r = runDoctorBin(t, env, "", "--signing-key", shared, "--json")
	var got struct {
		Checks []struct{ Name, Status, Detail, Advice string }
		OK     bool
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil || r.code != 1 || got.OK {
		t.Fatalf("a key others can read: exit %d, %v", r.code, err)
	}
	status := map[string]string{}
	for _, c := range got.Checks {
		status[c.Name] = c.Status + " " + c.Detail
	}
	for name, want := range map[string]string{
		"signing-key": "FAIL the signing key " + shared + " can be read or changed by others than its owner (-rw-r--r--), so scr does not use it: chmod 600 " + shared,
		"cis2":        "PASS " + sb.url + "/cis2: its discovery document is read",
		"jwks":        "PASS CIS2's signing keys are read",
		"platform":    "SKIP the signing key cannot be used",
		"user-id":     "PASS 555000000101",
	} {
		if status[name] != want && !strings.HasPrefix(status[name], want) {
			t.Errorf("%s: %q, want %q", name, status[name], want)
		}
	}

	// Only cis2-issuer set of the application's settings: CIS2's discovery
	// document and JWKS are read all the same; the platform waits for the
	// application.
	issuerOnly := []string{"SCR_SERVER=" + sb.url, "SCR_CA=" + sb.caFile, "SCR_READER=" + slot.Reader,
		"SCR_SMARTCARD_CA=" + sandboxSmartcardCA, "SCR_AUTH=cis2", "SCR_CIS2_ISSUER=" + sb.url + "/cis2"}
	r = runDoctorBin(t, issuerOnly, "")
	r.want(t, 1,
		expect{"auth", "FAIL", []string{"not set: client-id, api-key, signing-key, kid"}},
		expect{"signing-key", "SKIP", []string{"signing-key is not set"}},
		expect{"cis2", "PASS", []string{sb.url + "/cis2: its discovery document is read"}},
		expect{"jwks", "PASS", nil},
		expect{"platform", "SKIP", []string{"not set: client-id, api-key, signing-key, kid"}},
	)

	r = runDoctorBin(t, env, "", "--kid", "not-registered")
	r.want(t, 1,
		expect{"cis2", "PASS", nil},
		expect{"platform", "FAIL", []string{"refused the application's client assertion: invalid_request: Invalid 'kid' header in client_assertion JWT - no matching public key",
			"scr's set-up (api-key, signing-key or kid) is wrong, or this computer's clock is"}},
	)
}

func TestReadPINLine(t *testing.T) {
	for in, want := range map[string]string{"123456\n": "123456", "123456\r\n": "123456", "123456": "123456", "": "", "1234\nmore\n": "1234"} {
		got, err := readPINLine(strings.NewReader(in))
		if err != nil || string(got) != want {
			t.Errorf("readPINLine(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := readPINLine(io.MultiReader(strings.NewReader("12"), errReader{})); err == nil {
		t.Error("a read error is not reported")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }
