package sandbox_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/scrterm/scr/internal/sandbox"
)

// scrLookUp is the viewer's two SCR calls for nhs with header h: the SCR id the
// DocumentReference search gives, and how many entries its Bundle has.
func scrLookUp(t *testing.T, e *env, h http.Header, nhs string) (id string, entries int) {
	t.Helper()
	docRef := e.do(t, "GET", "/summary-care-record/FHIR/R4/DocumentReference?patient=https://fhir.nhs.uk/Id/nhs-number|"+nhs+
		"&type=http://snomed.info/sct|196981000000101&_sort=date&_count=1", h, nil)
	var refs struct {
		Entry []struct {
			Resource struct{ MasterIdentifier struct{ Value string } }
		}
	}
	if docRef.status != 200 || json.Unmarshal(docRef.body, &refs) != nil || len(refs.Entry) == 0 {
		t.Fatalf("DocumentReference for %s: %d %s", nhs, docRef.status, docRef.body)
	}
	id = refs.Entry[0].Resource.MasterIdentifier.Value
	bundle := e.do(t, "GET", "/summary-care-record/FHIR/R4/Bundle?composition.identifier="+id+
		"&composition.subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhs, h, nil)
	var b struct {
		Total int
		Entry []json.RawMessage
	}
	if bundle.status != 200 || json.Unmarshal(bundle.body, &b) != nil || b.Total != len(b.Entry) {
		t.Fatalf("Bundle %s for %s: %d %s", id, nhs, bundle.status, bundle.body)
	}
	return id, len(b.Entry)
}

// Over HTTPS with real role tokens: 9000000203's SCR id is out of date (an
// empty Bundle) on each role token's first look and current after it;
// 9000000211's is out of date every time.
func TestOutdatedSCRIdPerRoleToken(t *testing.T) {
	e := start(t, sandbox.Config{RateLimit: 1000}) // the platform's limit is not under test
	_, first := e.session(t, pharmacist, roleOf[pharmacist])
	h := scrHeaders(first, roleOf[pharmacist])

	stale, n := scrLookUp(t, e, h, "9000000203")
	if n != 0 {
		t.Fatalf("first look: SCR %s with %d entries, want an out-of-date id (0)", stale, n)
	}
	current, n := scrLookUp(t, e, h, "9000000203")
	if current == stale || n == 0 {
		t.Fatalf("looking again: SCR %s with %d entries, want the current record", current, n)
	}

	// The same user signing in again has a new role token: a new session.
	_, second := e.session(t, pharmacist, roleOf[pharmacist])
	if id, n := scrLookUp(t, e, scrHeaders(second, roleOf[pharmacist]), "9000000203"); id != stale || n != 0 {
		t.Errorf("new role token: SCR %s with %d entries, want the out-of-date %s", id, n, stale)
	}
	if id, n := scrLookUp(t, e, h, "9000000203"); id != current || n == 0 {
		t.Errorf("first role token again: SCR %s with %d entries, want %s", id, n, current)
	}

	always, _ := scrLookUp(t, e, h, "9000000211")
	for range 2 {
		if id, n := scrLookUp(t, e, h, "9000000211"); id != always || n != 0 {
			t.Errorf("9000000211: SCR %s with %d entries, want the out-of-date %s again", id, n, always)
		}
	}
}
