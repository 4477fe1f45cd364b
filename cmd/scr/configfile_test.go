//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pcsctest"
)

// TestConfigFileUnsafeRefused: the real scr, each command, given each kind
// of configuration file it must not read (issue 13): it says why on one
// line and exits with status 2 at once. Before, a FIFO hung scr config for
// good (SIGINT and SIGTERM ignored), /dev/zero grew it without bound, a
// 126 MB file was read whole, and a file anyone could write redirected scr
// to another server in silence.
func TestConfigFileUnsafeRefused(t *testing.T) {
	bin := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 126<<20); err != nil { // sparse: no room on the disk
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.toml")
	if err := os.WriteFile(open, []byte("server = \"https://attacker.example\"\nca = \"attacker-ca.pem\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o666); err != nil { // whatever the umask
		t.Fatal(err)
	}

	for _, file := range []struct{ name, path, why string }{
		{"a FIFO", fifo, "is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "/dev/zero", "is a device, not a regular file"},
		{"126 MB", big, "is larger than 64 KiB"},
		{"writable by all", open, "can be changed by others than its owner (-rw-rw-rw-), so scr does not read it: chmod go-w " + open},
	} {
		for _, command := range []struct {
			args   []string
			prefix string
		}{
			{[]string{"config"}, "scr config: "},
			{nil, "scr: "}, // the viewer: the file is read before it looks for a terminal
			{[]string{"doctor"}, "scr doctor: "},
		} {
			name := file.name + ", scr " + strings.Join(command.args, " ")
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, command.args...)
				cmd.Env = []string{"SCR_CONFIG=" + file.path, "PATH=" + os.Getenv("PATH")}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				start := time.Now()
				err := cmd.Run()
				if ctx.Err() != nil {
					t.Fatalf("still running after %v: killed", time.Since(start).Round(time.Millisecond))
				}
				var exit *exec.ExitError
				want := command.prefix + "the configuration file " + file.path + " " + file.why + "\n"
				if !errors.As(err, &exit) || exit.ExitCode() != 2 || stdout.Len() != 0 || stderr.String() != want {
					t.Fatalf("= %v, stdout %q, stderr %q\nwant status 2 and %q", err, stdout.String(), stderr.String(), want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("took %v to refuse", d)
				}
			})
		}
	}
}
