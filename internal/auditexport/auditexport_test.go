package auditexport

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
)

func rows() []client.Access {
	when := time.Date(2026, 11, 3, 14, 5, 0, 0, time.UTC)
	return []client.Access{
		{When: when, Patient: "9000000009", UserName: "James OKAFOR", UserUUID: "555000000102", RoleName: "Clinical Practitioner Access Role",
			OrgCode: "R9A", OrgName: "Leeds General", Kind: "privacy alert", Reason: `=HYPERLINK("http://example.invalid")`},
		{When: when.Add(time.Minute), Patient: "9000000009", UserName: "Priya SHARMA", UserUUID: "555000000101", RoleName: "Pharmacist",
			OrgCode: "FA123", Kind: "record viewed", WithPermission: true, Reason: "+1 tab\tand @at -minus"},
	}
}

// TestWriteNew: the file is new and its owner's only, never written over
// another; a file that exists keeps its bytes.
func TestWriteNew(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.csv")
	if err := WriteNew(p, []byte("first")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := WriteNew(p, []byte("other")); !os.IsExist(err) {
		t.Errorf("over an existing file: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "first" {
		t.Errorf("the existing file changed: %q", got)
	}
	if err := WriteNew(filepath.Join(t.TempDir(), "no", "such", "a.csv"), nil); !os.IsNotExist(err) {
		t.Errorf("into a missing folder: %v", err)
	}
}

// TestEncodeCSV: a header, then a row per access in order; no cell starts
// as a formula would, and its words are kept.
func TestEncodeCSV(t *testing.T) {
	data, err := Encode("csv", Query{Patient: "9000000009"}, rows())
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(exportHeader, ",") {
		t.Fatalf("records %q", recs)
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell a spreadsheet would run: %q", cell)
			}
		}
	}
	if got := recs[1][10]; got != `'=HYPERLINK("http://example.invalid")` {
		t.Errorf("reason %q", got)
	}
	if recs[2][0] != "2026-11-03T14:06:00Z" || recs[2][9] != "true" {
		t.Errorf("row %q", recs[2])
	}
}

// TestEncodeJSON: what was asked, then the rows, as written.
func TestEncodeJSON(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	data, err := Encode("json", Query{Alerts: true, EmergencyOnly: true, From: from}, rows())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Report    string      `json:"report"`
		AlertType string      `json:"alert_type"`
		From      string      `json:"from"`
		To        *string     `json:"to"`
		Rows      []exportRow `json:"rows"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Report != "organisation privacy alerts" || doc.AlertType != "2" || doc.From != "2026-11-01T00:00:00Z" || doc.To != nil {
		t.Errorf("document %+v", doc)
	}
	if len(doc.Rows) != 2 || doc.Rows[0].Reason != rows()[0].Reason || !doc.Rows[1].WithPermission {
		t.Errorf("rows %+v", doc.Rows)
	}
	sar, _ := Encode("json", Query{Patient: "9000000009"}, nil)
	if !strings.Contains(string(sar), `"report": "subject access request"`) || !strings.Contains(string(sar), `"rows": []`) {
		t.Errorf("an empty subject access request:\n%s", sar)
	}
}

// TestFormat: the extension of a full path decides, in any case; anything
// else, a path that is not full too (TestFormatRefusesPathsNotFull), is
// refused with a reason.
func TestFormat(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{"a.csv": "csv", "A.JSON": "json", "r.Json": "json"} {
		path := filepath.Join(dir, name)
		if got, why := Format(path); got != want || why != "" {
			t.Errorf("%s: %q, %q", path, got, why)
		}
	}
	for _, path := range []string{"a.xlsx", "", "  ", "csv", "a.csv", filepath.Join(dir, "a.xlsx")} {
		if got, why := Format(path); got != "" || why == "" {
			t.Errorf("%q accepted as %q", path, got)
		}
	}
}
