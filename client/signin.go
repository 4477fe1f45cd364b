package client

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrterm/scr/internal/rbac"
)

// /oauth2 endpoints and grant types (API.md section 1).
const (
	oauth2Challenge = "/oauth2/challenge"
	oauth2Token     = "/oauth2/token"
	oauth2Userinfo  = "/oauth2/userinfo"
	oauth2Revoke    = "/oauth2/revoke"

	grantJWTBearer       = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// Role is one of the user's CIS2 roles (nhsid_nrbac_roles[]).
type Role struct {
	ID            string   `json:"person_roleid"` // sent as NHSD-Session-URID
	OrgCode       string   `json:"org_code"`
	Code          string   `json:"role_code"`
	Name          string   `json:"role_name"`
	ActivityCodes []string `json:"activity_codes"`
	Activities    []string `json:"activities"`
}

// CanView reports whether the role may view an SCR with the patient's permission.
func (r Role) CanView() bool { return rbac.Allows(r.ActivityCodes, rbac.ViewSCR) }

// CanEmergency reports whether the role may view an SCR without permission, in
// an emergency (sending a privacy alert).
func (r Role) CanEmergency() bool { return rbac.Allows(r.ActivityCodes, rbac.EmergencyView) }

// CanAudit reports whether the role may read privacy-officer audit reports.
func (r Role) CanAudit() bool { return rbac.Allows(r.ActivityCodes, rbac.ReadAuditTrail) }

// Session is a signed-in user. Its tokens are kept in memory only and are never
// printed: String, GoString and LogValue show who and which role, nothing
// else. It is safe for concurrent use.
type Session struct {
	client *Client

	UserUUID string // nhsid_useruid
	UserName string // as CIS2 gives it
	Roles    []Role

	mu        sync.Mutex
	cardToken string
	roleToken string // the role token; for a CIS2 sign-in, the API platform's token
	role      *Role  // the chosen role, nil until ChooseRole

	cis2 *cis2Grant // set for a CIS2 sign-in (auth = "cis2"), nil for the card's
	exMu sync.Mutex // one platform token exchange at a time (CIS2)
}

// tokenResponse is RFC 6749 section 5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// SignIn signs the user in with their card: a challenge from the server, an
// RFC 7523 assertion over it signed by signer (the card's PIV authentication
// key, PIN already verified), the card token, then who the user is and their
// roles. uuid is the user's 12-digit ID, as in the card certificate.
func (c *Client) SignIn(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) (*Session, error) {
	res, err := c.send(ctx, apiRequest{method: http.MethodPost, path: oauth2Challenge})
	if err != nil {
		return nil, err
	}
	var ch struct {
		Challenge string `json:"challenge"`
	}
	if err := res.decode(&ch); err != nil {
		return nil, err
	}
	if ch.Challenge == "" {
		return nil, &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: "no challenge"}
	}
	assertion, err := Assertion{
		Cert: cert, UserUUID: uuid, Audience: c.server + oauth2Token, JTI: ch.Challenge, Now: time.Now(),
	}.Sign(signer)
	if err != nil {
		return nil, fmt.Errorf("client: signing the assertion: %w", err)
	}
	cardToken, err := c.postTokenGrant(ctx, url.Values{"grant_type": {grantJWTBearer}, "assertion": {assertion}})
	if err != nil {
		return nil, err
	}
	s := &Session{client: c, cardToken: cardToken}
	if err := s.loadUserinfo(ctx); err != nil {
		s.revoke(ctx, cardToken) // don't leave a live token behind
		return nil, err
	}
	return s, nil
}

// postTokenGrant posts a grant to the token endpoint and returns the access token.
func (c *Client) postTokenGrant(ctx context.Context, form url.Values) (string, error) {
	res, err := c.send(ctx, apiRequest{method: http.MethodPost, path: oauth2Token, form: form})
	if err != nil {
		return "", err
	}
	var tr tokenResponse
	if err := res.decode(&tr); err != nil {
		return "", err
	}
	if tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: "no Bearer access_token"}
	}
	return tr.AccessToken, nil
}

func (s *Session) loadUserinfo(ctx context.Context) error {
	res, err := s.client.send(ctx, apiRequest{method: http.MethodGet, path: oauth2Userinfo, bearer: s.cardToken})
	if err != nil {
		return err
	}
	var ui struct {
		UserUUID string `json:"nhsid_useruid"`
		Sub      string `json:"sub"`
		Name     string `json:"name"`
		Roles    []Role `json:"nhsid_nrbac_roles"`
	}
	if err := res.decode(&ui); err != nil {
		return err
	}
	s.UserUUID, s.UserName, s.Roles = nonEmptyOr(ui.UserUUID, ui.Sub), ui.Name, ui.Roles
	return nil
}

// ChooseRole exchanges the card token for a token scoped to one of the user's
// roles (RFC 8693), which every PDS and SCR call then carries. Choosing again
// replaces the role token. For a CIS2 sign-in it is the API platform's token
// exchange of the ID token (API.md section 1b), whose token serves every
// role of the user's, each request naming the chosen one; failures are then
// *ExchangeError, or *SignedOutError once the ID token has expired.
func (s *Session) ChooseRole(ctx context.Context, roleID string) (Role, error) {
	i := slices.IndexFunc(s.Roles, func(r Role) bool { return r.ID == roleID })
	if i < 0 {
		return Role{}, fmt.Errorf("client: %s is not one of the user's roles", roleID)
	}
	if s.cis2 != nil {
		return s.chooseRoleCIS2(ctx, s.Roles[i])
	}
	s.mu.Lock()
	card := s.cardToken
	s.mu.Unlock()
	if card == "" {
		return Role{}, &SignedOutError{ServerReply{Code: "signed_out", Text: "the session has been signed out"}}
	}
	tok, err := s.client.postTokenGrant(ctx, url.Values{
		"grant_type":         {grantTokenExchange},
		"subject_token":      {card},
		"subject_token_type": {tokenTypeAccessToken},
		"selected_roleid":    {roleID},
	})
	// RFC 8693 section 2.2.2 answers invalid_request for a subject_token that
	// is expired or revoked. The rest of this request is ours and well formed,
	// so that answer means the card token is dead: the user must sign in again.
	var sie *SignInError
	if errors.As(err, &sie) && sie.Code == "invalid_request" {
		return Role{}, &SignedOutError{sie.ServerReply}
	}
	if err != nil {
		return Role{}, err
	}
	role := s.Roles[i]
	s.mu.Lock()
	old := s.roleToken
	s.roleToken, s.role = tok, &role
	s.mu.Unlock()
	if old != "" {
		s.revoke(ctx, old)
	}
	return role, nil
}

// Role is the chosen role, if any.
func (s *Session) Role() (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.role == nil {
		return Role{}, false
	}
	return *s.role, true
}

// SignOut revokes the card token (RFC 7009), which ends every role token
// exchanged from it, and forgets both. The tokens are forgotten even if the
// server cannot be reached; the error says so. A CIS2 sign-in's ID token and
// platform token are forgotten, and the platform token revoked where the
// platform offers revocation.
func (s *Session) SignOut(ctx context.Context) error {
	if s.cis2 != nil {
		return s.signOutCIS2(ctx)
	}
	s.mu.Lock()
	card, role := s.cardToken, s.roleToken
	s.cardToken, s.roleToken, s.role = "", "", nil
	s.mu.Unlock()
	var err error
	if card != "" {
		err = s.revoke(ctx, card)
	} else if role != "" {
		err = s.revoke(ctx, role)
	}
	return err
}

func (s *Session) revoke(ctx context.Context, token string) error {
	_, err := s.client.send(ctx, apiRequest{method: http.MethodPost, path: oauth2Revoke, form: url.Values{"token": {token}}})
	return err
}

// scrRequest fills in the role token and NHSD-Session-URID that every PDS and
// SCR call carries (API.md section 3), for the record calls of this package.
// A CIS2 sign-in's platform token is exchanged again first if it is about to
// expire, while the ID token lives.
func (s *Session) scrRequest(ctx context.Context, req apiRequest) (apiRequest, error) {
	if s.cis2 != nil {
		if err := s.refreshPlatform(ctx); err != nil {
			return req, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roleToken == "" || s.role == nil {
		return req, &SignedOutError{ServerReply{Code: "no_role", Text: "no role chosen, or signed out"}}
	}
	req.bearer, req.roleID = s.roleToken, s.role.ID
	return req, nil
}

// getRecord GETs path (under the server root) with query for the chosen role,
// decoding the JSON answer into out.
func (s *Session) getRecord(ctx context.Context, path string, query url.Values, out any) error {
	req, err := s.scrRequest(ctx, apiRequest{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return err
	}
	res, err := s.client.send(ctx, req)
	if err != nil {
		return err
	}
	return res.decode(out)
}

// String names the user and role; never a token.
func (s *Session) String() string {
	if r, ok := s.Role(); ok {
		return fmt.Sprintf("session of user %s as role %s (%s)", s.UserUUID, r.ID, r.OrgCode)
	}
	return "session of user " + s.UserUUID
}

// GoString is String, so %#v cannot print the tokens either.
func (s *Session) GoString() string { return s.String() }

// LogValue logs IDs only: no tokens, and no name (debug logs carry none).
func (s *Session) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("user", s.UserUUID)}
	if r, ok := s.Role(); ok {
		attrs = append(attrs, slog.String("role", r.ID), slog.String("org", r.OrgCode))
	}
	return slog.GroupValue(attrs...)
}
