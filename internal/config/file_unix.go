//go:build unix

package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// openNoWait opens path to read without waiting: with O_NONBLOCK the open
// of a FIFO returns at once instead of waiting for a writer, and O_NOCTTY
// keeps a terminal named as the file from becoming scr's. Reading a regular
// file is the same either way.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}

// checkAccess refuses the file unless it, and every folder above it, is
// owned by the user scr runs as or by root and can be changed by its owner
// alone: what sshd's StrictModes asks of authorized_keys. The folders are
// those of the file's real path, its symbolic links followed, as sshd does.
//
// One exception, which sshd does not make: a folder with the sticky bit
// (/tmp) may be writable by all, since there others can add files but not
// rename or delete those they do not own; the file and the folders below it
// must still pass.
func checkAccess(path string, _ *os.File, fi fs.FileInfo) error {
	me := os.Geteuid()
	if why, fix := unsafeToTrust(fi, me, path); why != "" {
		return refuse("the configuration file %s %s, so scr does not read it: %s", path, why, fix)
	}
	return checkFolders(path, me, func(dir, why, fix string) error {
		return refuse("the folder %s, which holds the configuration file %s, %s, so scr does not read the file: %s",
			dir, path, why, fix)
	})
}

// checkFolders applies unsafeToTrust to every folder above the real path of
// path, its symbolic links followed, and returns refused's error for the
// first that fails.
func checkFolders(path string, me int, refused func(dir, why, fix string) error) error {
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return err
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		di, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if why, fix := unsafeToTrust(di, me, dir); why != "" {
			return refused(dir, why, fix)
		}
		if filepath.Dir(dir) == dir {
			return nil
		}
	}
}

// checkKeyAccess refuses the signing key unless it is owned by the user scr
// runs as (or root) and its group and others have no access to it at all, as
// ssh asks of a private key; and the folders above it pass checkAccess's
// test, so that nobody else can swap it.
func checkKeyAccess(path string, _ *os.File, fi fs.FileInfo) error {
	me := os.Geteuid()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return refuse("the signing key %s has no owner scr can find, so scr does not use it: ls -l %s", path, path)
	}
	if uid := int(st.Uid); uid != me && uid != 0 {
		return refuse("the signing key %s is owned by uid %d, neither you nor root, so scr does not use it: sudo chown %d %s",
			path, uid, me, path)
	}
	if m := fi.Mode(); m.Perm()&0o077 != 0 {
		return refuse("the signing key %s can be read or changed by others than its owner (%s), so scr does not use it: chmod 600 %s",
			path, m, path)
	}
	return checkFolders(path, me, func(dir, why, fix string) error {
		return refuse("the folder %s, which holds the signing key %s, %s, so scr does not use the key: %s",
			dir, path, why, fix)
	})
}

// unsafeToTrust says what makes fi, at path, unsafe for the user me to
// trust, and the command that puts it right; "" when nothing does.
func unsafeToTrust(fi fs.FileInfo, me int, path string) (why, fix string) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "has no owner scr can find", "ls -ld " + path
	}
	if uid := int(st.Uid); uid != me && uid != 0 {
		return fmt.Sprintf("is owned by uid %d, neither you nor root", uid), "sudo chown root " + path
	}
	m := fi.Mode()
	if m.Perm()&0o022 != 0 && (!m.IsDir() || m&fs.ModeSticky == 0) {
		return fmt.Sprintf("can be changed by others than its owner (%s)", m), "chmod go-w " + path
	}
	return "", ""
}
