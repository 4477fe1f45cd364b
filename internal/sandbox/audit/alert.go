package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// alertRule is one permitted row of the type/subtype table of POST /AuditEvent
// in summary-care-record.openapi.yaml, with what the sending role must be
// allowed to do.
type alertRule struct {
	needs      rbac.Permission
	permission bool // the record is viewed with the patient's permission
}

type alertKey struct{ typ, subtype string }

// alertRules are the table's permitted rows; the rest (1/5, 2/4, 2/6) are
// refused. The RBAC table of API.md names B0082 for type 1 subtypes 1–3 and
// B0168 for type 2 subtype 5; the rest follow the table's own "business
// scenario" column, read the same way:
//   - legal reasons (subtypes 1–3) need legal override, for type 2 as for type 1;
//   - emergency reasons (1/4 Self-Claim Emergency Access, like 2/5) need
//     emergency access;
//   - 1/6 "Other" is an access with the patient's permission: an ordinary
//     viewing activity is enough.
var alertRules = map[alertKey]alertRule{
	{"1", "1"}: {needs: rbac.LegalOverride},
	{"1", "2"}: {needs: rbac.LegalOverride},
	{"1", "3"}: {needs: rbac.LegalOverride},
	{"1", "4"}: {needs: rbac.EmergencyView},
	{"1", "6"}: {needs: rbac.ViewSCR, permission: true},
	{"2", "1"}: {needs: rbac.LegalOverride},
	{"2", "2"}: {needs: rbac.LegalOverride},
	{"2", "3"}: {needs: rbac.LegalOverride},
	{"2", "5"}: {needs: rbac.EmergencyView},
}

// alert is a privacy alert that passed validation.
type alert struct {
	alertKey
	rule         alertRule
	patient      string // NHS number
	org          string // ODS code of the sender's organisation
	user         string // SDS user ID of the sender
	scrID        string // the SCR the alert is about
	notification string // Extension-SCR-NotificationMessage
	reason       string // outcomeDesc: the clinician's words
}

// invalidError is a posted resource or search the API refuses with 400.
type invalidError struct {
	spineCode string // Spine-ErrorOrWarningCode, or ""
	msg       string
}

func (e *invalidError) Error() string { return e.msg }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// parseAlert reads a posted AuditEvent and checks it as Spine's SCR API does:
// the elements the published schema requires (id, one notification extension,
// type and exactly one subtype from the SCR code systems, recorded, the
// patient, organisation and user agents, each with requestor false and the user
// with a role, exactly one entity naming the SCR), and a permitted type/subtype.
// The patient is the agent identified by NHS number: in AuditEvent.json the
// entity is the SCR's UUID, not the patient.
func parseAlert(body []byte) (alert, error) {
	var ev auditEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&ev); err != nil {
		// Name the element, not the Go type it was decoded into.
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
			return alert{}, invalid("'%s' cannot be a JSON %s", te.Field, te.Value)
		}
		return alert{}, invalid("the body is not a FHIR JSON AuditEvent: %v", err)
	}
	if dec.More() {
		return alert{}, invalid("the body holds more than one JSON value")
	}
	if ev.ResourceType != "AuditEvent" {
		return alert{}, invalid("resourceType is %q, not AuditEvent", ev.ResourceType)
	}
	if strings.TrimSpace(ev.ID) == "" {
		return alert{}, invalid("'id' element is missing")
	}

	var a alert
	var found int
	for _, x := range ev.Extension {
		if x.URL == urlNotification {
			found++
			if x.ValueString != nil {
				a.notification = *x.ValueString
			}
		}
	}
	if found != 1 {
		return alert{}, invalid("expecting exactly one 'extension' with url %s", urlNotification)
	}
	if strings.TrimSpace(a.notification) == "" {
		return alert{}, invalid("'valueString' of extension %s is missing", urlNotification)
	}

	if ev.Type == nil || ev.Type.System != systemAlertType {
		return alert{}, invalid("'type.system' must be %s", systemAlertType)
	}
	if _, ok := alertTypes[ev.Type.Code]; !ok {
		return alert{}, invalid("'type.code' %q: supported values are 1, 2", ev.Type.Code)
	}
	if strings.TrimSpace(ev.Type.Display) == "" {
		return alert{}, invalid("'type.display' is missing")
	}
	if len(ev.Subtype) != 1 {
		return alert{}, invalid("expecting exactly one 'subtype', got %d", len(ev.Subtype))
	}
	sub := ev.Subtype[0]
	if sub.System != systemAlertReason {
		return alert{}, invalid("'subtype.system' must be %s", systemAlertReason)
	}
	if _, ok := alertReasons[sub.Code]; !ok {
		return alert{}, invalid("'subtype.code' %q: supported values are 1, 2, 3, 4, 5, 6", sub.Code)
	}
	if strings.TrimSpace(sub.Display) == "" {
		return alert{}, invalid("'subtype.display' is missing")
	}
	a.alertKey = alertKey{ev.Type.Code, sub.Code}
	rule, ok := alertRules[a.alertKey]
	if !ok {
		return alert{}, invalid("alert type %s with subtype %s is not a permitted combination", a.typ, a.subtype)
	}
	a.rule = rule

	if ev.Recorded == "" {
		return alert{}, invalid("'recorded' element is missing")
	}
	if _, _, err := parseFHIRTime(ev.Recorded); err != nil {
		return alert{}, invalid("'recorded' %q is not a FHIR dateTime", ev.Recorded)
	}

	patient, err := agentWith(ev.Agent, systemNHSNumber)
	if err != nil {
		return alert{}, err
	}
	org, err := agentWith(ev.Agent, systemODSCode)
	if err != nil {
		return alert{}, err
	}
	user, err := agentWith(ev.Agent, systemSDSUser)
	if err != nil {
		return alert{}, err
	}
	if !hasRole(user) {
		return alert{}, invalid("the 'agent' with system %s needs a non-empty 'role'", systemSDSUser)
	}
	a.patient, a.org, a.user = patient.Who.Identifier.Value, org.Who.Identifier.Value, user.Who.Identifier.Value
	if !validNHSNumber(a.patient) {
		return alert{}, &invalidError{wire.SpineInvalidNHSNumber, fmt.Sprintf("%q is not a valid NHS number", a.patient)}
	}

	if len(ev.Entity) != 1 {
		return alert{}, invalid("expecting exactly one 'entity', got %d", len(ev.Entity))
	}
	id := ev.Entity[0].What.Identifier
	if id == nil || strings.TrimSpace(id.Value) == "" {
		return alert{}, invalid("'entity.what.identifier.value' is missing")
	}
	a.scrID = id.Value
	a.reason = ev.OutcomeDesc
	return a, nil
}

// agentWith is the one agent identified in system, which must say it is not
// the requestor (as Spine's validator insists).
func agentWith(agents []agent, system string) (agent, error) {
	var found []agent
	for _, ag := range agents {
		if id := ag.Who.Identifier; id != nil && id.System == system && strings.TrimSpace(id.Value) != "" {
			found = append(found, ag)
		}
	}
	switch {
	case len(found) == 0:
		return agent{}, invalid("missing 'agent' with 'who.identifier.system' %s and a value", system)
	case len(found) > 1:
		return agent{}, invalid("expecting exactly one 'agent' with 'who.identifier.system' %s", system)
	case found[0].Requestor == nil || *found[0].Requestor:
		return agent{}, invalid("'requestor' of the 'agent' with system %s must be false", system)
	}
	return found[0], nil
}

func hasRole(ag agent) bool {
	for _, r := range ag.Role {
		if strings.TrimSpace(r.Text) != "" || len(r.Coding) > 0 {
			return true
		}
	}
	return false
}

// validNHSNumber checks the form and the modulus 11 check digit of an NHS
// number (NHS Data Dictionary, "NHS Number").
func validNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := range 10 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i < 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
	}
	check := (11 - sum%11) % 11
	return check != 10 && check == int(s[9]-'0')
}
