package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scrterm/scr/cmd/scr/internal/help"
	"github.com/scrterm/scr/internal/config"
)

// TestManPageIsCurrent fails when docs/scr.1 is not what the help text
// makes: run go generate ./cmd/scr and commit the result.
func TestManPageIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../../docs/scr.1")
	if err != nil {
		t.Fatal(err)
	}
	if want := help.Roff(); string(got) != want {
		t.Fatal("docs/scr.1 is stale: run go generate ./cmd/scr and commit docs/scr.1")
	}
}

// TestManPageFormats has groff read the page with every warning on.
func TestManPageFormats(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("groff is not installed (make deps); CI is set, so this fails rather than skips")
		}
		t.Skip("groff is not installed: apt-get install groff-base (make deps)")
	}
	cmd := exec.Command("groff", "-man", "-ww", "-z")
	cmd.Stdin = strings.NewReader(help.Roff())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
}

func TestHelpTopics(t *testing.T) {
	want := []string{"viewer", "card", "doctor", "config", "demo", "keys", "environment"}
	var names []string
	for _, tp := range help.Topics {
		names = append(names, tp.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("topics %v; want %v", names, want)
	}
	for _, name := range want {
		code, out, stderr := runScr(t, "help", name)
		if code != 0 || stderr != "" || !strings.HasPrefix(out, "scr help "+name+": ") {
			t.Errorf("scr help %s = %d, %q, %q", name, code, out, stderr)
		}
		for i, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > help.Width && strings.Contains(strings.TrimSpace(line), " ") {
				t.Errorf("scr help %s line %d is %d columns: %q", name, i+1, n, line)
			}
		}
		if !strings.Contains(usage, name) {
			t.Errorf("the usage does not name the topic %s", name)
		}
	}
	code, _, stderr := runScr(t, "help", "nonsense")
	if code != 2 || stderr != `scr help: no topic "nonsense"; the topics are viewer, card, doctor, config, demo, keys, environment`+"\n" {
		t.Errorf("scr help nonsense = %d, %q", code, stderr)
	}
}

func TestDoctorTopicSynopsis(t *testing.T) {
	tp, _ := help.Lookup("doctor")
	want := []string{
		"scr doctor [--server URL] [--ca FILE] [--reader NAME] [--smartcard-ca FILE] [--json] [--watch] [--pin-stdin] [--no-signin]",
		"scr doctor --demo [--card UUID] [--json] [--pin-stdin] [--no-signin]",
	}
	if !slices.Equal(tp.Synopsis, want) {
		t.Fatalf("doctor synopsis %q", tp.Synopsis)
	}
	if !strings.Contains(tp.Body, "exit status 1 on any FAIL") && !strings.Contains(tp.Body, "Exit status 1 on any FAIL") {
		t.Error("the doctor topic does not give its exit status")
	}
}

// TestKeysTopicCoversTheKeyMap reads ui/keys.go, the one place the viewer's
// keys are bound, and wants each of its keys in the keys topic's lists.
func TestKeysTopicCoversTheKeyMap(t *testing.T) {
	src, err := os.ReadFile("../../ui/keys.go")
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := help.Lookup("keys")
	var listed []string
	for _, line := range strings.Split(tp.Body, "\n") {
		term, _, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		for _, part := range strings.Split(term, " / ") {
			listed = append(listed, strings.Split(part, ", ")...)
		}
	}
	calls := regexp.MustCompile(`WithKeys\(([^)]*)\)`).FindAllStringSubmatch(string(src), -1)
	if len(calls) < 20 {
		t.Fatalf("found %d key bindings in ui/keys.go; has it moved?", len(calls))
	}
	for _, c := range calls {
		for _, k := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(c[1], -1) {
			key := k[1]
			if !slices.ContainsFunc(listed, func(l string) bool {
				return l == key || len(key) > 1 && strings.EqualFold(l, key)
			}) {
				t.Errorf("the keys topic does not list %q, bound in ui/keys.go", key)
			}
		}
	}
}

// TestSettingsTopicsNameEveryKey wants every configuration key in the config
// topic and every variable in the environment topic.
func TestSettingsTopicsNameEveryKey(t *testing.T) {
	cfg, _ := help.Lookup("config")
	env, _ := help.Lookup("environment")
	for _, k := range config.Keys {
		if !strings.Contains(cfg.Body, "\n"+k.Name+"\t") {
			t.Errorf("the config topic does not list the key %s", k.Name)
		}
		if !strings.Contains(env.Body, "\n"+k.Env+"\t") {
			t.Errorf("the environment topic does not list %s", k.Env)
		}
	}
	if !strings.Contains(env.Body, "\n"+config.EnvConfig+"\t") {
		t.Errorf("the environment topic does not list %s", config.EnvConfig)
	}
}
