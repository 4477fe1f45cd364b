package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/cmd/scr/internal/help"
	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/ui"
)

func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }

// runScr runs the command in-process and returns its exit status and output.
func runScr(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// readerBlock returns the lines `scr card` printed for one reader.
func readerBlock(out, reader string) string {
	for _, block := range strings.Split(strings.TrimRight(out, "\n"), "\n\n") {
		if strings.HasPrefix(block, "Reader    "+reader+"\n") {
			return block
		}
	}
	return ""
}

func TestCardShowsTheVirtualCard(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)

	code, out, stderr := runScr(t, "card")
	if code != 0 {
		t.Fatalf("scr card exited %d: %s%s", code, out, stderr)
	}
	block := readerBlock(out, slot.Reader)
	for _, want := range []string{
		"Card      present, ATR 3B ",
		"Holder    Priya SHARMA",
		"User ID   555000000101",
		"Issuer    scr sandbox smartcard CA (NOT FOR REAL USE)",
		"Expires   01-Jan-2046 (in ",
		"PIN       3 tries left",
	} {
		if !strings.Contains(block, want) {
			t.Errorf("scr card output for %s lacks %q:\n%s", slot.Reader, want, out)
		}
	}
	if strings.Contains(block, "Problem") {
		t.Errorf("scr card reports a problem:\n%s", block)
	}
}

func TestCardJSONAfterAWrongPIN(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	spendOneTry(t, slot.Reader)

	code, out, _ := runScr(t, "card", "--json")
	if code != 0 {
		t.Fatalf("scr card --json exited %d: %s", code, out)
	}
	var got cardsOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("scr card --json printed invalid JSON: %v\n%s", err, out)
	}
	for _, r := range got.Readers {
		if r.Reader != slot.Reader {
			continue
		}
		if !r.CardPresent || r.Holder != "Priya SHARMA" || r.UserID != "555000000101" ||
			r.NotAfter != "2046-01-01T00:00:00Z" || r.Expired || r.PINTries == nil || *r.PINTries != 2 {
			t.Fatalf("scr card --json for %s = %+v", slot.Reader, r)
		}
		return
	}
	t.Fatalf("scr card --json does not list %s:\n%s", slot.Reader, out)
}

// spendOneTry presents a wrong PIN to the card in reader.
func spendOneTry(t *testing.T, reader string) {
	t.Helper()
	sc, err := smartcard.Establish()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Release()
	card, err := sc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	var wrong *smartcard.WrongPINError
	if err := smartcard.NewPIV(card).VerifyPIN([]byte("000000")); !errors.As(err, &wrong) {
		t.Fatalf("wrong PIN: err = %v", err)
	}
}

func TestCardEmptyReader(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot, "--removed")
	code, out, _ := runScr(t, "card")
	if code != 0 {
		t.Fatalf("scr card exited %d", code)
	}
	if block := readerBlock(out, slot.Reader); block != "Reader    "+slot.Reader+"\nCard      none" {
		t.Fatalf("empty reader shown as:\n%s", block)
	}
}

func TestCardWithoutService(t *testing.T) {
	pcsctest.Need(t) // for the build only: the command must not reach this pcscd
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	cmd := exec.Command(bin, "card")
	// pcsc-lite finds pcscd through this socket path; point it at nothing.
	cmd.Env = append(os.Environ(), "PCSCLITE_CSOCK_NAME="+filepath.Join(t.TempDir(), "no-pcscd.comm"))
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("scr card without pcscd: %v, want exit status 1", err)
	}
	want := "The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT.\n"
	if string(out) != want {
		t.Fatalf("scr card without pcscd printed %q, want %q", out, want)
	}
}

// TestCardWithoutReader runs scr card against a pcscd of its own that has no
// reader: in a private mount namespace, so that its socket and PID file in
// /run/pcscd do not meet the shared pcscd's.
func TestCardWithoutReader(t *testing.T) {
	pcsctest.Need(t) // pcscd is installed
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	noReaders := t.TempDir() // an empty reader.conf.d: no vpcd
	script := `mkdir -p /run/pcscd && mount -t tmpfs tmpfs /run/pcscd || exit 97
pcscd -f -c "$1" >/dev/null 2>&1 & pid=$!
i=0; while [ ! -S /run/pcscd/pcscd.comm ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
"$2" card; code=$?
kill $pid; wait $pid
exit $code`
	args := []string{"--mount"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user")
	}
	args = append(args, "sh", "-c", script, "sh", noReaders, bin)
	out, err := exec.Command("unshare", args...).Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("scr card with no reader: %v, want exit status 1 (output %q)", err, out)
	}
	if want := "No card reader is connected. Plug in a reader, or check its cable.\n"; string(out) != want {
		t.Fatalf("scr card with no reader printed %q, want %q", out, want)
	}
}

func TestCardDemo(t *testing.T) {
	code, out, _ := runScr(t, "card", "--demo")
	if code != 0 {
		t.Fatalf("scr card --demo exited %d", code)
	}
	want := "Reader    scr demo card (in-process, sandbox only)\n" +
		"Card      present, ATR 3B 8D 81 31 FE 45 80 73 C0 01 C0 57 73 63 72 56 50 49 56 58\n" +
		"Holder    Priya SHARMA\n" +
		"User ID   555000000101\n" +
		"Issuer    scr sandbox smartcard CA (NOT FOR REAL USE)\n"
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "PIN       3 tries left\n") {
		t.Fatalf("scr card --demo printed:\n%s", out)
	}
}

// configFile writes a configuration file in a fresh directory and returns
// its path; "" writes an empty one.
func configFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	t.Setenv("SCR_SERVER", "") // the viewer with no server configured
	t.Setenv("SCR_CONFIG", configFile(t, ""))
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{nil, 2, ""},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"--version"}, 0, "scr dev (commit none, built unknown)\n"},
		{[]string{"--help"}, 0, usage},
		{[]string{"-h"}, 0, usage},
		{[]string{"help"}, 0, usage + "\n" + help.List()},
		{[]string{"help", "keys"}, 0, help.Text(help.Topics[5])},
		{[]string{"help", "nonsense"}, 2, ""},
		{[]string{"help", "card", "doctor"}, 2, ""},
		{[]string{"--demo", "-h"}, 0, usage},
		{[]string{"card", "--bogus"}, 2, ""},
	} {
		code, out, _ := runScr(t, tt.args...)
		if code != tt.code || out != tt.out {
			t.Errorf("scr %v = %d, %q; want %d, %q", tt.args, code, out, tt.code, tt.out)
		}
	}
}

func TestViewerFlagsAndEnvironment(t *testing.T) {
	type env map[string]string
	const fullFile = `server = "https://file.example"
ca = "/etc/scr/file.pem"
reader = "File Reader 02"
idle-lock = "10m"
`
	for _, tt := range []struct {
		name string
		args []string
		env  env
		file string // the configuration file; "" for an empty one
		want viewerConfig
		err  string // a part of the one-line error; "" for none
	}{
		{name: "nothing configured", err: "scr: no server: give --server URL, set SCR_SERVER, or set server in "},
		{
			name: "server from the environment",
			env:  env{"SCR_SERVER": "https://env.example"},
			want: viewerConfig{server: "https://env.example", idleLock: 5 * time.Minute},
		},
		{
			name: "every flag",
			args: []string{"--server", "https://flag.example", "--ca", "flag.pem", "--reader", "Flag Reader 00", "--idle-lock", "2m"},
			want: viewerConfig{server: "https://flag.example", ca: "flag.pem", reader: "Flag Reader 00", idleLock: 2 * time.Minute},
		},
		{
			name: "every variable",
			env:  env{"SCR_SERVER": "https://env.example", "SCR_CA": "env.pem", "SCR_READER": "Env Reader 01", "SCR_IDLE_LOCK": "90s"},
			want: viewerConfig{server: "https://env.example", ca: "env.pem", reader: "Env Reader 01", idleLock: 90 * time.Second},
		},
		{
			name: "flags win over the environment",
			args: []string{"-server=https://flag.example", "-ca=flag.pem", "-reader=Flag Reader 00", "-idle-lock=2m"},
			env:  env{"SCR_SERVER": "https://env.example", "SCR_CA": "env.pem", "SCR_READER": "Env Reader 01", "SCR_IDLE_LOCK": "90s"},
			want: viewerConfig{server: "https://flag.example", ca: "flag.pem", reader: "Flag Reader 00", idleLock: 2 * time.Minute},
		},
		{
			name: "one flag, the rest from the environment",
			args: []string{"--reader", "Flag Reader 00"},
			env:  env{"SCR_SERVER": "https://env.example", "SCR_CA": "env.pem", "SCR_READER": "Env Reader 01"},
			want: viewerConfig{server: "https://env.example", ca: "env.pem", reader: "Flag Reader 00", idleLock: 5 * time.Minute},
		},
		{
			name: "a bad variable is not read when its flag is given",
			args: []string{"--idle-lock", "1m"},
			env:  env{"SCR_SERVER": "https://env.example", "SCR_IDLE_LOCK": "soon"},
			want: viewerConfig{server: "https://env.example", idleLock: time.Minute},
		},
		{
			name: "bad idle lock flag",
			args: []string{"--server", "https://flag.example", "--idle-lock", "soon"},
			err:  `scr: --idle-lock "soon" is not a duration such as 5m or 90s`,
		},
		{
			name: "bad idle lock variable",
			env:  env{"SCR_SERVER": "https://env.example", "SCR_IDLE_LOCK": "5"},
			err:  `scr: SCR_IDLE_LOCK "5" is not a duration such as 5m or 90s`,
		},
		{name: "zero idle lock", args: []string{"--server", "https://x.example", "--idle-lock", "0s"}, err: "is not a duration"},
		{name: "negative idle lock", args: []string{"--server", "https://x.example", "--idle-lock", "-1m"}, err: "is not a duration"},
		{
			name: "demo ignores the environment's server, CA and reader",
			args: []string{"--demo"},
			env:  env{"SCR_SERVER": "https://env.example", "SCR_CA": "env.pem", "SCR_READER": "Env Reader 01", "SCR_IDLE_LOCK": "30s"},
			want: viewerConfig{demo: true, idleLock: 30 * time.Second},
		},
		{
			name: "every setting from the file",
			file: fullFile,
			want: viewerConfig{server: "https://file.example", ca: "/etc/scr/file.pem", reader: "File Reader 02", idleLock: 10 * time.Minute},
		},
		{
			name: "the environment wins over the file",
			env:  env{"SCR_SERVER": "https://env.example", "SCR_IDLE_LOCK": "90s"},
			file: fullFile,
			want: viewerConfig{server: "https://env.example", ca: "/etc/scr/file.pem", reader: "File Reader 02", idleLock: 90 * time.Second},
		},
		{
			name: "a flag wins over the environment and the file",
			args: []string{"--reader", "Flag Reader 00", "--idle-lock", "1m"},
			env:  env{"SCR_READER": "Env Reader 01"},
			file: fullFile,
			want: viewerConfig{server: "https://file.example", ca: "/etc/scr/file.pem", reader: "Flag Reader 00", idleLock: time.Minute},
		},
		{
			name: "demo ignores the file's server, CA and reader, not its idle lock",
			args: []string{"--demo"},
			file: fullFile,
			want: viewerConfig{demo: true, idleLock: 10 * time.Minute},
		},
		{name: "bad idle lock in the file", file: `server = "https://file.example"` + "\nidle-lock = \"soon\"\n",
			err: `"soon" is not a duration such as 5m or 90s`},
		{name: "unknown key in the file", file: "sever = \"https://file.example\"\n", err: `line 1: unknown key "sever"`},
		{name: "malformed file, even for the demo", args: []string{"--demo"}, file: "server = https://file.example\n", err: "line 1: "},
		{name: "demo with a server", args: []string{"--demo", "--server", "https://x.example"}, err: "scr: --demo runs its own sandbox and demo card; it cannot be used with --server"},
		{name: "demo with a CA", args: []string{"--ca", "x.pem", "--demo"}, err: "cannot be used with --ca"},
		{name: "demo with a reader", args: []string{"--demo", "--reader", "R"}, err: "cannot be used with --reader"},
		{name: "unknown flag", args: []string{"--sever", "https://x.example"}, err: "scr: flag provided but not defined: -sever"},
		{name: "flag without value", args: []string{"--server"}, err: "scr: flag needs an argument: -server"},
		{name: "stray argument", args: []string{"--server", "https://x.example", "9000000009"}, err: `scr: unexpected argument "9000000009"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIn(t, tt.args, tt.env, tt.file)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestViewerExitStatus runs the whole command: mistakes exit 2 with one line
// on stderr, nothing on stdout; and the viewer refuses to start without a
// terminal (go test's stdin is not one, nor is a buffer).
func TestViewerExitStatus(t *testing.T) {
	missingCA := filepath.Join(t.TempDir(), "missing.pem")
	for _, tt := range []struct {
		name   string
		args   []string
		server string // SCR_SERVER
		stderr string // a part of the one line
	}{
		{"no server", nil, "", "scr: no server: give --server URL, set SCR_SERVER, or set server in "},
		{"server from the environment", nil, "https://127.0.0.1:1", "scr: the viewer needs a terminal"},
		{"server flag", []string{"--server", "https://127.0.0.1:1"}, "", "scr: the viewer needs a terminal"},
		{"demo", []string{"--demo"}, "", "scr: the viewer needs a terminal"},
		{"plain http elsewhere", []string{"--server", "http://scr.example"}, "", "plain http:// is allowed for loopback hosts only"},
		{"not a URL", nil, "scr.example", "must be a URL such as https://host[:port]"},
		{"missing CA file", []string{"--server", "https://127.0.0.1:1", "--ca", missingCA}, "", "CA file"},
		{"bad idle lock", []string{"--server", "https://127.0.0.1:1", "--idle-lock", "x"}, "", `--idle-lock "x" is not a duration`},
		{"unknown command", []string{"view"}, "", `scr: unknown command "view"`},
		{"unknown key in the configuration file", []string{"--demo"}, "", `unknown key "severe"`},
		{"SCR_CONFIG names a missing file", []string{"--demo"}, "", "does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.name {
			case "unknown key in the configuration file":
				t.Setenv("SCR_CONFIG", configFile(t, `severe = "https://x.example"`))
			case "SCR_CONFIG names a missing file":
				t.Setenv("SCR_CONFIG", filepath.Join(t.TempDir(), "missing.toml"))
			default:
				t.Setenv("SCR_CONFIG", configFile(t, ""))
			}
			t.Setenv("SCR_SERVER", tt.server)
			t.Setenv("SCR_CA", "")
			t.Setenv("SCR_READER", "")
			t.Setenv("SCR_IDLE_LOCK", "")
			code, out, stderr := runScr(t, tt.args...)
			if code != 2 || out != "" || !strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("scr %q = %d, stdout %q, stderr %q; want 2 and one line containing %q", tt.args, code, out, stderr, tt.stderr)
			}
		})
	}
}

// TestEnvNames keeps the viewer's and scr doctor's variable names and the
// idle lock's default the same as internal/config's.
func TestEnvNames(t *testing.T) {
	for name, env := range map[string]string{
		config.Server: envServer, config.CA: envCA, config.Reader: envReader, config.IdleLock: envIdleLock,
	} {
		if got := config.Env(name); got != env {
			t.Errorf("config.Env(%q) = %q; the viewer reads %q", name, got, env)
		}
	}
	if config.DefaultIdleLock != ui.DefaultIdleLock {
		t.Errorf("config.DefaultIdleLock = %v; ui.DefaultIdleLock = %v", config.DefaultIdleLock, ui.DefaultIdleLock)
	}
}

func TestConfigCommand(t *testing.T) {
	file := configFile(t, "server = \"https://file.example\"\nreader = \"File Reader 00\"\nidle-lock = \"10m\"\nsmartcard-ca = \"sc.pem\"\n")
	t.Setenv("SCR_CONFIG", file)
	t.Setenv("SCR_SERVER", "")
	t.Setenv("SCR_CA", "")
	t.Setenv("SCR_READER", "Env Reader 01")
	t.Setenv("SCR_IDLE_LOCK", "")
	t.Setenv("SCR_SMARTCARD_CA", "")
	t.Setenv("SCR_PLAIN", "")
	for _, k := range []string{"SCR_AUTH", "SCR_CIS2_ISSUER", "SCR_CLIENT_ID", "SCR_API_KEY", "SCR_SIGNING_KEY", "SCR_KID"} {
		t.Setenv(k, "")
	}

	code, out, stderr := runScr(t, "config", "--idle-lock", "90s")
	scPath := filepath.Join(filepath.Dir(file), "sc.pem") // beside the file
	w := len(scPath)                                      // the longest value
	want := fmt.Sprintf("server        %-*s  file %s\n", w, "https://file.example", file) +
		fmt.Sprintf("ca            %-*s  default\n", w, "(not set)") +
		fmt.Sprintf("reader        %-*s  environment SCR_READER\n", w, "Env Reader 01") +
		fmt.Sprintf("idle-lock     %-*s  flag --idle-lock\n", w, "1m30s") +
		fmt.Sprintf("smartcard-ca  %s  file %s\n", scPath, file) +
		fmt.Sprintf("plain         %-*s  default\n", w, "false") +
		fmt.Sprintf("auth          %-*s  default\n", w, "card") +
		fmt.Sprintf("cis2-issuer   %-*s  default\n", w, "(not set)") +
		fmt.Sprintf("client-id     %-*s  default\n", w, "(not set)") +
		fmt.Sprintf("api-key       %-*s  default\n", w, "(not set)") +
		fmt.Sprintf("signing-key   %-*s  default\n", w, "(not set)") +
		fmt.Sprintf("kid           %-*s  default\n", w, "(not set)") +
		"\nconfiguration file " + file + " (named by SCR_CONFIG, read)\n"
	if code != 0 || stderr != "" || out != want {
		t.Fatalf("scr config = %d, %q\n%s\nwant\n%s", code, stderr, out, want)
	}

	code, out, _ = runScr(t, "config", "--json")
	var got configJSON
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("scr config --json = %d, %v:\n%s", code, err, out)
	}
	if got.File != file || !got.FileFound || len(got.Settings) != len(config.Keys) ||
		got.Settings["server"] != (configSetting{"https://file.example", "file " + file}) ||
		got.Settings["ca"] != (configSetting{"", "default"}) ||
		got.Settings["reader"] != (configSetting{"Env Reader 01", "environment SCR_READER"}) ||
		got.Settings["idle-lock"] != (configSetting{"10m", "file " + file}) {
		t.Fatalf("scr config --json:\n%s", out)
	}
}

func TestConfigCommandErrors(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		args       []string
		stderr     string
	}{
		{"unknown key", "idle_lock = \"5m\"\n", nil, `line 1: unknown key "idle_lock" (the keys are server, ca, reader, idle-lock, smartcard-ca, plain, auth, cis2-issuer, client-id, api-key, signing-key, kid)`},
		{"malformed", "server = \"https://x.example\n", nil, "line 1: "},
		{"bad duration", "idle-lock = \"5\"\n", nil, `idle-lock in `},
		{"unknown flag", "", []string{"--demo"}, "scr config: flag provided but not defined: -demo"},
		{"stray argument", "", []string{"server"}, `scr config: unexpected argument "server"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SCR_CONFIG", configFile(t, tt.file))
			t.Setenv("SCR_IDLE_LOCK", "")
			code, out, stderr := runScr(t, append([]string{"config"}, tt.args...)...)
			if code != 2 || out != "" || !strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") != 1 ||
				!strings.HasPrefix(stderr, "scr config: ") {
				t.Fatalf("= %d, %q, %q; want 2 and one line containing %q", code, out, stderr, tt.stderr)
			}
		})
	}
}

// parseIn parses args as the viewer does, with the environment env and a
// configuration file holding file (none for "").
func parseIn(t *testing.T, args []string, env map[string]string, file string) (viewerConfig, error) {
	t.Helper()
	path := configFile(t, file)
	return parseViewer(args, func(k string) string {
		if k == config.EnvConfig {
			return path
		}
		return env[k]
	})
}

// wantUsage fails the test unless err is a one-line usage error containing
// want.
func wantUsage(t *testing.T, err error, want string) {
	t.Helper()
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want a one-line usage error containing %q", err, want)
	}
}
