// Package wire is what the sandbox's parts share on the wire: the error bodies of
// API.md (FHIR OperationOutcome for PDS and SCR, RFC 6749 JSON for /oauth2), JSON
// writing, and the signed-in session a request carries once its token is checked.
package wire

import (
	"context"
	"encoding/json"
	"net/http"
)

// Content types.
const (
	ContentJSON = "application/json"
	ContentFHIR = "application/fhir+json"
)

// WriteJSON writes v as JSON with the given status and content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, contentType = http.StatusInternalServerError, ContentJSON
		body = []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store") // records and tokens are never cached
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Spine error codes (https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode).
const (
	SpineResourceNotFound    = "RESOURCE_NOT_FOUND"
	SpineInvalidatedResource = "INVALIDATED_RESOURCE"
	SpineInvalidResourceID   = "INVALID_RESOURCE_ID"
	SpineTooManyMatches      = "TOO_MANY_MATCHES"
	SpineAccessDenied        = "ACCESS_DENIED"
	SpineInvalidValue        = "INVALID_VALUE"
	SpineMissingValue        = "MISSING_VALUE"
	SpineInvalidNHSNumber    = "INVALID_NHS_NUMBER"
	SpineRateLimited         = "TOO_MANY_REQUESTS"
	SpineServiceUnavailable  = "SERVICE_UNAVAILABLE"
)

// Outcome writes a FHIR OperationOutcome with one issue. code is the FHIR issue
// type (invalid, forbidden, not-found, throttled, transient, …), spineCode the
// Spine-ErrorOrWarningCode (may be empty), text the diagnostics.
func Outcome(w http.ResponseWriter, status int, code, spineCode, text string) {
	issue := map[string]any{"severity": "error", "code": code, "diagnostics": text}
	if spineCode != "" {
		issue["details"] = map[string]any{
			"coding": []map[string]string{{
				"system":  "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
				"version": "1",
				"code":    spineCode,
				"display": text,
			}},
		}
	}
	WriteJSON(w, status, ContentFHIR, map[string]any{
		"resourceType": "OperationOutcome",
		"issue":        []any{issue},
	})
}

// OAuthError writes an RFC 6749 section 5.2 error.
func OAuthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`"`)
	}
	WriteJSON(w, status, ContentJSON, body)
}

// Session is who is calling, as their role token says: set on the request's
// context by the identity service's middleware, read by the PDS, SCR and audit
// handlers.
type Session struct {
	UserUUID   string   // 12-digit NHS user ID
	UserName   string   // display name
	RoleID     string   // person_roleid of the selected role ("" for a card token)
	RoleName   string   // role_name
	OrgCode    string   // org_code of the role
	OrgName    string   // the organisation's name, for audit reports
	Activities []string // activity codes of the role
	TokenID    string   // an opaque, non-secret ID of the token, for rate limits and logs
}

type sessionKey struct{}

// WithSession returns ctx carrying s.
func WithSession(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session on ctx, if any.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

// RequestID returns the request's X-Request-ID (mirrored back by the server).
func RequestID(r *http.Request) string { return r.Header.Get("X-Request-ID") }
