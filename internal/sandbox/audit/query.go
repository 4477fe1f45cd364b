package audit

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Filter selects rows of the log. Zero fields select everything; set fields
// must all match.
type Filter struct {
	Patient    string    // NHS number
	Kinds      []Kind    // any of these
	OrgCode    string    // the organisation of the role that did it
	UserUUID   string    // the user who did it
	RoleID     string    // the role they did it in
	From, To   time.Time // From ≤ Time < To
	AlertTypes []string  // any of these privacy alert types ("1", "2")
	Subtypes   []string  // any of these privacy alert subtypes ("1" … "6")
	Outcome    Outcome   // only this outcome
	Limit      int       // at most this many rows, the earliest; 0 = all
}

// Query returns the rows f selects, in log order (by Seq).
func (s *Store) Query(ctx context.Context, f Filter) ([]Record, error) {
	var where []string
	var args []any
	if f.Patient != "" {
		where, args = append(where, "patient = ?"), append(args, f.Patient)
	}
	if len(f.Kinds) > 0 {
		where = append(where, "kind IN ("+placeholders(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if f.OrgCode != "" {
		where, args = append(where, "org_code = ?"), append(args, f.OrgCode)
	}
	if f.UserUUID != "" {
		where, args = append(where, "user_uuid = ?"), append(args, f.UserUUID)
	}
	if f.RoleID != "" {
		where, args = append(where, "role_id = ?"), append(args, f.RoleID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "time_ns >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		where, args = append(where, "time_ns < ?"), append(args, f.To.UnixNano())
	}
	if len(f.AlertTypes) > 0 {
		where = append(where, "alert_type IN ("+placeholders(len(f.AlertTypes))+")")
		for _, t := range f.AlertTypes {
			args = append(args, t)
		}
	}
	if len(f.Subtypes) > 0 {
		where = append(where, "alert_subtype IN ("+placeholders(len(f.Subtypes))+")")
		for _, t := range f.Subtypes {
			args = append(args, t)
		}
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, string(f.Outcome))
	}
	q := `SELECT ` + columns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY seq`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}

	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: query: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	return out, nil
}

// columns are audit_log's columns in the order of values and scanRecord.
const columns = `seq, time_ns, kind, user_uuid, user_name, role_id, role_name, org_code, org_name,
	activity, patient, scr_id, request_id, outcome, detail, alert_type, alert_subtype, reason,
	permission, prev_hash, hash`

const numColumns = 21

func values(r *Record) []any {
	return []any{
		r.Seq, r.Time.UnixNano(), string(r.Kind), r.UserUUID, r.UserName, r.RoleID, r.RoleName, r.OrgCode, r.OrgName,
		r.Activity, r.Patient, r.SCRID, r.RequestID, string(r.Outcome), r.Detail, r.AlertType, r.AlertSubtype, r.Reason,
		r.Permission, r.PrevHash, r.Hash,
	}
}

func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var ns int64
	err := row.Scan(
		&r.Seq, &ns, &r.Kind, &r.UserUUID, &r.UserName, &r.RoleID, &r.RoleName, &r.OrgCode, &r.OrgName,
		&r.Activity, &r.Patient, &r.SCRID, &r.RequestID, &r.Outcome, &r.Detail, &r.AlertType, &r.AlertSubtype, &r.Reason,
		&r.Permission, &r.PrevHash, &r.Hash,
	)
	r.Time = time.Unix(0, ns).UTC()
	return r, err
}

// placeholders is "?, ?, …", n times.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
