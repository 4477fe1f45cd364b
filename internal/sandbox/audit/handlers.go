package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// auditPath is the AuditEvent endpoint of the SCR API (API.md section 3).
const auditPath = "/summary-care-record/FHIR/R4/AuditEvent"

const (
	// maxAlertBody bounds a posted alert; AuditEvent.json is under 2 KiB.
	maxAlertBody = 64 << 10
	// maxResults bounds a search's answer, which has no paging: more matches
	// are refused, asking for a narrower date range, as PDS does.
	maxResults = 5000
)

// Handlers serve the AuditEvent endpoint over a Store.
type Handlers struct {
	store *Store
	now   func() time.Time
}

// NewHandlers returns handlers recording into store; now is the clock (nil for
// time.Now).
func NewHandlers(store *Store, now func() time.Time) *Handlers {
	if now == nil {
		now = time.Now
	}
	return &Handlers{store: store, now: now}
}

// Routes registers the endpoint on mux, each route wrapped in protect: the
// identity middleware that refuses a request without a valid role token and
// puts its wire.Session on the context.
func (h *Handlers) Routes(mux *http.ServeMux, protect func(http.Handler) http.Handler) {
	mux.Handle("POST "+auditPath, protect(http.HandlerFunc(h.createAlert)))
	mux.Handle("GET "+auditPath, protect(http.HandlerFunc(h.search)))
	mux.Handle("GET "+auditPath+"/{id}", protect(http.HandlerFunc(h.read)))
}

// createAlert is POST /AuditEvent: the privacy alert a clinician sends before
// viewing a record without the patient's permission. An alert the role may not
// send is refused and recorded as denied; an invalid one is refused and not
// recorded, as it names no access that can be trusted.
func (h *Handlers) createAlert(w http.ResponseWriter, r *http.Request) {
	s, ok := session(w, r)
	if !ok {
		return
	}
	if !isFHIRJSON(r.Header.Get("Content-Type")) {
		wire.Outcome(w, http.StatusUnsupportedMediaType, "not-supported", "",
			"Content-Type must be "+wire.ContentFHIR)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAlertBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			wire.Outcome(w, http.StatusRequestEntityTooLarge, "invalid", "",
				fmt.Sprintf("the body is larger than %d KiB", maxAlertBody>>10))
		} else {
			wire.Outcome(w, http.StatusBadRequest, "invalid", "", "reading the body: "+err.Error())
		}
		return
	}
	a, err := parseAlert(body)
	if err != nil {
		badRequest(w, err)
		return
	}
	// Who sent it is the token's to say; an alert naming someone else is a
	// client bug, or an attempt to raise it in another's name.
	if a.org != s.OrgCode {
		badRequest(w, invalid("the 'agent' ODS code %q is not the organisation of the signed-in role (%q)", a.org, s.OrgCode))
		return
	}
	if a.user != s.UserUUID {
		badRequest(w, invalid("the 'agent' SDS user ID %q is not the signed-in user (%q)", a.user, s.UserUUID))
		return
	}

	rec := h.newRecord(r, s, PrivacyAlert)
	rec.Patient, rec.SCRID = a.patient, a.scrID
	rec.AlertType, rec.AlertSubtype, rec.Reason = a.typ, a.subtype, a.reason
	rec.Permission = a.rule.permission
	if !h.authorize(w, r, s, a.rule.needs, &rec) {
		return
	}
	rec.Detail = a.notification
	stored, ok := h.append(w, r, rec)
	if !ok {
		return
	}
	w.Header().Set("Location", endpointURL(r)+"/"+strconv.FormatInt(stored.Seq, 10))
	wire.WriteJSON(w, http.StatusCreated, wire.ContentFHIR, toFHIR(stored))
}

// search is GET /AuditEvent: a Subject Access Request (by patient) or an
// organisation's alerts (by date and type), for privacy officers only.
func (h *Handlers) search(w http.ResponseWriter, r *http.Request) {
	s, ok := session(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f, ferr := parseSearch(q, s.OrgCode)
	rec := h.newRecord(r, s, AuditSearch)
	rec.Patient, rec.Detail = f.Patient, describeQuery(q)
	// Authorization first: a role without the activity is told that, whatever
	// it asked; the attempt is recorded against the patient it named.
	if !h.authorize(w, r, s, rbac.ReadAuditTrail, &rec) {
		return
	}
	if ferr != nil {
		badRequest(w, ferr)
		return
	}
	f.Limit = maxResults + 1
	rs, err := h.store.Query(r.Context(), f)
	if err != nil {
		unavailable(w)
		return
	}
	if len(rs) > maxResults {
		wire.Outcome(w, http.StatusBadRequest, "invalid", wire.SpineTooManyMatches,
			fmt.Sprintf("more than %d matches: narrow the date range", maxResults))
		return
	}
	// A read whose viewer recorded the patient's permission (alert 1/6) in
	// the day before it, or as it happened (the viewer sends the two side
	// by side), was a read with permission.
	for i := range rs {
		if rs[i].Kind == SCRRead && !rs[i].Permission && rs[i].Outcome == Allowed {
			given, err := h.store.PermissionGiven(r.Context(), rs[i].UserUUID, rs[i].RoleID, rs[i].Patient, rs[i].Time.Add(time.Minute))
			if err != nil {
				unavailable(w)
				return
			}
			rs[i].Permission = given
		}
	}
	// Recorded before anything is disclosed; if it cannot be, nothing is.
	if _, ok := h.append(w, r, rec); !ok {
		return
	}
	self := endpointURL(r)
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	wire.WriteJSON(w, http.StatusOK, wire.ContentFHIR, searchset(rs, endpointURL(r), self))
}

// read is GET /AuditEvent/{id}, where a created alert's Location points.
func (h *Handlers) read(w http.ResponseWriter, r *http.Request) {
	s, ok := session(w, r)
	if !ok {
		return
	}
	rec := h.newRecord(r, s, AuditSearch)
	rec.Detail = "read AuditEvent/" + r.PathValue("id")
	if !h.authorize(w, r, s, rbac.ReadAuditTrail, &rec) {
		return
	}
	seq, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || seq < 1 {
		wire.Outcome(w, http.StatusNotFound, "not-found", wire.SpineResourceNotFound, "no AuditEvent "+r.PathValue("id"))
		return
	}
	found, err := h.store.Get(r.Context(), seq)
	if errors.Is(err, ErrNotFound) {
		wire.Outcome(w, http.StatusNotFound, "not-found", wire.SpineResourceNotFound, "no AuditEvent "+r.PathValue("id"))
		return
	}
	if err != nil {
		unavailable(w)
		return
	}
	rec.Patient = found.Patient
	if _, ok := h.append(w, r, rec); !ok {
		return
	}
	wire.WriteJSON(w, http.StatusOK, wire.ContentFHIR, toFHIR(found))
}

// newRecord starts the record of request r by session s.
func (h *Handlers) newRecord(r *http.Request, s wire.Session, kind Kind) Record {
	return Record{
		Time: h.now(), Kind: kind,
		UserUUID: s.UserUUID, UserName: s.UserName, RoleID: s.RoleID, RoleName: s.RoleName,
		OrgCode: s.OrgCode, OrgName: s.OrgName, RequestID: wire.RequestID(r),
	}
}

// authorize checks that s may do p. If not, it records rec as denied, answers
// 403 and returns false; if so, it notes in rec the activity that allows it.
func (h *Handlers) authorize(w http.ResponseWriter, r *http.Request, s wire.Session, p rbac.Permission, rec *Record) bool {
	granting := rbac.GrantedBy(p)
	for _, code := range granting {
		if slices.Contains(s.Activities, code) {
			rec.Outcome, rec.Activity = Allowed, code
			return true
		}
	}
	rec.Outcome = Denied
	why := fmt.Sprintf("the role holds none of %s, needed for %s", strings.Join(granting, ", "), p)
	if rec.Detail != "" {
		rec.Detail = why + "; asked: " + rec.Detail
	} else {
		rec.Detail = why
	}
	if _, ok := h.append(w, r, *rec); ok {
		wire.Outcome(w, http.StatusForbidden, "forbidden", wire.SpineAccessDenied, why)
	}
	return false
}

// append records rec, answering 500 and returning false if it cannot: the
// sandbox does nothing it cannot record. The request's context is not used to
// give up: a client hanging up does not undo the access it asked for.
func (h *Handlers) append(w http.ResponseWriter, r *http.Request, rec Record) (Record, bool) {
	stored, err := h.store.append(context.WithoutCancel(r.Context()), rec)
	if err != nil {
		unavailable(w)
		return Record{}, false
	}
	return stored, true
}

// session is the caller's session, which protect must have put on the context.
func session(w http.ResponseWriter, r *http.Request) (wire.Session, bool) {
	s, ok := wire.SessionFrom(r.Context())
	if !ok {
		wire.Outcome(w, http.StatusUnauthorized, "forbidden", "", "no signed-in session")
	}
	return s, ok
}

func badRequest(w http.ResponseWriter, err error) {
	spine := ""
	if ie, ok := errors.AsType[*invalidError](err); ok {
		spine = ie.spineCode
	}
	wire.Outcome(w, http.StatusBadRequest, "invalid", spine, err.Error())
}

func unavailable(w http.ResponseWriter) {
	wire.Outcome(w, http.StatusInternalServerError, "transient", "", "the audit trail cannot be read or written just now")
}

// isFHIRJSON reports whether a Content-Type is application/fhir+json, in UTF-8
// if a charset is given (FHIR R4 http.html: JSON is always UTF-8).
func isFHIRJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != wire.ContentFHIR {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// endpointURL is the absolute URL of the AuditEvent endpoint as the client
// reached it.
func endpointURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + auditPath
}

// describeQuery is a search's parameters, sorted and unescaped, for the record.
func describeQuery(q url.Values) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}
