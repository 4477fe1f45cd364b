package identity

import (
	"errors"
	"net/http"

	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// record appends rec to the audit trail, stamped with the time and the request's
// X-Request-ID.
func (s *Service) record(r *http.Request, rec audit.Record) error {
	rec.Time = s.now().UTC()
	rec.RequestID = wire.RequestID(r)
	return s.audit.Append(r.Context(), rec)
}

// refuse records that rec was refused for err and then tells the client. If the
// refusal cannot be recorded, the client is told the server failed instead.
// Refusals are recorded as recordRefusal allows: repeated ones from one
// address are counted rather than written one by one.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, rec audit.Record, err error) {
	rec.Outcome = audit.Denied
	rec.Detail = err.Error()
	var e *oauthError
	if errors.As(err, &e) {
		rec.Detail = e.description
	}
	if s.recordRefusal(r, rec) != nil {
		auditUnavailable(w)
		return
	}
	writeOAuthError(w, err)
}

// auditUnavailable answers a request whose audit record could not be written:
// whatever it asked for has not happened.
func auditUnavailable(w http.ResponseWriter) {
	wire.OAuthError(w, http.StatusInternalServerError, codeServerError, "the audit trail cannot be written; nothing was done")
}
