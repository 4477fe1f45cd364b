package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// fakeTmux puts a tmux on PATH that says whether it passes 24-bit colour
// and leaves a file behind each time it runs; it returns that file.
func fakeTmux(t *testing.T, truecolor bool) string {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	answer := "Tc: [missing]"
	if truecolor {
		answer = "Tc: (flag) true"
	}
	script := "#!/bin/sh\necho x >>" + ran + "\necho '" + answer + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "tmux"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return ran
}

// TestColourProfileAsksTmuxAfter: the profile the first frame is drawn
// with never waits for tmux; tmux is asked after, and only a colour
// terminal is upgraded to 24-bit colour, never one NO_COLOR made plain.
func TestColourProfileAsksTmuxAfter(t *testing.T) {
	ran := fakeTmux(t, true)
	env := []string{"TMUX=/tmp/tmux-0/default,1,0", "TERM=screen-256color"}
	if p := quickColorProfile(&bytes.Buffer{}, env); p != colorprofile.NoTTY {
		t.Errorf("not a terminal: %v", p)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the first frame's profile waited for tmux")
	}
	var got []tea.Msg
	send := func(m tea.Msg) { got = append(got, m) }

	upgradeColorInTmux(send, colorprofile.ANSI256, env)
	if len(got) != 1 || got[0] != (tea.CapabilityMsg{Content: "RGB"}) {
		t.Errorf("a 256-colour terminal in a truecolour tmux: %v", got)
	}
	got = nil
	for _, quick := range []colorprofile.Profile{colorprofile.ASCII, colorprofile.NoTTY, colorprofile.TrueColor} {
		upgradeColorInTmux(send, quick, env)
	}
	if len(got) != 0 {
		t.Errorf("upgraded a plain, piped or already truecolour terminal: %v", got)
	}

	fakeTmux(t, false)
	upgradeColorInTmux(send, colorprofile.ANSI256, env)
	if len(got) != 0 {
		t.Errorf("upgraded in a tmux without 24-bit colour: %v", got)
	}
	upgradeColorInTmux(send, colorprofile.ANSI256, []string{"TERM=xterm-256color"})
	if len(got) != 0 {
		t.Errorf("upgraded outside tmux: %v", got)
	}
}
