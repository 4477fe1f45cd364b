package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// A patient who has died (9000000009 in the sandbox) cannot give
// permission: the screen never offers it, nor "declined", and says when the
// patient died; what a role may do instead is its own.

// deceasedModel is the fixture's model once PDS has answered for 9000000009,
// with the pharmacist's session and role's activities.
func deceasedModel(t *testing.T, f fixture, activities ...string) Model {
	t.Helper()
	l, err := f.session.Lookup(context.Background(), "9000000009")
	if err != nil {
		t.Fatal(err)
	}
	if !l.Patient.Deceased {
		t.Fatal("9000000009 is not deceased in the sandbox")
	}
	m := f.in(stateFind).withSearch(newFindScreen(f.base.sess.common, "9000000009"))
	m.sess.role.ActivityCodes = append(slices.Clone(m.sess.role.ActivityCodes), activities...)
	m.sess.req = 3
	return step(m, answerMsg{gen: m.sess.gen, req: 3, msg: lookupMsg{lookup: l}})
}

// screenWords is the screen's words with the wrapping taken out.
func screenWords(m Model) string { return strings.Join(strings.Fields(ansi.Strip(m.render())), " ") }

func TestStateDeceasedNeverAsksPermission(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name       string
		activities []string
		reasons    []client.AlertReason
	}{
		{"pharmacist", nil, nil},
		{"emergency", []string{rbac.EmergencyAccessSCR}, []client.AlertReason{client.AlertEmergency}},
		{"legal", []string{rbac.LegalOverrideOfConsent}, []client.AlertReason{client.AlertStatute, client.AlertCourtOrder, client.AlertPublicInterest}},
		{"both", []string{rbac.EmergencyAccessSCR, rbac.LegalOverrideOfConsent},
			[]client.AlertReason{client.AlertEmergency, client.AlertStatute, client.AlertCourtOrder, client.AlertPublicInterest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := deceasedModel(t, f, tc.activities...)
			if m.where() != statePermission || m.perm().step != permDeceased {
				t.Fatalf("after the lookup: %v, step %v", m.where(), m.perm().step)
			}
			if !slices.Equal(m.perm().reasons, tc.reasons) {
				t.Errorf("reasons %v, want %v", m.perm().reasons, tc.reasons)
			}
			txt := screenWords(m)
			for _, want := range []string{"This patient has died", "SMITH, Jane died on 22-Oct-2010. A patient who has died cannot give permission."} {
				if !strings.Contains(txt, want) {
					t.Errorf("no %q:\n%s", want, txt)
				}
			}
			for _, never := range []string{"Ask the patient", "Patient gave permission", "Patient declined", "permission given", "declined"} {
				if strings.Contains(txt, never) {
					t.Errorf("%q on the screen of a patient who has died:\n%s", never, txt)
				}
			}
			if cannot := strings.Contains(txt, "Your role cannot view the record of a patient who has died"); cannot != (tc.reasons == nil) {
				t.Errorf("says the role cannot view: %v, with %d reasons:\n%s", cannot, len(tc.reasons), txt)
			}
			for _, r := range tc.reasons {
				if !strings.Contains(txt, reasonWords(r)) {
					t.Errorf("reason %v not offered:\n%s", r, txt)
				}
			}
			// p and d do nothing here: no alert, no record, no word said.
			for _, k := range []string{"p", "d"} {
				next, cmd := m.Update(keyPress(k))
				got := next.(Model)
				if sent := requestsOf(t, cmd); len(sent) > 0 {
					t.Errorf("%s sent %T", k, sent[0])
				}
				if got.where() != statePermission || got.perm().step != permDeceased || got.search().notice != "" {
					t.Errorf("%s: %v, step %v, notice %q", k, got.where(), got.perm().step, got.search().notice)
				}
			}
			if tc.reasons == nil {
				if got := step(m, keyPress("enter")); got.perm().step != permDeceased {
					t.Errorf("enter with no reason to give: step %v", got.perm().step)
				}
			}
			// Nor could anything claim the patient's permission.
			got, cmd := m.perm().viewWithPermission(&m.sess)
			if cmd != nil || got.step != permDeceased {
				t.Errorf("permission claimed for a patient who has died: step %v", got.step)
			}
		})
	}
}

// PDS may say only that the patient has died (deceasedBoolean): the screen
// says the date is not recorded rather than making one up.
func TestPermissionDeceasedDateUnknown(t *testing.T) {
	f := newFixture(t)
	m := deceasedModel(t, f)
	pt := *m.patient()
	pt.DeceasedDate = client.FHIRDate{}
	l := *m.perm().lookup
	l.Patient = &pt
	m.scr = newPermissionScreen(m.sess.common, &l, m.sess.role, permDeceased)
	txt := screenWords(m)
	if !strings.Contains(txt, "SMITH, Jane has died; the date of death is not recorded. A patient who has died cannot give permission.") {
		t.Errorf("date of death not known:\n%s", txt)
	}
}

// The alert for a patient who has died goes first, alone; the record is
// asked for only once the server acknowledges it; a refused alert goes back
// to the reasons with nothing shown.
func TestStateDeceasedAlertBeforeRecord(t *testing.T) {
	f := newFixture(t)
	m := deceasedModel(t, f, rbac.EmergencyAccessSCR)
	m = step(m, keyPress("enter"))
	if m.perm().step != permNote || !strings.Contains(screenWords(m), "Access after death: Access made in an emergency") {
		t.Fatalf("enter: step %v\n%s", m.perm().step, screenWords(m))
	}
	m = typed(m, "Died in the department")
	next, cmd := m.Update(keyPress("enter"))
	m = next.(Model)
	if m.perm().step != permSending || m.perm().parallel {
		t.Fatalf("sending: step %v, parallel %v", m.perm().step, m.perm().parallel)
	}
	sent := requestsOf(t, cmd)
	if len(sent) != 1 {
		t.Fatalf("sent %d requests, want the alert alone: %v", len(sent), sent)
	}
	if _, ok := sent[0].(answerMsg).msg.(alertSentMsg); !ok {
		t.Fatalf("sent %T before the alert", sent[0].(answerMsg).msg)
	}
	// The server saw an Access Alert in an emergency (2/5), never 1/6.
	rows, err := f.srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000009", Kinds: []audit.Kind{audit.PrivacyAlert}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].AlertType != "2" || rows[0].AlertSubtype != "5" || rows[0].Reason != "Died in the department" {
		t.Errorf("alerts the server saw: %+v", rows)
	}

	refused := step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: alertSentMsg{err: &client.ForbiddenError{}}})
	if refused.where() != statePermission || refused.perm().step != permDeceased ||
		!strings.Contains(screenWords(refused), "access could not be recorded") || strings.Contains(screenWords(refused), "wasp") {
		t.Errorf("after a refused alert: %v, step %v\n%s", refused.where(), refused.perm().step, screenWords(refused))
	}

	next, cmd = m.Update(answerMsg{gen: m.sess.gen, req: m.sess.req, msg: alertSentMsg{}})
	acked := next.(Model)
	if acked.where() != statePermission {
		t.Fatalf("shown before the record came: %v", acked.where())
	}
	got := requestsOf(t, cmd)
	if len(got) != 1 {
		t.Fatalf("after the acknowledgement %d requests", len(got))
	}
	sum, ok := got[0].(answerMsg).msg.(summaryMsg)
	if !ok || sum.err != nil {
		t.Fatalf("after the acknowledgement: %T %v", got[0].(answerMsg).msg, sum.err)
	}
	if shown := step(acked, got[0]); shown.where() != stateSummary || !strings.Contains(screenWords(shown), "Toxic reaction to wasp") {
		t.Errorf("the record after the acknowledgement: %v", shown.where())
	}
}

// TestJourneyDeceased: the pharmacist is told she cannot view the record of
// a patient who has died and goes back recording nothing; the A&E doctor
// views it by emergency access, the alert recorded before the read.
func TestJourneyDeceased(t *testing.T) {
	srv, cl := startSandbox(t, sandbox.Config{})
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000009")
	s.press("enter")
	txt := s.waitFor("This patient has died", "SMITH, Jane died on 22-Oct-2010", "Your role cannot view the record")
	for _, never := range []string{"Patient gave permission", "Patient declined", "Ask the patient"} {
		if strings.Contains(txt, never) {
			t.Errorf("%q offered:\n%s", never, txt)
		}
	}
	s.typeText("p")
	s.typeText("d")
	s.press("enter")
	s.press("esc")
	txt = s.waitFor("Find a patient", "900 000 0009")
	if strings.Contains(txt, "wasp") || strings.Contains(txt, "did not give permission") {
		t.Errorf("after p, d, enter and esc:\n%s", txt)
	}
	trail, err := srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000009", Kinds: []audit.Kind{audit.PrivacyAlert, audit.SCRRead}})
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 0 {
		t.Errorf("the pharmacist's visit recorded %+v", trail)
	}

	cards.remove()
	s.waitGone(500*time.Millisecond, "SMITH")
	cards.insert(t, userAEDoctor)
	signIn(t, s, userAEDoctor)
	s.waitFor("Find a patient")
	s.typeText("9000000009")
	s.press("enter")
	s.waitFor("This patient has died", "> Access made in an emergency")
	s.typeText("p")
	s.press("enter")
	s.waitFor("Access after death: Access made in an emergency", "In your own words")
	s.typeText("Collapsed and died in the department")
	s.press("enter")
	s.waitFor("Toxic reaction to wasp", "Viewed as Clinical Practitioner Access Role at R9A")

	trail, err = srv.Audit().Query(context.Background(), audit.Filter{Patient: "9000000009", Kinds: []audit.Kind{audit.PrivacyAlert, audit.SCRRead}})
	if err != nil {
		t.Fatal(err)
	}
	alertSeq := int64(-1)
	for _, r := range trail {
		switch r.Kind {
		case audit.PrivacyAlert:
			if r.AlertType != "2" || r.AlertSubtype != "5" || r.UserUUID != userAEDoctor || r.Outcome != audit.Allowed || alertSeq >= 0 {
				t.Errorf("privacy alert %+v", r)
			}
			alertSeq = int64(r.Seq)
		case audit.SCRRead:
			if alertSeq < 0 || int64(r.Seq) < alertSeq || r.Permission {
				t.Errorf("read %+v, alert at %d", r, alertSeq)
			}
		}
	}
	if alertSeq < 0 {
		t.Errorf("no privacy alert: %+v", trail)
	}
}
