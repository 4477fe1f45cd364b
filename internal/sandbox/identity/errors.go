package identity

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// OAuth 2.0 error codes used here (RFC 6749 section 5.2, RFC 6750 section 3.1,
// RFC 8693 section 2.2.2).
const (
	codeInvalidRequest       = "invalid_request"
	codeInvalidGrant         = "invalid_grant"
	codeInvalidTarget        = "invalid_target"
	codeInvalidToken         = "invalid_token"
	codeUnsupportedGrantType = "unsupported_grant_type"
	codeServerError          = "server_error"
	codeUnavailable          = "temporarily_unavailable"
	// codeSlowDown answers a 429, as the sandbox's rate limit does: RFC 6749
	// has no code for it, and RFC 8628 section 3.5 names it so.
	codeSlowDown = "slow_down"
)

// oauthError is a refusal as RFC 6749 section 5.2 reports it. Its description is
// also the Detail of the audit record.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func newOAuthError(status int, code, format string, args ...any) *oauthError {
	return &oauthError{status: status, code: code, description: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *oauthError {
	return newOAuthError(http.StatusBadRequest, codeInvalidRequest, format, args...)
}

func invalidGrant(format string, args ...any) *oauthError {
	return newOAuthError(http.StatusBadRequest, codeInvalidGrant, format, args...)
}

// writeOAuthError writes err as RFC 6749 JSON; an error that is not an
// *oauthError is the server's fault and says no more than that.
func writeOAuthError(w http.ResponseWriter, err error) {
	var e *oauthError
	if !errors.As(err, &e) {
		e = newOAuthError(http.StatusInternalServerError, codeServerError, "internal error")
	}
	wire.OAuthError(w, e.status, e.code, e.description)
}
