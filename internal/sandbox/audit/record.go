package audit

import (
	"context"
	"time"
)

// Kind is what was done.
type Kind string

// Every access the sandbox records (issue: sign-in, role exchange, PDS read, SCR
// read, privacy alert; plus audit searches, which are access too).
const (
	SignIn       Kind = "sign-in"
	RoleExchange Kind = "role-exchange"
	SignOut      Kind = "sign-out"
	PDSRead      Kind = "pds-read"
	PDSSearch    Kind = "pds-search"
	SCRConsent   Kind = "scr-consent"   // DocumentReference search
	SCRRead      Kind = "scr-read"      // Bundle read: the record was viewed
	PrivacyAlert Kind = "privacy-alert" // AuditEvent POST
	AuditSearch  Kind = "audit-search"  // AuditEvent search or read by a privacy officer
)

// Outcome says whether it was allowed.
type Outcome string

const (
	Allowed Outcome = "allowed"
	Denied  Outcome = "denied"
	Failed  Outcome = "failed"
)

func (o Outcome) valid() bool { return o == Allowed || o == Denied || o == Failed }

// Record is one row of the audit trail. Every field, PrevHash included and Hash
// excepted, is covered by Hash (see chain.go), so none can change unnoticed.
type Record struct {
	Seq       int64     // set by the store: 1, 2, 3, …
	Time      time.Time // UTC; the store sets it to now if zero
	Kind      Kind
	UserUUID  string // 12-digit NHS user ID
	UserName  string
	RoleID    string // person_roleid
	RoleName  string
	OrgCode   string // ODS code of the role's organisation
	OrgName   string
	Activity  string // the activity code that allowed it, if any
	Patient   string // NHS number, if any
	SCRID     string // the SCR's UUID (DocumentReference masterIdentifier), if known
	RequestID string
	Outcome   Outcome
	// Detail is why it was denied or failed; for an allowed privacy alert, the
	// notification message the privacy officer is shown; for an audit search,
	// the query.
	Detail string
	// For privacy alerts (AuditEvent POST): type and subtype codes of the
	// summary-care-record OpenAPI table, and the free-text reason.
	AlertType    string
	AlertSubtype string
	Reason       string
	Permission   bool   // viewed with the patient's permission
	PrevHash     string // Hash of the row before, or 64 zeros for the first; set by the store
	Hash         string // hex SHA-256 over the row and PrevHash, set by the store
}

// Recorder appends records to the audit trail. Append must not lose a record it
// returned nil for, even if the server stops right after.
type Recorder interface {
	Append(ctx context.Context, r Record) error
}

var _ Recorder = (*Store)(nil)

// PermissionWindow is how long a patient's recorded permission (privacy alert
// 1/6, "SCR accessed with the patient's permission") covers the same user's
// reads of that patient's SCR: the self-claimed legitimate relationship of a
// consultation, not a standing one.
const PermissionWindow = 24 * time.Hour

// PermissionGiven reports whether user, in role, recorded the patient's
// permission to view their SCR (an allowed alert 1/6) within
// PermissionWindow before now.
func (s *Store) PermissionGiven(ctx context.Context, user, role, patient string, now time.Time) (bool, error) {
	rows, err := s.Query(ctx, Filter{
		Patient: patient, Kinds: []Kind{PrivacyAlert}, AlertTypes: []string{"1"}, Subtypes: []string{"6"},
		Outcome: Allowed, UserUUID: user, RoleID: role,
		From: now.Add(-PermissionWindow), To: now.Add(time.Second), Limit: 1,
	})
	if err != nil {
		return false, err
	}
	return len(rows) > 0, nil
}
