package identity

import (
	"net/http"
	"strings"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// HeaderSessionURID names the role a PDS or SCR request is made in (API.md
// section 3; the NHS API specifications call it the URID).
const HeaderSessionURID = "NHSD-Session-URID"

// RequireRole admits a PDS or SCR request only with a live role token (Bearer,
// RFC 6750 section 2.1) and, in NHSD-Session-URID, the person_roleid that token
// is bound to, or with a live platform token (section 1b) and, in
// NHSD-Session-URID, one of its user's person_roleids; next then finds a
// wire.Session on the request's context, the same either way. Errors are
// OperationOutcomes with code forbidden, as the NHS APIs answer: 401 when the
// token is missing, unknown, revoked or expired; 403 when it is a card token or
// the URID is missing or not its role (not one of the user's, for a platform
// token).
func (s *Service) RequireRole(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			unauthorized(w, "a Bearer role token is required")
			return
		}
		sess, err := s.tokens.lookup(token, s.now())
		if err != nil {
			unauthorized(w, err.Error())
			return
		}
		urid := r.Header.Get(HeaderSessionURID)
		role := sess.role
		switch {
		case urid == "" && (role != nil || sess.platform != ""):
			forbidden(w, HeaderSessionURID+" is required")
			return
		case sess.platform != "":
			// A platform token is the user's, in whichever of their roles
			// the request names.
			var ok bool
			if role, ok = sess.user.Role(urid); !ok {
				forbidden(w, HeaderSessionURID+" "+urid+" is not one of the user's roles")
				return
			}
		case role == nil:
			forbidden(w, "the token is a card token: exchange it for a role token first")
			return
		case urid != role.PersonRoleID:
			forbidden(w, HeaderSessionURID+" is not the role the token was issued for")
			return
		}
		ctx := wire.WithSession(r.Context(), wire.Session{
			UserUUID:   sess.user.UUID,
			UserName:   sess.user.Name,
			RoleID:     role.PersonRoleID,
			RoleName:   role.RoleName,
			OrgCode:    role.OrgCode,
			OrgName:    s.users.OrgName(role.OrgCode),
			Activities: role.ActivityCodes,
			TokenID:    sess.id,
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TokenID returns a stable, non-secret ID of the request's bearer token (the
// first 16 hex digits of its SHA-256), or "" if it has none, live or not: a key
// for logs that cannot be used as the token (rate limits use RateKey).
func (s *Service) TokenID(r *http.Request) string {
	token, ok := bearer(r)
	if !ok {
		return ""
	}
	return keyOf(token).id()
}

// RateKey returns whom the request's bearer token speaks for, as a key for
// rate limits: "role USER ROLE" for a live role token, or a live platform
// token with one of its user's roles in NHSD-Session-URID; "user USER" for a
// live card token, or a platform token without; and "" when the request has
// no live token. The NHS platform's
// limit applies per user and role, not per token: a user who exchanges a card
// token for several role tokens of one role, or signs in twice, still has one
// allowance. A request with no live token is limited by ClientAddress instead,
// so that made-up tokens buy no allowance of their own.
func (s *Service) RateKey(r *http.Request) string {
	token, ok := bearer(r)
	if !ok {
		return ""
	}
	sess, err := s.tokens.lookup(token, s.now())
	switch {
	case err != nil:
		return ""
	case sess.platform != "":
		if role, ok := sess.user.Role(r.Header.Get(HeaderSessionURID)); ok {
			return "role " + sess.user.UUID + " " + role.PersonRoleID
		}
		return "user " + sess.user.UUID
	case sess.role == nil:
		return "user " + sess.user.UUID
	}
	return "role " + sess.user.UUID + " " + sess.role.PersonRoleID
}

// bearer returns the token of an "Authorization: Bearer" header (RFC 6750
// section 2.1; the scheme is case-insensitive, RFC 9110 section 11.1). Tokens in
// the query or a form are not accepted: they end up in logs.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthorized(w http.ResponseWriter, text string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`) // RFC 6750 section 3
	wire.Outcome(w, http.StatusUnauthorized, "forbidden", wire.SpineAccessDenied, text)
}

func forbidden(w http.ResponseWriter, text string) {
	wire.Outcome(w, http.StatusForbidden, "forbidden", wire.SpineAccessDenied, text)
}
