package main

import (
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/pcsctest"
)

// TestCoreTaskAtTheCounter is the pharmacist's task at 80×24, in the real
// binary, counting every key pressed: passcode, NHS number, the patient's
// permission, and then every allergy on the first screen of the record,
// with no key spent scrolling to it. A new step in this path costs every
// pharmacist at every counter: the count is its budget.
func TestCoreTaskAtTheCounter(t *testing.T) {
	needTmux(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	home, tmp := t.TempDir(), t.TempDir()
	// The pharmacist's own card is in the reader, as at a real counter
	// (without --card the demo first asks which card to put in).
	tm := startTmux(t, home, tmp, scr, "--demo", "--card", demoPharmacist)
	presses := 0
	typeText := func(s string) { tm.literal(t, s); presses += len(s) }
	press := func(keys ...string) { tm.keys(t, keys...); presses += len(keys) }

	tm.waitFor(t, "the passcode screen", "Priya SHARMA", "passcode")
	typeText("123456")
	press("Enter")
	tm.waitFor(t, "the patient search", "NHS number")
	typeText("9000000017") // Robert Hargreaves: three allergies, then medication
	press("Enter")
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	press("p")
	tm.waitFor(t, "the record's first screen", "Known allergies",
		"Penicillin allergy", "Codeine adverse", "Latex allergy")

	// 6 digits and Enter, 10 digits and Enter, p.
	const budget = 6 + 1 + 10 + 1 + 1
	t.Logf("the core task took %d key presses", presses)
	if presses > budget {
		t.Errorf("the core task took %d key presses, more than %d", presses, budget)
	}
	if screen := tm.screen(t); strings.Contains(screen, "more allergies below") {
		t.Errorf("three allergies do not all fit the first screen at 80×24:\n%s", screen)
	}
	press("q")
	tm.waitExit(t)
	assertEmpty(t, home, tmp)
}
