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

// handleUserinfo answers who the bearer of a card token (or of a role token
// exchanged from one) is, with all their roles, so that the client can offer the
// choice of role.
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
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, userinfo{Sub: sess.user.UUID, User: *sess.user})
}
