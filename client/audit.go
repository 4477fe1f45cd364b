package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/google/uuid"

	"github.com/scrterm/scr/internal/safetext"
)

// The audit calls of API.md section 3, items 3 and 4: the privacy alert a
// clinician sends before viewing an SCR without the patient's permission, and
// the Subject Access Request search a privacy officer reads.

const scrAuditEventPath = "/summary-care-record/FHIR/R4/AuditEvent"

// FHIR systems of the SCR AuditEvent (reference/nhs/scr/AuditEvent.json) and
// the sandbox's extension saying whether an access had permission.
const (
	alertTypeSystem     = "https://fhir.nhs.uk/CodeSystem/SCR-AlertType"
	alertReasonSystem   = "https://fhir.nhs.uk/CodeSystem/SCR-AlertReason"
	odsCodeSystem       = "https://fhir.nhs.uk/Id/ods-organization-code"
	sdsUserSystem       = "https://fhir.nhs.uk/Id/sds-user-id"
	sdsRoleSystem       = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	notificationURL     = "https://fhir.nhs.uk/StructureDefinition/Extension-SCR-NotificationMessage"
	permissionToViewURL = "https://github.com/scrterm/scr/fhir/StructureDefinition/Extension-SCR-PermissionToView"
)

// AlertReason is why an SCR is viewed: one permitted type/subtype row of the
// POST /AuditEvent table in summary-care-record.openapi.yaml. Rows Spine
// refuses (1/5, 2/4, 2/6) have no value, so they cannot be sent. The zero
// value is no reason at all and is refused before anything is sent.
type AlertReason int

const (
	_ AlertReason = iota
	// Type 2 "Access Alert": the record is viewed without permission.
	AlertEmergency      // 2/5 Access made in an emergency (B0168)
	AlertPublicInterest // 2/1 Access made in the public interest (B0082)
	AlertStatute        // 2/2 Access required by statute (B0082)
	AlertCourtOrder     // 2/3 Access required by Court Order (B0082)
	// Type 1 "Create LR (Self Claimed)": the user claims a legitimate
	// relationship with the patient.
	AlertLRWithPermission     // 1/6 Other: with the patient's permission
	AlertLRSelfClaimEmergency // 1/4 Self-Claim Emergency Access (B0168)
	AlertLRPublicInterest     // 1/1 Access made in the public interest (B0082)
	AlertLRStatute            // 1/2 Access required by statute (B0082)
	AlertLRCourtOrder         // 1/3 Access required by Court Order (B0082)
)

// alertRow is a reason's codes and displays; Spine requires every display.
type alertRow struct{ typ, typDisplay, sub, subDisplay string }

const (
	alertTypeLR     = "Create LR (Self Claimed)"
	alertTypeAccess = "Access Alert"
)

var alertRows = map[AlertReason]alertRow{
	AlertEmergency:            {"2", alertTypeAccess, "5", "Access made in an emergency"},
	AlertPublicInterest:       {"2", alertTypeAccess, "1", "Access made in the public interest"},
	AlertStatute:              {"2", alertTypeAccess, "2", "Access required by statute"},
	AlertCourtOrder:           {"2", alertTypeAccess, "3", "Access required by Court Order"},
	AlertLRWithPermission:     {"1", alertTypeLR, "6", "Other"},
	AlertLRSelfClaimEmergency: {"1", alertTypeLR, "4", "Self-Claim Emergency Access"},
	AlertLRPublicInterest:     {"1", alertTypeLR, "1", "Access made in the public interest"},
	AlertLRStatute:            {"1", alertTypeLR, "2", "Access required by statute"},
	AlertLRCourtOrder:         {"1", alertTypeLR, "3", "Access required by Court Order"},
}

// String is the reason's words, as the SCR code system displays them.
func (r AlertReason) String() string {
	if row, ok := alertRows[r]; ok {
		return row.typDisplay + ": " + row.subDisplay
	}
	return fmt.Sprintf("AlertReason(%d)", int(r))
}

// PrivacyAlert is what the viewer knows when it must raise an alert: the
// patient, the SCR about to be shown (Consent.SCRID), why, and the user's own
// words, which reach the privacy officer.
type PrivacyAlert struct {
	NHS    NHSNumber
	SCRID  string
	Reason AlertReason
	Note   string
}

// The parts of the AuditEvent this file writes and reads (FHIR R4).
type (
	fhirAuditEvent struct {
		ResourceType   string            `json:"resourceType"`
		ID             string            `json:"id,omitempty"`
		Extension      []auditExtension  `json:"extension,omitempty"`
		Type           *auditCoding      `json:"type,omitempty"`
		Subtype        []auditCoding     `json:"subtype,omitempty"`
		Recorded       string            `json:"recorded,omitempty"`
		Outcome        string            `json:"outcome,omitempty"`
		OutcomeDesc    string            `json:"outcomeDesc,omitempty"`
		PurposeOfEvent []auditConcept    `json:"purposeOfEvent,omitempty"`
		Agent          []fhirAuditAgent  `json:"agent,omitempty"`
		Entity         []fhirAuditEntity `json:"entity,omitempty"`
	}
	auditExtension struct {
		URL          string  `json:"url"`
		ValueString  *string `json:"valueString,omitempty"`
		ValueBoolean *bool   `json:"valueBoolean,omitempty"`
	}
	auditCoding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	auditConcept struct {
		Coding []auditCoding `json:"coding,omitempty"`
		Text   string        `json:"text,omitempty"`
	}
	auditIdentifier struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value"`
	}
	auditRef struct {
		Identifier *auditIdentifier `json:"identifier,omitempty"`
		Display    string           `json:"display,omitempty"`
	}
	fhirAuditAgent struct {
		Who       auditRef       `json:"who"`
		Role      []auditConcept `json:"role,omitempty"`
		Requestor bool           `json:"requestor"`
	}
	fhirAuditEntity struct {
		What auditRef `json:"what"`
	}
)

// SendPrivacyAlert posts the privacy alert (API.md section 3, item 3), which
// must succeed before the record is shown. The sender is the signed-in user in
// the chosen role: the server refuses an alert naming anyone else. A role
// without the activity the reason needs gets *ForbiddenError; an alert Spine
// calls malformed (a 400: NHS number agent missing, several organisations,
// INVALID_VALUE) *RequestFaultError, the viewer's fault. Either way the
// record must not be shown.
//
// It is never retried (send retries GETs only): an alert whose answer was lost
// may have been recorded, and a second one would tell the privacy officer of
// two accesses. On a *TimeoutError or *UnavailableError the caller decides.
func (s *Session) SendPrivacyAlert(ctx context.Context, a PrivacyAlert) error {
	row, ok := alertRows[a.Reason]
	if !ok {
		return fmt.Errorf("client: %v is not a reason a privacy alert may give", a.Reason)
	}
	if _, err := ParseNHSNumber(string(a.NHS)); err != nil {
		return fmt.Errorf("client: privacy alert: %w", err)
	}
	if strings.TrimSpace(a.SCRID) == "" {
		return errors.New("client: privacy alert: no SCR ID")
	}
	req, err := s.scrRequest(ctx, apiRequest{method: http.MethodPost, path: scrAuditEventPath})
	if err != nil {
		return err
	}
	// The role is read after the token, and must be the one the token is for:
	// a ChooseRole in between would otherwise send one role's token with
	// another's organisation, which the server refuses as a bad request.
	role, ok := s.Role()
	if !ok || role.ID != req.roleID {
		return &SignedOutError{ServerReply{Code: "no_role", Text: "the role changed while the alert was being sent"}}
	}
	notification := fmt.Sprintf("Alert: %s %s", row.subDisplay, a.SCRID)
	ev := fhirAuditEvent{
		ResourceType: "AuditEvent",
		ID:           uuid.NewString(), // Spine requires one; the server assigns its own
		Extension:    []auditExtension{{URL: notificationURL, ValueString: &notification}},
		Type:         &auditCoding{alertTypeSystem, row.typ, row.typDisplay},
		Subtype:      []auditCoding{{alertReasonSystem, row.sub, row.subDisplay}},
		Recorded:     time.Now().UTC().Format(time.RFC3339),
		OutcomeDesc:  a.Note,
		// requestor is false throughout: Spine refuses any other value.
		Agent: []fhirAuditAgent{
			{Who: auditRef{Identifier: &auditIdentifier{nhsNumberSystem, string(a.NHS)}}},
			{Who: auditRef{Identifier: &auditIdentifier{odsCodeSystem, role.OrgCode}}},
			{
				Who: auditRef{Identifier: &auditIdentifier{sdsUserSystem, s.UserUUID}},
				Role: []auditConcept{{
					Coding: []auditCoding{{System: sdsRoleSystem, Code: role.ID}},
					Text:   role.Name,
				}},
			},
		},
		// The entity is the SCR, not the patient (AuditEvent.json).
		Entity: []fhirAuditEntity{{What: auditRef{Identifier: &auditIdentifier{Value: a.SCRID}}}},
	}
	if req.json, err = json.Marshal(ev); err != nil {
		return fmt.Errorf("client: privacy alert: %w", err)
	}
	res, err := s.client.send(ctx, req)
	if err != nil {
		return err
	}
	// Any other 2xx is not the contract's "created": the alert may not have
	// been recorded, so the record must not be shown on its strength.
	if res.status != http.StatusCreated {
		return &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: "privacy alert not answered 201 Created"}
	}
	return nil
}

// Access is one entry of an audit report: who touched a patient's records,
// when, in which role and organisation, why, and whether it was allowed.
type Access struct {
	When     time.Time
	Patient  NHSNumber // whose record; empty when the server did not say
	UserName string
	UserUUID string
	RoleName string
	OrgCode  string
	OrgName  string
	// Kind is what was done: for a privacy alert its type and reason
	// ("Access Alert: Access made in an emergency"), else the server's words
	// ("SCR viewed", "Demographics read", …).
	Kind string
	// Outcome says whether it happened: the trail keeps refused attempts too,
	// and a refused emergency alert must not read as an emergency access.
	Outcome AccessOutcome
	// WithPermission is true only when the server says the access had the
	// patient's permission; an access it says nothing about is reported
	// without, the side a privacy officer should look at.
	WithPermission bool
	// Reason is the user's own words, or failing those the coded reason.
	Reason string
}

// AccessOutcome is an AuditEvent's outcome (FHIR R4 AuditEvent.outcome).
type AccessOutcome int

const (
	AccessSucceeded AccessOutcome = iota // 0
	AccessRefused                        // 4: the server refused it
	AccessFailed                         // 8 and above: an error stopped it
)

func (o AccessOutcome) String() string {
	switch o {
	case AccessSucceeded:
		return "succeeded"
	case AccessRefused:
		return "refused"
	default:
		return "failed"
	}
}

// AccessReport is the Subject Access Request (API.md section 3, item 4):
// every access to patient nhs's records between from and to, inclusive. A
// zero from or to leaves that end open. Only a privacy officer's role may
// ask; any other gets *ForbiddenError.
func (s *Session) AccessReport(ctx context.Context, nhs NHSNumber, from, to time.Time) ([]Access, error) {
	if _, err := ParseNHSNumber(string(nhs)); err != nil {
		return nil, fmt.Errorf("client: access report: %w", err)
	}
	q := url.Values{"patient": {nhsIdentifier(nhs)}}
	return s.auditSearch(ctx, q, from, to)
}

// AlertType selects privacy alerts of one type in AlertReport.
type AlertType string

const (
	AlertTypeLegitimateRelationship AlertType = "1" // Create LR (Self Claimed)
	AlertTypeAccess                 AlertType = "2" // Access Alert: without permission
)

// AlertReport is the privacy officer's report (API.md section 3, item 4,
// without a patient): the privacy alerts raised in the officer's own
// organisation between from and to, inclusive, of the given types (all when
// none is given), for every patient. Only a privacy officer's role may ask.
func (s *Session) AlertReport(ctx context.Context, from, to time.Time, types ...AlertType) ([]Access, error) {
	q := url.Values{}
	if len(types) > 0 {
		codes := make([]string, len(types))
		for i, t := range types {
			codes[i] = string(t)
		}
		q.Set("type", strings.Join(codes, ","))
	}
	return s.auditSearch(ctx, q, from, to)
}

func (s *Session) auditSearch(ctx context.Context, q url.Values, from, to time.Time) ([]Access, error) {
	// dateTimes to the second, in UTC: a bare date would be read as a whole
	// UTC day, not the local one the caller meant.
	if !from.IsZero() {
		q.Add("date", "ge"+from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		q.Add("date", "le"+to.UTC().Format(time.RFC3339))
	}
	res, err := s.getBody(ctx, scrAuditEventPath, q)
	if err != nil {
		return nil, err
	}
	as, err := parseAccessReport(res.body)
	if err != nil {
		return nil, invalid(res, "unusable AuditEvent search", err)
	}
	return as, nil
}

// parseAccessReport reads a searchset Bundle of AuditEvents.
func parseAccessReport(body []byte) ([]Access, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource fhirAuditEvent `json:"resource"`
		} `json:"entry"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return nil, err
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("resourceType %q, not Bundle", b.ResourceType)
	}
	out := make([]Access, 0, len(b.Entry))
	for i, e := range b.Entry {
		ev := e.Resource
		if ev.ResourceType != "AuditEvent" {
			return nil, fmt.Errorf("entry %d is a %q, not an AuditEvent", i, ev.ResourceType)
		}
		// A row without a time cannot be placed in the report, and a report
		// with a row silently dropped would mislead: refuse the whole.
		when, err := time.Parse(time.RFC3339Nano, ev.Recorded)
		if err != nil {
			return nil, fmt.Errorf("entry %d: recorded %q: %w", i, ev.Recorded, err)
		}
		a := Access{When: when, Kind: safetext.Line(eventAction(ev)), Outcome: eventOutcome(ev), Reason: eventReason(ev)}
		for _, ag := range ev.Agent {
			if ag.Who.Identifier == nil {
				continue
			}
			switch ag.Who.Identifier.System {
			case odsCodeSystem:
				a.OrgCode, a.OrgName = ag.Who.Identifier.Value, ag.Who.Display
			case nhsNumberSystem:
				// An invalid number stays empty rather than naming someone else.
				a.Patient, _ = ParseNHSNumber(ag.Who.Identifier.Value)
			case sdsUserSystem:
				a.UserUUID, a.UserName = ag.Who.Identifier.Value, ag.Who.Display
				if len(ag.Role) > 0 {
					a.RoleName = ag.Role[0].Text
				}
			}
		}
		for _, x := range ev.Extension {
			if x.URL == permissionToViewURL && x.ValueBoolean != nil {
				a.WithPermission = *x.ValueBoolean
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// eventOutcome reads AuditEvent.outcome; none sent is a success, as R4 has it.
func eventOutcome(ev fhirAuditEvent) AccessOutcome {
	switch ev.Outcome {
	case "", "0":
		return AccessSucceeded
	case "4":
		return AccessRefused
	default:
		return AccessFailed
	}
}

// eventAction names what an AuditEvent records: a privacy alert by its type
// and reason, anything else by its subtype's display (the sandbox's kind).
func eventAction(ev fhirAuditEvent) string {
	var sub string
	if len(ev.Subtype) > 0 {
		sub = ev.Subtype[0].Display
	}
	if ev.Type != nil && ev.Type.System == alertTypeSystem {
		return ev.Type.Display + ": " + sub
	}
	if sub == "" && ev.Type != nil {
		return ev.Type.Display
	}
	return sub
}

// eventReason is the user's words (purposeOfEvent text, or outcomeDesc as an
// alert is posted), else the coded reason's display.
func eventReason(ev fhirAuditEvent) string {
	for _, p := range ev.PurposeOfEvent {
		if strings.TrimSpace(p.Text) != "" {
			return p.Text
		}
	}
	isAlert := ev.Type != nil && ev.Type.System == alertTypeSystem
	if isAlert && strings.TrimSpace(ev.OutcomeDesc) != "" {
		return ev.OutcomeDesc
	}
	for _, p := range ev.PurposeOfEvent {
		for _, c := range p.Coding {
			if c.Display != "" {
				return c.Display
			}
		}
	}
	return ""
}
