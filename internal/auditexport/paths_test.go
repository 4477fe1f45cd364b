package auditexport

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestFormatRefusesPathsNotFull: a path that is not full is refused before
// anything is written, saying what to type; ~ is said not to be expanded,
// with the path it would have meant. A full path with the right extension
// passes.
func TestFormatRefusesPathsNotFull(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the sentences below are the Unix ones")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, c := range []struct{ path, want string }{
		{"audit2.csv", "Type the full path, starting with /, such as /home/you/audit2.csv; audit2.csv alone does not say which folder. Nothing was written."},
		{"reports/a.json", "Type the full path, starting with /, such as /home/you/a.json; reports/a.json alone does not say which folder. Nothing was written."},
		{"./a.csv", "Type the full path, starting with /, such as /home/you/a.csv; ./a.csv alone does not say which folder. Nothing was written."},
		{"~/a.csv", "~ is not expanded here: type the full path, starting with /, such as " + filepath.Join(home, "a.csv") + ". Nothing was written."},
		{"~/reports/a.csv", "~ is not expanded here: type the full path, starting with /, such as " + filepath.Join(home, "reports", "a.csv") + ". Nothing was written."},
		{"~helen/a.csv", "~ is not expanded here: type the full path, starting with /, such as /home/you/a.csv. Nothing was written."},
		// The extension first: it is said whatever the folder.
		{"~/a.txt", "The file name must end in .csv or .json, which decides the format; nothing was written."},
		{"", "Type where to save the report: a path ending in .csv or .json."},
	} {
		format, why := Format(c.path)
		if format != "" || why != c.want {
			t.Errorf("Format(%q) = %q, %q\nwant the sentence %q", c.path, format, why, c.want)
		}
	}
	for path, want := range map[string]string{"/tmp/a.csv": "csv", "/tmp/A.JSON": "json"} {
		if format, why := Format(path); format != want || why != "" {
			t.Errorf("Format(%q) = %q, %q; want %q", path, format, why, want)
		}
	}
}

// TestExplainSaysWhatTheSystemSaid: each error WriteNew can meet, as the
// officer reads it: the cause named only where the error names it, else
// the system's own words; never a folder said not to exist when it does.
func TestExplainSaysWhatTheSystemSaid(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix errors")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	open := func(errno syscall.Errno) error { return &fs.PathError{Op: "open", Path: path, Err: errno} }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"exists", open(syscall.EEXIST), "Nothing was written: " + path + " already exists, and an export never replaces a file. Choose another name."},
		// ENOENT in a folder that exists: not "the folder does not exist".
		{"ENOENT, folder there", open(syscall.ENOENT), "Nothing was written: the system could not create " + path + " (it said: no such file or directory)."},
		{"EACCES", open(syscall.EACCES), "Nothing was written: you may not create " + path + " (the system said: permission denied)."},
		{"EPERM", open(syscall.EPERM), "Nothing was written: you may not create " + path + " (the system said: operation not permitted)."},
		{"EROFS", open(syscall.EROFS), "Nothing was written: " + dir + " is on a read-only file system."},
		{"ENOTDIR", open(syscall.ENOTDIR), "Nothing was written: part of " + dir + " is a file, not a folder (the system said: not a directory)."},
		{"EINVAL", open(syscall.EINVAL), "Nothing was written: the system could not create " + path + " (it said: invalid argument)."},
		{"ENOSPC on write", &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, "Nothing was written to " + path + ": the disk is full (the system said: no space left on device)."},
		{"EIO on write", &fs.PathError{Op: "write", Path: path, Err: syscall.EIO}, "Nothing was written to " + path + ": the file could not be filled (the system said: input/output error), and was removed."},
		{"left", &leftError{err: &fs.PathError{Op: "write", Path: path, Err: syscall.EIO}}, "The report could not be written in full to " + path + " (the system said: input/output error), and the part written could not be removed: delete " + path + "."},
	} {
		if got := Explain(path, c.err); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	if got := Explain(path, nil); got != "" {
		t.Errorf("no error: %q", got)
	}
	// The folder that is indeed missing: named.
	missing := filepath.Join(dir, "no", "such", "a.csv")
	err := WriteNew(missing, []byte("x"))
	if want := "Nothing was written: the folder " + filepath.Dir(missing) + " does not exist."; Explain(missing, err) != want {
		t.Errorf("missing folder: %q, want %q", Explain(missing, err), want)
	}
}

// TestExplainProc: /proc exists but takes no new file, and says "no such
// file or directory": the sentence says so in the system's words, not that
// /proc does not exist, and nothing is written.
func TestExplainProc(t *testing.T) {
	if fi, err := os.Stat("/proc"); err != nil || !fi.IsDir() {
		t.Skip("no /proc")
	}
	err := WriteNew("/proc/x.csv", []byte("x"))
	if err == nil {
		_ = os.Remove("/proc/x.csv")
		t.Fatal("/proc/x.csv was written")
	}
	got := Explain("/proc/x.csv", err)
	if strings.Contains(got, "does not exist") || !strings.HasPrefix(got, "Nothing was written") {
		t.Errorf("/proc/x.csv: %q", got)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && !strings.Contains(got, pe.Err.Error()) {
		t.Errorf("/proc/x.csv: %q does not give the system's words %q", got, pe.Err.Error())
	}
}

// TestExampleIsFull: the hint's example is a full path on this system.
func TestExampleIsFull(t *testing.T) {
	ex := Example("sar-9000000017.csv")
	if !filepath.IsAbs(ex) || filepath.Base(ex) != "sar-9000000017.csv" {
		t.Errorf("Example: %q", ex)
	}
	if _, why := Format(ex); why != "" {
		t.Errorf("the example is refused: %s", why)
	}
}
