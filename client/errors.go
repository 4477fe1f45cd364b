package client

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The errors below are one per thing a user (or the viewer on their behalf) can
// act on: sign in again, choose another role, ask the patient, wait, fix the CA,
// report the server. Each keeps what the server said in a ServerReply, so the screen
// can show the facts and support can match them to the server's logs by request
// ID. Error() states facts, not advice: wording for people belongs to the UI.

// Service is which NHS service a request went to, so that a failure names the
// service that failed rather than the one the user happens to be looking at.
type Service int

const (
	ServiceUnknown Service = iota
	ServicePDS             // /personal-demographics: the patient demographics service
	ServiceSCR             // /summary-care-record
	ServiceSignIn          // /oauth2: the sandbox's card sign-in, or the API platform's token exchange
	ServiceCIS2            // CIS2 Authentication (auth = "cis2"), at its own issuer
)

// String is the service's short name, for an Error() string.
func (s Service) String() string {
	switch s {
	case ServicePDS:
		return "PDS"
	case ServiceSCR:
		return "SCR"
	case ServiceSignIn:
		return "sign-in"
	case ServiceCIS2:
		return "CIS2"
	}
	return "server"
}

// serviceOf is the service a path under the server root belongs to.
func serviceOf(path string) Service {
	switch {
	case strings.HasPrefix(path, "/personal-demographics/"):
		return ServicePDS
	case strings.HasPrefix(path, "/summary-care-record/"):
		return ServiceSCR
	case strings.HasPrefix(path, "/oauth2/"):
		return ServiceSignIn
	}
	return ServiceUnknown
}

// ServerReply is what the server said about a failed request: the service it
// went to, its HTTP status, the error code (an OperationOutcome issue code such
// as "forbidden", or an RFC 6749 error such as "invalid_grant"), the Spine code
// if any (RESOURCE_NOT_FOUND, …, or PSIS-30418 read from Spine's details
// text), the server's text and the request's X-Request-ID.
type ServerReply struct {
	Service   Service
	Status    int
	Code      string
	SpineCode string
	Text      string
	RequestID string
}

// facts is ServerReply's part of an Error() string.
func (r ServerReply) facts() string {
	var b strings.Builder
	if r.Service != ServiceUnknown {
		b.WriteString(r.Service.String() + " ")
	}
	fmt.Fprintf(&b, "HTTP %d", r.Status)
	for _, s := range []string{r.Code, r.SpineCode} {
		if s != "" {
			b.WriteString(" " + s)
		}
	}
	if r.Text != "" {
		b.WriteString(": " + r.Text)
	}
	if r.RequestID != "" {
		b.WriteString(" (request " + r.RequestID + ")")
	}
	return b.String()
}

// SignedOutError: the token was missing, invalid, expired or revoked (401).
// Remedy: sign in again with the card.
type SignedOutError struct{ ServerReply }

func (e *SignedOutError) Error() string { return "client: signed out: " + e.facts() }

// ForbiddenError: the server refused the call and said it was the selected
// role's doing (its text names the role or an activity the role lacks).
type ForbiddenError struct{ ServerReply }

func (e *ForbiddenError) Error() string { return "client: forbidden for this role: " + e.facts() }

// OptedOutError: Spine's access control refused the SCR and the server said it
// was because the patient has opted out of sharing it.
type OptedOutError struct{ ServerReply }

func (e *OptedOutError) Error() string { return "client: the patient has opted out: " + e.facts() }

// AccessControlError: Spine's access control refused an SCR request (PSIS-30418
// "ACF does not permit access to resource", 403 or Spine's 420) without saying
// why. Spine uses the one code for several causes, among them the patient's
// withdrawn consent and a role that may not view the record, so it names none.
type AccessControlError struct{ ServerReply }

func (e *AccessControlError) Error() string { return "client: refused by access control: " + e.facts() }

// AccessDeniedError: a 403 outside the SCR's access control that names no
// cause the user can act on, e.g. PDS's ACCESS_DENIED.
type AccessDeniedError struct{ ServerReply }

func (e *AccessDeniedError) Error() string { return "client: access denied: " + e.facts() }

// NotFoundError: PDS has no such patient, or the record was invalidated (404,
// RESOURCE_NOT_FOUND or INVALIDATED_RESOURCE), on the read of one patient.
type NotFoundError struct{ ServerReply }

func (e *NotFoundError) Error() string { return "client: not found: " + e.facts() }

// BadRequestError: the server refused what the user typed: an NHS number PDS
// calls INVALID_RESOURCE_ID, or a search's details (INVALID_SEARCH_DATA,
// TOO_FEW_VALUES_SUBMITTED, …). SpineCode says which.
type BadRequestError struct{ ServerReply }

func (e *BadRequestError) Error() string { return "client: request refused: " + e.facts() }

// RequestFaultError: the server refused a request for something the user did
// not type: a header (X-Request-ID, NHSD-Session-URID), a method or parameter
// the viewer chose, a privacy alert it built, any other 4xx. The fault is the
// viewer's (or its configuration's), so support needs the request ID.
type RequestFaultError struct{ ServerReply }

func (e *RequestFaultError) Error() string {
	return "client: request refused as malformed: " + e.facts()
}

// RateLimitedError: 429 after the retries. RetryAfter is the server's
// Retry-After, 0 if it gave none.
type RateLimitedError struct {
	ServerReply
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("client: rate limited (retry after %v): %s", e.RetryAfter, e.facts())
}

// UnavailableError: a 5xx after the retries, a 408 (PDS's
// UNABLE_TO_CALL_SERVICE: a service behind it did not answer in time), or a
// connection the server kept resetting or refused (Status 0 then).
type UnavailableError struct {
	ServerReply
	Err error // the transport error for a reset connection; nil for a 5xx
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return "client: server unavailable: " + e.Err.Error()
	}
	return "client: server unavailable: " + e.facts()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// TimeoutError: no complete answer within Config.RequestTimeout, or no
// connection within Config.ConnectTimeout.
type TimeoutError struct {
	Service      Service
	Method, Path string // Path has NHS numbers masked
	After        time.Duration
	Err          error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("client: %s %s timed out after %v: %v", e.Method, e.Path, e.After, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// ErrRecordChanged: the SCR changed while it was being read. The SCR id just
// read gave an empty Bundle (Spine's answer for an id no longer current), and
// so did the id a fresh consent read gave. Look the patient up again.
var ErrRecordChanged = errors.New("client: the SCR changed while it was being read")

// TLS failure reasons, from the x509 error behind the handshake failure.
const (
	TLSUnknownAuthority = "unknown authority" // not signed by a trusted CA: wrong --ca, or interception
	TLSWrongName        = "wrong name"        // the certificate is for another host
	TLSExpired          = "expired"           // out of date (or not yet valid)
	TLSNotTLS           = "not TLS"           // the server did not answer in TLS
	TLSOther            = "handshake failed"
)

// TLSError: the server's identity could not be verified, so nothing was sent.
type TLSError struct {
	Reason string // one of the TLS… constants
	Err    error
}

func (e *TLSError) Error() string { return "client: TLS " + e.Reason + ": " + e.Err.Error() }

func (e *TLSError) Unwrap() error { return e.Err }

// InvalidResponseError: the answer cannot be used: malformed JSON, a content type
// other than JSON or FHIR JSON, a body cut short, or one past MaxResponseBytes.
type InvalidResponseError struct {
	Status    int
	RequestID string
	Problem   string // what is wrong, e.g. "content type text/html"
	Err       error  // the underlying error, if any
}

func (e *InvalidResponseError) Error() string {
	s := fmt.Sprintf("client: invalid response (HTTP %d, request %s): %s", e.Status, e.RequestID, e.Problem)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *InvalidResponseError) Unwrap() error { return e.Err }

// SignInError: /oauth2 refused the card or the role (RFC 6749 error, usually
// 400 invalid_grant with a description: the card certificate expired or was
// revoked, the challenge was replayed, …; invalid_target for a role the user
// does not hold).
type SignInError struct{ ServerReply }

func (e *SignInError) Error() string { return "client: sign-in refused: " + e.facts() }

// ClockRefused reports whether the assertion was refused for its times (exp
// passed, iat or nbf in the future): this computer's clock is off, and the
// card is not to blame. RFC 6749 has no code for it, so the description is
// read.
func (e *SignInError) ClockRefused() bool {
	t := strings.ToLower(e.Text)
	for _, s := range []string{"assertion has expired", "iat is in the future", "nbf is in the future", "clock"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}
