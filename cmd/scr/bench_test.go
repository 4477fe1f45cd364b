//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
		tm := startTmux(b, home, tmp, scr, "--demo", "--card", demoPharmacist)
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

// BenchmarkStartToFirstFrame is what a user waits for after typing scr:
// from the exec of the real binary in an 80×24 tmux pane to the first frame
// on the screen (anything drawn), and on to the passcode screen. "demo" is
// scr --demo --card with the pharmacist's card (its sandbox started
// in-process, before the first frame: the first frame is the passcode
// screen); "pcscd" is scr against the
// scr-sandbox binary with the card already in a reader, through pcscd and
// vpcd. The shell in the pane writes the time just before it execs scr; the
// screen is polled with tmux capture-pane, a few milliseconds a look, which
// bounds the resolution. One start per iteration.
func BenchmarkStartToFirstFrame(b *testing.B) {
	needTmux(b)
	scr := pcsctest.Build(b, "github.com/scrterm/scr/cmd/scr")
	b.Run("demo", func(b *testing.B) { benchStart(b, scr, "--demo", "--card", demoPharmacist) })
	b.Run("pcscd", func(b *testing.B) {
		pcsctest.Need(b)
		sb := startSandbox(b)
		slot := pcsctest.TakeSlot(b)
		pcsctest.StartVCard(b, slot)
		benchStart(b, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)
	})
}

func benchStart(b *testing.B, scr string, args ...string) {
	var first, passcode []time.Duration
	for b.Loop() {
		home, tmp := b.TempDir(), b.TempDir()
		stamp := filepath.Join(b.TempDir(), "exec")
		argv := append([]string{"-c", `date +%s%N >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"`, stamp, scr}, args...)
		tm := startTmux(b, home, tmp, "sh", argv...)
		var drawn time.Time
		for deadline := time.Now().Add(screenWait); ; {
			screen := tm.screen(b)
			now := time.Now()
			if drawn.IsZero() && strings.TrimSpace(screen) != "" {
				drawn = now
			}
			if strings.Contains(strings.ToLower(screen), "enter your passcode") {
				start := execTime(b, stamp)
				first = append(first, drawn.Sub(start))
				passcode = append(passcode, now.Sub(start))
				break
			}
			if now.After(deadline) {
				b.Fatalf("no passcode screen within %v:\n%s", screenWait, screen)
			}
		}
		tm.keys(b, "q")
		tm.waitExit(b)
	}
	b.ReportMetric(msOf(percentileOf(first, 0.5)), "ms-median")
	b.ReportMetric(msOf(percentileOf(first, 0.99)), "ms-p99")
	b.ReportMetric(msOf(percentileOf(passcode, 0.5)), "ms-to-passcode")
}

// execTime reads the time the pane's shell wrote just before exec.
func execTime(tb testing.TB, path string) time.Time {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("the exec time: %v", err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		tb.Fatalf("the exec time %q: %v", raw, err)
	}
	return time.Unix(0, ns)
}

// BenchmarkCardToPasscode is a card put in the reader to the passcode
// screen, through the real pcscd and vpcd: scr (the real binary, in tmux,
// against the scr-sandbox binary) waits on the card screen; scr-vcard is
// sent SIGUSR1; the time runs until the screen asks for the passcode. pcscd
// polls vpcd for a card about every 0.4 s, which dominates: ms-pcscd is the
// part until pcscd itself reports the card (pcsctest's VCard.Insert). One
// insertion per iteration.
func BenchmarkCardToPasscode(b *testing.B) {
	needTmux(b)
	pcsctest.Need(b)
	scr := pcsctest.Build(b, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(b)
	slot := pcsctest.TakeSlot(b)
	card := pcsctest.StartVCard(b, slot, "--removed")
	home, tmp := b.TempDir(), b.TempDir()
	tm := startTmux(b, home, tmp, scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader)
	tm.waitFor(b, "the card screen", "Insert your smartcard")
	var total, pcscd []time.Duration
	for b.Loop() {
		start := time.Now()
		card.Insert()
		seen := time.Since(start)
		for deadline := time.Now().Add(screenWait); ; {
			screen := tm.screen(b)
			if strings.Contains(strings.ToLower(screen), "enter your passcode") {
				total = append(total, time.Since(start))
				pcscd = append(pcscd, seen)
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no passcode screen within %v of the card:\n%s", screenWait, screen)
			}
		}
		b.StopTimer()
		card.Remove()
		tm.waitFor(b, "the card screen", "Insert your smartcard")
		b.StartTimer()
	}
	b.ReportMetric(msOf(percentileOf(total, 0.5)), "ms-median")
	b.ReportMetric(msOf(percentileOf(total, 0.99)), "ms-p99")
	b.ReportMetric(msOf(percentileOf(pcscd, 0.5)), "ms-pcscd")
	tm.keys(b, "q")
	tm.waitExit(b)
}

// BenchmarkBinarySize builds scr as a release is built (-trimpath,
// -ldflags "-s -w") and reports its size in MB (10^6 bytes).
func BenchmarkBinarySize(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "scr")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/scrterm/scr/cmd/scr")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var size int64
	for b.Loop() {
		fi, err := os.Stat(bin)
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size)/1e6, "MB-binary")
}

func percentileOf(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(float64(len(s))*p), len(s)-1)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
