package records

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// Config is what a Service is made from.
type Config struct {
	Patients fs.FS            // the patients folder: assets.Patients
	Audit    audit.Recorder   // where every access is recorded
	Now      func() time.Time // nil: time.Now
}

// Service answers the PDS and SCR requests of API.md from the patients it was
// made with. It is safe for concurrent use: once the patients are loaded,
// nothing in it changes but which sessions have read which consents (see
// consentReads).
type Service struct {
	// load reads and checks the patients once, in the background from New,
	// so that the sandbox starts at once (scr --demo starts it before its
	// first frame); every request waits for it, and store is set by it.
	load  func() (*store, error)
	store *store
	audit audit.Recorder
	now   func() time.Time
	reads *consentReads
}

// New loads nothing yet: the patients are loaded and checked, and every
// fixed answer encoded, by the first request that needs them (3-4 ms of
// CPU), not at start, where on two cores they would take from the demo
// viewer's first frame. A patient folder that cannot be loaded makes every
// such request fail with 500 (the embedded ones all load: see the tests).
func New(cfg Config) (*Service, error) {
	if cfg.Patients == nil {
		return nil, errors.New("records: Config.Patients is nil")
	}
	if cfg.Audit == nil {
		return nil, errors.New("records: Config.Audit is nil: every access must be recorded")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{audit: cfg.Audit, now: cfg.Now, reads: newConsentReads()}
	s.load = sync.OnceValues(func() (*store, error) {
		st, err := loadStore(cfg.Patients)
		s.store = st
		return st, err
	})
	return s, nil
}

// loaded runs h once the patients are loaded, or answers 500 if they could
// not be: nothing is served from a store half read.
func (s *Service) loaded(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.load(); err != nil {
			wire.Outcome(w, http.StatusInternalServerError, "exception", "", "the sandbox's patients could not be loaded; nothing was served")
			return
		}
		h(w, r)
	}
}

// The roots of the two APIs under the server's base URL (API.md).
const (
	pdsRoot = "/personal-demographics/FHIR/R4"
	scrRoot = "/summary-care-record/FHIR/R4"
)

// Routes registers the PDS and SCR endpoints on mux, each behind protect (the
// identity service's RequireRole), which puts the caller's wire.Session on the
// request or refuses it.
func (s *Service) Routes(mux *http.ServeMux, protect func(http.Handler) http.Handler) {
	mux.Handle("GET "+pdsRoot+"/Patient/{nhsNumber}", protect(s.loaded(s.readPatient)))
	mux.Handle("GET "+pdsRoot+"/Patient", protect(s.loaded(s.searchPatients)))
	mux.Handle("GET "+scrRoot+"/DocumentReference", protect(s.loaded(s.findSCR)))
	mux.Handle("GET "+scrRoot+"/Bundle", protect(s.loaded(s.readSCR)))
}

// caller is the session protect put on r. A request without one means the
// routes were registered without the identity middleware: it is refused, never
// served anonymously.
func caller(w http.ResponseWriter, r *http.Request) (wire.Session, bool) {
	sess, ok := wire.SessionFrom(r.Context())
	if !ok {
		wire.Outcome(w, http.StatusUnauthorized, "forbidden", wire.SpineAccessDenied, "Access Denied - Unauthorised: no session")
	}
	return sess, ok
}

// newRecord starts the audit row of request r by sess.
func (s *Service) newRecord(r *http.Request, sess wire.Session, kind audit.Kind) audit.Record {
	return audit.Record{
		Time:      s.now().UTC(),
		Kind:      kind,
		UserUUID:  sess.UserUUID,
		UserName:  sess.UserName,
		RoleID:    sess.RoleID,
		RoleName:  sess.RoleName,
		OrgCode:   sess.OrgCode,
		RequestID: wire.RequestID(r),
	}
}

// commit appends recs to the audit trail before anything is answered. If the
// trail refuses any of them, the request fails with 500 and commit returns
// false: nothing is served, or refused, without a record of it. (Records
// appended before the refusal stay: the trail may say more than was served,
// never less.)
func (s *Service) commit(w http.ResponseWriter, r *http.Request, recs ...audit.Record) bool {
	for _, rec := range recs {
		if err := s.audit.Append(r.Context(), rec); err != nil {
			wire.Outcome(w, http.StatusInternalServerError, "transient", "",
				"the access could not be recorded in the audit trail, so nothing was served; try again")
			return false
		}
	}
	return true
}

// writeFHIR writes an encoded FHIR resource, uncacheable as every record is.
func writeFHIR(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", wire.ContentFHIR)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
