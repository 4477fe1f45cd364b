package identity

import (
	"fmt"
	"net/http"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

// handleRevoke is token revocation (RFC 7009): sign-out. Revoking a card token
// ends every role token exchanged from it (section 2.1 lets a server do so, and
// API.md requires it); revoking a role token ends it alone. The answer is 200
// whether or not the token was live (section 2.2), so a client signing out never
// has an error to handle and a caller learns nothing about tokens it does not
// hold. The sign-out is recorded before it takes effect. A platform token
// (section 1b) is revoked alone, like a role token.
func (s *Service) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s.flushDue(r.Context())
	rec := audit.Record{Kind: audit.SignOut}
	form, err := readForm(w, r)
	if err != nil {
		writeOAuthError(w, err)
		return
	}
	token := form.Get("token")
	if token == "" {
		s.refuse(w, r, rec, invalidRequest("token is required"))
		return
	}
	now := s.now()
	sess, roles, held := s.tokens.find(token, now)
	if !held {
		rec.Outcome = audit.Denied
		rec.Detail = "no such token (unknown, already revoked or long expired): nothing to revoke"
		if s.recordRefusal(r, rec) != nil {
			auditUnavailable(w)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	rec.UserUUID, rec.UserName = sess.user.UUID, sess.user.Name
	rec.Outcome = audit.Allowed
	switch {
	case sess.role != nil:
		rec.RoleID, rec.RoleName, rec.OrgCode = sess.role.PersonRoleID, sess.role.RoleName, sess.role.OrgCode
		rec.Detail = "role token revoked"
	case sess.platform != "":
		rec.Detail = "API platform token revoked (issued to " + sess.platform + ")"
	default:
		rec.Detail = fmt.Sprintf("card token revoked, and with it %d live role token(s)", roles)
	}
	if !now.Before(sess.expires) {
		rec.Detail += " (the token itself had expired)"
	}
	if s.record(r, rec) != nil {
		auditUnavailable(w)
		return
	}
	s.tokens.revoke(token)
	w.WriteHeader(http.StatusOK)
}
