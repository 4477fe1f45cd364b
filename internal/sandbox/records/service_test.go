package records

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// testNow is the sandbox's clock in these tests: after Jane Smith's name period
// (to 2025-12-31) ended, so the fallback to her latest usual name is exercised.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Roles, as the identity middleware would put them on a request.
var (
	pharmacist = wire.Session{ // community pharmacy: View Patient Medication
		UserUUID: "555000000101", UserName: "Priya SHARMA", RoleID: "555254241101",
		RoleName: `"Clinical":"Clinical Provision":"Health Professional Access Role"`, OrgCode: "FX017",
		Activities: []string{"B0570", "B0068", "B0572", "B0401"},
	}
	receptionist = wire.Session{ // may amend demographics, may not view an SCR
		UserUUID: "555000000102", UserName: "Tom BAKER", RoleID: "555254242201",
		RoleName: `"Admin":"Front Office":"Receptionist"`, OrgCode: "Y90017",
		Activities: []string{"B0825", "B0058"},
	}
	emergencyOnly = wire.Session{ // A&E: emergency access without permission only
		UserUUID: "555000000103", UserName: "Ade OKONJO", RoleID: "555254243301",
		RoleName: `"Clinical":"Clinical Provision":"Emergency Department"`, OrgCode: "RBA",
		Activities: []string{"B0168"},
	}
)

// recorder is an in-memory audit.Recorder that can be told to fail.
type recorder struct {
	mu   sync.Mutex
	recs []audit.Record
	fail error
}

func (r *recorder) Append(_ context.Context, rec audit.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.recs = append(r.recs, rec)
	return nil
}

func (r *recorder) take() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := r.recs
	r.recs = nil
	return recs
}

// harness is the Service on a mux, behind a protect that puts the session of
// the request's X-Test-Role on it, as RequireRole would.
type harness struct {
	mux   *http.ServeMux
	audit *recorder
}

const (
	roleHeader  = "X-Test-Role"
	tokenHeader = "X-Test-Token"
)

var sessions = map[string]wire.Session{
	"pharmacist": pharmacist, "receptionist": receptionist, "emergency": emergencyOnly,
}

func fakeProtect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := sessions[r.Header.Get(roleHeader)]
		if !ok {
			wire.Outcome(w, http.StatusUnauthorized, "forbidden", wire.SpineAccessDenied, "no token")
			return
		}
		// The role token's ID, as the identity middleware sets it: the
		// out-of-date SCR id is served once per token.
		sess.TokenID = r.Header.Get(tokenHeader)
		next.ServeHTTP(w, r.WithContext(wire.WithSession(r.Context(), sess)))
	})
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	rec := &recorder{}
	svc, err := New(Config{Patients: assets.Patients, Audit: rec, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, fakeProtect)
	return &harness{mux: mux, audit: rec}
}

// get asks for target as role, with a request ID.
func (h *harness) get(t testing.TB, role, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set(roleHeader, role)
	req.Header.Set("X-Request-ID", "60E0B220-8136-4CA5-AE46-1D97EF59D068")
	w := httptest.NewRecorder()
	h.mux.ServeHTTP(w, req)
	return w
}

// decode unmarshals a response body, failing the test if it is not JSON.
func decode(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return v
}

// jsonEqual reports whether two JSON documents decode to the same value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("first document: %v", err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("second document: %v", err)
	}
	return reflect.DeepEqual(va, vb)
}

// checkFHIR checks an answer's status and the headers every answer carries.
func checkFHIR(t testing.TB, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != wire.ContentFHIR {
		t.Errorf("Content-Type %q, want %q", ct, wire.ContentFHIR)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

// issue is the first issue of an OperationOutcome: its code, Spine code (if
// any) and details text (if any).
func issue(t testing.TB, body []byte) (code, spine, text string) {
	t.Helper()
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Code    string `json:"code"`
			Details struct {
				Coding []struct {
					Code string `json:"code"`
				} `json:"coding"`
				Text string `json:"text"`
			} `json:"details"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("not an OperationOutcome (%v): %s", err, body)
	}
	i := oo.Issue[0]
	if len(i.Details.Coding) > 0 {
		spine = i.Details.Coding[0].Code
	}
	return i.Code, spine, i.Details.Text
}

// referenceFile reads one of the NHS's published examples from the project's
// copy of them (internal/nhscorpus).
func referenceFile(t testing.TB, rel string) []byte {
	t.Helper()
	where := map[string]string{
		"pds/Patient.json":                 "pds/sandbox/mocks/Patient.json",
		"scr/DocumentReferenceBundle.json": "scr/specification/components/examples/DocumentReferenceBundle.json",
		"scr/GetScrBundle.json":            "scr/specification/components/examples/GetScrBundle.json",
		"scr/LICENSE":                      "scr/LICENSE",
	}[rel]
	if where == "" {
		t.Fatalf("no published example %s", rel)
	}
	b, err := nhscorpus.Read(where)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewNeedsPatientsAndAudit(t *testing.T) {
	if _, err := New(Config{Audit: &recorder{}}); err == nil {
		t.Error("New without patients succeeded")
	}
	if _, err := New(Config{Patients: assets.Patients}); err == nil {
		t.Error("New without an audit recorder succeeded")
	}
}

func TestNoSessionIsRefused(t *testing.T) {
	rec := &recorder{}
	svc, err := New(Config{Patients: assets.Patients, Audit: rec})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, func(h http.Handler) http.Handler { return h }) // wired without the identity middleware
	for _, target := range []string{
		"/personal-demographics/FHIR/R4/Patient/9000000009",
		"/summary-care-record/FHIR/R4/DocumentReference?patient=https://fhir.nhs.uk/Id/nhs-number|9000000009",
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s without a session: status %d, want 401", target, w.Code)
		}
	}
	if len(rec.take()) != 0 {
		t.Error("an anonymous request was recorded as someone's")
	}
}

// Nothing is served unrecorded: when the audit trail refuses the record, every
// endpoint answers 500 and none of the patient's data.
func TestAuditFailureServesNothing(t *testing.T) {
	h := newHarness(t)
	h.audit.fail = errors.New("disk full")
	for _, target := range []string{
		"/personal-demographics/FHIR/R4/Patient/9000000009",
		"/personal-demographics/FHIR/R4/Patient/9000000000",
		"/personal-demographics/FHIR/R4/Patient?family=Smith&birthdate=eq2010-10-22",
		"/personal-demographics/FHIR/R4/Patient?family=Smith",
		docRefURL("9000000009"),
		bundleURL("9000000009", publishedSCR),
		bundleURL("9000000041", "486CE160-86B5-5918-9820-8F06398664B4"),
	} {
		for _, role := range []string{"pharmacist", "receptionist"} {
			w := h.get(t, role, target)
			checkFHIR(t, w, http.StatusInternalServerError)
			if code, _, _ := issue(t, w.Body.Bytes()); code != "transient" {
				t.Errorf("%s as %s: issue code %q, want transient", target, role, code)
			}
		}
	}
}
