package identity

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// challengeResponse is API.md's answer to POST /oauth2/challenge.
type challengeResponse struct {
	Challenge string `json:"challenge"`
	ExpiresIn int64  `json:"expires_in"`
}

// handleChallenge issues a challenge for the card to sign, as the jti of its
// assertion. One client address may hold only so many unused challenges (429
// beyond them, until the oldest expires); the store as a whole is bounded
// too, but makes room rather than refuse (challengeStore), so no number of
// addresses can lock out one within its allowance. Any other failure to
// issue one is 503.
func (s *Service) handleChallenge(w http.ResponseWriter, r *http.Request) {
	c, err := s.challenges.issue(ClientAddress(r), s.now())
	if tooMany, ok := errors.AsType[*tooManyFromAddress](err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(tooMany.retryAfter)))
		wire.OAuthError(w, http.StatusTooManyRequests, codeSlowDown, fmt.Sprintf(
			"this address already holds %d unused challenges: sign in with one of them, or try again when the oldest expires", tooMany.limit))
		return
	}
	if err != nil {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(s.challenges.ttl.Seconds()), 10))
		wire.OAuthError(w, http.StatusServiceUnavailable, codeUnavailable, "too many sign-ins are under way; try again shortly")
		return
	}
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, challengeResponse{
		Challenge: c,
		ExpiresIn: int64(s.challenges.ttl.Seconds()),
	})
}

// signIn is the JWT bearer grant (RFC 7523 section 2.1): a card assertion buys a
// card token. The token reaches the client only once the sign-in is recorded.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request, form url.Values) {
	now := s.now()
	rec := audit.Record{Kind: audit.SignIn}
	raw := form.Get("assertion")
	if raw == "" {
		s.refuse(w, r, rec, invalidRequest("assertion is required"))
		return
	}
	user, holder, err := s.verifyAssertion(raw, s.audiences(r), now)
	rec.UserUUID, rec.UserName = holder.UUID, holder.Name
	if err != nil {
		s.refuse(w, r, rec, err)
		return
	}
	token, sess := s.tokens.issueCard(user, now)
	rec.UserName = user.Name
	rec.Outcome = audit.Allowed
	if s.record(r, rec) != nil {
		s.tokens.revoke(token)
		auditUnavailable(w)
		return
	}
	writeToken(w, token, sess, now, "")
}

// retryAfterSeconds is d as a Retry-After value: whole seconds, rounded up, at
// least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// ErrAuditUnavailable is AuthenticateCard's error when the audit trail cannot be
// written: nothing was done.
var ErrAuditUnavailable = errors.New("identity: the audit trail cannot be written; nothing was done")

// CardRefusedError is why AuthenticateCard refused a card assertion, in the
// words section 1's token endpoint would use (its error_description).
type CardRefusedError struct{ Description string }

func (e *CardRefusedError) Error() string { return "identity: card refused: " + e.Description }

// AuthenticateCard verifies a card assertion exactly as section 1's card
// sign-in does (the certificate chains to the smartcard CA, is in date and not
// revoked; the signature; the jti is a challenge from POST /oauth2/challenge,
// used once; sub is the certificate's user, who is known; aud is this
// server's /oauth2/token), for a sign-in that the card in the reader
// authorises elsewhere: the sandbox CIS2's authorise step. via says which, in
// the audit trail, where the sign-in is recorded, allowed or refused, before
// this returns. It returns (a copy of) the user.
func (s *Service) AuthenticateCard(r *http.Request, assertion, via string) (User, error) {
	s.flushDue(r.Context())
	now := s.now()
	rec := audit.Record{Kind: audit.SignIn}
	var (
		user   *User
		holder pki.Holder
		err    error
	)
	if assertion == "" {
		err = invalidRequest("the card's assertion is required")
	} else {
		user, holder, err = s.verifyAssertion(assertion, s.audiences(r), now)
	}
	rec.UserUUID, rec.UserName = holder.UUID, holder.Name
	if err != nil {
		desc := err.Error()
		if e, ok := errors.AsType[*oauthError](err); ok {
			desc = e.description
		}
		rec.Outcome, rec.Detail = audit.Denied, via+": "+desc
		if s.recordRefusal(r, rec) != nil {
			return User{}, ErrAuditUnavailable
		}
		return User{}, &CardRefusedError{Description: desc}
	}
	rec.UserName, rec.Outcome, rec.Detail = user.Name, audit.Allowed, via
	if s.record(r, rec) != nil {
		return User{}, ErrAuditUnavailable
	}
	return user.clone(), nil
}
