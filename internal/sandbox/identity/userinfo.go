package identity

import (
	"net/http"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// userinfo is the OpenID Connect UserInfo response (OpenID Connect Core 1.0
// section 5.3.2) with CIS2's claims: the shape of reference/nhs/cis2/userinfo.json.
type userinfo struct {
	Sub string `json:"sub"` // the same as nhsid_useruid, as in CIS2
	User
}

// msgUserinfoSeparateAuth is the platform's refusal of userinfo for a token
// exchanged from an ID token (its e2e tests of token exchange).
const msgUserinfoSeparateAuth = "The Userinfo endpoint is only supported for Combined Auth integrations. " +
	"Currently this is only for NHS CIS2 authentications - for more guidance see " +
	"https://digital.nhs.uk/developer/guides-and-documentation/security-and" +
	"-authorisation/user-restricted-restful-apis-nhs-cis2-combined-authentication" +
	"-and-authorisation"

// handleUserinfo answers who the bearer of a card token (or of a role token
// exchanged from one) is, with all their roles, so that the client can offer the
// choice of role. A platform token is refused, as the platform refuses it.
func (s *Service) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	if !ok {
		wire.OAuthError(w, http.StatusUnauthorized, codeInvalidToken, "a Bearer token is required (RFC 6750 section 2.1)")
		return
	}
	sess, err := s.tokens.lookup(token, s.now())
	if err != nil {
		wire.OAuthError(w, http.StatusUnauthorized, codeInvalidToken, err.Error())
		return
	}
	if sess.platform != "" {
		// The platform's answer for a token of separate authentication: the
		// user's roles come from CIS2's userinfo.
		wire.OAuthError(w, http.StatusBadRequest, codeInvalidRequest, msgUserinfoSeparateAuth)
		return
	}
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, userinfo{Sub: sess.user.UUID, User: *sess.user})
}
