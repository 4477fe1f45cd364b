package records

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

const pdsPatientPath = "/personal-demographics/FHIR/R4/Patient/"

func TestReadPublishedPatient(t *testing.T) {
	h := newHarness(t)
	w := h.get(t, "pharmacist", pdsPatientPath+"9000000009")
	checkFHIR(t, w, http.StatusOK)
	if !jsonEqual(t, w.Body.Bytes(), referenceFile(t, "pds/Patient.json")) {
		t.Errorf("9000000009 is not the published Patient.json:\n%s", w.Body)
	}
	if etag := w.Header().Get("ETag"); etag != `W/"2"` {
		t.Errorf("ETag %q, want W/\"2\" (meta.versionId)", etag)
	}
}

func TestReadPatient(t *testing.T) {
	tests := []struct {
		name, nhs   string
		status      int
		spine       string
		wantID      string
		wantOutcome audit.Outcome
		wantPatient string
	}{
		{"current", "9000000017", 200, "", "9000000017", audit.Allowed, "9000000017"},
		{"superseded answers the current record", "9000000106", 200, "", "9000000114", audit.Allowed, "9000000114"},
		{"invalid check digit", "9000000000", 400, "INVALID_RESOURCE_ID", "", audit.Failed, ""},
		{"not a number", "90000000O9", 400, "INVALID_RESOURCE_ID", "", audit.Failed, ""},
		{"too short", "900000000", 400, "INVALID_RESOURCE_ID", "", audit.Failed, ""},
		{"unknown", "9111231130", 404, "RESOURCE_NOT_FOUND", "", audit.Failed, "9111231130"},
		{"invalidated", "9000000122", 404, "INVALIDATED_RESOURCE", "", audit.Failed, "9000000122"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Any signed-in role may read PDS, as real PDS lets smartcard users.
			w := h.get(t, "receptionist", pdsPatientPath+tt.nhs)
			checkFHIR(t, w, tt.status)
			if tt.spine != "" {
				if _, spine, _ := issue(t, w.Body.Bytes()); spine != tt.spine {
					t.Errorf("Spine code %q, want %q", spine, tt.spine)
				}
			} else if id := decode(t, w.Body.Bytes())["id"]; id != tt.wantID {
				t.Errorf("id %v, want %s", id, tt.wantID)
			}
			recs := h.audit.take()
			if len(recs) != 1 {
				t.Fatalf("%d audit records, want 1", len(recs))
			}
			r := recs[0]
			if r.Kind != audit.PDSRead || r.Outcome != tt.wantOutcome || r.Patient != tt.wantPatient ||
				r.UserUUID != receptionist.UserUUID || r.RoleID != receptionist.RoleID || r.OrgCode != receptionist.OrgCode ||
				r.RequestID == "" || !r.Time.Equal(testNow) {
				t.Errorf("audit record %+v", r)
			}
		})
	}
}

func TestReadSensitiveAndDeceased(t *testing.T) {
	h := newHarness(t)
	w := h.get(t, "pharmacist", pdsPatientPath+"9000000025")
	checkFHIR(t, w, http.StatusOK)
	p := decode(t, w.Body.Bytes())
	for _, field := range []string{"address", "telecom", "generalPractitioner", "contact"} {
		if _, ok := p[field]; ok {
			t.Errorf("sensitive patient served with %s", field)
		}
	}
	if !strings.Contains(w.Body.String(), `"code":"R"`) {
		t.Error("sensitive patient served without meta.security R")
	}

	w = h.get(t, "pharmacist", pdsPatientPath+"9000000084")
	checkFHIR(t, w, http.StatusOK)
	p = decode(t, w.Body.Bytes())
	if p["deceasedDateTime"] != "2026-10-02T14:20:00+00:00" {
		t.Errorf("deceasedDateTime %v", p["deceasedDateTime"])
	}
	names, _ := json.Marshal(p["name"])
	if !strings.Contains(string(names), "Ó Súilleabháin") || !strings.Contains(string(names), "Seán") {
		t.Errorf("name not served in Unicode: %s", names)
	}
}

// Every patient's retrieval is their file, as PDS holds it, unless restricted.
func TestReadServesFiles(t *testing.T) {
	h := newHarness(t)
	entries, err := fs.ReadDir(assets.Patients, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "9000000025" {
			continue
		}
		file, err := fs.ReadFile(assets.Patients, e.Name()+"/patient.json")
		if err != nil {
			t.Fatal(err)
		}
		w := h.get(t, "pharmacist", pdsPatientPath+e.Name())
		checkFHIR(t, w, http.StatusOK)
		if !jsonEqual(t, w.Body.Bytes(), file) {
			t.Errorf("%s: served differs from its file", e.Name())
		}
		if got := w.Header().Get("Content-Length"); got != fmt.Sprint(w.Body.Len()) {
			t.Errorf("%s: Content-Length %s for %d bytes", e.Name(), got, w.Body.Len())
		}
	}
}
