package audit

import (
	"strconv"
	"time"
)

// FHIR systems and URLs of the SCR API's AuditEvent (reference/nhs/scr/AuditEvent.json).
const (
	systemAlertType     = "https://fhir.nhs.uk/CodeSystem/SCR-AlertType"
	systemAlertReason   = "https://fhir.nhs.uk/CodeSystem/SCR-AlertReason"
	systemNHSNumber     = "https://fhir.nhs.uk/Id/nhs-number"
	systemODSCode       = "https://fhir.nhs.uk/Id/ods-organization-code"
	systemSDSUser       = "https://fhir.nhs.uk/Id/sds-user-id"
	systemRoleProfile   = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	urlNotification     = "https://fhir.nhs.uk/StructureDefinition/Extension-SCR-NotificationMessage"
	systemEntityType    = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	systemEventType     = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	systemDICOM         = "http://dicom.nema.org/resources/ontology/DCM"
	systemKind          = "https://github.com/scrterm/scr/fhir/CodeSystem/audit-kind" // ours: Kind as a code
	urlPermissionToView = "https://github.com/scrterm/scr/fhir/StructureDefinition/Extension-SCR-PermissionToView"
)

// The resource types, as far as the SCR AuditEvent and our searchset use them
// (FHIR R4). The same types read a posted alert and write a stored one, so a
// pointer marks what must be told apart from absent.
type (
	auditEvent struct {
		ResourceType   string            `json:"resourceType"`
		ID             string            `json:"id,omitempty"`
		Extension      []extension       `json:"extension,omitempty"`
		Type           *coding           `json:"type,omitempty"`
		Subtype        []coding          `json:"subtype,omitempty"`
		Action         string            `json:"action,omitempty"`
		Recorded       string            `json:"recorded,omitempty"`
		Outcome        string            `json:"outcome,omitempty"`
		OutcomeDesc    string            `json:"outcomeDesc,omitempty"`
		PurposeOfEvent []codeableConcept `json:"purposeOfEvent,omitempty"`
		Agent          []agent           `json:"agent,omitempty"`
		Source         *source           `json:"source,omitempty"`
		Entity         []entity          `json:"entity,omitempty"`
	}
	extension struct {
		URL          string  `json:"url"`
		ValueString  *string `json:"valueString,omitempty"`
		ValueBoolean *bool   `json:"valueBoolean,omitempty"`
	}
	coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	codeableConcept struct {
		Coding []coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	identifier struct {
		System string `json:"system,omitempty"`
		Value  string `json:"value,omitempty"`
	}
	reference struct {
		Identifier *identifier `json:"identifier,omitempty"`
		Display    string      `json:"display,omitempty"`
	}
	agent struct {
		Who       reference         `json:"who"`
		Role      []codeableConcept `json:"role,omitempty"`
		Requestor *bool             `json:"requestor,omitempty"`
	}
	source struct {
		Observer reference `json:"observer"`
	}
	entity struct {
		What reference `json:"what"`
		Type *coding   `json:"type,omitempty"`
	}

	bundle struct {
		ResourceType string        `json:"resourceType"`
		Type         string        `json:"type"`
		Total        int           `json:"total"`
		Link         []bundleLink  `json:"link,omitempty"`
		Entry        []bundleEntry `json:"entry,omitempty"`
	}
	bundleLink struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	}
	bundleEntry struct {
		FullURL  string       `json:"fullUrl"`
		Resource auditEvent   `json:"resource"`
		Search   bundleSearch `json:"search"`
	}
	bundleSearch struct {
		Mode string `json:"mode"`
	}
)

// alertTypes and alertReasons are the displays of the SCR alert code systems
// (summary-care-record.openapi.yaml, POST /AuditEvent).
var (
	alertTypes = map[string]string{
		"1": "Create LR (Self Claimed)",
		"2": "Access Alert",
	}
	alertReasons = map[string]string{
		"1": "Access made in the public interest",
		"2": "Access required by statute",
		"3": "Access required by Court Order",
		"4": "Self-Claim Emergency Access",
		"5": "Access made in an emergency",
		"6": "Other",
	}
)

var (
	typeREST     = coding{systemEventType, "rest", "RESTful Operation"}
	typeUserAuth = coding{systemDICOM, "110114", "User Authentication"}
)

// kinds gives each Kind but PrivacyAlert (whose type is the SCR alert type) a
// standard AuditEvent type, an action (R4 AuditEventAction: C create, R read,
// E execute, which FHIR uses for a search) and words for people.
var kinds = map[Kind]struct {
	typ     coding
	action  string
	display string
}{
	SignIn:       {typeUserAuth, "E", "Smartcard sign-in"},
	RoleExchange: {typeUserAuth, "E", "Role selected"},
	SignOut:      {typeUserAuth, "E", "Sign-out"},
	PDSRead:      {typeREST, "R", "Demographics read"},
	PDSSearch:    {typeREST, "E", "Demographics search"},
	SCRConsent:   {typeREST, "E", "SCR consent and identifier looked up"},
	SCRRead:      {typeREST, "R", "SCR viewed"},
	AuditSearch:  {typeREST, "E", "Audit trail searched"},
}

// outcomes are R4 AuditEventOutcome codes.
var outcomes = map[Outcome]string{Allowed: "0", Denied: "4", Failed: "8"}

// recordedLayout is RFC 3339 with the offset written out, as AuditEvent.json
// has it ("2020-11-13T00:00:00+00:00").
const recordedLayout = "2006-01-02T15:04:05.999999999-07:00"

// toFHIR renders r as an AuditEvent in the shape of AuditEvent.json: the patient,
// organisation and user as agents identified by NHS number, ODS code and SDS
// user ID (with names as display), the SCR's UUID as the entity. The patient is
// also an entity, where FHIR's own AuditEvent search looks for it.
func toFHIR(r Record) auditEvent {
	ev := auditEvent{
		ResourceType: "AuditEvent",
		ID:           strconv.FormatInt(r.Seq, 10),
		Recorded:     r.Time.In(time.UTC).Format(recordedLayout),
		Outcome:      outcomes[r.Outcome],
		OutcomeDesc:  r.Detail,
		Source:       &source{Observer: reference{Display: "scr sandbox"}},
	}
	if r.Kind == PrivacyAlert {
		reason := coding{systemAlertReason, r.AlertSubtype, alertReasons[r.AlertSubtype]}
		ev.Type = &coding{systemAlertType, r.AlertType, alertTypes[r.AlertType]}
		ev.Subtype = []coding{reason}
		ev.Action = "C"
		ev.PurposeOfEvent = []codeableConcept{{Coding: []coding{reason}, Text: r.Reason}}
		if r.Outcome == Allowed {
			// As posted: outcomeDesc carries the clinician's words, the
			// extension the message forwarded to the privacy officer.
			ev.OutcomeDesc = r.Reason
			if r.Detail != "" {
				ev.Extension = append(ev.Extension, extension{URL: urlNotification, ValueString: &r.Detail})
			}
		}
	} else {
		k, ok := kinds[r.Kind]
		if !ok {
			k.typ, k.display = typeREST, string(r.Kind)
		}
		ev.Type = &k.typ
		ev.Subtype = []coding{{systemKind, string(r.Kind), k.display}}
		ev.Action = k.action
		if r.Reason != "" {
			ev.PurposeOfEvent = []codeableConcept{{Text: r.Reason}}
		}
	}
	if r.Kind == PrivacyAlert || r.Kind == SCRRead {
		ev.Extension = append(ev.Extension, extension{URL: urlPermissionToView, ValueBoolean: &r.Permission})
	}

	// requestor is false throughout, as in AuditEvent.json (Spine refuses an
	// alert with any other value).
	no := false
	if r.Patient != "" {
		ev.Agent = append(ev.Agent, agent{Who: reference{Identifier: &identifier{systemNHSNumber, r.Patient}}, Requestor: &no})
	}
	if r.OrgCode != "" {
		ev.Agent = append(ev.Agent, agent{Who: reference{Identifier: &identifier{systemODSCode, r.OrgCode}, Display: r.OrgName}, Requestor: &no})
	}
	if r.UserUUID != "" || r.UserName != "" {
		user := agent{Who: reference{Display: r.UserName}, Requestor: &no}
		if r.UserUUID != "" {
			user.Who.Identifier = &identifier{systemSDSUser, r.UserUUID}
		}
		if r.RoleID != "" || r.RoleName != "" {
			role := codeableConcept{Text: r.RoleName}
			if r.RoleID != "" {
				role.Coding = []coding{{System: systemRoleProfile, Code: r.RoleID}}
			}
			user.Role = []codeableConcept{role}
		}
		ev.Agent = append(ev.Agent, user)
	}

	if r.SCRID != "" {
		ev.Entity = append(ev.Entity, entity{
			What: reference{Identifier: &identifier{Value: r.SCRID}},
			Type: &coding{systemEntityType, "2", "System Object"},
		})
	}
	if r.Patient != "" {
		ev.Entity = append(ev.Entity, entity{
			What: reference{Identifier: &identifier{systemNHSNumber, r.Patient}},
			Type: &coding{systemEntityType, "1", "Person"},
		})
	}
	return ev
}

// searchset is rs as a FHIR searchset Bundle; base is the AuditEvent endpoint's
// absolute URL, self the search's.
func searchset(rs []Record, base, self string) bundle {
	b := bundle{ResourceType: "Bundle", Type: "searchset", Total: len(rs), Link: []bundleLink{{"self", self}}}
	for _, r := range rs {
		ev := toFHIR(r)
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + ev.ID, Resource: ev, Search: bundleSearch{"match"}})
	}
	return b
}
