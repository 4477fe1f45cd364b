package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// fakeTmux puts a tmux on PATH that says it passes 24-bit colour and leaves
// a file behind each time it runs; it returns that file.
func fakeTmux(t *testing.T) string {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	script := "#!/bin/sh\necho x >>" + ran + "\necho 'Tc: (flag) true'\n"
	if err := os.WriteFile(filepath.Join(dir, "tmux"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return ran
}

// TestColourProfileDetectedOnce: the viewer on the process's stdout takes
// the profile Lip Gloss detected as the program started, and asks neither
// terminfo nor tmux again before its first frame; any other output is
// detected as it is.
func TestColourProfileDetectedOnce(t *testing.T) {
	ran := fakeTmux(t)
	env := []string{"TMUX=/tmp/tmux-0/default,1,0", "TERM=screen-256color"}
	if p := colorProfile(os.Stdout, env); p != lipgloss.Writer.Profile {
		t.Errorf("stdout: %v, but Lip Gloss detected %v", p, lipgloss.Writer.Profile)
	}
	if p := colorProfile(&bytes.Buffer{}, env); p != colorprofile.NoTTY {
		t.Errorf("not a terminal: %v", p)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("tmux was asked again")
	}
}
