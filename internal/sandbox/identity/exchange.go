package identity

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

// RFC 8693 section 2.1 and 3.
const (
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// exchange is the token exchange grant (RFC 8693): a live card token and one of
// its holder's person_roleids (CIS2's selected_roleid) buy a role token bound to
// that role.
//
// Errors follow RFC 8693 section 2.2.2: a subject_token that is missing,
// unknown, expired, revoked or not a card token is invalid_request (the RFC says
// it MUST be); a selected_roleid the holder does not have is invalid_target,
// because it names what the new token is to be for, as resource and audience do,
// and the server is unwilling to issue a token for it. The two call for
// different remedies: sign in again, or choose another role.
//
// A card sign-in holds at most MaxRoleTokens live role tokens; an exchange
// beyond that revokes the oldest, and its record says so.
func (s *Service) exchange(w http.ResponseWriter, r *http.Request, form url.Values) {
	now := s.now()
	rec := audit.Record{Kind: audit.RoleExchange, RoleID: form.Get("selected_roleid")}
	subject := form.Get("subject_token")
	switch {
	case subject == "":
		s.refuse(w, r, rec, invalidRequest("subject_token is required"))
		return
	case form.Get("subject_token_type") != tokenTypeAccessToken:
		s.refuse(w, r, rec, invalidRequest("subject_token_type must be %s", tokenTypeAccessToken))
		return
	case form.Has("requested_token_type") && form.Get("requested_token_type") != tokenTypeAccessToken:
		s.refuse(w, r, rec, invalidRequest("requested_token_type may only be %s", tokenTypeAccessToken))
		return
	}
	card, err := s.tokens.lookup(subject, now)
	if err != nil {
		s.refuse(w, r, rec, invalidRequest("subject_token: %v", err))
		return
	}
	rec.UserUUID, rec.UserName = card.user.UUID, card.user.Name
	if card.role != nil {
		s.refuse(w, r, rec, invalidRequest("subject_token: %v", errNotCardToken))
		return
	}
	if card.platform != "" {
		s.refuse(w, r, rec, invalidRequest("subject_token: %v", errPlatformNotCard))
		return
	}
	if rec.RoleID == "" {
		s.refuse(w, r, rec, invalidRequest("selected_roleid is required"))
		return
	}
	role, ok := card.user.Role(rec.RoleID)
	if !ok {
		s.refuse(w, r, rec, newOAuthError(http.StatusBadRequest, codeInvalidTarget,
			"selected_roleid %s is not one of the user's roles", rec.RoleID))
		return
	}
	rec.RoleName, rec.OrgCode = role.RoleName, role.OrgCode
	token, sess, ended, err := s.tokens.issueRole(subject, role, now)
	if err != nil { // the card token was revoked or expired since the lookup
		s.refuse(w, r, rec, invalidRequest("subject_token: %v", err))
		return
	}
	rec.Outcome = audit.Allowed
	if ended != nil {
		rec.Detail = fmt.Sprintf("the sign-in's oldest role token (token %s, role %s) was revoked: a sign-in holds at most %d",
			ended.key.id(), ended.grant.role.PersonRoleID, MaxRoleTokens)
	}
	if s.record(r, rec) != nil {
		s.tokens.revoke(token)
		if ended != nil {
			s.tokens.restore(ended)
		}
		auditUnavailable(w)
		return
	}
	writeToken(w, token, sess, now, tokenTypeAccessToken)
}
