package pcsctest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// proc identifies a process across PID reuse: the kernel's start time (in
// clock ticks since boot) of a PID never repeats for a different process.
type proc struct {
	pid   int
	start uint64
}

func (p proc) String() string { return strconv.Itoa(p.pid) }

// procStat reads /proc/pid/stat and returns the command name, the state
// letter and the start time.
func procStat(pid int) (comm string, state byte, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, 0, err
	}
	// The command name is in parentheses and may itself contain spaces and
	// parentheses; everything after the last ')' is space separated.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	fields := strings.Fields(string(b[end+1:]))
	// fields[0] is field 3 (state); the start time is field 22.
	if len(fields) < 20 {
		return "", 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return "", 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return string(b[open+1 : end]), fields[0][0], start, nil
}

// alive reports whether p still runs as pcscd. A zombie counts as dead: it
// serves nothing and only waits to be reaped by whoever its parent is now.
func (p proc) alive() bool {
	comm, state, start, err := procStat(p.pid)
	return err == nil && comm == "pcscd" && state != 'Z' && state != 'X' && start == p.start
}

// livePcscds lists the running pcscd processes, like `pgrep -x pcscd` but
// without zombies and without depending on procps.
func livePcscds() []proc {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ps []proc
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		comm, state, start, err := procStat(pid)
		if err == nil && comm == "pcscd" && state != 'Z' && state != 'X' {
			ps = append(ps, proc{pid, start})
		}
	}
	return ps
}

// catches reports whether process pid has installed a handler for sig, from
// the SigCgt mask in /proc/pid/status.
func catches(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return err == nil && m&(1<<(sig-1)) != 0
		}
	}
	return false
}
