package harden

import "golang.org/x/sys/windows"

// NoCoreDumps keeps Windows Error Reporting, and the dialogs that offer to
// debug, out of a crash. Go's runtime sets the same error mode as it starts,
// but GOTRACEBACK=wer clears SEM_NOGPFAULTERRORBOX again: setting it here,
// after the runtime has read GOTRACEBACK, puts it back.
func NoCoreDumps() error {
	const mode = windows.SEM_FAILCRITICALERRORS | windows.SEM_NOGPFAULTERRORBOX | windows.SEM_NOOPENFILEERRORBOX
	// SetErrorMode replaces the mode and returns the one before: add to it.
	windows.SetErrorMode(windows.SetErrorMode(mode) | mode)
	return nil
}
