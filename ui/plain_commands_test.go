package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// The plain mode's words for what the full screen shows by colour or badge,
// and its record and session commands, each driven as TestPlainJourney
// drives the journey: the real front end against the sandbox, lines typed
// and lines read.

// recordPrompt is the prompt under the record.
const recordPrompt = "Next, previous, a section number, allergies, medication, new or help: "

// Lines of 9000000017's record, as the plain mode reads them.
const (
	hargreaves     = "Patient: HARGREAVES, Robert Alan, Mr. Born 14 March 1958 (68 years). Gender: Male. NHS number: 900 000 0017."
	hargreavesSec1 = "Section 1 of 8: Allergies and Adverse Reactions, 3 entries."
	hargreavesSec2 = "Section 2 of 8: Acute Medications (For the 12 month period 12 October 2025 to 12 October 2026), 2 entries."
	hargreavesSec3 = "Section 3 of 8: Current Repeat Medications, 4 entries."
	hargreavesSec4 = "Section 4 of 8: Discontinued Repeat Medications (For the 6 month period 12 April 2026 to 12 October 2026), 2 entries."
	clarithromycin = "Type: Acute Medication. Date: Prescribed: 28 September 2026. Medication Item: Clarithromycin 500mg tablets. Dosage Instructions: One To Be Taken Twice A Day For 7 Days. Quantity: 14 tablet."
	metformin      = "Type: Repeat Medication. Date: Last Issued: 01 October 2026. Medication Item: Metformin 500mg modified-release tablets. Dosage Instructions: Two To Be Taken Each Evening With Food. Quantity: 56 tablet."
	simvastatin    = "Type: Repeat Medication. Date: Last Issued: 02 May 2026. Medication Item: Simvastatin 40mg tablets. Dosage Instructions: One To Be Taken At Night. Quantity: 28 tablet."
	penicillin     = "Date: 03 February 1994. Description: Penicillin allergy. Certainty: Certain. Severity: Severe. Supporting Information: Anaphylaxis. Avoid all penicillins."
)

// hargreavesLeaks is what nothing may say of 9000000017 once the record is
// gone, or while it is locked.
var hargreavesLeaks = []string{"HARGREAVES", "Kirkstall", "Penicillin", "Clarithromycin", "Metformin", "Simvastatin", "900 000 0017"}

// expectLines is expect for whole lines: each of want, in order, said as a
// line of its own (a prompt, ending ": ", as the start of one), in what was
// written since the last expect; clearAll, when wanted, is matched as
// written, and what follows it starts a line.
func (r *plainRun) expectLines(want ...string) string {
	r.t.Helper()
	return r.await("never said the line %q (in order)", want, lineAt)
}

// lineAt is where w is first said as a line in out from pos on, or -1.
func lineAt(out string, pos int, w string) int {
	for from := pos; from <= len(out); {
		i := strings.Index(out[from:], w)
		if i < 0 {
			return -1
		}
		at := from + i
		if w == clearAll {
			return at
		}
		starts := at == 0 || out[at-1] == '\n' || strings.HasSuffix(out[:at], clearAll)
		prompt := strings.HasSuffix(w, ": ")
		ends := prompt || at+len(w) < len(out) && out[at+len(w)] == '\n'
		if starts && ends {
			return at
		}
		from = at + 1
	}
	return -1
}

// noLeak fails if said holds any of leaks.
func noLeak(t *testing.T, when, said string, leaks ...string) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(said, l) {
			t.Errorf("%s the plain mode said %q:\n%s", when, l, said)
		}
	}
}

// plainSignedIn is the plain mode signed in as user (with one role), at
// the NHS number's prompt.
func plainSignedIn(t *testing.T, user string) *plainRun {
	t.Helper()
	_, cl := startSandbox(t, sandbox.Config{})
	r := startPlain(t, Options{Client: cl, Cards: newTestCards(t, user)})
	r.expectLines("Sign in", "Passcode: ")
	r.send(userPIN[user])
	r.expectLines("Working: signing in.", "Find a patient", "NHS number: ")
	return r
}

// plainOpen looks nhs up and gives the patient's permission, up to the
// record's prompt; it returns what was said.
func plainOpen(r *plainRun, nhs string) string {
	r.t.Helper()
	r.send(nhs)
	said := r.expectLines("Permission to view is required", "Choose p, e or d: ")
	r.send("p")
	said += r.expectLines("Working: opening the Summary Care Record.", "Summary Care Record")
	said += r.expect("\nSection 1 of ")
	return said + r.expectLines(recordPrompt)
}

// plainQuit quits and checks that the plain mode ended, said nothing of
// leaks after the clear and nothing at all after its last sentence, and
// wrote nothing but plain lines (and the passcode never).
func plainQuit(t *testing.T, r *plainRun, pin string, leaks ...string) {
	t.Helper()
	r.send("quit")
	ended := r.expectLines(clearAll, "scr has ended. You were signed out. Patient data cleared.")
	_, after, _ := strings.Cut(ended, clearAll)
	noLeak(t, "after quit", after, leaks...)
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("RunPlain: %v", err)
		}
		r.done <- nil // for startPlain's clean-up
	case <-time.After(10 * time.Second):
		t.Fatal("the plain mode did not end on quit")
	}
	out := r.all()
	if last := "\nscr has ended. You were signed out. Patient data cleared.\n"; !strings.HasSuffix(out, clearAll+last[1:]) && !strings.HasSuffix(out, last) {
		t.Errorf("something was said after the end:\n%s", out[strings.LastIndex(out, clearAll):])
	}
	checkPlainBytes(t, out)
	if strings.Contains(out, pin) {
		t.Error("the passcode was written")
	}
}

// TestPlainWithheld: 9000000092's record has entries deliberately withheld,
// which the full screen marks under the title and in the sections; the
// plain mode says it in words, on the record and in each section that
// withholds, and no SENSITIVE warning for a record that is not.
func TestPlainWithheld(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	r.send("9000000092")
	r.expectLines("Working: looking up NHS number 900 000 0092.",
		"Permission to view is required",
		"Patient: PENNINGTON, Arthur, Mr. Born 01 December 1961 (64 years). Gender: Male. NHS number: 900 000 0092.",
		"Address: 2 Wharf Cottages, Canal Side, Skipton, North Yorkshire, BD23 1LB.",
		"Ask the patient whether you may view their Summary Care Record.",
		"p: Patient gave permission.",
		"Choose p, e or d: ")
	r.send("p")
	rec := r.expectLines("Working: opening the Summary Care Record.",
		"Summary Care Record",
		"Patient: PENNINGTON, Arthur, Mr. Born 01 December 1961 (64 years). Gender: Male. NHS number: 900 000 0092.",
		"Address: 2 Wharf Cottages, Canal Side, Skipton, North Yorkshire, BD23 1LB.",
		"GP: Craven Dales Surgery (Y90092).",
		"Allergies: not recorded.",
		"Flag: Additional information in Problems and Issues and 2 other sections.",
		"Flag: Entries withheld in General Practice Summary and 2 other sections.",
		"Warning: some entries were deliberately withheld.",
		"Viewed as Health Professional Access Role at FA123, access recorded.",
		"Contents: 1 Allergies and Adverse Reactions; 2 Acute Medications (For the 12 month period 20 October 2025 to 20 October 2026); 3 Current Repeat Medications; 4 Discontinued Repeat Medications (For the 6 month period 20 April 2026 to 20 October 2026); 5 General Practice Summary; 6 Problems and Issues; 7 Social and Personal Circumstances; 8 Diagnoses.",
		"Section 1 of 8: Allergies and Adverse Reactions, no entries.",
		"No relevant information available for this category.",
		recordPrompt)
	if strings.Contains(rec, "SENSITIVE") {
		t.Errorf("a record that is not sensitive was said to be:\n%s", rec)
	}
	r.send("5")
	r.expectLines("Section 5 of 8: General Practice Summary.",
		"Warning: some entries in this section were deliberately withheld.",
		"Warning: One or more entries have been deliberately withheld from this GP Summary.",
		recordPrompt)
	r.send("6")
	r.expectLines("Section 6 of 8: Problems and Issues, 1 entry.",
		"Warning: some entries in this section were deliberately withheld.",
		"Date: 07 October 2026. Description: Low back pain. Additional information: Significant Active.",
		recordPrompt)
	r.send("8")
	sec8 := r.expectLines("Section 8 of 8: Diagnoses, no entries.", "No relevant information available for this category.", recordPrompt)
	if strings.Contains(sec8, "withheld") {
		t.Errorf("a section that withholds nothing was said to:\n%s", sec8)
	}
	plainQuit(t, r, userPIN[userPharmacist], "PENNINGTON", "Wharf Cottages", "900 000 0092", "Low back pain")
}

// TestPlainSensitive: a sensitive record (9000000025, restricted; 9000000181,
// very restricted), which the full screen marks with the SENSITIVE badge
// and shows with no address or GP: the plain mode says the badge as a
// warning, right after the patient, when permission is asked and on the
// record, and says no address or GP.
func TestPlainSensitive(t *testing.T) {
	for _, tt := range []struct {
		nhs, patient, warning string
		allergies             string
		withheld              bool // entries withheld too
	}{
		{
			nhs:       "9000000025",
			patient:   "Patient: STONE, Rebecca, Ms. Born 02 July 1991 (35 years). Gender: Female. NHS number: 900 000 0025.",
			warning:   "Warning: SENSITIVE: Restricted record — address and GP withheld.",
			allergies: "Allergies: 1 known.",
		},
		{
			nhs:       "9000000181",
			patient:   "Patient: MARSH, Leah, Ms. Born 19 February 1988 (38 years). Gender: Female. NHS number: 900 000 0181.",
			warning:   "Warning: SENSITIVE: Very restricted record — address and GP withheld.",
			allergies: "Allergies: 3 known.",
			withheld:  true,
		},
	} {
		t.Run(tt.nhs, func(t *testing.T) {
			r := plainSignedIn(t, userPharmacist)
			r.send(tt.nhs)
			ask := r.expectLines("Permission to view is required", tt.patient, tt.warning,
				"Ask the patient whether you may view their Summary Care Record.", "Choose p, e or d: ")
			r.send("p")
			rec := r.expectLines("Summary Care Record", tt.patient, tt.warning, tt.allergies,
				"Viewed as Health Professional Access Role at FA123, access recorded.")
			rec += r.expect("\nSection 1 of ")
			rec += r.expectLines(recordPrompt)
			for _, said := range []string{ask, rec} {
				noLeak(t, "on a sensitive record", said, "Address:", "GP:", "Telephone")
			}
			// The warning follows the patient's line at once.
			for _, said := range []string{ask, rec} {
				if !strings.Contains(said, tt.patient+"\n"+tt.warning+"\n") {
					t.Errorf("the warning does not follow the patient's line:\n%s", said)
				}
			}
			if w := strings.Contains(rec, "Warning: some entries were deliberately withheld."); w != tt.withheld {
				t.Errorf("entries withheld said %v; want %v:\n%s", w, tt.withheld, rec)
			}
			plainQuit(t, r, userPIN[userPharmacist], tt.patient, "STONE", "MARSH")
		})
	}
}

// TestPlainRecordCommands: the record read with previous, medication, a
// section number, next and repeat, each answered with what it reads; out
// of range, in words.
func TestPlainRecordCommands(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	plainOpen(r, "9000000017")

	r.send("previous")
	r.expectLines("This is the first section.", recordPrompt)
	r.send("medication")
	r.expectLines(hargreavesSec2, clarithromycin, recordPrompt)
	r.send("3")
	r.expectLines(hargreavesSec3, metformin, recordPrompt)
	r.send("previous")
	r.expectLines(hargreavesSec2, clarithromycin, recordPrompt)
	r.send("next")
	r.expectLines(hargreavesSec3, metformin, recordPrompt)
	r.send("4")
	r.expectLines(hargreavesSec4, simvastatin,
		"Continued: ***Date Discontinued: 20 May 2026, Reason: Adverse reaction - muscle aches***.", recordPrompt)

	// repeat says the screen again, and the section where it was.
	r.send("repeat")
	again := r.expectLines("Summary Care Record", hargreaves,
		"Allergies: 3 known.",
		"Viewed as Health Professional Access Role at FA123, access recorded.",
		"Contents: 1 Allergies and Adverse Reactions; 2 Acute Medications (For the 12 month period 12 October 2025 to 12 October 2026); 3 Current Repeat Medications; 4 Discontinued Repeat Medications (For the 6 month period 12 April 2026 to 12 October 2026); 5 General Practice Summary; 6 Diagnoses; 7 Investigation Results; 8 Treatments.",
		hargreavesSec4, simvastatin, recordPrompt)
	if strings.Contains(again, "Section 1 of 8") {
		t.Errorf("repeat read the record from its start:\n%s", again)
	}
	r.send("medication")
	r.expectLines(hargreavesSec2, recordPrompt)
	r.send("allergies")
	r.expectLines(hargreavesSec1, penicillin, recordPrompt)

	r.send("9")
	r.expectLines("The sections are numbered 1 to 8.", recordPrompt)
	r.send("0")
	r.expectLines("The sections are numbered 1 to 8.", recordPrompt)
	r.send("8")
	r.expectLines("Section 8 of 8: Treatments, 2 entries.",
		"Date: 05 October 2026. Description: Seasonal influenza vaccination. Additional information: Left deltoid.",
		recordPrompt)
	r.send("next")
	r.expectLines("That was the last section. Type new for another patient.", recordPrompt)
	r.send("previous")
	r.expectLines("Section 7 of 8: Investigation Results, 2 entries.",
		"Date: 15 September 2026. Description: Haemoglobin A1c level - IFCC standardised. Additional information: 52 mmol/mol.",
		recordPrompt)
	r.send("help")
	r.expectLines("What you can type here:",
		"next, previous: the next or previous section.",
		"a section's number: read that section.",
		"allergies, medication: read the allergies, or the medication.",
		"repeat: say this screen again.",
		"lock: lock the screen; your passcode brings it back.",
		"sign out: sign out, keeping the card in.",
		recordPrompt)
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
}

// TestPlainLock: lock clears the screen and its scrollback and says so;
// nothing of the record is said while locked, a record command typed then
// included; the passcode unlocks, and the record is read again where it
// was, the commands going on from there.
func TestPlainLock(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	plainOpen(r, "9000000017")
	r.send("3")
	r.expectLines(hargreavesSec3, metformin, recordPrompt)

	r.send("lock")
	locked := r.expectLines(clearAll, "Screen locked. Enter your passcode.",
		"scr is locked",
		"Locked for: Priya SHARMA.",
		"Nothing of the record is shown while locked.",
		"Someone else? Take the card out: the session ends.",
		"Passcode: ")
	noLeak(t, "locked,", locked, hargreavesLeaks...)
	r.send("next")
	r.expectLines("Error: A passcode is 6 to 8 digits.", "Passcode: ")
	r.send("999999")
	r.expectLines("Working: checking.", "Error: Wrong passcode. 2 tries left before the card is locked.", "Passcode: ")
	noLeak(t, "locked,", r.all()[strings.LastIndex(r.all(), clearAll):], hargreavesLeaks...)

	r.send(userPIN[userPharmacist])
	back := r.expectLines("Working: checking.", "Unlocked.",
		"Summary Care Record", hargreaves,
		"Allergies: 3 known.",
		hargreavesSec3, metformin, recordPrompt)
	if strings.Contains(back, "Section 1 of 8") {
		t.Errorf("after the lock the record was read from its start:\n%s", back)
	}
	r.send("next")
	r.expectLines(hargreavesSec4, simvastatin, recordPrompt)
	r.send("previous")
	r.expectLines(hargreavesSec3, recordPrompt)
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
	if strings.Contains(r.all(), "999999") {
		t.Error("the wrong passcode was written")
	}
}

// TestPlainLockErrorNotSaidAgain: on the lock, an error answers the
// passcode it was about, and only that one: a passcode typed after it is
// answered by its own check, not first by the last one's error, which a
// screen reader would read as the answer to the passcode just typed
// ("Error: Wrong passcode." said after the right one).
func TestPlainLockErrorNotSaidAgain(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	plainOpen(r, "9000000017")
	r.send("lock")
	r.expectLines(clearAll, "Screen locked. Enter your passcode.", "Passcode: ")
	r.send("12")
	r.expectLines("Error: A passcode is 6 to 8 digits.", "Passcode: ")

	r.send("999999")
	said := r.expectLines("Working: checking.", "Error: Wrong passcode. 2 tries left before the card is locked.", "Passcode: ")
	if before, _, _ := strings.Cut(said, "Working: checking."); strings.Contains(before, "Error:") {
		t.Errorf("the last passcode's error was said again for the next one:\n%s", said)
	}
	r.send(userPIN[userPharmacist])
	said = r.expectLines("Working: checking.", "Unlocked.", "Summary Care Record", recordPrompt)
	if strings.Contains(said, "Error:") {
		t.Errorf("the right passcode was answered with the wrong one's error:\n%s", said)
	}
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
}

// TestPlainSignOut: sign out ends the session, the card kept in: the screen
// and its scrollback cleared, why said, the passcode asked again, and
// nothing of the record said after, a record command typed included, nor
// once signed in again.
func TestPlainSignOut(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	plainOpen(r, "9000000017")
	r.send("medication")
	r.expectLines(hargreavesSec2, recordPrompt)

	from := len(r.all())
	r.send("sign out")
	r.expectLines(clearAll, "Signed out. Session ended. Patient data cleared.",
		"Sign in",
		"Card of: Priya SHARMA.",
		"You signed out. Take your card out, or enter the passcode to sign in again.",
		"Passcode: ")
	r.send("next")
	r.expectLines("Error: A passcode is 6 to 8 digits.", "Passcode: ")
	r.send(userPIN[userPharmacist])
	r.expectLines("Working: signing in.", "Find a patient", "NHS number: ")
	r.send("repeat")
	r.expectLines("Find a patient", "NHS number: ")

	_, after, ok := strings.Cut(r.all()[from:], clearAll)
	if !ok {
		t.Fatal("sign out did not clear the screen and the scrollback")
	}
	noLeak(t, "after sign out", after, hargreavesLeaks...)
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
}

// TestPlainSwitchRoleOneRole: the pharmacist has one role; switch role says
// so, and the record stays where it was.
func TestPlainSwitchRoleOneRole(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	r.send("switch role")
	r.expectLines("You have one role, so there is no other to switch to.", "NHS number: ")
	plainOpen(r, "9000000017")
	r.send("3")
	r.expectLines(hargreavesSec3, recordPrompt)
	r.send("switch role")
	said := r.expectLines("You have one role, so there is no other to switch to.", recordPrompt)
	noLeak(t, "on switch role", said, "Choose your role")
	r.send("next")
	r.expectLines(hargreavesSec4, simvastatin, recordPrompt)
	r.send("help")
	help := r.expectLines("What you can type here:", "sign out: sign out, keeping the card in.", recordPrompt)
	if strings.Contains(help, "switch role") {
		t.Errorf("the help offers switch role with one role:\n%s", help)
	}
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
}

// TestPlainSwitchRoleAskedAgain: switch role typed again with one role says
// again that there is no other, as it did the first time; an answer of
// nothing but the prompt would leave a screen reader's user guessing.
func TestPlainSwitchRoleAskedAgain(t *testing.T) {
	r := plainSignedIn(t, userPharmacist)
	plainOpen(r, "9000000017")
	r.send("switch role")
	r.expectLines("You have one role, so there is no other to switch to.", recordPrompt)
	r.send("next")
	r.expectLines(hargreavesSec2, recordPrompt)
	r.send("switch role")
	r.expectLines("You have one role, so there is no other to switch to.", recordPrompt)
	plainQuit(t, r, userPIN[userPharmacist], hargreavesLeaks...)
}

// TestPlainSwitchRole: the locum's roles at two pharmacies. switch role on
// the record lists them, and the record goes (another role may not see the
// patient): nothing of it is said after; back keeps the role; a role
// chosen is the one the next record is viewed, and recorded, under.
func TestPlainSwitchRole(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	r := startPlain(t, Options{Client: cl, Cards: newTestCards(t, userLocum)})
	roles := []string{"Choose your role",
		"1. Health Professional Access Role — FA123.",
		"2. Health Professional Access Role — FK456.",
		"Choose a role, 1 to 2: "}
	r.expectLines("Sign in", "Card of: Daniel OSEI.", "Passcode: ")
	r.send(userPIN[userLocum])
	r.expectLines(append([]string{"Working: signing in."}, roles...)...)
	r.send("1")
	r.expectLines("Working: choosing Health Professional Access Role.", "Find a patient", "NHS number: ")
	rec := plainOpen(r, "9000000017")
	if !strings.Contains(rec, "Viewed as Health Professional Access Role at FA123, access recorded.\n") {
		t.Errorf("viewed under the wrong role:\n%s", rec)
	}
	r.send("help")
	r.expectLines("What you can type here:", "switch role: choose another of your roles.", recordPrompt)

	r.send("switch role")
	r.expectLines(roles...)
	r.send("help")
	r.expectLines("What you can type here:", "a role's number: choose it.", "back: keep the role you had.", "Choose a role, 1 to 2: ")
	r.send("back") // the role kept: back to the record, as it was
	r.expectLines("Summary Care Record", "Viewed as Health Professional Access Role at FA123, access recorded.", recordPrompt)
	from := len(r.all())
	r.send("switch role")
	r.expectLines(roles...)
	r.send("2")
	r.expectLines("Working: choosing Health Professional Access Role.", "Find a patient", "NHS number: ")
	noLeak(t, "after switch role", r.all()[from:], hargreavesLeaks...)

	rec = plainOpen(r, "9000000017")
	if !strings.Contains(rec, "Viewed as Health Professional Access Role at FK456, access recorded.\n") {
		t.Errorf("viewed under the wrong role after switching:\n%s", rec)
	}
	for org, want := range map[string]int{"FA123": 1, "FK456": 1} {
		rows, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000017", Kinds: []audit.Kind{audit.PrivacyAlert}, OrgCode: org})
		if err != nil || len(rows) != want {
			t.Errorf("privacy alerts at %s: %d, %v; want %d", org, len(rows), err, want)
		}
	}
	plainQuit(t, r, userPIN[userLocum], hargreavesLeaks...)
}
