package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

const (
	patientA = "9000000009"
	patientB = "9000000017"
)

// sessions are the callers the tests sign in as, chosen with X-Test-Session.
var sessions = map[string]wire.Session{
	"emergency": {UserUUID: "555021935107", UserName: "Dr Ada Emergency", RoleID: "555021936108",
		RoleName: "Emergency Medicine Consultant", OrgCode: "RBA", OrgName: "Taunton and Somerset",
		Activities: []string{rbac.ViewSummaryHealthRecords, rbac.EmergencyAccessSCR}},
	"gp": {UserUUID: "555021935108", UserName: "Dr Gail Practice", RoleID: "555021936109",
		RoleName: "General Medical Practitioner", OrgCode: "RBA", OrgName: "Taunton and Somerset",
		Activities: []string{rbac.AccessSCRApplication}},
	"legal": {UserUUID: "555021935109", UserName: "Lee Gal", RoleID: "555021936110",
		RoleName: "Clinical Coder", OrgCode: "RBA", OrgName: "Taunton and Somerset",
		Activities: []string{rbac.ViewSummaryHealthRecords, rbac.LegalOverrideOfConsent}},
	"pharmacist": {UserUUID: "555021935110", UserName: "Phil Armacist", RoleID: "555021936111",
		RoleName: "Pharmacist", OrgCode: "FA123", OrgName: "High Street Pharmacy",
		Activities: []string{rbac.ViewPatientMedication, rbac.EmergencyAccessSCR}},
	"officer": {UserUUID: "555021935111", UserName: "Priya Officer", RoleID: "555021936112",
		RoleName: "Privacy Officer", OrgCode: "RBA", OrgName: "Taunton and Somerset",
		Activities: []string{rbac.ReceiveEmergencyViewAlerts}},
}

// fakeProtect stands in for the identity middleware.
func fakeProtect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := sessions[r.Header.Get("X-Test-Session")]
		if !ok {
			wire.Outcome(w, http.StatusUnauthorized, "forbidden", "", "no token")
			return
		}
		next.ServeHTTP(w, r.WithContext(wire.WithSession(r.Context(), s)))
	})
}

type env struct {
	t     *testing.T
	store *Store
	mux   *http.ServeMux
	now   time.Time
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, store: openMemory(t), mux: http.NewServeMux(), now: t0}
	NewHandlers(e.store, func() time.Time { return e.now }).Routes(e.mux, fakeProtect)
	return e
}

func (e *env) do(method, target, who, contentType string, body []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if who != "" {
		req.Header.Set("X-Test-Session", who)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Request-ID", "60E0B220-8136-4CA5-AE46-1D97EF59D068")
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	return w
}

// post sends an alert from who about patient, of type typ and subtype sub.
func (e *env) post(who, patient, typ, sub string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do("POST", auditPath, who, wire.ContentFHIR, alertBody(e.t, sessions[who], func(ev map[string]any) {
		setAlert(ev, typ, sub)
		setAgent(ev, systemNHSNumber, patient)
	}))
}

func (e *env) records() []Record {
	e.t.Helper()
	rs, err := e.store.Query(context.Background(), Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// alertBody is the published AuditEvent.json, sent as s, changed by edit.
func alertBody(t *testing.T, s wire.Session, edit func(ev map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/AuditEvent.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	setAgent(ev, systemODSCode, s.OrgCode)
	setAgent(ev, systemSDSUser, s.UserUUID)
	if edit != nil {
		edit(ev)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setAgent(ev map[string]any, system, value string) {
	for _, a := range ev["agent"].([]any) {
		id := a.(map[string]any)["who"].(map[string]any)["identifier"].(map[string]any)
		if id["system"] == system {
			id["value"] = value
		}
	}
}

func setAlert(ev map[string]any, typ, sub string) {
	ev["type"].(map[string]any)["code"] = typ
	ev["type"].(map[string]any)["display"] = alertTypes[typ]
	s := ev["subtype"].([]any)[0].(map[string]any)
	s["code"] = sub
	s["display"] = alertReasons[sub]
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", w.Body, err)
	}
	return v
}

// The published example is accepted as it is.
func TestParseAlertPublishedExample(t *testing.T) {
	raw, err := os.ReadFile("testdata/AuditEvent.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseAlert(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := alert{
		alertKey: alertKey{"1", "1"}, rule: alertRule{needs: rbac.LegalOverride},
		patient: "9000000009", org: "T10101", user: "T10101",
		scrID:        "1C03CF4F-D404-4D76-B192-4F81727059F6",
		notification: "Alert: Permission to view override 1C03CF4F-D404-4D76-B192-4F81727059F6",
		reason:       "a test alert",
	}
	if a != want {
		t.Errorf("parseAlert:\n got %+v\nwant %+v", a, want)
	}
}

func TestParseAlertInvalid(t *testing.T) {
	del := func(key string) func(map[string]any) { return func(ev map[string]any) { delete(ev, key) } }
	tests := []struct {
		name  string
		edit  func(ev map[string]any)
		raw   string // instead of the example, if set
		want  string // in the diagnostics
		spine string
	}{
		{name: "not JSON", raw: "<AuditEvent/>", want: "not a FHIR JSON"},
		{name: "wrong JSON type", edit: func(ev map[string]any) { ev["subtype"] = "5" }, want: "'subtype' cannot be a JSON string"},
		{name: "two values", raw: `{"resourceType":"AuditEvent"} {}`, want: "more than one"},
		{name: "another resource", edit: func(ev map[string]any) { ev["resourceType"] = "Patient" }, want: "resourceType"},
		{name: "no id", edit: del("id"), want: "'id'"},
		{name: "no extension", edit: del("extension"), want: "extension"},
		{name: "empty notification", edit: func(ev map[string]any) {
			ev["extension"].([]any)[0].(map[string]any)["valueString"] = " "
		}, want: "valueString"},
		{name: "no type", edit: del("type"), want: "type.system"},
		{name: "type system", edit: func(ev map[string]any) {
			ev["type"].(map[string]any)["system"] = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
		}, want: "type.system"},
		{name: "type 3", edit: func(ev map[string]any) { ev["type"].(map[string]any)["code"] = "3" }, want: "type.code"},
		{name: "type display", edit: func(ev map[string]any) { delete(ev["type"].(map[string]any), "display") }, want: "type.display"},
		{name: "two subtypes", edit: func(ev map[string]any) {
			ev["subtype"] = append(ev["subtype"].([]any), ev["subtype"].([]any)[0])
		}, want: "exactly one 'subtype'"},
		{name: "subtype 7", edit: func(ev map[string]any) { setAlert(ev, "2", "7") }, want: "subtype.code"},
		{name: "subtype system", edit: func(ev map[string]any) {
			ev["subtype"].([]any)[0].(map[string]any)["system"] = "https://fhir.nhs.uk/R4/CodeSystem/SCR-AlertReason"
		}, want: "subtype.system"},
		{name: "1/5 not permitted", edit: func(ev map[string]any) { setAlert(ev, "1", "5") }, want: "not a permitted combination"},
		{name: "2/4 not permitted", edit: func(ev map[string]any) { setAlert(ev, "2", "4") }, want: "not a permitted combination"},
		{name: "2/6 not permitted", edit: func(ev map[string]any) { setAlert(ev, "2", "6") }, want: "not a permitted combination"},
		{name: "no recorded", edit: del("recorded"), want: "'recorded'"},
		{name: "bad recorded", edit: func(ev map[string]any) { ev["recorded"] = "13/11/2020" }, want: "'recorded'"},
		{name: "no patient", edit: func(ev map[string]any) { setAgent(ev, systemNHSNumber, "") }, want: "nhs-number"},
		{name: "two organisations", edit: func(ev map[string]any) {
			ev["agent"] = append(ev["agent"].([]any), ev["agent"].([]any)[1])
		}, want: "exactly one 'agent'"},
		{name: "requestor true", edit: func(ev map[string]any) {
			ev["agent"].([]any)[2].(map[string]any)["requestor"] = true
		}, want: "requestor"},
		{name: "requestor missing", edit: func(ev map[string]any) {
			delete(ev["agent"].([]any)[0].(map[string]any), "requestor")
		}, want: "requestor"},
		{name: "user without role", edit: func(ev map[string]any) {
			delete(ev["agent"].([]any)[2].(map[string]any), "role")
		}, want: "role"},
		{name: "bad check digit", edit: func(ev map[string]any) { setAgent(ev, systemNHSNumber, "9000000008") },
			want: "not a valid NHS number", spine: wire.SpineInvalidNHSNumber},
		{name: "no entity", edit: del("entity"), want: "exactly one 'entity'"},
		{name: "entity without value", edit: func(ev map[string]any) {
			ev["entity"] = []any{map[string]any{"what": map[string]any{"identifier": map[string]any{}}}}
		}, want: "entity.what.identifier.value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.raw)
			if tt.raw == "" {
				body = alertBody(t, wire.Session{OrgCode: "T10101", UserUUID: "T10101"}, tt.edit)
			}
			_, err := parseAlert(body)
			ie, ok := err.(*invalidError)
			if !ok {
				t.Fatalf("parseAlert = %v, want an *invalidError", err)
			}
			if !strings.Contains(ie.msg, tt.want) || ie.spineCode != tt.spine {
				t.Errorf("parseAlert = %q (spine %q), want %q (spine %q)", ie.msg, ie.spineCode, tt.want, tt.spine)
			}
		})
	}
}

// alertRules is exactly the OpenAPI table: every type/subtype pair is in it
// but the three the table marks "Not a permitted combination".
func TestAlertRulesAreTheTable(t *testing.T) {
	refused := []alertKey{{"1", "5"}, {"2", "4"}, {"2", "6"}}
	for typ := range alertTypes {
		for sub := range alertReasons {
			k := alertKey{typ, sub}
			_, ok := alertRules[k]
			if ok == slices.Contains(refused, k) {
				t.Errorf("type %s subtype %s: in alertRules = %t", typ, sub, ok)
			}
		}
	}
}

func TestCreateAlert(t *testing.T) {
	e := newEnv(t)
	w := e.post("emergency", patientA, "2", "5")
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != wire.ContentFHIR {
		t.Errorf("Content-Type %q", ct)
	}
	if loc := w.Header().Get("Location"); loc != "http://example.com"+auditPath+"/1" {
		t.Errorf("Location %q", loc)
	}

	rs := e.records()
	if len(rs) != 1 {
		t.Fatalf("%d records, want 1", len(rs))
	}
	s := sessions["emergency"]
	want := Record{
		Seq: 1, Time: t0, Kind: PrivacyAlert, UserUUID: s.UserUUID, UserName: s.UserName, RoleID: s.RoleID,
		RoleName: s.RoleName, OrgCode: s.OrgCode, OrgName: s.OrgName, Activity: rbac.EmergencyAccessSCR,
		Patient: patientA, SCRID: "1C03CF4F-D404-4D76-B192-4F81727059F6",
		RequestID: "60E0B220-8136-4CA5-AE46-1D97EF59D068", Outcome: Allowed,
		Detail:    "Alert: Permission to view override 1C03CF4F-D404-4D76-B192-4F81727059F6",
		AlertType: "2", AlertSubtype: "5", Reason: "a test alert",
		PrevHash: zeroHash, Hash: rs[0].Hash,
	}
	if rs[0] != want {
		t.Errorf("recorded:\n got %+v\nwant %+v", rs[0], want)
	}

	ev := decode[auditEvent](t, w)
	if ev.ID != "1" || ev.Type.Code != "2" || ev.Subtype[0].Code != "5" || ev.Subtype[0].Display != "Access made in an emergency" ||
		ev.Recorded != "2026-03-02T09:30:00+00:00" || ev.OutcomeDesc != "a test alert" || ev.Outcome != "0" {
		t.Errorf("response: %s", w.Body)
	}
}

// The stored AuditEvent has every element of the published example, of the
// same JSON type, but source.observer's ASID: the sandbox has none.
func TestRenderedShapeMatchesExample(t *testing.T) {
	e := newEnv(t)
	w := e.post("emergency", patientA, "2", "5")
	raw, _ := os.ReadFile("testdata/AuditEvent.json")
	var example, got any
	json.Unmarshal(raw, &example)
	json.Unmarshal(w.Body.Bytes(), &got)
	have := map[string]string{}
	shape(got, "", have)
	want := map[string]string{}
	shape(example, "", want)
	for path, typ := range want {
		if strings.HasPrefix(path, "source.observer.identifier") {
			continue
		}
		if have[path] != typ {
			t.Errorf("%s: %q in the example, %q in ours", path, typ, have[path])
		}
	}
}

// shape maps each JSON path in v ("agent[].who.identifier.system") to its type.
func shape(v any, path string, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, x := range v {
			shape(x, strings.TrimPrefix(path+"."+k, "."), out)
		}
	case []any:
		out[path] = "array"
		for _, x := range v {
			shape(x, path+"[]", out)
		}
	case string:
		out[path] = "string"
	case bool:
		out[path] = "bool"
	default:
		out[path] = "other"
	}
}

func TestCreateAlertRBAC(t *testing.T) {
	tests := []struct {
		who, typ, sub string
		want          int
		permission    bool
	}{
		{"emergency", "2", "5", http.StatusCreated, false},
		{"gp", "2", "5", http.StatusForbidden, false}, // no B0168
		{"pharmacist", "2", "5", http.StatusCreated, false},
		{"emergency", "1", "4", http.StatusCreated, false},
		{"gp", "1", "4", http.StatusForbidden, false},
		{"legal", "1", "1", http.StatusCreated, false},
		{"legal", "2", "3", http.StatusCreated, false},
		{"emergency", "1", "2", http.StatusForbidden, false}, // no B0082
		{"emergency", "2", "1", http.StatusForbidden, false},
		{"gp", "1", "6", http.StatusCreated, true},
		{"officer", "1", "6", http.StatusForbidden, true}, // cannot view at all
	}
	for _, tt := range tests {
		e := newEnv(t)
		w := e.post(tt.who, patientA, tt.typ, tt.sub)
		if w.Code != tt.want {
			t.Errorf("%s sends %s/%s: status %d, want %d: %s", tt.who, tt.typ, tt.sub, w.Code, tt.want, w.Body)
			continue
		}
		rs := e.records()
		if len(rs) != 1 {
			t.Errorf("%s sends %s/%s: %d records, want 1", tt.who, tt.typ, tt.sub, len(rs))
			continue
		}
		r := rs[0]
		if r.Permission != tt.permission || r.Patient != patientA || r.AlertType != tt.typ || r.AlertSubtype != tt.sub {
			t.Errorf("%s sends %s/%s: recorded %+v", tt.who, tt.typ, tt.sub, r)
		}
		if tt.want == http.StatusForbidden {
			oo := decode[map[string]any](t, w)
			if r.Outcome != Denied || r.Activity != "" || !strings.Contains(r.Detail, "the role holds none of") ||
				!strings.Contains(w.Body.String(), `"forbidden"`) || oo["resourceType"] != "OperationOutcome" {
				t.Errorf("%s sends %s/%s: denial recorded as %+v, answered %s", tt.who, tt.typ, tt.sub, r, w.Body)
			}
		} else if r.Outcome != Allowed || r.Activity == "" {
			t.Errorf("%s sends %s/%s: recorded %+v", tt.who, tt.typ, tt.sub, r)
		}
	}
}

// Requests refused before they name an access that can be trusted are not
// recorded.
func TestCreateAlertRefused(t *testing.T) {
	ok := func(t *testing.T) []byte { return alertBody(t, sessions["emergency"], nil) }
	tests := []struct {
		name        string
		who, ctype  string
		body        func(t *testing.T) []byte
		status      int
		code, spine string
	}{
		{"JSON, not FHIR JSON", "emergency", "application/json", ok, 415, "not-supported", ""},
		{"no content type", "emergency", "", ok, 415, "not-supported", ""},
		{"Latin-1", "emergency", "application/fhir+json; charset=iso-8859-1", ok, 415, "not-supported", ""},
		{"UTF-8 said", "legal", "application/fhir+json; charset=UTF-8", func(t *testing.T) []byte {
			return alertBody(t, sessions["legal"], nil)
		}, 201, "", ""},
		{"too large", "emergency", wire.ContentFHIR, func(t *testing.T) []byte {
			return alertBody(t, sessions["emergency"], func(ev map[string]any) { ev["outcomeDesc"] = strings.Repeat("x", 70<<10) })
		}, 413, "invalid", ""},
		{"bad subtype", "emergency", wire.ContentFHIR, func(t *testing.T) []byte {
			return alertBody(t, sessions["emergency"], func(ev map[string]any) { setAlert(ev, "2", "6") })
		}, 400, "invalid", ""},
		{"bad NHS number", "emergency", wire.ContentFHIR, func(t *testing.T) []byte {
			return alertBody(t, sessions["emergency"], func(ev map[string]any) { setAgent(ev, systemNHSNumber, "1234567890") })
		}, 400, "invalid", wire.SpineInvalidNHSNumber},
		{"another organisation", "emergency", wire.ContentFHIR, func(t *testing.T) []byte {
			return alertBody(t, sessions["pharmacist"], func(ev map[string]any) { setAgent(ev, systemSDSUser, sessions["emergency"].UserUUID) })
		}, 400, "invalid", ""},
		{"another user", "emergency", wire.ContentFHIR, func(t *testing.T) []byte {
			return alertBody(t, sessions["gp"], nil)
		}, 400, "invalid", ""},
		{"not signed in", "", wire.ContentFHIR, ok, 401, "forbidden", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.do("POST", auditPath, tt.who, tt.ctype, tt.body(t))
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 201 {
				return
			}
			oo := decode[struct {
				ResourceType string
				Issue        []struct {
					Code    string
					Details struct{ Coding []coding }
				}
			}](t, w)
			if oo.ResourceType != "OperationOutcome" || oo.Issue[0].Code != tt.code {
				t.Errorf("answered %s, want an OperationOutcome with code %s", w.Body, tt.code)
			}
			if tt.spine != "" && (len(oo.Issue[0].Details.Coding) == 0 || oo.Issue[0].Details.Coding[0].Code != tt.spine) {
				t.Errorf("answered %s, want Spine code %s", w.Body, tt.spine)
			}
			if n, _ := e.store.Count(context.Background()); n != 0 {
				t.Errorf("%d records, want none", n)
			}
		})
	}
}

// A Subject Access Request lists every access to that patient's records in
// the date range, and nothing else, and is itself recorded.
func TestSearchSubjectAccessRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pharm := sessions["pharmacist"]
	// Outside the range asked for.
	mustAppend(t, e.store, Record{Time: t0.AddDate(0, 0, -10), Kind: SCRRead, Patient: patientA, Outcome: Allowed, Permission: true})
	e.post("emergency", patientA, "2", "5")                                                            // 2: alert, A
	e.post("gp", patientA, "2", "5")                                                                   // 3: denied, A
	e.post("emergency", patientB, "2", "5")                                                            // 4: alert, B
	mustAppend(t, e.store, Record{Time: t0, Kind: SignIn, UserUUID: pharm.UserUUID, Outcome: Allowed}) // 5: no patient
	mustAppend(t, e.store, Record{Time: t0.Add(time.Hour), Kind: SCRRead, Patient: patientA,           // 6: another org
		UserUUID: pharm.UserUUID, UserName: pharm.UserName, RoleID: pharm.RoleID, RoleName: pharm.RoleName,
		OrgCode: pharm.OrgCode, OrgName: pharm.OrgName, Outcome: Allowed, Permission: true, SCRID: "1C03CF4F-D404-4D76-B192-4F81727059F6"})

	target := auditPath + "?patient=" + systemNHSNumber + "|" + patientA + "&date=ge2026-03-01&date=le2026-03-02"
	w := e.do("GET", target, "officer", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b := decode[bundle](t, w)
	var ids []string
	for _, en := range b.Entry {
		ids = append(ids, en.Resource.ID)
	}
	if b.Type != "searchset" || b.Total != 3 || !slices.Equal(ids, []string{"2", "3", "6"}) {
		t.Fatalf("got a %s of %d: %v, want rows 2, 3, 6", b.Type, b.Total, ids)
	}
	if b.Entry[0].FullURL != "http://example.com"+auditPath+"/2" || b.Entry[0].Search.Mode != "match" {
		t.Errorf("entry: %+v", b.Entry[0])
	}

	// Who, which role and organisation, when, why, with or without permission.
	read := b.Entry[2].Resource
	agents := map[string]agent{}
	for _, a := range read.Agent {
		agents[a.Who.Identifier.System] = a
	}
	user, org := agents[systemSDSUser], agents[systemODSCode]
	if user.Who.Identifier.Value != pharm.UserUUID || user.Who.Display != pharm.UserName ||
		user.Role[0].Text != pharm.RoleName || user.Role[0].Coding[0].Code != pharm.RoleID ||
		org.Who.Identifier.Value != pharm.OrgCode || org.Who.Display != pharm.OrgName ||
		agents[systemNHSNumber].Who.Identifier.Value != patientA ||
		read.Recorded != "2026-03-02T10:30:00+00:00" || read.Subtype[0].Code != string(SCRRead) ||
		!*read.Extension[0].ValueBoolean {
		t.Errorf("SCR read rendered as %+v", read)
	}
	denied := b.Entry[1].Resource
	if denied.Outcome != "4" || !strings.Contains(denied.OutcomeDesc, "B0168") || denied.PurposeOfEvent[0].Text != "a test alert" {
		t.Errorf("denied alert rendered as %+v", denied)
	}

	// The search is on the record, against the patient, and shows up in the
	// next one.
	rs, _ := e.store.Query(ctx, Filter{Kinds: []Kind{AuditSearch}})
	o := sessions["officer"]
	if len(rs) != 1 || rs[0].Outcome != Allowed || rs[0].Patient != patientA || rs[0].UserUUID != o.UserUUID ||
		rs[0].Activity != rbac.ReceiveEmergencyViewAlerts || !strings.Contains(rs[0].Detail, "patient=") {
		t.Fatalf("search recorded as %+v", rs)
	}
	w = e.do("GET", target, "officer", "", nil)
	if b := decode[bundle](t, w); b.Total != 4 || b.Entry[3].Resource.Subtype[0].Code != string(AuditSearch) {
		t.Errorf("second search: %d entries, want the first search as the 4th", b.Total)
	}
	if err := e.store.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// Without a patient, a privacy officer sees the alerts of their own
// organisation, of the types asked for.
func TestSearchOrganisationAlerts(t *testing.T) {
	e := newEnv(t)
	e.post("emergency", patientA, "2", "5")  // 1: RBA type 2
	e.post("legal", patientB, "1", "1")      // 2: RBA type 1
	e.post("pharmacist", patientA, "2", "5") // 3: FA123 type 2
	mustAppend(t, e.store, Record{Time: t0, Kind: SCRRead, OrgCode: "RBA", Patient: patientA, Outcome: Allowed})
	e.now = t0.AddDate(0, 0, 1)
	e.post("emergency", patientB, "2", "5") // 5: RBA type 2, next day

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"?date=ge2026-03-02&type=2", []string{"1", "5"}},
		{"?date=2026-03-02&type=" + systemAlertType + "|2", []string{"1"}},
		{"?date=gt2026-03-02", []string{"5"}},
		{"?type=1,2", []string{"1", "2", "5"}},
		{"?date=lt2026-03-02", nil},
		{"?date=ge2026-03-02T09:30:00Z&date=lt2026-03-02T09:30:01Z", []string{"1", "2"}},
	} {
		w := e.do("GET", auditPath+tt.query, "officer", "", nil)
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", tt.query, w.Code, w.Body)
			continue
		}
		var ids []string
		for _, en := range decode[bundle](t, w).Entry {
			ids = append(ids, en.Resource.ID)
		}
		if !slices.Equal(ids, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, ids, tt.want)
		}
	}
}

func TestSearchForbidden(t *testing.T) {
	e := newEnv(t)
	e.post("emergency", patientA, "2", "5")
	w := e.do("GET", auditPath+"?patient="+patientA, "emergency", "", nil)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"forbidden"`) || strings.Contains(w.Body.String(), "a test alert") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	rs, _ := e.store.Query(context.Background(), Filter{Kinds: []Kind{AuditSearch}})
	if len(rs) != 1 || rs[0].Outcome != Denied || rs[0].Patient != patientA || !strings.Contains(rs[0].Detail, "B0015") {
		t.Errorf("refusal recorded as %+v", rs)
	}
	if w := e.do("GET", auditPath, "", "", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("not signed in: status %d", w.Code)
	}
}

func TestSearchBadParameters(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{
		"?date=2026-13-01",
		"?date=ge02/03/2026",
		"?date=ne2026-03-02",
		"?date=ge",
		"?patient=123",
		"?patient=9000000008",
		"?patient=https://fhir.nhs.uk/Id/local|9000000009",
		"?patient=9000000009&patient=9000000017",
		"?type=3",
		"?type=1&type=2",
		"?patinet=9000000009",
		"?_count=10",
	} {
		w := e.do("GET", auditPath+q, "officer", "", nil)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"invalid"`) {
			t.Errorf("%s: status %d: %s", q, w.Code, w.Body)
		}
	}
	if n, _ := e.store.Count(context.Background()); n != 0 {
		t.Errorf("%d records of refused searches, want none", n)
	}
}

func TestRead(t *testing.T) {
	e := newEnv(t)
	created := e.post("emergency", patientA, "2", "5")
	loc := strings.TrimPrefix(created.Header().Get("Location"), "http://example.com")

	w := e.do("GET", loc, "officer", "", nil)
	if w.Code != http.StatusOK || w.Body.String() != created.Body.String() {
		t.Errorf("read %s: status %d: %s\nwant %s", loc, w.Code, w.Body, created.Body)
	}
	if w := e.do("GET", loc, "gp", "", nil); w.Code != http.StatusForbidden {
		t.Errorf("read by a GP: status %d", w.Code)
	}
	for _, id := range []string{"99", "0", "abc"} {
		if w := e.do("GET", auditPath+"/"+id, "officer", "", nil); w.Code != http.StatusNotFound {
			t.Errorf("read %s: status %d", id, w.Code)
		}
	}
	rs, _ := e.store.Query(context.Background(), Filter{Kinds: []Kind{AuditSearch}})
	if len(rs) != 2 || rs[0].Outcome != Allowed || rs[0].Patient != patientA || rs[1].Outcome != Denied {
		t.Errorf("reads recorded as %+v", rs)
	}
}

// A store that cannot record refuses the request rather than serve it
// unrecorded.
func TestNothingUnrecorded(t *testing.T) {
	e := newEnv(t)
	e.store.Close()
	if w := e.post("emergency", patientA, "2", "5"); w.Code != http.StatusInternalServerError {
		t.Errorf("alert: status %d", w.Code)
	}
	if w := e.do("GET", auditPath+"?patient="+patientA, "officer", "", nil); w.Code != http.StatusInternalServerError {
		t.Errorf("search: status %d", w.Code)
	}
}

func TestParseFHIRTime(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tests := []struct {
		in         string
		start, end time.Time
	}{
		{"2026", utc(2026, 1, 1, 0, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0, 0)},
		{"2026-02", utc(2026, 2, 1, 0, 0, 0, 0), utc(2026, 3, 1, 0, 0, 0, 0)},
		{"2026-03-02", utc(2026, 3, 2, 0, 0, 0, 0), utc(2026, 3, 3, 0, 0, 0, 0)},
		{"2026-03-02T09:30:00Z", utc(2026, 3, 2, 9, 30, 0, 0), utc(2026, 3, 2, 9, 30, 1, 0)},
		{"2026-06-02T10:30:00+01:00", utc(2026, 6, 2, 9, 30, 0, 0), utc(2026, 6, 2, 9, 30, 1, 0)},
		{"2026-03-02T09:30:00.25Z", utc(2026, 3, 2, 9, 30, 0, 250e6), utc(2026, 3, 2, 9, 30, 0, 260e6)},
	}
	for _, tt := range tests {
		start, end, err := parseFHIRTime(tt.in)
		if err != nil || !start.Equal(tt.start) || !end.Equal(tt.end) {
			t.Errorf("parseFHIRTime(%q) = %v, %v, %v; want %v, %v", tt.in, start, end, err, tt.start, tt.end)
		}
	}
	for _, bad := range []string{"", "26", "2026-3-2", "2026-03-02T09:30", "2026-03-02 09:30:00Z", "2026-03-02T09:30:00"} {
		if _, _, err := parseFHIRTime(bad); err == nil {
			t.Errorf("parseFHIRTime(%q) accepted", bad)
		}
	}
}

func TestValidNHSNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"9000000009": true, "9000000017": true, "9434765919": true,
		"9000000008": false, "900000000": false, "90000000090": false, "90000000a9": false,
		"0000000060": false, "0000000061": false, // the check digit would be 10: never valid
	} {
		if got := validNHSNumber(s); got != want {
			t.Errorf("validNHSNumber(%q) = %t", s, got)
		}
	}
}
