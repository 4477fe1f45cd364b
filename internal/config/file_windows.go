//go:build windows

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// openNoWait opens path to read. Opening a file on Windows does not wait:
// a busy named pipe fails at once.
func openNoWait(path string) (*os.File, error) { return os.Open(path) }

// The rights that let someone change the file: its contents, or who may
// change them.
const fileWrite = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.DELETE |
	windows.WRITE_DAC | windows.WRITE_OWNER | windows.GENERIC_WRITE | windows.GENERIC_ALL

// fileDeleteChild is FILE_DELETE_CHILD, which x/sys/windows does not name.
const fileDeleteChild = 0x40

// The rights that let someone delete or replace what a folder holds, or the
// folder itself. Adding a file is not among them: C:\ProgramData lets every
// user add files and folders, and a file a user adds is theirs, which the
// owner check refuses.
const folderWrite = fileDeleteChild | windows.DELETE | windows.WRITE_DAC | windows.WRITE_OWNER | windows.GENERIC_ALL

// checkAccess refuses the file unless its owner is the user scr runs as,
// SYSTEM, Administrators or TrustedInstaller, and no access control entry
// lets anyone else change it or delete or replace it in its folder. Only
// the file's own folder is looked at: the folders above it (C:\, C:\ProgramData)
// let every user add folders, by design.
func checkAccess(path string, f *os.File, _ fs.FileInfo) error {
	return checkOwned(path, f, guard{
		rights:      fileWrite,
		fileOwner:   `the configuration file %s is owned by %s, not by Administrators, SYSTEM or you, so scr does not read it: icacls "%s" /setowner *S-1-5-32-544`,
		fileWho:     `the configuration file %s can be changed by %s, so scr does not read it: icacls "%s" /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F *S-1-5-32-545:RX`,
		folderOwner: `the folder %s, which holds the configuration file %s, is owned by %s, not by Administrators, SYSTEM or you, so scr does not read the file: icacls "%s" /setowner *S-1-5-32-544`,
		folderWho:   `the folder %s, which holds the configuration file %s, lets %s delete or replace what is in it, so scr does not read the file: icacls "%s" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX`,
	})
}

// fileRead is the rights that let someone read the file.
const fileRead = windows.FILE_READ_DATA | windows.GENERIC_READ | windows.GENERIC_ALL

// checkKeyAccess refuses the signing key unless its owner is the user scr runs
// as, SYSTEM, Administrators or TrustedInstaller, and no access control entry
// lets anyone else read it or change it; and its folder lets nobody else
// delete or replace what it holds.
func checkKeyAccess(path string, f *os.File, _ fs.FileInfo) error {
	return checkOwned(path, f, guard{
		rights:      fileWrite | fileRead,
		fileOwner:   `the signing key %s is owned by %s, not by Administrators, SYSTEM or you, so scr does not use it: icacls "%s" /setowner "%%USERNAME%%"`,
		fileWho:     `the signing key %s can be read or changed by %s, so scr does not use it: icacls "%s" /inheritance:r /grant:r "%%USERNAME%%":F`,
		folderOwner: `the folder %s, which holds the signing key %s, is owned by %s, not by Administrators, SYSTEM or you, so scr does not use the key: icacls "%s" /setowner "%%USERNAME%%"`,
		folderWho:   `the folder %s, which holds the signing key %s, lets %s delete or replace what is in it, so scr does not use the key: icacls "%s" /inheritance:r /grant:r "%%USERNAME%%":(OI)(CI)F`,
	})
}

// guard is what checkOwned refuses for one kind of file, and its words:
// each refusal, with its fix, as a format of the file (or folder, file),
// whom, then the file (or folder) again.
type guard struct {
	rights                 windows.ACCESS_MASK // on the file: nobody untrusted may hold any
	fileOwner, fileWho     string              // path, owner or who, path
	folderOwner, folderWho string              // folder, path, owner or who, folder
}

// checkOwned refuses the open file f at path unless it and its folder are
// owned by someone trusted, nobody else holds any of g.rights on the file,
// and nobody else may delete or replace what the folder holds.
func checkOwned(path string, f *os.File, g guard) error {
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("its permissions cannot be read: %w", err)
	}
	if owner, who := untrusted(sd, g.rights); owner != "" {
		return refuse(g.fileOwner, path, owner, path)
	} else if who != "" {
		return refuse(g.fileWho, path, who, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	if sd, err = windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION); err != nil {
		return fmt.Errorf("the permissions of its folder %s cannot be read: %w", dir, err)
	}
	if owner, who := untrusted(sd, folderWrite); owner != "" {
		return refuse(g.folderOwner, dir, path, owner, dir)
	} else if who != "" {
		return refuse(g.folderWho, dir, path, who, dir)
	}
	return nil
}

// untrusted returns the owner's name if the owner of sd is not to be
// trusted, else the name of the first other than those trusted whom sd
// grants any of the rights in write; "" and "" when there is none.
func untrusted(sd *windows.SECURITY_DESCRIPTOR, write windows.ACCESS_MASK) (owner, who string) {
	o, _, err := sd.Owner()
	if err != nil || o == nil {
		return "nobody", ""
	}
	if !trusted(o) {
		return name(o), ""
	}
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || err == nil && dacl == nil {
		return "", "everyone (it has no access control list)"
	}
	if err != nil {
		return "", "someone (its access control list cannot be read)"
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return "", "someone (its access control list cannot be read)"
		}
		// Deny entries are not weighed against the grants: a grant to
		// someone untrusted is refused whatever else the list says.
		// An inherit-only entry applies to what the folder will hold, not
		// to itself.
		const accessAllowedCallbackACEType = 9
		allows := ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceType == accessAllowedCallbackACEType
		if !allows || ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 || ace.Mask&write == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !trusted(sid) && sid.String() != ownerRights {
			return "", name(sid)
		}
	}
	return "", ""
}

// ownerRights is OWNER RIGHTS, which stands for the owner, already checked.
const ownerRights = "S-1-3-4"

// trustedSIDs are SYSTEM, Administrators and TrustedInstaller.
var trustedSIDs = []string{"S-1-5-18", "S-1-5-32-544", "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"}

// trusted reports whether sid is the user scr runs as or one of trustedSIDs.
func trusted(sid *windows.SID) bool {
	for _, s := range trustedSIDs {
		if sid.String() == s {
			return true
		}
	}
	if u, err := windows.GetCurrentProcessToken().GetTokenUser(); err == nil {
		return sid.Equals(u.User.Sid)
	}
	return false
}

// name is DOMAIN\account, or the SID when it has no name.
func name(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil:
		return sid.String()
	case domain != "":
		return domain + `\` + account
	}
	return account
}
