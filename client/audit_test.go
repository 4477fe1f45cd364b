package client

// Tests of the privacy alert and the Subject Access Request against the real
// sandbox, reusing the sbx helpers of signin_test.go and records_test.go.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

const (
	sbxAEDoctorRole       = "555000000202"
	sbxPrivacyOfficerRole = "555000000205"
)

// sbxAs signs uuid in on c with role chosen, signing out at the end. Unlike
// sbxRecords it shares one sandbox between users, so that one user's alert is
// in another's report.
func sbxAs(t *testing.T, c *sbxClient, uuid, role string) *Session {
	t.Helper()
	s := sbxSignIn(t, c.Client, uuid)
	t.Cleanup(func() { _ = s.SignOut(context.Background()) })
	if _, err := s.ChooseRole(context.Background(), role); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrivacyAlertAndAccessReport(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)

	const note = "Unconscious on arrival; no one to ask"
	doctor := sbxAs(t, c, sbxAEDoctor, sbxAEDoctorRole)
	if err := doctor.SendPrivacyAlert(ctx, PrivacyAlert{
		NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertEmergency, Note: note,
	}); err != nil {
		t.Fatalf("doctor's emergency alert: %v", err)
	}

	pharmacist := sbxAs(t, c, sbxPharmacist, sbxPharmacistRole)
	var fe *ForbiddenError
	if err := pharmacist.SendPrivacyAlert(ctx, PrivacyAlert{
		NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertEmergency, Note: "no B0168",
	}); !errors.As(err, &fe) || fe.Status != http.StatusForbidden {
		t.Fatalf("pharmacist's emergency alert: %v, want *ForbiddenError", err)
	}
	if _, err := pharmacist.AccessReport(ctx, sbxPatient, start, time.Now().Add(time.Minute)); !errors.As(err, &fe) {
		t.Fatalf("pharmacist's access report: %v, want *ForbiddenError", err)
	}

	officer := sbxAs(t, c, sbxPrivacyOfficer, sbxPrivacyOfficerRole)
	report, err := officer.AccessReport(ctx, sbxPatient, start, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(report, func(a Access) bool {
		return a.UserUUID == sbxAEDoctor && a.Kind == "Access Alert: Access made in an emergency"
	})
	if i < 0 {
		t.Fatalf("no emergency alert by the doctor in %+v", report)
	}
	a := report[i]
	if a.Reason != note || a.WithPermission || a.OrgCode != "R9A" || a.RoleName == "" || a.UserName == "" ||
		a.Outcome != AccessSucceeded || a.Patient != sbxPatient {
		t.Errorf("the doctor's alert reads %+v", a)
	}
	if a.When.Before(start) || a.When.After(time.Now().Add(time.Minute)) {
		t.Errorf("alert recorded at %v", a.When)
	}
	// The pharmacist's refused alert is in the trail too, and must say it
	// was refused rather than read as an emergency access.
	if !slices.ContainsFunc(report, func(a Access) bool {
		return a.UserUUID == sbxPharmacist && a.Kind == "Access Alert: Access made in an emergency" && a.Outcome == AccessRefused
	}) {
		t.Errorf("no refused alert by the pharmacist in %+v", report)
	}

	// A window that ended before the alert leaves it out.
	early, err := officer.AccessReport(ctx, sbxPatient, start.Add(-time.Hour), start)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(early, func(a Access) bool { return a.UserUUID == sbxAEDoctor }) {
		t.Errorf("an earlier window holds the doctor's alert: %+v", early)
	}

	// The organisation's report: the officer's own organisation (R9A) only,
	// so the doctor's alert is there and the pharmacist's (FA123) is not.
	alerts, err := officer.AlertReport(ctx, start, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].UserUUID != sbxAEDoctor || alerts[0].Patient != sbxPatient || alerts[0].Reason != note {
		t.Errorf("organisation's alerts: %+v, want the doctor's one", alerts)
	}
	lr, err := officer.AlertReport(ctx, start, time.Now().Add(time.Minute), AlertTypeLegitimateRelationship)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr) != 0 {
		t.Errorf("type 1 alerts: %+v, want none", lr)
	}
	if _, err := pharmacist.AlertReport(ctx, start, time.Time{}); !errors.As(err, &fe) {
		t.Errorf("pharmacist's alert report: %v, want *ForbiddenError", err)
	}
}

// A POST is sent once, whatever the answer: an alert whose answer was lost
// may have been recorded.
func TestPrivacyAlertNotRetried(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	doctor := sbxAs(t, c, sbxAEDoctor, sbxAEDoctorRole)
	c.rec.reset()
	ctx := context.WithValue(context.Background(), sandboxFaultKey{}, "status=503")
	var ue *UnavailableError
	if err := doctor.SendPrivacyAlert(ctx, PrivacyAlert{
		NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertEmergency,
	}); !errors.As(err, &ue) {
		t.Fatalf("alert under a 503: %v, want *UnavailableError", err)
	}
	if sent, _ := c.rec.attempts(); len(sent) != 1 {
		t.Fatalf("the alert was sent %d times, want 1", len(sent))
	}
}

// Nothing is sent for an alert that could not be right.
func TestPrivacyAlertRefusedLocally(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	doctor := sbxAs(t, c, sbxAEDoctor, sbxAEDoctorRole)
	c.rec.reset()
	for name, a := range map[string]PrivacyAlert{
		"no reason":    {NHS: sbxPatient, SCRID: sbxPatientSCRID},
		"bad NHS":      {NHS: "9000000000", SCRID: sbxPatientSCRID, Reason: AlertEmergency},
		"no SCR ID":    {NHS: sbxPatient, Reason: AlertEmergency},
		"not a reason": {NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertReason(99)},
	} {
		if err := doctor.SendPrivacyAlert(context.Background(), a); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if sent, _ := c.rec.attempts(); len(sent) != 0 {
		t.Fatalf("%d requests sent for refused alerts", len(sent))
	}
}

func TestAlertReasonRows(t *testing.T) {
	// Every reason is a row the sandbox permits: type 2 subtype 5 and type 1
	// subtype 6 by name, and no refused row (1/5, 2/4, 2/6).
	if r := alertRows[AlertEmergency]; r.typ != "2" || r.sub != "5" {
		t.Errorf("emergency is %s/%s", r.typ, r.sub)
	}
	if r := alertRows[AlertLRWithPermission]; r.typ != "1" || r.sub != "6" {
		t.Errorf("with permission is %s/%s", r.typ, r.sub)
	}
	seen := map[[2]string]bool{}
	for reason, r := range alertRows {
		k := [2]string{r.typ, r.sub}
		if k == [2]string{"1", "5"} || k == [2]string{"2", "4"} || k == [2]string{"2", "6"} || seen[k] {
			t.Errorf("%v: row %v refused or repeated", reason, k)
		}
		seen[k] = true
	}
}

// A read is reported as with permission when the viewer recorded the
// patient's permission (alert 1/6) beside it, whichever reached the server
// first; an emergency read is reported without.
func TestAccessReportReadWithPermission(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	ctx := context.Background()
	pharmacist := sbxAs(t, c, sbxPharmacist, sbxPharmacistRole)
	alertErr := make(chan error, 1)
	go func() {
		alertErr <- pharmacist.SendPrivacyAlert(ctx, PrivacyAlert{NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertLRWithPermission})
	}()
	if _, err := pharmacist.Summary(ctx, sbxPatient, sbxPatientSCRID); err != nil {
		t.Fatal(err)
	}
	if err := <-alertErr; err != nil {
		t.Fatal(err)
	}
	doctor := sbxAs(t, c, sbxAEDoctor, sbxAEDoctorRole)
	if err := doctor.SendPrivacyAlert(ctx, PrivacyAlert{NHS: sbxPatient, SCRID: sbxPatientSCRID, Reason: AlertEmergency, Note: "collapsed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := doctor.Summary(ctx, sbxPatient, sbxPatientSCRID); err != nil {
		t.Fatal(err)
	}
	officer := sbxAs(t, c, sbxPrivacyOfficer, sbxPrivacyOfficerRole)
	report, err := officer.AccessReport(ctx, sbxPatient, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]bool{}
	for _, a := range report {
		if a.Kind == "SCR viewed" && a.Outcome == AccessSucceeded {
			reads[a.UserUUID] = a.WithPermission
		}
	}
	if with, ok := reads[sbxPharmacist]; !ok || !with {
		t.Errorf("the pharmacist's read: reported %v, with permission %v", ok, with)
	}
	if with, ok := reads[sbxAEDoctor]; !ok || with {
		t.Errorf("the doctor's emergency read: reported %v, with permission %v", ok, with)
	}
}
