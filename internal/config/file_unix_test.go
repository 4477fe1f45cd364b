//go:build unix

package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// resolveWithin is Resolve of the file at path, failing the test if it
// takes longer than a second: a FIFO or a device must be refused, not
// waited on or read without end.
func resolveWithin(t *testing.T, path string) (Resolved, error) {
	t.Helper()
	type result struct {
		r   Resolved
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Resolve(nil, env{}.get, path, true)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(time.Second):
		t.Fatalf("Resolve(%s) still had not returned after a second", path)
	}
	panic("unreachable")
}

// wantRefusal checks that reading the file at path is refused with the
// one line want, in which %s stands for path.
func wantRefusal(t *testing.T, path, want string) {
	t.Helper()
	want = strings.ReplaceAll(want, "%s", path)
	_, err := resolveWithin(t, path)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

// chmod sets the mode exactly, whatever the umask.
func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFileKinds(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.toml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	folder := filepath.Join(dir, "folder.toml")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, path, what string
	}{
		{"a FIFO, whose open would wait for a writer", fifo, "a named pipe (FIFO)"},
		{"/dev/zero, which never ends", "/dev/zero", "a device"},
		{"a terminal", "/dev/tty", "a device"},
		{"a socket", sock, "a socket"},
		{"a folder", folder, "a folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skip(err) // no /dev/tty without a controlling terminal
			}
			wantRefusal(t, tt.path, "the configuration file %s is "+tt.what+", not a regular file")
			// The same behind a symbolic link, which is named.
			link := filepath.Join(t.TempDir(), "config.toml")
			if err := os.Symlink(tt.path, link); err != nil {
				t.Fatal(err)
			}
			wantRefusal(t, link, "the configuration file %s is "+tt.what+", not a regular file")
		})
	}
}

func TestConfigFileSize(t *testing.T) {
	// Exactly 64 KiB, a setting and comments, is read.
	line := "# " + strings.Repeat("x", 60) + "\n"
	text := `server = "https://file.example"` + "\n"
	for len(text)+len(line) <= maxFileSize {
		text += line
	}
	text += strings.Repeat("#", maxFileSize-len(text))
	p := writeFile(t, text)
	if got, err := resolveWithin(t, p); err != nil || got.Server != "https://file.example" {
		t.Fatalf("a file of exactly 64 KiB: %+v, %v", got.Settings, err)
	}

	// One byte more is not.
	p = writeFile(t, text+"\n")
	wantRefusal(t, p, "the configuration file %s is larger than 64 KiB")

	// Nor is a file of 126 MB, refused before any of it is read (sparse:
	// it takes no room on the disk).
	p = filepath.Join(t.TempDir(), "config.toml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(126 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	chmod(t, p, 0o644)
	wantRefusal(t, p, "the configuration file %s is larger than 64 KiB")
}

// TestConfigFilePermissions: a file, or a folder above it, that others
// than its owner can change is refused, with the command that puts it right.
func TestConfigFilePermissions(t *testing.T) {
	const settings = "server = \"https://attacker.example\"\nca = \"attacker-ca.pem\"\n"
	// file writes the settings to config.toml in a new folder of mode dirMode
	// with the file's mode fileMode.
	file := func(t *testing.T, dirMode, fileMode os.FileMode) (dir, path string) {
		t.Helper()
		dir = filepath.Join(t.TempDir(), "scr")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte(settings), 0o600); err != nil {
			t.Fatal(err)
		}
		chmod(t, path, fileMode)
		chmod(t, dir, dirMode)
		return dir, path
	}
	accepted := func(t *testing.T, path string) {
		t.Helper()
		if got, err := resolveWithin(t, path); err != nil || got.Server != "https://attacker.example" {
			t.Fatalf("%+v, %v; want the file read", got.Settings, err)
		}
	}

	for _, tt := range []struct {
		name              string
		dirMode, fileMode os.FileMode
		err               string // "" if read; %s is the file, %d its folder
	}{
		{"root's 0644 in a 0755 folder", 0o755, 0o644, ""},
		{"read-only", 0o755, 0o444, ""},
		{"the owner's alone", 0o700, 0o600, ""},
		{"writable by all", 0o755, 0o666,
			"the configuration file %s can be changed by others than its owner (-rw-rw-rw-), so scr does not read it: chmod go-w %s"},
		{"writable by its group", 0o755, 0o664,
			"the configuration file %s can be changed by others than its owner (-rw-rw-r--), so scr does not read it: chmod go-w %s"},
		{"writable by others, not the group", 0o755, 0o602,
			"the configuration file %s can be changed by others than its owner (-rw-----w-), so scr does not read it: chmod go-w %s"},
		{"in a folder writable by all", 0o777, 0o644,
			"the folder %d, which holds the configuration file %s, can be changed by others than its owner (drwxrwxrwx), so scr does not read the file: chmod go-w %d"},
		{"in a folder writable by its group", 0o775, 0o444,
			"the folder %d, which holds the configuration file %s, can be changed by others than its owner (drwxrwxr-x), so scr does not read the file: chmod go-w %d"},
		// Like /tmp: others can add files, but not rename or remove this one.
		{"in a sticky folder writable by all", 0o777 | os.ModeSticky, 0o644, ""},
		{"writable by all in a sticky folder", 0o777 | os.ModeSticky, 0o646,
			"the configuration file %s can be changed by others than its owner (-rw-r--rw-), so scr does not read it: chmod go-w %s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := file(t, tt.dirMode, tt.fileMode)
			if tt.err == "" {
				accepted(t, path)
				return
			}
			wantRefusal(t, path, strings.ReplaceAll(tt.err, "%d", dir))
		})
	}

	t.Run("a folder further up writable by all", func(t *testing.T) {
		dir, path := file(t, 0o755, 0o644)
		up := filepath.Dir(dir)
		chmod(t, up, 0o777)
		wantRefusal(t, path, "the folder "+up+", which holds the configuration file %s, can be changed by others than its owner (drwxrwxrwx), so scr does not read the file: chmod go-w "+up)
	})

	t.Run("a link in a folder writable by all, to a safe file", func(t *testing.T) {
		// The folders checked are the real file's, as sshd checks them.
		_, path := file(t, 0o755, 0o644)
		open := t.TempDir()
		chmod(t, open, 0o777)
		link := filepath.Join(open, "config.toml")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		accepted(t, link)
	})

	t.Run("a link to a file writable by all", func(t *testing.T) {
		_, path := file(t, 0o755, 0o666)
		link := filepath.Join(t.TempDir(), "config.toml")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, link, "the configuration file %s can be changed by others than its owner (-rw-rw-rw-), so scr does not read it: chmod go-w %s")
	})
}

// TestConfigFileOwner: a file, or a folder above it, owned by someone other
// than the user or root is refused. Only root can give a file away, so the
// test needs root (as in CI).
func TestConfigFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can make a file another user's")
	}
	const other = 54321 // no such user: a number is enough
	dir := filepath.Join(t.TempDir(), "scr")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(`server = "https://attacker.example"`), 0o644); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, 0o644)

	if err := os.Chown(path, other, -1); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, path, "the configuration file %s is owned by uid 54321, neither you nor root, so scr does not read it: sudo chown root %s")

	// Its group does not matter, only who can write.
	if err := os.Chown(path, 0, other); err != nil {
		t.Fatal(err)
	}
	if _, err := resolveWithin(t, path); err != nil {
		t.Fatalf("root's file, another group's: %v", err)
	}

	if err := os.Chown(dir, other, -1); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, path, "the folder "+dir+", which holds the configuration file %s, is owned by uid 54321, neither you nor root, so scr does not read the file: sudo chown root "+dir)
}

// TestConfigFileOpenDoesNotWait: were a FIFO put where the file was, between
// the first look and the open, the open returns at once, and what it opened
// is refused.
func TestConfigFileOpenDoesNotWait(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		f, err := openNoWait(fifo)
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil {
				err = checkRegular(configFile, fifo, fi)
			}
			f.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if want := "the configuration file " + fifo + " is a named pipe (FIFO), not a regular file"; err == nil || err.Error() != want {
			t.Fatalf("err = %v; want %s", err, want)
		}
	case <-time.After(time.Second):
		t.Fatal("opening a FIFO waited for a writer")
	}
}

// TestReadSigningKey: the application's key is used only if nobody but its
// owner can read or change it, nor swap it in its folder.
func TestReadSigningKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app-key.pem")
	const pem = "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n"
	if err := os.WriteFile(path, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, 0o600)
	if data, err := ReadSigningKey(path); err != nil || string(data) != pem {
		t.Fatalf("a 0600 key: %q, %v", data, err)
	}
	chmod(t, path, 0o400)
	if _, err := ReadSigningKey(path); err != nil {
		t.Fatalf("a 0400 key: %v", err)
	}

	refused := func(want string) {
		t.Helper()
		want = strings.ReplaceAll(want, "%s", path)
		if _, err := ReadSigningKey(path); err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant  %s", err, want)
		}
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o610, 0o644} {
		chmod(t, path, mode)
		refused("the signing key %s can be read or changed by others than its owner (" + mode.String() +
			"), so scr does not use it: chmod 600 %s")
	}
	chmod(t, path, 0o600)
	chmod(t, dir, 0o777)
	refused("the folder " + dir + ", which holds the signing key %s, can be changed by others than its owner (drwxrwxrwx), so scr does not use the key: chmod go-w " + dir)
	chmod(t, dir, 0o700)

	if os.Geteuid() == 0 {
		if err := os.Chown(path, 54321, -1); err != nil {
			t.Fatal(err)
		}
		refused("the signing key %s is owned by uid 54321, neither you nor root, so scr does not use it: sudo chown 0 %s")
		if err := os.Chown(path, 0, -1); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := ReadSigningKey(dir); err == nil || err.Error() != "the signing key "+dir+" is a folder, not a regular file" {
		t.Errorf("a folder: %v", err)
	}
	missing := filepath.Join(dir, "missing.pem")
	if _, err := ReadSigningKey(missing); err == nil || err.Error() != "the signing key "+missing+" does not exist" {
		t.Errorf("a missing key: %v", err)
	}
	if _, err := ReadSigningKey(""); err == nil {
		t.Error("no path: no error")
	}
	if err := os.WriteFile(path, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	refused("the signing key %s is larger than 64 KiB")
}
