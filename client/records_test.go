package client

// Tests of the record calls against the real sandbox, reusing the sbx helpers
// of signin_test.go.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

const (
	sbxPharmacistRole   = "555000000201"
	sbxReceptionistRole = "555000000203"
	sbxPatientSCRID     = "FA60BE64-1F34-11EB-A2A8-000C29A364EB" // 9000000009's SCR
)

// sbxRecords starts a sandbox and signs uuid in with role chosen.
func sbxRecords(t *testing.T, uuid, role string) (*sandbox.Server, *sbxClient, *Session) {
	t.Helper()
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	s := sbxSignIn(t, c.Client, uuid)
	t.Cleanup(func() {
		_ = s.SignOut(context.Background())
		// Lookup's second request may open a connection that ends up unused;
		// the server's Shutdown waits 5 s for a connection that never sent a
		// request, so close it here, before the sandbox's cleanup.
		if ci, ok := c.rec.next.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
	})
	if _, err := s.ChooseRole(context.Background(), role); err != nil {
		t.Fatal(err)
	}
	return srv, c, s
}

// sbxBarrier holds each request until n are in flight together, or a second
// has passed, so that requests sent one after another are seen as such.
type sbxBarrier struct {
	next http.RoundTripper
	n    int
	met  chan struct{} // closed once n were in flight together

	mu       sync.Mutex
	inFlight int
	closed   bool
}

func (b *sbxBarrier) RoundTrip(req *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.inFlight++
	if b.inFlight == b.n && !b.closed {
		close(b.met)
		b.closed = true
	}
	b.mu.Unlock()
	select {
	case <-b.met:
	case <-time.After(time.Second):
	}
	resp, err := b.next.RoundTrip(req)
	b.mu.Lock()
	b.inFlight--
	b.mu.Unlock()
	return resp, err
}

func TestLookupThenSummary(t *testing.T) {
	srv, c, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()

	c.rec.reset()
	// The barrier proves that both requests were in flight at once.
	b := &sbxBarrier{next: c.rec, n: 2, met: make(chan struct{})}
	c.rc.SetTransport(b)
	l, err := s.Lookup(ctx, sbxPatient)
	c.rc.SetTransport(c.rec)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.met:
	default:
		t.Error("Lookup's PDS read and DocumentReference search were not in flight together")
	}
	if l.Patient.NHSNumber != sbxPatient || l.Patient.SupersededFrom != "" || l.Patient.Name.Family != "Smith" {
		t.Fatalf("patient %+v", l.Patient)
	}
	if !l.HasSCR() || l.Consent.SCRID != sbxPatientSCRID || l.Consent.Permission != ConsentAsk {
		t.Fatalf("consent %+v, %v", l.Consent, l.ConsentErr)
	}
	// One PDS read and one DocumentReference search, as the server saw them,
	// and no more requests on the wire.
	for kind, want := range map[audit.Kind]int{audit.PDSRead: 1, audit.SCRConsent: 1, audit.SCRRead: 0} {
		recs, err := srv.Audit().Query(ctx, audit.Filter{Patient: sbxPatient, Kinds: []audit.Kind{kind}})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != want {
			t.Errorf("%d %s rows, want %d", len(recs), kind, want)
		}
	}
	if sent, _ := c.rec.attempts(); len(sent) != 2 {
		t.Errorf("Lookup sent %d requests, want 2", len(sent))
	}

	sum, err := s.Summary(ctx, sbxPatient, l.Consent.SCRID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.NHSNumber != sbxPatient {
		t.Fatalf("summary of %q", sum.NHSNumber)
	}
	rows := onlyTable(t, sectionByCode(t, sum, "AllergiesHeader")).Rows
	if !slices.ContainsFunc(rows, func(r []Cell) bool {
		return slices.Contains(r, Cell{Text: "Toxic reaction to wasp sting", ColSpan: 1, RowSpan: 1})
	}) {
		t.Fatalf("allergies %+v", rows)
	}

	// An SCR ID that is not the patient's current one: an empty Bundle, so
	// the consent is read again and the current SCR read with its id.
	other, err := s.Summary(ctx, "9000000017", sbxPatientSCRID)
	if err != nil || other.NHSNumber != "9000000017" || other.ID == sbxPatientSCRID {
		t.Fatalf("another patient's SCR ID: %v, %+v", err, other)
	}
}

func TestOptedOut(t *testing.T) {
	_, _, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()
	const nhs = "9000000041"
	c, err := s.Consent(ctx, nhs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Permission != ConsentNo || c.SCRID == "" {
		t.Fatalf("consent %+v", c)
	}
	var oe *OptedOutError
	if _, err := s.Summary(ctx, nhs, c.SCRID); !errors.As(err, &oe) || oe.Status != http.StatusForbidden {
		t.Fatalf("Summary: %v, want *OptedOutError", err)
	}
}

func TestNoSCR(t *testing.T) {
	_, _, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()
	const nhs = "9000000033"
	if _, err := s.Consent(ctx, nhs); err != ErrNoSCR {
		t.Fatalf("Consent: %v, want ErrNoSCR", err)
	}
	l, err := s.Lookup(ctx, nhs)
	if err != nil {
		t.Fatal(err)
	}
	if l.Patient.NHSNumber != nhs || l.HasSCR() || !errors.Is(l.ConsentErr, ErrNoSCR) {
		t.Fatalf("lookup %+v", l)
	}
}

func TestSuperseded(t *testing.T) {
	_, _, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()
	l, err := s.Lookup(ctx, "9000000106")
	if err != nil {
		t.Fatal(err)
	}
	if l.Patient.NHSNumber != "9000000114" || l.Patient.SupersededFrom != "9000000106" {
		t.Fatalf("patient %s, superseded from %q", l.Patient.NHSNumber, l.Patient.SupersededFrom)
	}
	// The SCR is kept under the current number; legacy consent Yes.
	if !l.HasSCR() || l.Consent.Permission != ConsentYes {
		t.Fatalf("consent %+v, %v", l.Consent, l.ConsentErr)
	}
	sum, err := s.Summary(ctx, l.Patient.NHSNumber, l.Consent.SCRID)
	if err != nil || sum.NHSNumber != "9000000114" {
		t.Fatalf("Summary: %v", err)
	}

	// Invalidated without a successor: no patient, so no lookup.
	var nf *NotFoundError
	if _, err := s.Lookup(ctx, "9000000122"); !errors.As(err, &nf) || nf.SpineCode != "INVALIDATED_RESOURCE" {
		t.Fatalf("invalidated: %v, want *NotFoundError INVALIDATED_RESOURCE", err)
	}
}

func TestReceptionistForbidden(t *testing.T) {
	_, _, s := sbxRecords(t, sbxReceptionist, sbxReceptionistRole)
	ctx := context.Background()
	var fe *ForbiddenError
	if _, err := s.Consent(ctx, sbxPatient); !errors.As(err, &fe) {
		t.Fatalf("Consent: %v, want *ForbiddenError", err)
	}
	// Refused for the role, which is not the patient's opt-out.
	if _, err := s.Summary(ctx, sbxPatient, sbxPatientSCRID); !errors.As(err, &fe) {
		t.Fatalf("Summary: %v, want *ForbiddenError", err)
	}
	// PDS is open to every role: the banner is still shown.
	l, err := s.Lookup(ctx, sbxPatient)
	if err != nil {
		t.Fatal(err)
	}
	if l.Patient.NHSNumber != sbxPatient || l.HasSCR() || !errors.As(l.ConsentErr, &fe) {
		t.Fatalf("lookup %+v", l)
	}
}

func TestSearchPatients(t *testing.T) {
	_, _, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()
	ms, err := s.SearchPatients(ctx, PatientQuery{
		Family: "Hargreaves", Gender: "male", BirthDate: time.Date(1958, 3, 14, 0, 0, 0, 0, time.UTC), Postcode: "LS6 3QT",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Patient.NHSNumber != "9000000017" {
		t.Fatalf("matches %+v", ms)
	}
	// The twins: two matches, one asked for.
	_, err = s.SearchPatients(ctx, PatientQuery{
		Family: "Taylor", BirthDate: time.Date(2015, 3, 14, 0, 0, 0, 0, time.UTC), MaxResults: 1,
	})
	if err != ErrTooManyMatches {
		t.Fatalf("twins: %v, want ErrTooManyMatches", err)
	}
	// A fuzzy search finds Zoë Brontë typed without her diacritics.
	ms, err = s.SearchPatients(ctx, PatientQuery{
		Family: "Bronte", Given: []string{"Zoe"}, BirthDate: time.Date(1948, 9, 23, 0, 0, 0, 0, time.UTC), Fuzzy: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Patient.NHSNumber != "9000000076" {
		t.Fatalf("fuzzy matches %+v", ms)
	}
	if _, err := s.SearchPatients(ctx, PatientQuery{}); err == nil {
		t.Fatal("an empty search was sent")
	}
}

// TestSummaryOfWrongPatient serves another patient's SCR for the one asked
// for. The sandbox never does, so a stand-in server does; the point is that
// the client refuses it.
func TestSummaryOfWrongPatient(t *testing.T) {
	bundle, err := os.ReadFile("../assets/sandbox/patients/9000000009/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		_, _ = w.Write(bundle)
	}))
	defer ts.Close()
	c, err := New(Config{Server: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{client: c, roleToken: "role-token", role: &Role{ID: sbxPharmacistRole}}
	var ie *InvalidResponseError
	if _, err := s.Summary(context.Background(), "9000000017", sbxPatientSCRID); !errors.As(err, &ie) {
		t.Fatalf("another patient's SCR: %v, want *InvalidResponseError", err)
	}
	if sum, err := s.Summary(context.Background(), sbxPatient, sbxPatientSCRID); err != nil || sum.NHSNumber != sbxPatient {
		t.Fatalf("the patient's own SCR: %v", err)
	}
}

// scrStandIn is an SCR API whose consent answers come from a script, one per
// DocumentReference search (the last repeated), and whose Bundle is the
// sandbox's 9000000009 record for current, empty for any other id. It stands in
// for the sandbox where the sandbox has no patient for the case.
type scrStandIn struct {
	current string
	bundle  []byte // current's Bundle
	mu      sync.Mutex
	consent []string // bodies of GET /DocumentReference, in turn
	log     []string // "DocumentReference" or "Bundle <id>", in order
}

func (f *scrStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+json")
	switch r.URL.Path {
	case scrDocRefPath:
		f.log = append(f.log, "DocumentReference")
		body := f.consent[0]
		if len(f.consent) > 1 {
			f.consent = f.consent[1:]
		}
		if strings.HasPrefix(body, "403 ") {
			w.WriteHeader(http.StatusForbidden)
			body = strings.TrimPrefix(body, "403 ")
		}
		_, _ = io.WriteString(w, body)
	case scrBundlePath:
		id := r.URL.Query().Get("composition.identifier")
		f.log = append(f.log, "Bundle "+id)
		if id != f.current {
			_, _ = io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","total":0}`)
			return
		}
		_, _ = w.Write(f.bundle)
	default:
		http.NotFound(w, r)
	}
}

// consentFor is the published DocumentReference search answer naming scrID
// under permission.
func consentFor(t *testing.T, scrID string, permission ConsentCode) string {
	t.Helper()
	b := string(readTestFile(t, filepath.Join(publishedSCR, "DocumentReferenceBundle.json")))
	if !strings.Contains(b, sbxPatientSCRID) || !strings.Contains(b, `"code": "Ask"`) {
		t.Fatal("the published DocumentReference search has changed")
	}
	b = strings.ReplaceAll(b, sbxPatientSCRID, scrID)
	return strings.Replace(b, `"code": "Ask"`, `"code": "`+string(permission)+`"`, 1)
}

// TestSummaryRecordChanged: an empty Bundle for the id just read means the
// record changed. The consent is read once more and the Bundle asked for once
// more with the id it gives; never "no SCR" while there is one.
func TestSummaryRecordChanged(t *testing.T) {
	const stale, stale2 = "0B0E0A0D-0000-4000-8000-000000000001", "0B0E0A0D-0000-4000-8000-000000000002"
	noSCR := string(readTestFile(t, "../internal/nhscorpus/published/scr/docker/service/src/integration-test/resources/uat/get_scr_id/no_results/1-basic.response.json"))
	acf := `403 {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"text":` +
		`"Code: 420, Display: x;Code: 30418, Display: [PSIS-30418] - ACF does not permit access to resource"}}]}`
	for _, tc := range []struct {
		name    string
		consent []string // after the Summary's first Bundle
		want    func(*Summary, error) bool
		log     []string
	}{
		{"recovers", []string{consentFor(t, sbxPatientSCRID, ConsentAsk)},
			func(s *Summary, err error) bool { return err == nil && s.NHSNumber == sbxPatient },
			[]string{"Bundle " + stale, "DocumentReference", "Bundle " + sbxPatientSCRID}},
		{"still out of date", []string{consentFor(t, stale2, ConsentAsk)},
			func(_ *Summary, err error) bool { return err == ErrRecordChanged },
			[]string{"Bundle " + stale, "DocumentReference", "Bundle " + stale2}},
		{"opted out meanwhile", []string{consentFor(t, sbxPatientSCRID, ConsentNo)},
			func(_ *Summary, err error) bool { var oe *OptedOutError; return errors.As(err, &oe) },
			[]string{"Bundle " + stale, "DocumentReference"}},
		{"no SCR now", []string{noSCR},
			func(_ *Summary, err error) bool { return err == ErrNoSCR },
			[]string{"Bundle " + stale, "DocumentReference"}},
		{"consent refused", []string{acf},
			func(_ *Summary, err error) bool { var ae *AccessControlError; return errors.As(err, &ae) },
			[]string{"Bundle " + stale, "DocumentReference"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &scrStandIn{current: sbxPatientSCRID, consent: tc.consent,
				bundle: readTestFile(t, "../assets/sandbox/patients/9000000009/bundle.json")}
			ts := httptest.NewServer(f)
			defer ts.Close()
			c, err := New(Config{Server: ts.URL})
			if err != nil {
				t.Fatal(err)
			}
			s := &Session{client: c, roleToken: "role-token", role: &Role{ID: sbxPharmacistRole}}
			sum, err := s.Summary(context.Background(), sbxPatient, stale)
			if !tc.want(sum, err) {
				t.Errorf("Summary: %+v, %v", sum, err)
			}
			if !slices.Equal(f.log, tc.log) {
				t.Errorf("requests %q, want %q", f.log, tc.log)
			}
		})
	}
}

// TestSummaryRecordChangedSandbox: the sandbox's patients whose SCR id goes
// out of date: 9000000203 on a session's first consent read only (the retry
// recovers), 9000000211 always. Three requests each after the lookup: the
// empty Bundle, the consent once more, the Bundle once more.
func TestSummaryRecordChangedSandbox(t *testing.T) {
	_, c, s := sbxRecords(t, sbxPharmacist, sbxPharmacistRole)
	ctx := context.Background()
	for _, tc := range []struct {
		nhs      NHSNumber
		recovers bool
	}{{"9000000203", true}, {"9000000211", false}} {
		l, err := s.Lookup(ctx, tc.nhs)
		if err != nil || !l.HasSCR() {
			t.Fatalf("%s: lookup %v, %+v", tc.nhs, err, l)
		}
		c.rec.reset()
		sum, err := s.Summary(ctx, tc.nhs, l.Consent.SCRID)
		switch {
		case tc.recovers && (err != nil || sum.NHSNumber != tc.nhs):
			t.Errorf("%s: %v, want the record", tc.nhs, err)
		case !tc.recovers && err != ErrRecordChanged:
			t.Errorf("%s: %v, want ErrRecordChanged", tc.nhs, err)
		}
		if sent, _ := c.rec.attempts(); len(sent) != 3 {
			t.Errorf("%s: %d requests, want 3", tc.nhs, len(sent))
		}
	}
}
