//go:build linux

package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/sandbox/identity"
)

// The leak scan (issue "Proof": "Leak scan (automated)"). One whole session
// of the real scr in a real terminal (tmux), against the real scr-sandbox
// over HTTPS with --verbose logging, with the A&E doctor's card read through
// the real pcscd and scr-vcard --verbose: sign-in, emergency access to
// 9000000017, the summary, sign-out (ctrl+o) and quit. Then every place the
// session could have left something is searched for the patient's NHS
// number, name and drugs, the doctor's passcode, scr's environment and every
// token the sandbox issued.
//
// How the tokens are found: the sandbox's tokens are opaque, 32 random bytes
// in unpadded base64url (internal/sandbox/identity/tokens.go, newToken), so
// always a run of exactly 43 characters of [A-Za-z0-9_-]. tokenPattern finds
// every such run, so every token issued in the session is searched for
// without the test having to know it; nothing in the sandbox has to export
// them. That the pattern is the right one is checked on a token the running
// sandbox really issues: the test signs in once itself, with the card's own
// key from assets, before scr starts (leakProbeToken), and that token is also
// searched for literally.

// tokenPattern matches a sandbox token: exactly 43 base64url characters, with
// no base64url character on either side.
var tokenPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)`)

// leakWords are the patient's: NHS number as stored and as shown, name, an
// allergy and a drug. The passcode, scr's environment and the tokens are
// added in the test.
var leakWords = []string{patientNHS, "900 000 0017", "900-000-0017", "HARGREAVES", "Robert", "Clarithromycin", "Penicillin"}

// leakPlace is one place searched: its name in a failure, and what it holds.
type leakPlace struct {
	name string
	data []byte
}

func TestLeakScan(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	began := time.Now()
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb, sbLog := startVerboseSandbox(t)
	probe := leakProbeToken(t, sb)

	slot := pcsctest.TakeSlot(t)
	ident, err := filepath.Abs(filepath.Join("..", "..", "assets", "sandbox", "cards", doctorCard))
	if err != nil {
		t.Fatal(err)
	}
	card := pcsctest.StartVCard(t, slot, "--identity", ident, "--verbose")

	// scr runs as: env SCR_LEAK_CANARY=<random> scr … 2>stderr, so that its
	// standard error (the viewer needs only its input and output to be the
	// terminal) is kept apart from the pane, and its environment holds a
	// value that must turn up nowhere.
	home, tmp, kept := t.TempDir(), t.TempDir(), t.TempDir()
	canary := "scr-leak-canary-" + rand.Text()
	stderrPath := filepath.Join(kept, "scr.stderr")
	const wrap = `c=$1; e=$2; shift 2; exec env "$c" "$0" "$@" 2>"$e"`
	tm := startTmux(t, home, tmp, "/bin/sh", "-c", wrap, scr, "SCR_LEAK_CANARY="+canary, stderrPath,
		"--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)
	paneDir := strings.TrimSpace(tm.run(t, "display-message", "-p", "-t", tmuxTarget, "#{pane_current_path}"))

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
	// The control: the words searched for below are found on the screen
	// that shows the record, so they are what scr really shows.
	if got := leakHits([]byte(tm.screen(t)), leakWords); len(got) < 5 {
		t.Fatalf("the summary's screen holds only %v of the words searched for; want the name, number, allergy and drug", got)
	}

	tm.keys(t, "C-o")
	tm.waitFor(t, "the screen after signing out", "You signed out")
	tm.waitClean(t, "the screen after signing out", time.Now().Add(wipeWithin), forbidden...)
	tm.keys(t, "q")
	tm.waitExit(t)
	journey := time.Since(began)

	// Stop the card and the sandbox so that their logs are complete.
	card.Stop()
	sb.stop(t)
	stopped := time.Now()

	var places []leakPlace
	add := func(name string, data []byte) { places = append(places, leakPlace{name, data}) }
	addFile := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("reading %s: %v", path, err)
			return
		}
		add(path, b)
	}

	// (a), (b): everything under scr's HOME and TMPDIR, names and contents;
	// and then there must be nothing there at all.
	for _, dir := range []string{home, tmp} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			add("the name "+path, []byte(path))
			if d.Type().IsRegular() {
				addFile(path)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	assertEmpty(t, home, tmp)

	// (c): every log written: the sandbox's (stdout and stderr), scr-vcard's,
	// pcscd's (pcsctest's, when it started pcscd), scr's standard error.
	addFile(sbLog)
	add("scr-vcard's log", []byte(card.Log()))
	if pcscdLog := filepath.Join(os.TempDir(), "scr-pcscd.log"); fileExists(pcscdLog) {
		addFile(pcscdLog)
	}
	addFile(stderrPath)

	// (d): core dumps, of which none is expected.
	dumps := coreDumps(t, began, paneDir)
	for _, d := range dumps {
		t.Errorf("a core dump was written in the session: %s", d)
		addFile(d)
	}

	// (e): the pane's whole history, as text and with its escape sequences;
	// scr's standard output is the pane.
	add("the pane's history", []byte(tm.history(t)))
	add("the pane's history with escapes", []byte(tm.run(t, "capture-pane", "-p", "-e", "-S", "-", "-E", "-", "-t", tmuxTarget)))

	// The logs are what they should be: the sandbox logged each request
	// (so --verbose took), through the sign-out; the card logged each APDU,
	// the passcode's VERIFY among them.
	for _, want := range []struct{ log, line string }{
		{sbLog, "route=/oauth2/token status=200"},
		{sbLog, `route="GET /summary-care-record/FHIR/R4/Bundle" status=200`},
		{sbLog, "route=/oauth2/revoke status=200"},
		{"scr-vcard's log", "APDU INS 20 Lc 8 Le 0 -> 9000"},
	} {
		for _, p := range places {
			if p.name == want.log && !bytes.Contains(p.data, []byte(want.line)) {
				t.Errorf("%s has no %q: the scan would not see what it should", p.name, want.line)
			}
		}
	}

	scanned := time.Now()
	words := append(slices.Clip(leakWords), doctorPIN, hex.EncodeToString([]byte(doctorPIN)), canary, probe)
	hits := 0
	for _, p := range places {
		for _, h := range leakHits(p.data, words) {
			t.Errorf("LEAK: %s holds %s", p.name, h)
			hits++
		}
		// A token run into other base64url characters is not matched;
		// such runs are listed for a human to look at.
		for _, run := range longRun.FindAll(p.data, -1) {
			t.Logf("%s holds a run of %d base64url characters, %.12s…: not a token by itself, but look", p.name, len(run), run)
		}
	}
	t.Logf("start to scr's exit %v (builds included); card and sandbox stopped in %v; %d places searched for %d words and the token pattern in %v: %d hits",
		journey.Round(time.Millisecond), stopped.Sub(began.Add(journey)).Round(time.Millisecond), len(places), len(words),
		time.Since(scanned).Round(time.Microsecond), hits)
	for _, p := range places {
		t.Logf("  %6d bytes  %s", len(p.data), p.name)
		if os.Getenv("SCR_LEAK_DUMP") != "" {
			t.Logf("%s", p.data)
		}
	}
}

// longRun is a run of more base64url characters than a token has.
var longRun = regexp.MustCompile(`[A-Za-z0-9_-]{44,}`)

// leakHits lists what of words (ignoring case) and of tokenPattern data
// holds, each once. A token is named by its first characters only.
func leakHits(data []byte, words []string) []string {
	var hits []string
	lower := bytes.ToLower(data)
	for _, w := range words {
		if bytes.Contains(lower, bytes.ToLower([]byte(w))) {
			hits = append(hits, fmt.Sprintf("%q", w))
		}
	}
	seen := map[string]bool{}
	for _, m := range tokenPattern.FindAllSubmatch(data, -1) {
		tok := string(m[1])
		if !seen[tok] {
			seen[tok] = true
			hits = append(hits, fmt.Sprintf("a token %s… (43 base64url characters)", tok[:6]))
		}
	}
	return hits
}

// startVerboseSandbox is startSandbox with --verbose and an in-memory audit
// trail (the audit trail rightly holds NHS numbers; its log must not). The
// sandbox's stdout and stderr both go to the log file returned.
func startVerboseSandbox(t testing.TB) (*sandbox, string) {
	t.Helper()
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr-sandbox")
	dir := t.TempDir()
	sb := &sandbox{caFile: filepath.Join(dir, "ca.pem"), exited: make(chan struct{})}
	logPath := filepath.Join(dir, "sandbox.log")
	sb.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--ca-out", sb.caFile, "--verbose")
	stdout, err := sb.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	sb.cmd.Stderr = logf
	if err := sb.cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		defer close(sb.exited)
		defer logf.Close()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if u, ok := strings.CutPrefix(sc.Text(), "scr-sandbox listening on "); ok {
				urls <- u
			}
		}
		sb.cmd.Wait()
	}()
	t.Cleanup(func() { sb.stop(t) })
	select {
	case sb.url = <-urls:
	case <-sb.exited:
		t.Fatalf("scr-sandbox exited at start: %v\n%s", sb.cmd.ProcessState, readLog(logPath))
	case <-time.After(screenWait):
		t.Fatalf("scr-sandbox did not start within %v\n%s", screenWait, readLog(logPath))
	}
	return sb, logPath
}

// leakProbeToken signs in to the sandbox as the doctor's card would, with the
// card's key from assets, and returns the card token it issues, having
// checked that tokenPattern finds it and revoked it.
func leakProbeToken(t testing.TB, sb *sandbox) string {
	t.Helper()
	dir := filepath.Join("..", "..", "assets", "sandbox", "cards", doctorCard)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(sb.caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", sb.caFile)
	}
	hc := &http.Client{Timeout: screenWait, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer hc.CloseIdleConnections()
	post := func(path string, form url.Values, out any) {
		t.Helper()
		res, err := hc.PostForm(sb.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %s", path, res.Status)
		}
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatalf("POST %s: %v", path, err)
			}
		}
	}
	var ch struct {
		Challenge string `json:"challenge"`
	}
	post(identity.PathChallenge, nil, &ch)
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		t.Fatalf("%s/key.pem is not a signing key", dir)
	}
	assertion, err := client.Assertion{
		Cert: cert, UserUUID: doctorCard, Audience: sb.url + identity.PathToken, JTI: ch.Challenge, Now: time.Now(),
	}.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	post(identity.PathToken, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}, &tr)
	m := tokenPattern.FindStringSubmatch(" " + tr.AccessToken + " ")
	if m == nil || m[1] != tr.AccessToken {
		t.Fatalf("the sandbox issued a token of %d characters that the token pattern does not find", len(tr.AccessToken))
	}
	post(identity.PathRevoke, url.Values{"token": {tr.AccessToken}}, nil)
	return tr.AccessToken
}

// corePattern is the kernel's core_pattern, or why it cannot be read.
func corePattern() string {
	b, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

// coreDumps lists core dumps written since began where the kernel would put
// those of scr (run in paneDir), scr-vcard and the sandbox (run here): the
// directory of an absolute core_pattern, else those working directories, and
// for a pattern piped to a handler the usual places handlers keep them.
func coreDumps(t testing.TB, began time.Time, paneDir string) []string {
	t.Helper()
	pattern := corePattern()
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &limit); err == nil {
		t.Logf("core_pattern %q, core size limit %d", pattern, limit.Cur)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	prefix := ""
	switch {
	case strings.HasPrefix(pattern, "|"):
		dirs = []string{"/var/lib/systemd/coredump", "/var/crash", "/var/lib/apport/coredump"}
	case filepath.IsAbs(pattern):
		dirs = []string{filepath.Dir(pattern)}
		prefix, _, _ = strings.Cut(filepath.Base(pattern), "%")
	default:
		dirs = []string{here, paneDir}
		prefix, _, _ = strings.Cut(filepath.Base(pattern), "%")
		if d := filepath.Dir(pattern); d != "." {
			dirs = []string{filepath.Join(here, d), filepath.Join(paneDir, d)}
		}
	}
	// A file's times come from the kernel's coarse clock, which can lag
	// time.Now by a tick: a core written just after began may carry a
	// time just before it.
	since := began.Add(-time.Second)
	var dumps []string
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // absent or unreadable: no dump of ours there
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() || info.ModTime().Before(since) || !strings.HasPrefix(e.Name(), prefix) {
				continue
			}
			if prefix == "" && !strings.Contains(strings.ToLower(e.Name()), "core") {
				continue
			}
			dumps = append(dumps, filepath.Join(dir, e.Name()))
		}
	}
	return dumps
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestLeakHits checks the matcher itself on made-up text: words in any case,
// a token alone or between punctuation, and not a longer run.
func TestLeakHits(t *testing.T) {
	tok := strings.Repeat("aZ09_-", 7) + "Q" // 43 characters
	for _, tt := range []struct {
		data string
		want int
	}{
		{"nothing here", 0},
		{"mrs jane SMITH", 2},
		{"Bearer " + tok + "\n", 1},
		{`{"access_token":"` + tok + `"}`, 1},
		{tok, 1},
		{"token=" + tok + "&x=1 " + tok, 1}, // the same token once
		{"x" + tok, 0},                      // 44: a longer run
		{tok[1:], 0},                        // 42: too short
	} {
		if got := leakHits([]byte(tt.data), []string{"Jane", "smith"}); len(got) != tt.want {
			t.Errorf("leakHits(%q) = %q, want %d hits", tt.data, got, tt.want)
		}
	}
}
