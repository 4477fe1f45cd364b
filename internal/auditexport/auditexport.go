// Package auditexport writes a privacy officer's audit report to a file:
// CSV or JSON by the path's extension, a new file readable by its owner
// only and never one that exists, and no cell a spreadsheet would run as a
// formula. Rows arrive through the client, so their text has passed the
// gate (internal/safetext) already.
package auditexport

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scrterm/scr/client"
)

// Format is "csv" or "json" from the path's extension, or why the path
// cannot be used.
func Format(path string) (format, why string) {
	if strings.TrimSpace(path) == "" {
		return "", "Type where to save the report: a path ending in .csv or .json."
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", ""
	case ".json":
		return "json", ""
	}
	return "", "The file name must end in .csv or .json, which decides the format; nothing was written."
}

// WriteNew creates path with mode 0600 and writes data, refusing a file
// that exists; a file left half written is removed.
func WriteNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// exportRow is one access in the exported file.
type exportRow struct {
	When           string `json:"when"`
	Patient        string `json:"patient_nhs_number"`
	UserName       string `json:"user_name"`
	UserUUID       string `json:"user_uuid"`
	Role           string `json:"role"`
	OrgCode        string `json:"org_code"`
	OrgName        string `json:"org_name"`
	What           string `json:"what"`
	Outcome        string `json:"outcome"`
	WithPermission bool   `json:"with_permission"`
	Reason         string `json:"reason"`
}

var exportHeader = []string{"when", "patient_nhs_number", "user_name", "user_uuid", "role", "org_code", "org_name", "what", "outcome", "with_permission", "reason"}

func toExportRow(r client.Access) exportRow {
	return exportRow{
		When: r.When.Format(time.RFC3339), Patient: string(r.Patient), UserName: r.UserName, UserUUID: r.UserUUID,
		Role: r.RoleName, OrgCode: r.OrgCode, OrgName: r.OrgName, What: r.Kind, Outcome: r.Outcome.String(),
		WithPermission: r.WithPermission, Reason: r.Reason,
	}
}

// Query is what the report asked, as the JSON file states it.
type Query struct {
	// Alerts: the organisation's privacy alerts; else a subject access
	// request for Patient.
	Alerts        bool
	Patient       client.NHSNumber
	From, To      time.Time // zero: open
	EmergencyOnly bool      // alerts of type 2 (emergency access) only
}

// Encode is the report as a file: CSV (a header row, then one row per
// access) or JSON (what was asked, then the rows).
func Encode(format string, q Query, rows []client.Access) ([]byte, error) {
	if format == "json" {
		doc := struct {
			Report    string      `json:"report"`
			Patient   string      `json:"patient_nhs_number,omitempty"`
			From      string      `json:"from,omitempty"`
			To        string      `json:"to,omitempty"`
			AlertType string      `json:"alert_type,omitempty"`
			Rows      []exportRow `json:"rows"`
		}{Report: "subject access request", Patient: string(q.Patient), Rows: make([]exportRow, 0, len(rows))}
		if q.Alerts {
			doc.Report, doc.AlertType = "organisation privacy alerts", "1,2"
			if q.EmergencyOnly {
				doc.AlertType = "2"
			}
		}
		if !q.From.IsZero() {
			doc.From = q.From.Format(time.RFC3339)
		}
		if !q.To.IsZero() {
			doc.To = q.To.Format(time.RFC3339)
		}
		for _, r := range rows {
			doc.Rows = append(doc.Rows, toExportRow(r))
		}
		out, err := json.MarshalIndent(doc, "", "  ")
		return append(out, '\n'), err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(exportHeader)
	for _, r := range rows {
		e := toExportRow(r)
		rec := []string{e.When, e.Patient, e.UserName, e.UserUUID, e.Role, e.OrgCode, e.OrgName, e.What, e.Outcome, strconv.FormatBool(e.WithPermission), e.Reason}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: the
// reason is free text anyone with emergency access typed (OWASP "CSV
// injection"). A leading quote makes it text; the words are unchanged.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
