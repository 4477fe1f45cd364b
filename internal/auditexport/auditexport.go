// Package auditexport writes a privacy officer's audit report to a file:
// CSV or JSON by the path's extension, at a full path only, a new file
// readable by its owner only and never one that exists, and no cell a
// spreadsheet would run as a formula; a file that could not be written is
// explained in the system's words (Explain). Rows arrive through the
// client, so their text has passed the gate (internal/safetext) already.
package auditexport

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scrterm/scr/client"
)

// Format is "csv" or "json" from the path's extension, or why the path
// cannot be used: it must be a full path (a relative one would land in
// whichever folder scr was started from, unsaid), and ~ is not expanded.
func Format(path string) (format, why string) {
	if strings.TrimSpace(path) == "" {
		return "", "Type where to save the report: a path ending in .csv or .json."
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		format = "csv"
	case ".json":
		format = "json"
	default:
		return "", "The file name must end in .csv or .json, which decides the format; nothing was written."
	}
	if why := notFull(path); why != "" {
		return "", why
	}
	return format, ""
}

// notFull is why path is not a full path, or "" when it is.
func notFull(path string) string {
	if strings.HasPrefix(path, "~") {
		// ~/a.csv is a.csv in the user's home folder: spelled out as the
		// example. ~user/a.csv, or no home folder known: the usual example.
		example := Example(filepath.Base(path))
		rest, mine := strings.CutPrefix(path, "~/")
		if !mine {
			rest, mine = strings.CutPrefix(path, "~"+string(filepath.Separator))
		}
		if home, err := os.UserHomeDir(); mine && rest != "" && err == nil && filepath.IsAbs(home) {
			example = filepath.Join(home, rest)
		}
		return "~ is not expanded here: type the full path, " + startsWith() + ", such as " + example + ". Nothing was written."
	}
	if filepath.IsAbs(path) {
		return ""
	}
	return "Type the full path, " + startsWith() + ", such as " + Example(filepath.Base(path)) + "; " +
		path + " alone does not say which folder. Nothing was written."
}

// startsWith is what a full path starts with on this system.
func startsWith() string {
	if runtime.GOOS == "windows" {
		return "starting with the drive"
	}
	return "starting with /"
}

// Example is name in an example home folder, as a full path on this
// system: the example a hint gives ("/home/you/sar-9000000009.csv").
func Example(name string) string {
	folder := "/home/you"
	if runtime.GOOS == "windows" {
		folder = `C:\Users\you`
	}
	return filepath.Join(folder, name)
}

// WriteNew creates path with mode 0600 and writes data, refusing a file
// that exists; a file left half written is removed (if it cannot be, the
// error says so: Explain).
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
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return &leftError{err: err}
		}
	}
	return err
}

// leftError is a write that failed, leaving part of the file: it could not
// be removed.
type leftError struct{ err error }

func (e *leftError) Error() string { return e.err.Error() + " (the part written was left)" }
func (e *leftError) Unwrap() error { return e.err }

// Explain is WriteNew's error as one sentence for the officer: what the
// system said, naming the cause only where its error does (a folder that
// does not exist, a file in the way of a folder, a read-only file system,
// no permission, a full disk), else in the system's own words. It looks at
// path's folder (a file system call): call it where I/O may wait.
func Explain(path string, err error) string {
	if err == nil {
		return ""
	}
	said := systemWords(err)
	var left *leftError
	if errors.As(err, &left) {
		return "The report could not be written in full to " + path + " (the system said: " + said +
			"), and the part written could not be removed: delete " + path + "."
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		return "Nothing was written: " + path + " already exists, and an export never replaces a file. Choose another name."
	case errors.Is(err, syscall.ENOSPC):
		return "Nothing was written to " + path + ": the disk is full (the system said: " + said + ")."
	case errors.Is(err, syscall.EDQUOT):
		return "Nothing was written to " + path + ": your disk quota is used up (the system said: " + said + ")."
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" {
		// Created, then not filled: WriteNew removed it.
		return "Nothing was written to " + path + ": the file could not be filled (the system said: " + said + "), and was removed."
	}
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No such file or directory: the folder, when it is indeed not
		// there. A folder that exists may still refuse a new file this way
		// (/proc does): that is said in the system's words.
		if _, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
			return "Nothing was written: the folder " + dir + " does not exist."
		}
	case errors.Is(err, syscall.ENOTDIR):
		return "Nothing was written: part of " + dir + " is a file, not a folder (the system said: " + said + ")."
	case errors.Is(err, syscall.EROFS):
		return "Nothing was written: " + dir + " is on a read-only file system."
	case errors.Is(err, fs.ErrPermission):
		return "Nothing was written: you may not create " + path + " (the system said: " + said + ")."
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "Nothing was written: the name " + path + " is too long for the system."
	}
	return "Nothing was written: the system could not create " + path + " (it said: " + said + ")."
}

// systemWords is what the system said, without the operation and path Go
// puts before it: "permission denied".
func systemWords(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return strings.TrimSuffix(err.Error(), ".")
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
