package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/pcsctest"
)

// demoPharmacist is the user ID of the demo's pharmacist, Priya SHARMA.
const demoPharmacist = "555000000101"

// TestDemoCardEndToEnd: scr --demo --card UUID inserts another sandbox
// user's card, driven in tmux as TestDemoEndToEnd drives the demo card: the
// A&E doctor reaches a sensitive record by emergency access, and the
// privacy officer lands on the audit screen.
func TestDemoCardEndToEnd(t *testing.T) {
	needTmux(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")

	t.Run("A&E doctor", func(t *testing.T) {
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--demo", "--card", "555000000102")
		tm.waitFor(t, "the doctor's passcode hint", "Passcode 102102")
		signIn(t, tm, "James OKAFOR", "102102")
		tm.literal(t, "900-000-0025")
		tm.waitFor(t, "the number spaced as typed", "900 000 0025", "valid NHS number")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the permission screen", "SENSITIVE", "mergency")
		tm.literal(t, "e")
		tm.waitFor(t, "the emergency reasons", "Emergency access: why?")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the note", "In your own words")
		tm.literal(t, "Collapsed at triage")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the summary by emergency access", "access recorded", "SENSITIVE")
		tm.keys(t, "q")
		tm.waitExit(t)
		assertEmpty(t, home, tmp)
	})
	t.Run("privacy officer", func(t *testing.T) {
		home, tmp := t.TempDir(), t.TempDir()
		tm := startTmux(t, home, tmp, scr, "--demo", "--card", "555000000104")
		tm.waitFor(t, "the passcode screen", "Helen WOODS", "Passcode 104104")
		tm.literal(t, "104104")
		tm.keys(t, "Enter")
		tm.waitFor(t, "the audit screen", "Audit: who accessed")
		tm.keys(t, "C-c")
		tm.waitExit(t)
		assertEmpty(t, home, tmp)
	})
}

// TestDemoCardList: --card list, or a user ID no card has, lists the cards
// with who holds them, without a terminal.
func TestDemoCardList(t *testing.T) {
	code, out, stderr := runScr(t, "--demo", "--card", "list")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"555000000101  Priya SHARMA   123456    pharmacist: the demo card",
		"555000000102  James OKAFOR   102102    A&E doctor: emergency access",
		"555000000104  Helen WOODS    104104    privacy officer: audit reports",
		"555000000105  Daniel OSEI    105105    locum: roles at two pharmacies",
		"555000000106  Grace ADEYEMI  106106    certificate expired: sign-in refused",
		"555000000107  Mark JENKINS   107107    certificate revoked: sign-in refused",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	for l := range strings.SplitSeq(out, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("wider than 80 columns: %q", l)
		}
	}
	code, out, stderr = runScr(t, "--demo", "--card", "555000000199")
	if code != 2 || out != "" || !strings.HasPrefix(stderr, `scr: --card "555000000199": no sandbox card has that user ID. The cards are:`) ||
		!strings.Contains(stderr, "Helen WOODS") {
		t.Errorf("unknown card: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	if code, _, stderr = runScr(t, "--card", "555000000102"); code != 2 || !strings.Contains(stderr, "use it with --demo") {
		t.Errorf("--card without --demo: exit %d, %q", code, stderr)
	}
}

// TestDoctorDemo: scr doctor --demo runs every check against the in-process
// sandbox and card, with no pcscd and no server given.
func TestDoctorDemo(t *testing.T) {
	t.Setenv("PCSCLITE_CSOCK_NAME", t.TempDir()+"/no-pcscd.comm") // no pcscd to lean on
	t.Setenv("SCR_AUTH", "")                                      // the card sign-in
	code, out, stderr := runScr(t, "doctor", "--demo")
	if code != 0 || !strings.HasSuffix(out, "Every check passed.\n") {
		t.Fatalf("exit %d:\n%s%s", code, out, stderr)
	}
	checks := []string{"service", "readers", "card", "piv", "certificate", "validity", "chain", "pin", "server", "clock", "sign-in", "role", "access", "sign-out"}
	lines := strings.Split(strings.TrimSuffix(out, "\nEvery check passed.\n"), "\n")
	if len(lines) != len(checks) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(checks), out)
	}
	for i, name := range checks {
		if f := strings.Fields(lines[i]); f[0] != "PASS" || f[1] != name {
			t.Errorf("line %d: %q, want PASS %s", i, lines[i], name)
		}
	}
	for _, want := range []string{
		"PASS  service      none needed: the card is in this process",
		"PASS  certificate  Priya SHARMA, user ID 555000000101",
		"which chains to the smartcard CA in assets/sandbox/smartcard-ca/ca.pem (built in)",
		"PASS  sign-in      signed in as Priya SHARMA (555000000101), 1 role",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	// Another card: the expired one fails where a real one would.
	code, out, _ = runScr(t, "doctor", "--demo", "--card", "555000000106", "--json")
	var rep struct {
		Checks []struct{ Name, Status, Detail string }
		OK     bool
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK {
		t.Fatalf("expired card: exit %d, %v:\n%s", code, err, out)
	}
	got := map[string]string{}
	for _, c := range rep.Checks {
		got[c.Name] = c.Status + " " + c.Detail
	}
	for name, want := range map[string]string{
		"validity": "FAIL expired on 01-Jun-2026",
		"sign-in":  "FAIL refused by the server: invalid_grant",
		"role":     "SKIP no sign-in",
		"sign-out": "SKIP no sign-in",
	} {
		if !strings.HasPrefix(got[name], want) {
			t.Errorf("%s: %q, want %q…", name, got[name], want)
		}
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"doctor", "--demo", "--server", "https://x.example"}, "cannot be used with --server"},
		{[]string{"doctor", "--demo", "--smartcard-ca", "ca.pem"}, "cannot be used with --smartcard-ca"},
		{[]string{"doctor", "--demo", "--watch"}, "cannot be used with --watch"},
		{[]string{"doctor", "--card", "555000000102"}, "use it with --demo"},
	} {
		if code, _, stderr := runScr(t, tc.args...); code != 2 || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
}

// TestDoctorDemoCIS2: scr doctor --demo --auth cis2 runs the checks of the
// NHS's own sign-in against the in-process sandbox as its registered
// application, and signs in at its CIS2 stand-in with the demo card.
func TestDoctorDemoCIS2(t *testing.T) {
	t.Setenv("PCSCLITE_CSOCK_NAME", t.TempDir()+"/no-pcscd.comm") // no pcscd to lean on
	t.Setenv("SCR_AUTH", "")
	code, out, stderr := runScr(t, "doctor", "--demo", "--auth", "cis2")
	if code != 0 || !strings.HasSuffix(out, "Every check passed.\n") {
		t.Fatalf("exit %d:\n%s%s", code, out, stderr)
	}
	checks := []string{"service", "readers", "card", "piv", "certificate", "validity", "chain", "pin", "server", "clock",
		"auth", "signing-key", "cis2", "jwks", "platform", "user-id", "sign-in", "role", "access", "sign-out"}
	lines := strings.Split(strings.TrimSuffix(out, "\nEvery check passed.\n"), "\n")
	if len(lines) != len(checks) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(checks), out)
	}
	for i, name := range checks {
		if f := strings.Fields(lines[i]); f[0] != "PASS" || f[1] != name {
			t.Errorf("line %d: %q, want PASS %s", i, lines[i], name)
		}
	}
	for _, want := range []string{
		`PASS  auth         cis2 (the NHS's own sign-in): client-id "scr-sandbox-cis2-client", api-key "scr-sandbox-api-key"`,
		`PASS  signing-key  RSA-4096 private key in assets/sandbox/app/key.pem (built in), kid "scr-sandbox-app-1"`,
		"/cis2: its discovery document is read",
		`/oauth2/token takes the application's client assertion: api-key "scr-sandbox-api-key", signed by the key registered under kid "scr-sandbox-app-1"`,
		"PASS  user-id      555000000101, from the card's certificate",
		"PASS  sign-in      signed in to CIS2 as Priya SHARMA (555000000101), 1 role",
		"PASS  sign-out     signed out: the CIS2 ID token is forgotten",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	// The expired card: CIS2's stand-in refuses it, as CIS2 would.
	code, out, _ = runScr(t, "doctor", "--demo", "--auth", "cis2", "--card", "555000000106", "--json")
	var rep struct {
		Checks []struct{ Name, Status, Detail, Advice string }
		OK     bool
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK {
		t.Fatalf("expired card: exit %d, %v:\n%s", code, err, out)
	}
	got := map[string]string{}
	for _, c := range rep.Checks {
		got[c.Name] = c.Status + " " + c.Detail + " → " + c.Advice
	}
	for name, want := range map[string]string{
		"validity": "FAIL expired on 01-Jun-2026",
		"platform": "PASS ",
		"user-id":  "PASS 555000000106",
		"sign-in":  "FAIL refused by CIS2: access_denied: the card is refused: the card certificate expired",
		"role":     "SKIP no sign-in",
	} {
		if !strings.HasPrefix(got[name], want) {
			t.Errorf("%s: %q, want %q…", name, got[name], want)
		}
	}
	if !strings.Contains(got["sign-in"], "→ CIS2 did not sign you in (access_denied)") {
		t.Errorf("sign-in's advice: %q", got["sign-in"])
	}

	// --no-signin, and auth from the environment as for the viewer.
	t.Setenv("SCR_AUTH", "cis2")
	code, out, _ = runScr(t, "doctor", "--demo", "--no-signin")
	if code != 0 || !strings.Contains(out, "PASS  platform ") ||
		!strings.HasSuffix(out, "SKIP  sign-in      not asked for (--no-signin)\nSKIP  role         no sign-in\nSKIP  access       no sign-in\nSKIP  sign-out     no sign-in\nNo check failed; 4 skipped.\n") {
		t.Errorf("SCR_AUTH=cis2 --no-signin: exit %d:\n%s", code, out)
	}
	// --auth card wins over the environment: no CIS2 lines.
	if code, out, _ = runScr(t, "doctor", "--demo", "--auth", "card", "--no-signin"); code != 0 || strings.Contains(out, "platform") {
		t.Errorf("--auth card: exit %d:\n%s", code, out)
	}

	// The demo brings its own application: its settings cannot be given.
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"doctor", "--demo", "--cis2-issuer", "https://cis2.example"}, "cannot be used with --cis2-issuer"},
		{[]string{"doctor", "--demo", "--client-id", "x"}, "cannot be used with --client-id"},
		{[]string{"doctor", "--demo", "--api-key", "x"}, "cannot be used with --api-key"},
		{[]string{"doctor", "--demo", "--signing-key", "key.pem"}, "cannot be used with --signing-key"},
		{[]string{"doctor", "--demo", "--kid", "x"}, "cannot be used with --kid"},
		{[]string{"doctor", "--demo", "--auth", "browser"}, `--auth "browser" is not card or cis2`},
	} {
		if code, _, stderr := runScr(t, tc.args...); code != 2 || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
}

// TestDoctorNoSignInSkips: --no-signin prints a SKIP line for every check
// that needs the sign-in, so the list is complete.
func TestDoctorNoSignInSkips(t *testing.T) {
	t.Setenv("SCR_AUTH", "")
	code, out, _ := runScr(t, "doctor", "--demo", "--no-signin")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	want := "SKIP  sign-in      not asked for (--no-signin)\n" +
		"SKIP  role         no sign-in\n" +
		"SKIP  access       no sign-in\n" +
		"SKIP  sign-out     no sign-in\n" +
		"No check failed; 4 skipped.\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("want the end to be:\n%s\ngot:\n%s", want, out)
	}
}

// TestVersionFromBuildInfo: without -ldflags, scr --version names the
// commit and its time from the build information; -ldflags still wins.
func TestVersionFromBuildInfo(t *testing.T) {
	info := func(settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/scrterm/scr", Version: "(devel)"}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	for _, tc := range []struct {
		name string
		read func() (*debug.BuildInfo, bool)
		want string
	}{
		{"vcs", info("vcs.revision", "4058bda1", "vcs.time", "2026-12-06T12:11:22Z", "vcs.modified", "false"),
			"scr dev (commit 4058bda1, built 2026-12-06T12:11:22Z (the commit's time))"},
		{"modified", info("vcs.revision", "4058bda1", "vcs.time", "2026-12-06T12:11:22Z", "vcs.modified", "true"),
			"scr dev (commit 4058bda1 with uncommitted changes, built 2026-12-06T12:11:22Z (the commit's time))"},
		{"no vcs", info(), "scr dev (commit none, built unknown)"},
		{"no build info", func() (*debug.BuildInfo, bool) { return nil, false }, "scr dev (commit none, built unknown)"},
	} {
		if got := versionLine(tc.read); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	// The real go command's stamp, and -ldflags over it.
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"go build", []string{"-buildvcs=true"}, []string{"(commit " + strings.TrimSpace(string(head)), "(the commit's time)"}},
		{"ldflags win", []string{"-buildvcs=true", "-ldflags", "-X main.version=1.2.3 -X main.commit=abc1234 -X main.date=2026-12-01T00:00:00Z"},
			[]string{"scr 1.2.3 (commit abc1234, built 2026-12-01T00:00:00Z)"}},
	} {
		bin := dir + "/scr-" + strings.ReplaceAll(tc.name, " ", "-")
		cmd := exec.Command("go", append(append([]string{"build"}, tc.flags...), "-o", bin, ".")...)
		cmd.Env = append(os.Environ(), "GOFLAGS=") // a -buildvcs=false there would hide the stamp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		out, err := exec.Command(bin, "--version").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: %q lacks %q", tc.name, out, w)
			}
		}
	}
}
