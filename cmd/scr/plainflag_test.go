package main

import (
	"strings"
	"testing"
)

// TestPlainSetting: the plain mode is --plain, SCR_PLAIN=1 or plain = true
// (or its quoted form, plain = "true") in the configuration file, for the
// viewer and the demo alike, a flag winning over the variable; scr config
// shows it, and takes --plain too.
func TestPlainSetting(t *testing.T) {
	t.Setenv("SCR_PLAIN", "")
	for _, tt := range []struct {
		args []string
		env  map[string]string
		file string // the configuration file's text; "" for no file
		want bool
		err  string
	}{
		{args: []string{"--server", "https://x.example"}, want: false},
		{args: []string{"--server", "https://x.example", "--plain"}, want: true},
		{args: []string{"--demo", "--plain"}, want: true},
		{args: []string{"--demo"}, env: map[string]string{"SCR_PLAIN": "1"}, want: true},
		{args: []string{"--demo", "--plain=false"}, env: map[string]string{"SCR_PLAIN": "1"}, want: false},
		{args: []string{"--demo"}, file: "plain = true\n", want: true},
		{args: []string{"--demo"}, file: "plain = \"true\"\n", want: true},
		{args: []string{"--server", "https://x.example"}, file: "plain = \"true\"\n", want: true},
		{args: []string{"--demo"}, file: "plain = \"false\"\n", want: false},
		{args: []string{"--demo"}, env: map[string]string{"SCR_PLAIN": "sometimes"}, err: `SCR_PLAIN "sometimes" is not true or false`},
	} {
		path := "" // no file: /etc/scr/config.toml, missing here
		if tt.file != "" {
			path = configFile(t, tt.file)
		}
		getenv := func(k string) string {
			if k == "SCR_CONFIG" {
				return path
			}
			return tt.env[k]
		}
		cfg, err := parseViewer(tt.args, getenv)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v %v: err %v; want %q", tt.args, tt.env, err, tt.err)
			}
			continue
		}
		if err != nil || cfg.plain != tt.want {
			t.Errorf("%v %v (file %q): plain %v, %v; want %v", tt.args, tt.env, tt.file, cfg.plain, err, tt.want)
		}
	}

	code, out, stderr := runScr(t, "config", "--plain")
	if code != 0 || stderr != "" || !strings.Contains(out, "plain         true") || !strings.Contains(out, "flag --plain") {
		t.Errorf("scr config --plain = %d, %q\n%s", code, stderr, out)
	}
}
