package cis2

import (
	"net/http"
	"strings"

	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// userinfo is CIS2's UserInfo response, the shape section 1's /oauth2/userinfo
// serves (reference/nhs/cis2/userinfo.json): sub, nhsid_useruid, name and
// nhsid_nrbac_roles.
type userinfo struct {
	Sub string `json:"sub"`
	identity.User
}

// handleUserinfo answers who the bearer of one of the provider's access tokens
// is, with all their roles.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		wire.OAuthError(w, http.StatusUnauthorized, "invalid_token", "a Bearer access token from "+p.tokenEndpoint()+" is required")
		return
	}
	uuid, ok := p.tokens.lookup(tok, p.now())
	if !ok {
		wire.OAuthError(w, http.StatusUnauthorized, "invalid_token", "the access token is unknown, revoked or expired")
		return
	}
	user, ok := p.users.User(uuid)
	if !ok {
		wire.OAuthError(w, http.StatusUnauthorized, "invalid_token", "the access token's user is no longer known")
		return
	}
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, userinfo{Sub: user.UUID, User: user})
}
