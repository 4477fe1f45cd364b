package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
)

// TestGoldenScreens walks every screen at 80×24 and 120×40 with a fixed
// colour profile, window and clock, and keeps each as the user reads it
// (testdata/TestGoldenScreens/<size>/<screen>.golden; go test ./ui -run
// Golden -update rewrites them after a deliberate change).
func TestGoldenScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			goldenJourney(t, size[0], size[1])
		})
	}
}

func goldenJourney(t *testing.T, w, h int) {
	_, cl := startSandbox(t, sandbox.Config{RateLimit: 1000})
	cards := newTestCards(t, userPharmacist)
	cards.card.Remove()
	s := newScreen(t, Options{Client: cl, Cards: cards}, w, h)
	shot := func(name string, want ...string) {
		t.Helper()
		s.shot(t, name, want...)
	}

	shot("01-insert-card", "Insert your smartcard", "Test Reader 00 00: empty")
	cards.insert(t, userPharmacist)
	shot("02-passcode", "Card of Priya SHARMA", "3 tries left")
	s.typeText("12345")
	s.press("enter")
	shot("03-passcode-too-short", "A passcode is 6 to 8 digits")
	s.typeText("654321")
	s.press("enter")
	shot("04-passcode-wrong", "Wrong passcode. 2 tries left")
	s.typeText(userPIN[userPharmacist])
	s.press("enter")
	shot("05-find-number", "Find a patient", "Type or scan")
	s.typeText("900 000 001")
	shot("06-find-number-typing", "9 of 10 digits")
	s.typeText("8")
	shot("07-find-number-check-digit", "check digit does not match")
	s.press("backspace")
	s.typeText("7")
	shot("08-find-number-valid", "✓ valid NHS number")
	s.press("enter")
	shot("09-permission", "Permission to view is required", "HARGREAVES")
	s.typeText("p")
	shot("10-summary-9000000017", "Known allergies", "access recorded")
	// 9000000009, the NHS's published example, has died: the pharmacist
	// cannot view her record.
	s.press("n")
	s.press("ctrl+u")
	s.typeText("9000000009")
	s.press("enter")
	shot("11-permission-deceased-pharmacist", "This patient has died", "SMITH, Jane died on 22-Oct-2010", "Your role cannot view")
	s.press("esc")
	s.waitFor("Find a patient", "900 000 0009")
	s.press("ctrl+u")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("p")
	s.waitFor("Penicillin allergy", "access recorded")
	s.press("tab")
	s.press("tab")
	shot("12-summary-9000000017-next-section", "Current Repeat Medications")
	s.typeText("?")
	shot("13-help", "Keys", "Any key closes this help")
	s.press("esc")
	s.press("ctrl+l")
	shot("14-locked", "scr is locked")
	s.typeText(userPIN[userPharmacist])
	s.press("enter")
	s.waitFor("access recorded")
	s.press("n")
	s.press("ctrl+u")
	s.typeText("9000000041")
	s.press("enter")
	shot("15-opted-out", "opted out")
	s.press("ctrl+u")
	s.typeText("9000000033")
	s.press("enter")
	shot("16-no-scr", "no Summary Care Record")
	s.press("enter")
	s.press("ctrl+f")
	s.typeText("Taylor")
	s.press("tab")
	s.press("tab")
	s.typeText("14-03-2015")
	shot("17-search-form", "Family name", "14-03-2015")
	s.press("enter")
	shot("18-search-results", "2 matching patients")

	cards.remove()
	shot("19-card-removed", "The card was removed")
	cards.insert(t, userLocum)
	signIn(t, s, userLocum)
	shot("20-role", "Choose your role", "FK456")
	cards.remove()
	cards.insert(t, userReception)
	signIn(t, s, userReception)
	shot("21-role-none-usable", "None of your roles")
	cards.remove()
	cards.insert(t, userAEDoctor)
	signIn(t, s, userAEDoctor)
	s.waitFor("Find a patient")
	s.typeText("9000000025")
	s.press("enter")
	shot("22-permission-sensitive", "SENSITIVE")
	s.typeText("e")
	shot("23-emergency-reason", "Emergency access: why?")
	s.press("enter")
	shot("24-emergency-note", "In your own words")
	s.typeText("Collapsed in the waiting room")
	s.press("enter")
	shot("25-summary-sensitive", "access recorded", "SENSITIVE")
	cards.remove()
	cards.insert(t, userOfficer)
	signIn(t, s, userOfficer)
	shot("26-audit", "Audit: who accessed")
	s.typeText("9000000025")
	s.press("enter")
	// The report's times are the sandbox's clock, so it is checked, not kept.
	s.waitFor("accesses, newest first", "Collapsed in")
	// Newest first: the record read; the alert sent before it is the next row.
	s.press("down")
	txt := s.waitFor("Access Alert: Access made in an emergency, without permission")
	for _, want := range []string{"James OKAFOR, Clinical Practitioner Access Role at R9A", "Access Alert: Access made in an emergency, without permission"} {
		if !strings.Contains(txt, want) {
			t.Errorf("audit report lacks %q:\n%s", want, txt)
		}
	}

	// Safe at the counter: a replaced number is confirmed first; help is
	// the screen's; quitting over typed digits asks.
	cards.remove()
	cards.insert(t, userPharmacist)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000106")
	s.press("enter")
	shot("27-superseded", "NHS number replaced", "You asked for 900 000 0106")
	s.press("esc")
	s.waitFor("Find a patient", "900 000 0106")
	s.press("enter")
	s.waitFor("NHS number replaced")
	s.press("enter")
	s.waitFor("Permission to view is required", "KOWALSKI")
	s.typeText("?")
	shot("28-help-permission", "Keys: permission to view", "permission given")
	s.press("esc")
	s.press("esc")
	s.waitFor("Find a patient", "900 000 0106")
	s.press("ctrl+u")
	s.typeText("900000q")
	s.press("ctrl+c")
	shot("29-quit-confirm", "Quit and lose what you typed? y/n", "900 000")
	s.press("n")
	s.waitGone(2*time.Second, "Quit and lose")
	s.typeText("?")
	shot("30-help-find", "Keys: find a patient by NHS number", "ctrl+f")
	s.press("esc")

	// The A&E doctor may view the record of a patient who has died, by
	// emergency access, the privacy alert sent first.
	cards.remove()
	cards.insert(t, userAEDoctor)
	signIn(t, s, userAEDoctor)
	s.waitFor("Find a patient")
	s.typeText("9000000009")
	s.press("enter")
	shot("31-permission-deceased-emergency", "This patient has died", "Access made in an emergency")
	s.press("enter")
	shot("32-deceased-note", "Access after death", "In your own words")
	s.typeText("Brought in after collapse; died in the department")
	s.press("enter")
	shot("33-summary-9000000009", "Toxic reaction to wasp", "access recorded")
}
