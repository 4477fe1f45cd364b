package records

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrterm/scr/internal/rbac"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// The SCR calls need a role that may view a record, with the patient's
// permission (rbac.ViewSCR) or in an emergency without it (rbac.EmergencyView).
// Consent is the SCR-ACSPermission label of the DocumentReference: Ask (and
// legacy Yes) serve the record, the viewer having asked the patient or sent a
// privacy alert first; No (opted out) refuses it to everyone, while the
// DocumentReference is still returned so the viewer can say why.

// gpSummaryType is the only type an SCR DocumentReference search takes.
const gpSummaryType = "http://snomed.info/sct|196981000000101"

// viewingActivity is the activity code of the role that lets it view an SCR,
// or "" if none does.
func viewingActivity(activities []string) string {
	for _, p := range []rbac.Permission{rbac.ViewSCR, rbac.EmergencyView} {
		if !rbac.Allows(activities, p) {
			continue
		}
		for _, code := range rbac.GrantedBy(p) {
			if slices.Contains(activities, code) {
				return code
			}
		}
	}
	return ""
}

// refuseRole answers a role that may not view SCRs: Spine's access control
// refusal, 403.
func refuseRole(w http.ResponseWriter) {
	codes := slices.Concat(rbac.GrantedBy(rbac.ViewSCR), rbac.GrantedBy(rbac.EmergencyView))
	scrOutcome(w, http.StatusForbidden, "forbidden", spineACFRefusal,
		"the selected role has no activity that allows viewing a Summary Care Record (one of "+strings.Join(codes, ", ")+")")
}

// findSCR is GET /DocumentReference: which SCR is the patient's latest, and
// what consent applies to it.
func (s *Service) findSCR(w http.ResponseWriter, r *http.Request) {
	sess, ok := caller(w, r)
	if !ok {
		return
	}
	rec := s.newRecord(r, sess, audit.SCRConsent)
	q := r.URL.Query()
	nhs, problem := patientParam(q, "patient")
	// The OpenAPI file: type, _sort and _count each take one value; any other is 400.
	problem = cmp.Or(problem, fixedParam(q, "type", gpSummaryType), fixedParam(q, "_sort", "date"), fixedParam(q, "_count", "1"))
	// The patient is recorded even when the role is refused: a privacy officer
	// wants to know whose record was sought.
	rec.Patient = nhs
	if !s.authorise(w, r, &rec, sess, problem) {
		return
	}
	body := emptySearchset()
	rec.Outcome, rec.Detail = audit.Allowed, "no SCR"
	if p := s.store.patients[nhs]; p != nil && p.scr != nil {
		body = p.scr.docRef
		rec.Detail = fmt.Sprintf("SCR %s, consent %s", p.scr.id, p.scr.consent)
		if s.servesOutdated(p.scr, sess, nhs) {
			body = p.scr.outdatedDocRef
			rec.Detail = fmt.Sprintf("SCR %s (out of date: its Bundle is empty), consent %s", p.scr.outdatedID, p.scr.consent)
		}
	}
	if s.commit(w, r, rec) {
		writeFHIR(w, http.StatusOK, body)
	}
}

// servesOutdated reports whether this DocumentReference search gets the
// patient's out-of-date SCR id rather than the current one.
func (s *Service) servesOutdated(sum *summary, sess wire.Session, nhs string) bool {
	switch sum.outdated {
	case outdatedAlways:
		return true
	case outdatedOnce:
		return s.reads.first(sessionKey(sess), nhs)
	}
	return false
}

// sessionKey names the session a request belongs to: its role token, or, where
// no token ID is known (a Service wired without the identity service), the
// user in the role.
func sessionKey(sess wire.Session) string {
	if sess.TokenID != "" {
		return "token " + sess.TokenID
	}
	return "role " + sess.UserUUID + "/" + sess.RoleID
}

// consentReads is which sessions have read which patients' consent, for an
// SCR id that is out of date only on a session's first read. It belongs to one
// Service, so nothing carries over between sandboxes (or tests).
type consentReads struct {
	mu   sync.Mutex
	seen map[consentRead]struct{}
}

type consentRead struct{ session, nhs string }

// maxConsentReads bounds consentReads in a sandbox left running for a long
// time: past it, everything is forgotten, which costs a session at most one
// more out-of-date id, something a viewer must cope with anyway.
const maxConsentReads = 1 << 16

func newConsentReads() *consentReads {
	return &consentReads{seen: map[consentRead]struct{}{}}
}

// first records that session read nhs's consent, reporting whether it was
// the first time.
func (c *consentReads) first(session, nhs string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := consentRead{session, nhs}
	if _, ok := c.seen[k]; ok {
		return false
	}
	if len(c.seen) >= maxConsentReads {
		clear(c.seen)
	}
	c.seen[k] = struct{}{}
	return true
}

// readSCR is GET /Bundle: the SCR itself, if the identifier asked for is the
// patient's current one (else, as the OpenAPI file says, a Bundle of no entries).
func (s *Service) readSCR(w http.ResponseWriter, r *http.Request) {
	sess, ok := caller(w, r)
	if !ok {
		return
	}
	rec := s.newRecord(r, sess, audit.SCRRead)
	q := r.URL.Query()
	nhs, problem := patientParam(q, "composition.subject:Patient.identifier")
	id, idProblem := oneParam(q, "composition.identifier")
	if idProblem == "" && !isUUID(id) {
		idProblem = "Invalid composition.identifier parameter: expected the SCR's UUID from GET /DocumentReference"
	}
	problem = cmp.Or(problem, idProblem)
	rec.Patient = nhs
	if !s.authorise(w, r, &rec, sess, problem) {
		return
	}
	pt := s.store.patients[nhs]
	switch {
	case pt == nil || pt.scr == nil:
		rec.Outcome, rec.Detail = audit.Allowed, "no SCR: empty Bundle"
	case pt.scr.consent == consentNo:
		rec.Outcome, rec.Detail = audit.Denied, "the patient has opted out (SCR-ACSPermission No)"
		if s.commit(w, r, rec) {
			scrOutcome(w, http.StatusForbidden, "forbidden", spineACFRefusal,
				"the patient has opted out of sharing their Summary Care Record (SCR-ACSPermission No)")
		}
		return
	case !strings.EqualFold(id, pt.scr.id):
		rec.Outcome, rec.Detail = audit.Allowed, "not the current SCR ("+id+"): empty Bundle"
	default:
		bundle, err := pt.scr.bundle()
		if err != nil {
			// A broken asset: recorded as failed, and nothing served.
			rec.Outcome, rec.Detail = audit.Failed, "the SCR "+pt.scr.id+" could not be read: "+err.Error()
			if s.commit(w, r, rec) {
				wire.Outcome(w, http.StatusInternalServerError, "exception", "", "the Summary Care Record could not be read; nothing was served")
			}
			return
		}
		rec.Outcome, rec.Detail = audit.Allowed, fmt.Sprintf("viewed SCR %s, consent %s", pt.scr.id, pt.scr.consent)
		rec.Permission = s.permissionGiven(r, sess, nhs)
		if s.commit(w, r, rec) {
			writeFHIR(w, http.StatusOK, bundle)
		}
		return
	}
	if s.commit(w, r, rec) {
		writeFHIR(w, http.StatusOK, emptySearchset())
	}
}

// authorise refuses, and records, an SCR request from a role that may not view
// SCRs (403), then one with bad parameters (400). It reports whether the
// request may go on, with rec.Activity set to the activity that allows it.
func (s *Service) authorise(w http.ResponseWriter, r *http.Request, rec *audit.Record, sess wire.Session, problem string) bool {
	rec.Activity = viewingActivity(sess.Activities)
	switch {
	case rec.Activity == "":
		rec.Outcome, rec.Detail = audit.Denied, "the role has no activity that allows viewing an SCR"
		if s.commit(w, r, *rec) {
			refuseRole(w)
		}
		return false
	case problem != "":
		rec.Outcome, rec.Detail = audit.Failed, problem
		if s.commit(w, r, *rec) {
			scrOutcome(w, http.StatusBadRequest, "invalid", problem, problem)
		}
		return false
	}
	return true
}

// oneParam is the value of a parameter given at most once, and a problem if it
// was given more often.
func oneParam(q url.Values, name string) (value, problem string) {
	if vs := q[name]; len(vs) > 1 {
		return "", fmt.Sprintf("Invalid %s parameter: given %d times", name, len(vs))
	}
	return q.Get(name), ""
}

// patientParam reads a patient identifier parameter,
// https://fhir.nhs.uk/Id/nhs-number|{NHS number}, returning the NHS number only
// if it is a valid one.
func patientParam(q url.Values, name string) (nhs, problem string) {
	v, problem := oneParam(q, name)
	switch {
	case problem != "":
		return "", problem
	case v == "":
		return "", fmt.Sprintf("Missing %s parameter: expected %s|{NHS number}", name, nhsNumberSystem)
	}
	system, number, _ := strings.Cut(v, "|")
	if system != nhsNumberSystem || !ValidNHSNumber(number) {
		return "", fmt.Sprintf("Invalid %s parameter: expected %s|{NHS number}, a valid NHS number", name, nhsNumberSystem)
	}
	return number, ""
}

// fixedParam checks an optional parameter that has one allowed value.
func fixedParam(q url.Values, name, only string) (problem string) {
	v, problem := oneParam(q, name)
	if problem == "" && v != "" && v != only {
		problem = fmt.Sprintf("Invalid %s parameter: the only supported value is %s", name, only)
	}
	return problem
}

// emptySearchset is the answer when there is no SCR to give: a searchset Bundle
// of no entries, with its own id as every Bundle the SCR API sends has.
func emptySearchset() []byte {
	return fmt.Appendf(nil, `{"resourceType":"Bundle","id":"%s","type":"searchset","total":0}`, newUUID())
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// permissionChecker is the audit store's answer to "did this user record the
// patient's permission?" (audit.Store.PermissionGiven).
type permissionChecker interface {
	PermissionGiven(ctx context.Context, user, role, patient string, now time.Time) (bool, error)
}

// permissionGiven is whether the caller recorded the patient's permission
// before this read, so the trail says the record was viewed with it. A
// recorder that cannot say, or an error, counts as without: the side a
// privacy officer should look at.
func (s *Service) permissionGiven(r *http.Request, sess wire.Session, nhs string) bool {
	pc, ok := s.audit.(permissionChecker)
	if !ok {
		return false
	}
	given, err := pc.PermissionGiven(r.Context(), sess.UserUUID, sess.RoleID, nhs, s.now())
	return err == nil && given
}
