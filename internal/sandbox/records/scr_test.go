package records

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/scrterm/scr/assets"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

const (
	scrPath      = "/summary-care-record/FHIR/R4/"
	publishedSCR = "FA60BE64-1F34-11EB-A2A8-000C29A364EB" // 9000000009's, from DocumentReferenceBundle.json
)

// docRefURL is the viewer's DocumentReference search for nhs (API.md 3.1).
func docRefURL(nhs string) string {
	return scrPath + "DocumentReference?" + url.Values{
		"patient": {"https://fhir.nhs.uk/Id/nhs-number|" + nhs}, "type": {gpSummaryType},
		"_sort": {"date"}, "_count": {"1"},
	}.Encode()
}

// bundleURL is the viewer's SCR read (API.md 3.2).
func bundleURL(nhs, id string) string {
	return scrPath + "Bundle?" + url.Values{
		"composition.identifier":                 {id},
		"composition.subject:Patient.identifier": {"https://fhir.nhs.uk/Id/nhs-number|" + nhs},
	}.Encode()
}

// scrID asks the DocumentReference search for a patient's SCR UUID and consent.
func scrID(t *testing.T, h *harness, nhs string) (id, consent string) {
	t.Helper()
	w := h.get(t, "pharmacist", docRefURL(nhs))
	checkFHIR(t, w, http.StatusOK)
	var b struct {
		Entry []struct {
			Resource struct {
				MasterIdentifier struct{ Value string }
				SecurityLabel    []struct{ Coding []struct{ Code string } }
			}
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || len(b.Entry) == 0 {
		t.Fatalf("%s: no DocumentReference (%v): %s", nhs, err, w.Body)
	}
	r := b.Entry[0].Resource
	return r.MasterIdentifier.Value, r.SecurityLabel[0].Coding[0].Code
}

func TestPublishedSCR(t *testing.T) {
	h := newHarness(t)
	w := h.get(t, "pharmacist", docRefURL("9000000009"))
	checkFHIR(t, w, http.StatusOK)
	if !jsonEqual(t, w.Body.Bytes(), referenceFile(t, "scr/DocumentReferenceBundle.json")) {
		t.Errorf("DocumentReference search is not the published DocumentReferenceBundle.json:\n%s", w.Body)
	}
	for _, id := range []string{publishedSCR, strings.ToLower(publishedSCR)} {
		w = h.get(t, "pharmacist", bundleURL("9000000009", id))
		checkFHIR(t, w, http.StatusOK)
		if !jsonEqual(t, w.Body.Bytes(), referenceFile(t, "scr/GetScrBundle.json")) {
			t.Errorf("Bundle for %s is not the published GetScrBundle.json", id)
		}
	}
}

// emptyBundle checks an answer is a searchset Bundle of no entries.
func emptyBundle(t *testing.T, body []byte) {
	t.Helper()
	b := decode(t, body)
	if b["resourceType"] != "Bundle" || b["type"] != "searchset" || b["total"] != 0.0 || b["entry"] != nil || !isUUID(b["id"].(string)) {
		t.Errorf("not an empty searchset Bundle: %s", body)
	}
}

func TestDocumentReference(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, target string
		status       int
		consent      string // "" for an empty Bundle
		detail       string
	}{
		{"consent Ask", docRefURL("9000000017"), 200, "Ask", "consent Ask"},
		{"opted out is still found", docRefURL("9000000041"), 200, "No", "consent No"},
		{"legacy Yes", docRefURL("9000000114"), 200, "Yes", "consent Yes"},
		{"no SCR", docRefURL("9000000033"), 200, "", "no SCR"},
		{"unknown patient", docRefURL("9111231130"), 200, "", "no SCR"},
		{"patient only", scrPath + "DocumentReference?patient=https://fhir.nhs.uk/Id/nhs-number|9000000017", 200, "Ask", "consent Ask"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.get(t, "pharmacist", tt.target)
			checkFHIR(t, w, tt.status)
			if tt.consent == "" {
				emptyBundle(t, w.Body.Bytes())
			} else if !strings.Contains(w.Body.String(), `"code":"`+tt.consent+`"`) {
				t.Errorf("consent %s not in %s", tt.consent, w.Body)
			}
			recs := h.audit.take()
			if len(recs) != 1 || recs[0].Kind != audit.SCRConsent || recs[0].Outcome != audit.Allowed ||
				recs[0].Activity != "B0401" || !strings.Contains(recs[0].Detail, tt.detail) {
				t.Errorf("audit %+v", recs)
			}
		})
	}
}

func TestSCRBadRequests(t *testing.T) {
	h := newHarness(t)
	nhs := "https://fhir.nhs.uk/Id/nhs-number|9000000017"
	for _, target := range []string{
		scrPath + "DocumentReference",
		scrPath + "DocumentReference?patient=9000000017",
		scrPath + "DocumentReference?patient=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9000000000"),
		scrPath + "DocumentReference?patient=" + url.QueryEscape("https://example.org/mrn|9000000017"),
		scrPath + "DocumentReference?patient=" + url.QueryEscape(nhs) + "&patient=" + url.QueryEscape(nhs),
		scrPath + "DocumentReference?patient=" + url.QueryEscape(nhs) + "&type=" + url.QueryEscape("http://snomed.info/sct|123"),
		scrPath + "DocumentReference?patient=" + url.QueryEscape(nhs) + "&_sort=name",
		scrPath + "DocumentReference?patient=" + url.QueryEscape(nhs) + "&_count=2",
		scrPath + "Bundle?composition.identifier=" + url.QueryEscape("INVALID ID") + "&composition.subject:Patient.identifier=" + url.QueryEscape(nhs),
		scrPath + "Bundle?composition.subject:Patient.identifier=" + url.QueryEscape(nhs),
		bundleURL("INVALID NHS NUMBER", publishedSCR),
		bundleURL("9000000000", publishedSCR),
	} {
		w := h.get(t, "pharmacist", target)
		checkFHIR(t, w, http.StatusBadRequest)
		if code, _, text := issue(t, w.Body.Bytes()); code != "invalid" || text == "" {
			t.Errorf("%s: issue %q %q, want invalid with a text", target, code, text)
		}
		if recs := h.audit.take(); len(recs) != 1 || recs[0].Outcome != audit.Failed {
			t.Errorf("%s: audit %+v", target, recs)
		}
	}
}

func TestSCRBundle(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, role, nhs string
		id              string // "" asks the DocumentReference search
		status          int
		served          bool
		outcome         audit.Outcome
		activity        string
	}{
		{"pharmacist views with consent Ask", "pharmacist", "9000000017", "", 200, true, audit.Allowed, "B0401"},
		{"emergency access", "emergency", "9000000017", "", 200, true, audit.Allowed, "B0168"},
		{"legacy Yes", "pharmacist", "9000000114", "", 200, true, audit.Allowed, "B0401"},
		{"very large record", "pharmacist", "9000000130", "", 200, true, audit.Allowed, "B0401"},
		{"sensitive patient's SCR", "pharmacist", "9000000025", "", 200, true, audit.Allowed, "B0401"},
		{"receptionist refused", "receptionist", "9000000017", "", 403, false, audit.Denied, ""},
		{"opted out refused", "pharmacist", "9000000041", "", 403, false, audit.Denied, "B0401"},
		{"opted out refused in an emergency too", "emergency", "9000000041", "", 403, false, audit.Denied, "B0168"},
		{"out-of-date identifier", "pharmacist", "9000000017", "81CC2DA0-8882-11EB-B538-0800200C9A66", 200, false, audit.Allowed, "B0401"},
		{"another patient's identifier", "pharmacist", "9000000017", publishedSCR, 200, false, audit.Allowed, "B0401"},
		{"no SCR", "pharmacist", "9000000033", "81CC2DA0-8882-11EB-B538-0800200C9A66", 200, false, audit.Allowed, "B0401"},
		{"unknown patient", "pharmacist", "9111231130", "81CC2DA0-8882-11EB-B538-0800200C9A66", 200, false, audit.Allowed, "B0401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id
			if id == "" {
				id, _ = scrID(t, h, tt.nhs)
				h.audit.take()
			}
			w := h.get(t, tt.role, bundleURL(tt.nhs, id))
			checkFHIR(t, w, tt.status)
			switch {
			case tt.status == http.StatusForbidden:
				code, _, text := issue(t, w.Body.Bytes())
				if code != "forbidden" || !strings.Contains(text, "[PSIS-30418] - ACF does not permit access to resource") {
					t.Errorf("issue %q %q", code, text)
				}
			case tt.served:
				if !strings.Contains(w.Body.String(), `"resourceType":"Composition"`) {
					t.Errorf("no Composition in %.200s", w.Body)
				}
			default:
				emptyBundle(t, w.Body.Bytes())
			}
			recs := h.audit.take()
			if len(recs) != 1 {
				t.Fatalf("%d audit records, want 1", len(recs))
			}
			r := recs[0]
			if r.Kind != audit.SCRRead || r.Outcome != tt.outcome || r.Patient != tt.nhs || r.Activity != tt.activity || r.Detail == "" {
				t.Errorf("audit %+v", r)
			}
		})
	}
}

// A role that may not view SCRs is refused the consent search as well, and the
// refusal names the patient in the audit trail.
func TestRoleWithoutViewingActivity(t *testing.T) {
	h := newHarness(t)
	w := h.get(t, "receptionist", docRefURL("9000000017"))
	checkFHIR(t, w, http.StatusForbidden)
	if code, _, text := issue(t, w.Body.Bytes()); code != "forbidden" || text != spineACFRefusal {
		t.Errorf("issue %q %q", code, text)
	}
	recs := h.audit.take()
	if len(recs) != 1 || recs[0].Outcome != audit.Denied || recs[0].Patient != "9000000017" || recs[0].UserUUID != receptionist.UserUUID {
		t.Errorf("audit %+v", recs)
	}
	// Even with bad parameters: the role is refused before anything else.
	w = h.get(t, "receptionist", scrPath+"Bundle")
	checkFHIR(t, w, http.StatusForbidden)
}

func TestViewingActivity(t *testing.T) {
	for _, tt := range []struct {
		acts []string
		want string
	}{
		{[]string{"B0570", "B0401"}, "B0401"},
		{[]string{"B0168"}, "B0168"},
		{[]string{"B0168", "B0370"}, "B0370"}, // viewing with permission is named first
		{[]string{"B0825", "B0015"}, ""},      // a privacy officer may not view
		{nil, ""},
	} {
		if got := viewingActivity(tt.acts); got != tt.want {
			t.Errorf("viewingActivity(%v) = %q, want %q", tt.acts, got, tt.want)
		}
	}
}

// TestBrokenBundleServesNothing: a record's Bundle is read on first use; one
// that cannot be read is answered 500, recorded as failed, and nothing of
// it is served.
func TestBrokenBundleServesNothing(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, f := range []string{"patient.json", "documentreference.json", "bundle.json"} {
		b, err := fs.ReadFile(assets.Patients, "9000000009/"+f)
		if err != nil {
			t.Fatal(err)
		}
		fsys["9000000009/"+f] = &fstest.MapFile{Data: b}
	}
	fsys["9000000009/bundle.json"].Data = bytes.Replace(fsys["9000000009/bundle.json"].Data, []byte(`"total": 48`), []byte(`"total": 47`), 1)
	rec := &recorder{}
	svc, err := New(Config{Patients: fsys, Audit: rec, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("the store did not load: %v", err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, fakeProtect)
	h := &harness{mux: mux, audit: rec}
	id := mustStore(t, svc).patients["9000000009"].scr.id
	w := h.get(t, "pharmacist", bundleURL("9000000009", id))
	if w.Code != http.StatusInternalServerError || bytes.Contains(w.Body.Bytes(), []byte("Composition")) {
		t.Errorf("status %d:\n%s", w.Code, w.Body)
	}
	recs := rec.take()
	if len(recs) != 1 || recs[0].Outcome != audit.Failed || recs[0].Kind != audit.SCRRead {
		t.Errorf("audit %+v", recs)
	}
}

// TestUnloadablePatientsServeNothing: the patients are loaded after New
// returns; a folder that cannot be loaded makes every request fail with
// 500, and nothing is served or recorded as served.
func TestUnloadablePatientsServeNothing(t *testing.T) {
	rec := &recorder{}
	svc, err := New(Config{Patients: fstest.MapFS{"README.md": &fstest.MapFile{Data: []byte("nobody")}}, Audit: rec})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, fakeProtect)
	h := &harness{mux: mux, audit: rec}
	for _, target := range []string{"/personal-demographics/FHIR/R4/Patient/9000000009", docRefURL("9000000009"), bundleURL("9000000009", publishedSCR)} {
		if w := h.get(t, "pharmacist", target); w.Code != http.StatusInternalServerError {
			t.Errorf("%s: status %d:\n%s", target, w.Code, w.Body)
		}
	}
	if recs := rec.take(); len(recs) != 0 {
		t.Errorf("recorded %+v", recs)
	}
}
