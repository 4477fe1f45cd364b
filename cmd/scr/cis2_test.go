package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/sandbox/apps"
)

// auth = "cis2" in the viewer's settings: --auth, SCR_AUTH or auth in the
// configuration file; the application's settings it needs, each named when
// missing; none of them with --demo, which brings its own application.
func TestViewerCIS2Settings(t *testing.T) {
	app := []string{"--cis2-issuer", "https://cis2.example", "--client-id", "cid", "--api-key", "key", "--signing-key", "/etc/scr/app.pem", "--kid", "k1"}
	full := config.Settings{Auth: config.AuthCIS2, CIS2Issuer: "https://cis2.example", ClientID: "cid", APIKey: "key", SigningKey: "/etc/scr/app.pem", KID: "k1"}
	server := []string{"--server", "https://x.example"}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		file string
		want *config.Settings
		err  string
	}{
		{name: "card by default", args: server},
		{name: "--auth card", args: append(slices.Clone(server), "--auth", "card")},
		{name: "--auth cis2", args: append(append(slices.Clone(server), "--auth", "cis2"), app...), want: &full},
		{name: "SCR_AUTH", args: append(slices.Clone(server), app...), env: map[string]string{"SCR_AUTH": "cis2"}, want: &full},
		{name: "the file", args: append(slices.Clone(server), app...), file: "auth = \"cis2\"\n", want: &full},
		{name: "a flag wins", args: append(slices.Clone(server), "--auth", "card"), env: map[string]string{"SCR_AUTH": "cis2"}},
		{name: "all missing", args: append(slices.Clone(server), "--auth", "cis2"),
			err: "scr: auth cis2 needs cis2-issuer, client-id, api-key, signing-key and kid: give them as flags (--cis2-issuer …), in the environment (SCR_CIS2_ISSUER …)"},
		{name: "one missing", args: append(append(slices.Clone(server), "--auth", "cis2"), app[:8]...),
			err: "scr: auth cis2 needs kid: give it as a flag (--kid …), in the environment (SCR_KID …)"},
		{name: "not card or cis2", args: append(slices.Clone(server), "--auth", "browser"), err: `"browser" is not card or cis2`},
		{name: "the demo", args: []string{"--demo", "--auth", "cis2"}, want: &config.Settings{Auth: config.AuthCIS2}},
		{name: "the demo ignores the application's settings elsewhere", args: []string{"--demo"},
			env: map[string]string{"SCR_AUTH": "cis2", "SCR_KID": "k9"}, want: &config.Settings{Auth: config.AuthCIS2}},
		{name: "the demo with an application's setting", args: []string{"--demo", "--auth", "cis2", "--kid", "k1"},
			err: "scr: --demo --auth cis2 signs in as the sandbox's own application; it cannot be used with --kid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseIn(t, tt.args, tt.env, tt.file)
			if tt.err != "" {
				wantUsage(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.cis2 != nil {
				// The application's settings, beside the others.
				got := *cfg.cis2
				got.Server, got.IdleLock = "", 0
				cfg.cis2 = &got
			}
			switch {
			case tt.want == nil && cfg.cis2 != nil:
				t.Errorf("auth cis2 %+v; want card", *cfg.cis2)
			case tt.want != nil && (cfg.cis2 == nil || *cfg.cis2 != *tt.want):
				t.Errorf("auth %+v; want %+v", cfg.cis2, *tt.want)
			}
		})
	}
}

// TestViewerCIS2SigningKey: the application's key is read, and refused on
// one line with exit status 2, before the viewer needs a terminal.
func TestViewerCIS2SigningKey(t *testing.T) {
	t.Setenv("SCR_CONFIG", configFile(t, ""))
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	good := write("app.pem", creds.KeyPEM, 0o600)
	tests := []struct {
		name, key, stderr string
	}{
		{"missing", filepath.Join(dir, "none.pem"), "does not exist"},
		{"not RSA", write("ec.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600), "cannot be used: a *ecdsa.PublicKey, not an RSA key"},
		{"a good key, but no terminal", good, "the viewer needs a terminal"},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct{ name, key, stderr string }{"readable by others", write("open.pem", creds.KeyPEM, 0o644), "chmod 600"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runScr(t, "--server", "https://x.example", "--auth", "cis2", "--cis2-issuer", "https://cis2.example",
				"--client-id", creds.ClientID, "--api-key", creds.APIKey, "--kid", creds.KID, "--signing-key", tt.key)
			if code != 2 || out != "" || !strings.Contains(stderr, tt.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("= %d, %q, %q; want 2 and one line containing %q", code, out, stderr, tt.stderr)
			}
		})
	}
}

func TestBrowserCommand(t *testing.T) {
	const url = "https://cis2.example/authorize?a=1&b=2"
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	for _, tt := range []struct {
		goos   string
		getenv func(string) string
		want   []string
	}{
		{"darwin", env(), []string{"open", url}},
		{"windows", env(), []string{"rundll32", "url.dll,FileProtocolHandler", url}},
		{"linux", env("DISPLAY", ":0"), []string{"xdg-open", url}},
		{"freebsd", env("WAYLAND_DISPLAY", "wayland-0"), []string{"xdg-open", url}},
		// No graphical session (a console, SSH): xdg-open would start a
		// text browser in scr's own terminal. The address is shown instead.
		{"linux", env(), nil},
	} {
		name, args := browserCommand(tt.goos, url, tt.getenv)
		got := append([]string{name}, args...)
		if name == "" {
			got = nil
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q; want %q", tt.goos, got, tt.want)
		}
	}
}

// TestOpenBrowser runs a stand-in xdg-open: it is given the address as one
// argument, never through a shell; its failure is the viewer's cue to show
// the address; one still running after a moment is a browser, open.
func TestOpenBrowser(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the stand-in is an xdg-open")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" >\"" + got + "\"\ncase \"$1\" in *fail*) exit 3;; *slow*) sleep 5;; esac\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DISPLAY", ":0")
	t.Setenv("WAYLAND_DISPLAY", "")

	url := "https://cis2.example/authorize?state=a b&x=$(touch " + filepath.Join(dir, "pwned") + ");echo"
	if err := openBrowser(url); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != "1\n"+url+"\n" {
		t.Errorf("xdg-open was given %q; want the address alone", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("the address ran through a shell")
	}
	if err := openBrowser("https://cis2.example/fail"); err == nil {
		t.Error("xdg-open failed, and openBrowser said the browser was open")
	}
	if err := openBrowser("file:///etc/passwd"); err == nil {
		t.Error("opened a file: address")
	}
	browserWait = 200 * time.Millisecond
	t.Cleanup(func() { browserWait = 3 * time.Second })
	if err := openBrowser("https://cis2.example/slow"); err != nil {
		t.Errorf("a browser still running: %v", err)
	}
	t.Setenv("DISPLAY", "")
	if err := openBrowser("https://cis2.example/"); err == nil {
		t.Error("no graphical session, and openBrowser said the browser was open")
	}
}
