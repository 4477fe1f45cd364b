package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// signIn takes a screen from the card to the patient search as user.
func signIn(t *testing.T, s *terminal, user string) {
	t.Helper()
	s.waitFor("Enter your passcode")
	s.typeText(userPIN[user])
	s.press("enter")
}

// TestJourneyPharmacist is the counter: card, passcode, the one viewing
// role chosen for her, the NHS number, permission, the record; then the card
// comes out and the record is gone.
func TestJourneyPharmacist(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)

	s.waitFor("Card of Priya SHARMA", "Enter your passcode")
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient", "NHS number", "Health Professional Access Role", "FA123")
	s.typeText("943 476 591")
	s.waitFor("9 of 10 digits")
	s.typeText("9")
	s.waitFor("valid NHS number")
	s.press("ctrl+u")
	s.waitGone(2*time.Second, "valid NHS number")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	txt := s.waitFor("Penicillin allergy", "Clarithromycin", "Viewed as Health Professional Access Role at FA123")
	if !strings.Contains(txt, "Known allergies") {
		t.Errorf("no allergy status:\n%s", txt)
	}
	// The permission was recorded (alert 1/6) beside the read, and the
	// trail counts the read as with permission.
	trail, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017"})
	if err != nil {
		t.Fatal(err)
	}
	alerted, read := false, false
	for _, r := range trail {
		switch {
		case r.Kind == audit.PrivacyAlert && r.AlertType == "1" && r.AlertSubtype == "6" && r.Outcome == audit.Allowed:
			alerted = true
		case r.Kind == audit.SCRRead && r.Outcome == audit.Allowed:
			read = true
			given, err := srv.Audit().PermissionGiven(context.Background(), r.UserUUID, r.RoleID, r.Patient, r.Time.Add(time.Minute))
			if err != nil || !given {
				t.Errorf("the read is not covered by a recorded permission: %v, %v", given, err)
			}
		}
	}
	if !alerted || !read {
		t.Errorf("permission recorded %v, record read %v", alerted, read)
	}
	cards.remove()
	txt = s.waitGone(500*time.Millisecond, "HARGREAVES", "Penicillin", "Clarithromycin", "900 000 0017")
	if !strings.Contains(txt, "The card was removed") {
		t.Errorf("after removal:\n%s", txt)
	}
	// Signing out with the card still in asks for the passcode again.
	cards.insert(t, userPharmacist)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.press("ctrl+o")
	s.waitFor("You signed out", "Enter your passcode")
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	m := s.quit()
	if m.patient() != nil || !m.quitting || m.View().Content != "" {
		t.Error("the final model still holds the patient, or draws something")
	}
	// Run's way out revokes the token.
	sess := m.sess.api
	m.shutdown()
	var so *client.SignedOutError
	if _, err := sess.Lookup(context.Background(), "9000000017"); !errors.As(err, &so) {
		t.Errorf("after shutdown the session still works: %v", err)
	}
}

// TestJourneyCardSwapAndEmergency: the pharmacist's card comes out, the A&E
// doctor's goes in; the doctor signs in anew (never the old session), uses
// emergency access with a reason, the privacy alert is recorded before the
// record is shown, and the privacy officer then finds it in the audit screen.
func TestJourneyCardSwapAndEmergency(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)

	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	cards.remove()
	s.waitFor("The card was removed")
	cards.insert(t, userAEDoctor)
	s.waitFor("Card of James OKAFOR")

	// A wrong passcode first: tries left, then the right one.
	s.typeText("999999")
	s.press("enter")
	s.waitFor("Wrong passcode. 2 tries left")
	signIn(t, s, userAEDoctor)
	s.waitFor("Find a patient", "James OKAFOR", "R9A")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "Emergency access")
	s.typeText("e")
	s.waitFor("Emergency access: why?", "Access made in an emergency")
	s.press("enter")
	s.waitFor("In your own words")
	s.typeText("Unconscious on arrival")
	s.press("enter")
	s.waitFor("Penicillin allergy", "Viewed as Clinical Practitioner Access Role at R9A")

	rows, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].UserUUID != userAEDoctor || rows[0].AlertType != "2" || rows[0].AlertSubtype != "5" ||
		rows[0].Reason != "Unconscious on arrival" || rows[0].Outcome != audit.Allowed {
		t.Fatalf("privacy alerts recorded: %+v", rows)
	}
	alertSeq := rows[0].Seq
	reads, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.SCRRead}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) == 0 || reads[len(reads)-1].Seq < alertSeq {
		t.Errorf("the record was read before the alert: alert %d, reads %+v", alertSeq, reads)
	} else if reads[len(reads)-1].Permission {
		t.Error("an emergency read is recorded as with permission")
	}

	// The privacy officer's audit screen lists the access.
	cards.remove()
	s.waitGone(500*time.Millisecond, "Penicillin")
	cards.insert(t, userOfficer)
	signIn(t, s, userOfficer)
	s.waitFor("Audit: who accessed a patient's record")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("James OKAFOR", "Unconscious", "without")
	// Newest first: the record read, then the alert sent before it.
	s.press("down")
	s.waitFor("Access Alert: Access made in an emergency, without permission: Unconscious on")
}

// A role that cannot view an SCR is shown but cannot be chosen; a user with
// two roles picks one and can switch later without the card.
func TestJourneyRoles(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userReception)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userReception)
	s.waitFor("Choose your role", "cannot view a Summary Care Record", "None of your roles can view")
	s.press("enter")
	time.Sleep(100 * time.Millisecond)
	if txt := s.text(); strings.Contains(txt, "Find a patient") {
		t.Fatalf("a role without viewing rights was chosen:\n%s", txt)
	}

	cards.remove()
	s.waitFor("The card was removed")
	cards.insert(t, userLocum)
	signIn(t, s, userLocum)
	s.waitFor("Choose your role", "FA123", "FK456")
	s.press("down")
	s.press("enter")
	s.waitFor("Find a patient", "FK456")
	s.press("ctrl+r")
	s.waitFor("Choose your role")
	s.press("up")
	s.press("enter")
	s.waitFor("Find a patient", "· FA123")
}

// Opted out: said in one sentence naming whom PDS answered for (so a
// mistyped number is noticed), the number kept as typed, nothing else of the
// patient shown. No SCR: the banner and a sentence. An unknown number: a
// sentence.
func TestJourneyConsentOutcomes(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	s.typeText("9000000041")
	s.press("enter")
	txt := s.waitFor("OKAFOR, Grace Adaeze (NHS No. 900 000 0041) has opted out", "900 000 0041█")
	for _, leak := range []string{"Born", "Female", "Address", "GP "} {
		if strings.Contains(txt, leak) {
			t.Errorf("opted-out patient's %q on screen:\n%s", leak, txt)
		}
	}

	s.press("ctrl+u")
	s.typeText("9000000033")
	s.press("enter")
	s.waitFor("BRENNAN, Thomas (Mr)", "This patient has no Summary Care Record.")
	s.press("enter")
	s.waitFor("Find a patient")

	s.typeText("9434765919")
	s.press("enter")
	s.waitFor("No patient has that NHS number.")

	// Declined: nothing shown, and said so.
	s.press("ctrl+u")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("d")
	s.waitFor("Nothing was shown: the patient did not give permission.")
}

// The demographic search: too many matches asks for more; one match opens.
func TestJourneySearch(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.press("ctrl+f")
	s.waitFor("Family name", "Date of birth")
	s.typeText("Hargreaves")
	s.press("tab")
	s.press("tab")
	s.typeText("14-03-1958")
	s.press("enter")
	s.waitFor("1 matching patient.", "HARGREAVES, Robert Alan (Mr)", "NHS No. 900 000 0017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES")
	s.typeText("p")
	s.waitFor("Allergies")
	s.typeText("n")
	s.waitFor("Find a patient")
	s.press("ctrl+f")
	s.typeText("Taylor")
	s.press("tab")
	s.press("tab")
	s.typeText("2015-03-14")
	s.press("enter")
	s.waitFor("2 matching patients", "TAYLOR, Amelia", "TAYLOR, Isla")
}

// The token expires while the user is at work: the passcode is asked again,
// the NHS number typed is kept, and the same role is chosen again.
func TestJourneyTokenExpiry(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{TokenTTL: time.Second})
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000017")
	time.Sleep(1500 * time.Millisecond) // past the token's lifetime
	s.press("enter")
	s.waitFor("Your session has ended", "Enter your passcode")
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient", "900 000 0017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES")
}

// Idle: the screen locks, shows nothing of the record, and the passcode
// brings the record back.
func TestJourneyIdleLock(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	clock := newTestClock(fixedNow)
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist), IdleLock: time.Minute, Now: clock.now}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("p")
	s.waitFor("Penicillin allergy")
	clock.advance(2 * time.Minute)
	txt := s.waitFor("scr is locked", "Enter your passcode to resume")
	for _, leak := range []string{"HARGREAVES", "Penicillin", "900 000 0017"} {
		if strings.Contains(txt, leak) {
			t.Errorf("%q shown while locked:\n%s", leak, txt)
		}
	}
	s.typeText("111111")
	s.press("enter")
	s.waitFor("Wrong passcode")
	s.typeText(userPIN[userPharmacist])
	s.press("enter")
	s.waitFor("Penicillin allergy")
}

// Below the minimum size the viewer asks for a larger window instead of a
// record in pieces, and comes back when the window grows.
func TestJourneySmallWindow(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("p")
	s.waitFor("Penicillin allergy")
	for _, size := range [][2]int{{40, 2}, {59, 24}, {80, 15}} {
		s.resize(size[0], size[1])
		txt := s.waitFor("Make the window")
		if strings.Contains(txt, "Penicillin") || strings.Contains(txt, "HARGREAVES") {
			t.Errorf("%v: record shown in a window too small:\n%s", size, txt)
		}
	}
	s.resize(120, 40)
	s.waitFor("Penicillin allergy", "HARGREAVES, Robert Alan (Mr)")
}
