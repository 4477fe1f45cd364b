package client

import (
	"fmt"
	"strings"
	"time"
)

// The errors below are one per thing a user (or the viewer on their behalf) can
// act on: sign in again, choose another role, ask the patient, wait, fix the CA,
// report the server. Each keeps what the server said in a ServerReply, so the screen
// can show the facts and support can match them to the server's logs by request
// ID. Error() states facts, not advice: wording for people belongs to the UI.

// ServerReply is what the server said about a failed request: its HTTP status, the
// error code (an OperationOutcome issue code such as "forbidden", or an RFC 6749
// error such as "invalid_grant"), the Spine-ErrorOrWarningCode if any
// (RESOURCE_NOT_FOUND, …), the server's text and the request's X-Request-ID.
type ServerReply struct {
	Status    int
	Code      string
	SpineCode string
	Text      string
	RequestID string
}

// facts is ServerReply's part of an Error() string.
func (r ServerReply) facts() string {
	var b strings.Builder
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

// ForbiddenError: the selected role lacks the activity the call needs (403).
type ForbiddenError struct{ ServerReply }

func (e *ForbiddenError) Error() string { return "client: forbidden for this role: " + e.facts() }

// OptedOutError: Spine's access control refused the SCR itself (403 on the
// Bundle) because the patient has opted out of sharing it.
type OptedOutError struct{ ServerReply }

func (e *OptedOutError) Error() string { return "client: the patient has opted out: " + e.facts() }

// NotFoundError: no such patient, or the record was invalidated (404,
// RESOURCE_NOT_FOUND or INVALIDATED_RESOURCE).
type NotFoundError struct{ ServerReply }

func (e *NotFoundError) Error() string { return "client: not found: " + e.facts() }

// BadRequestError: the server refused the request's parameters (400 and other
// 4xx not covered above), e.g. INVALID_RESOURCE_ID for a malformed NHS number.
type BadRequestError struct{ ServerReply }

func (e *BadRequestError) Error() string { return "client: request refused: " + e.facts() }

// RateLimitedError: 429 after the retries. RetryAfter is the server's
// Retry-After, 0 if it gave none.
type RateLimitedError struct {
	ServerReply
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("client: rate limited (retry after %v): %s", e.RetryAfter, e.facts())
}

// UnavailableError: a 5xx after the retries, or a connection the server kept
// resetting (Status 0 then).
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
	Method, Path string // Path has NHS numbers masked
	After        time.Duration
	Err          error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("client: %s %s timed out after %v: %v", e.Method, e.Path, e.After, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

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
