//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/pcsctest"
)

// BenchmarkDemoPeakRSS runs the real scr binary (scr --demo, so the sandbox
// runs in the same process and counts against it) through the journey to the
// very large record, 9000000130, pages to its end, and reports the process's
// peak resident set (budget: under 60 MB). One journey per iteration; the
// number is reported, not asserted.
func BenchmarkDemoPeakRSS(b *testing.B) {
	needTmux(b)
	scr := pcsctest.Build(b, "github.com/scrterm/scr/cmd/scr")
	var peak float64
	for b.Loop() {
		home, tmp := b.TempDir(), b.TempDir()
		tm := startTmux(b, home, tmp, scr, "--demo")
		signIn(b, tm, "Priya SHARMA", "123456")
		tm.literal(b, "9000000130")
		tm.keys(b, "Enter")
		tm.waitFor(b, "the permission screen", "Patient gave permission")
		tm.keys(b, "p")
		tm.waitFor(b, "the very large record", "Known allergies")
		for range 40 {
			tm.keys(b, "PageDown")
		}
		tm.keys(b, "End")
		tm.waitFor(b, "the end of the record", "Record created")
		peak = max(peak, peakRSSMB(b, tm))
		tm.keys(b, "q")
		tm.waitExit(b)
	}
	b.ReportMetric(peak, "MB-peak-RSS")
}

// peakRSSMB is VmHWM of the scr process in the pane: the child of the shell
// the pane runs.
func peakRSSMB(tb testing.TB, tm *tmux) float64 {
	tb.Helper()
	shell := strings.TrimSpace(tm.run(tb, "display-message", "-p", "-t", tmuxTarget, "#{pane_pid}"))
	out, err := exec.Command("pgrep", "-P", shell).Output()
	if err != nil {
		tb.Fatalf("no scr under the pane's shell %s: %v", shell, err)
	}
	pid := strings.Fields(string(out))[0]
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")))
			if err != nil {
				tb.Fatal(err)
			}
			return float64(n) / 1024
		}
	}
	tb.Fatal("no VmHWM in /proc/" + pid + "/status")
	return 0
}
