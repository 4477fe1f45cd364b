package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxFileSize is the most the configuration file may hold. Five settings
// take a few hundred bytes; a larger file is the wrong file.
const maxFileSize = 64 << 10

// refusal is a configuration file scr will not read, and why: one line that
// names the file and says how to put it right.
type refusal string

func (r refusal) Error() string { return string(r) }

func refuse(format string, a ...any) error { return refusal(fmt.Sprintf(format, a...)) }

// readSafely returns the configuration file's contents if it is safe to
// read them, else a refusal or the error that stopped it.
//
// The file must be a regular file: a FIFO would hang scr (its open waits for
// a writer, and nothing then interrupts it), a device such as /dev/zero never
// ends, a folder or socket is not a file. It is looked at before it is opened,
// so that a device is never opened at all, and again once open (fstat), which
// is what counts: the first look and the open are two steps another process
// could come between. The open itself cannot wait (O_NONBLOCK on Unix).
//
// It must hold at most maxFileSize bytes: more is refused, and no more than
// that and one byte is ever read, even from a file that grows as it is read.
//
// Nobody but its owner and the administrators may be able to change it, as
// checkAccess says: the file chooses the server scr sends the card's
// credentials to, and the CA that vouches for it.
func readSafely(path string) ([]byte, error) {
	return readGuarded(path, configFile, checkAccess)
}

// The nouns by which refusals name the file.
const (
	configFile = "configuration file"
	signingKey = "signing key"
)

// readGuarded is readSafely for the file named noun, whose owner and
// permissions access judges.
func readGuarded(path, noun string, access func(path string, f *os.File, fi fs.FileInfo) error) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(noun, path, fi); err != nil {
		return nil, err
	}
	f, err := openNoWait(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(noun, path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > maxFileSize {
		return nil, tooLarge(noun, path)
	}
	if err := access(path, f, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, tooLarge(noun, path)
	}
	return data, nil
}

// ReadSigningKey returns the contents of the application's private key file
// (the signing-key setting, for auth = "cis2") if it is safe to use, else a
// one-line error naming the file and how to put it right. It must be a
// regular file of at most 64 KiB that nobody but its owner (the user scr runs
// as, or the administrators) can read or change, in folders nobody else can
// change: a key others can read is a key others may sign as the application
// with. Its contents are never shown.
func ReadSigningKey(path string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("no %s is set", SigningKey)
	}
	data, err := readGuarded(path, signingKey, checkKeyAccess)
	var refused refusal
	switch {
	case err == nil:
		return data, nil
	case errors.As(err, &refused):
		return nil, err
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("the signing key %s does not exist", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return nil, fmt.Errorf("cannot read the signing key %s: %v", path, err)
}

func tooLarge(noun, path string) error {
	return refuse("the %s %s is larger than %d KiB", noun, path, maxFileSize>>10)
}

// checkRegular refuses anything but a regular file, saying what it is.
func checkRegular(noun, path string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "something other than a file"
	switch {
	case m.IsDir():
		what = "a folder"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return refuse("the %s %s is %s, not a regular file", noun, path, what)
}
