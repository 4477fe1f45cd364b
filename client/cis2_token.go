package client

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// cis2Tokens is CIS2's token response (OpenID Connect Core 1.0 section 3.1.3.3).
type cis2Tokens struct {
	AccessToken string  `json:"access_token"`
	IDToken     string  `json:"id_token"`
	TokenType   string  `json:"token_type"`
	ExpiresIn   seconds `json:"expires_in"`
}

// seconds is an expires_in: a number, or a string holding one, as the API
// platform sends it ("599").
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	t := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if t == "" || t == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("expires_in %s is not a number of seconds", b)
	}
	*s = seconds(n)
	return nil
}

// clientAssertion is the application's client assertion (RFC 7523 section
// 2.2, as the platform's section 1b wants it): RS512 with header kid and typ
// JWT; claims iss = sub = the application's ID for the audience (its CIS2
// client_id, or its API key), aud = the token endpoint's URL exactly, jti
// random and fresh, exp clientAssertionLifetime ahead. aud is a string, not
// an array of one.
func (p *CIS2) clientAssertion(id, aud string) (string, error) {
	now := p.cfg.Now()
	tok := jwt.NewWithClaims(rs512, jwt.MapClaims{
		"iss": id,
		"sub": id,
		"aud": aud,
		"jti": uuid.NewString(),
		"iat": now.Unix(),
		"exp": now.Add(clientAssertionLifetime).Unix(),
	})
	tok.Header["kid"] = p.cfg.KID
	s, err := tok.SignedString(p.cfg.Key)
	if err != nil {
		return "", &SigningKeyError{Problem: "it cannot sign: " + err.Error()}
	}
	return s, nil
}

// redeem exchanges the authorisation code at CIS2's token endpoint,
// authenticating the application with a client assertion (private_key_jwt).
// A refusal is a *CIS2TokenError in CIS2's words.
func (p *CIS2) redeem(ctx context.Context, code, verifier, redirectURI string) (cis2Tokens, error) {
	assertion, err := p.clientAssertion(p.cfg.ClientID, p.meta.TokenEndpoint)
	if err != nil {
		return cis2Tokens{}, err
	}
	u, _ := url.Parse(p.meta.TokenEndpoint) // checked by DiscoverCIS2
	res, err := p.c.send(ctx, apiRequest{method: http.MethodPost, url: p.meta.TokenEndpoint, path: u.Path, svc: ServiceCIS2,
		form: url.Values{
			"grant_type":            {grantAuthorizationCode},
			"code":                  {code},
			"redirect_uri":          {redirectURI},
			"code_verifier":         {verifier},
			"client_id":             {p.cfg.ClientID},
			"client_assertion_type": {clientAssertionTypeJWT},
			"client_assertion":      {assertion},
		}})
	if err != nil {
		return cis2Tokens{}, refusedBy(err, func(r ServerReply) error { return &CIS2TokenError{r} })
	}
	var t cis2Tokens
	if err := res.decode(&t); err != nil {
		return cis2Tokens{}, err
	}
	if t.AccessToken == "" || t.IDToken == "" || !strings.EqualFold(t.TokenType, "Bearer") {
		return cis2Tokens{}, &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: "no id_token, or no Bearer access_token"}
	}
	return t, nil
}

// refusedBy turns the token endpoint's refusal, which the transport types by
// status (401 as signed out, 4xx as sign-in refused), into the endpoint's own
// error; anything else (timeouts, 5xx, TLS) stays as it is.
func refusedBy(err error, as func(ServerReply) error) error {
	if e, ok := errors.AsType[*SignInError](err); ok {
		return as(e.ServerReply)
	}
	if e, ok := errors.AsType[*SignedOutError](err); ok {
		return as(e.ServerReply)
	}
	return err
}

// idClaims are the ID token's claims the sign-in reads.
type idClaims struct {
	jwt.RegisteredClaims
	Nonce string `json:"nonce"`
	AZP   string `json:"azp"`
}

// validateIDToken checks the ID token as OpenID Connect Core 1.0 section
// 3.1.3.7 asks: an allowed alg, signed by a key of CIS2's JWKS, iss CIS2's
// issuer, aud this application (and azp, when there are several audiences),
// exp and iat within idTokenSkew of this computer's clock, the nonce this
// sign-in sent, a subject. Failures are *IDTokenError.
func (p *CIS2) validateIDToken(ctx context.Context, raw, nonce string) (idClaims, error) {
	var c idClaims
	fail := func(reason, detail string, err error) (idClaims, error) {
		return idClaims{}, &IDTokenError{Reason: reason, Detail: detail, Err: err}
	}
	unverified, _, err := jwt.NewParser().ParseUnverified(raw, &idClaims{})
	if err != nil {
		return fail(IDTokenMalformed, "not a JWT", err)
	}
	alg := unverified.Method.Alg()
	if !slices.Contains(p.algs, alg) {
		return fail(IDTokenAlgorithm, "alg "+alg+" is not one of "+strings.Join(p.algs, ", "), nil)
	}
	kid, _ := unverified.Header["kid"].(string)
	key, ok := p.key(ctx, kid)
	if !ok {
		return fail(IDTokenSignature, "CIS2's JWKS has no key "+strconvQuote(kid), nil)
	}
	_, err = jwt.NewParser(
		jwt.WithValidMethods(p.algs),
		jwt.WithTimeFunc(p.cfg.Now),
		jwt.WithLeeway(idTokenSkew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(p.meta.Issuer),
		jwt.WithAudience(p.cfg.ClientID),
	).ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return fail(IDTokenSignature, "the signature does not verify with CIS2's key "+strconvQuote(kid), err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return fail(IDTokenExpired, "", err)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return fail(IDTokenNotYet, "", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fail(IDTokenIssuer, "", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fail(IDTokenAudience, "", err)
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return fail(IDTokenMalformed, "", err)
	case err != nil:
		return fail(IDTokenOtherError, "", err)
	case len(c.Audience) > 1 && c.AZP != p.cfg.ClientID:
		return fail(IDTokenAudience, "several audiences, and azp is not this application", nil)
	case c.Audience != nil && c.AZP != "" && c.AZP != p.cfg.ClientID:
		return fail(IDTokenAudience, "azp is not this application", nil)
	case subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1:
		return fail(IDTokenNonce, "not the nonce this sign-in sent", nil)
	case c.Subject == "":
		return fail(IDTokenNoSubject, "", nil)
	}
	return c, nil
}

func strconvQuote(s string) string { return strconv.QuoteToASCII(s) }

// platformToken is the API platform's answer to a token exchange.
type platformToken struct {
	AccessToken     string  `json:"access_token"`
	TokenType       string  `json:"token_type"`
	ExpiresIn       seconds `json:"expires_in"`
	IssuedTokenType string  `json:"issued_token_type"`
}

// defaultPlatformLifetime is assumed for a platform token whose answer gives
// no expires_in: the platform's are 599 s.
const defaultPlatformLifetime = 5 * time.Minute

// exchange asks the API platform's /oauth2/token for an access token for the
// ID token's user (API.md section 1b), with a fresh client assertion.
func (p *CIS2) exchange(ctx context.Context, idToken string) (string, time.Time, error) {
	assertion, err := p.clientAssertion(p.cfg.APIKey, p.c.server+oauth2Token)
	if err != nil {
		return "", time.Time{}, err
	}
	return p.exchangeWith(ctx, idToken, assertion)
}

// exchangeWith is exchange with a given client assertion. A refusal is an
// *ExchangeError in the platform's words.
func (p *CIS2) exchangeWith(ctx context.Context, idToken, assertion string) (string, time.Time, error) {
	start := p.cfg.Now()
	res, err := p.c.send(ctx, apiRequest{method: http.MethodPost, path: oauth2Token, form: url.Values{
		"grant_type":            {grantTokenExchange},
		"subject_token":         {idToken},
		"subject_token_type":    {tokenTypeIDToken},
		"client_assertion_type": {clientAssertionTypeJWT},
		"client_assertion":      {assertion},
	}})
	if err != nil {
		return "", time.Time{}, refusedBy(err, func(r ServerReply) error { return &ExchangeError{r} })
	}
	var t platformToken
	if err := res.decode(&t); err != nil {
		return "", time.Time{}, err
	}
	if t.AccessToken == "" || !strings.EqualFold(t.TokenType, "Bearer") {
		return "", time.Time{}, &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: "no Bearer access_token"}
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = defaultPlatformLifetime
	}
	return t.AccessToken, start.Add(life), nil
}

// cis2Grant is what a session signed in through CIS2 holds besides the card
// sign-in's: the ID token, to exchange again when the platform token expires,
// and when each expires. Its fields are guarded by the session's mu.
type cis2Grant struct {
	p           *CIS2
	idToken     string
	idExpires   time.Time
	roleExpires time.Time // the platform token's (Session.roleToken)
}

// chooseRoleCIS2 is ChooseRole for a CIS2 session. The platform token is the
// user's, in any of their roles, which each request names in
// NHSD-Session-URID: a live one serves the new role as it is; otherwise the ID
// token is exchanged for one.
func (s *Session) chooseRoleCIS2(ctx context.Context, role Role) (Role, error) {
	s.mu.Lock()
	prev := s.role
	s.role = &role
	s.mu.Unlock()
	if err := s.refreshPlatform(ctx); err != nil {
		s.mu.Lock()
		if s.role == &role {
			s.role = prev
		}
		s.mu.Unlock()
		return Role{}, err
	}
	return role, nil
}

// refreshPlatform exchanges the ID token for a platform token when the
// session has a role and its platform token is missing or about to expire,
// as long as the ID token lives; once it has expired the session is signed
// out. One exchange at a time: a request waiting for it then uses its token.
func (s *Session) refreshPlatform(ctx context.Context) error {
	g := s.cis2
	s.exMu.Lock()
	defer s.exMu.Unlock()
	now := g.p.cfg.Now()
	s.mu.Lock()
	idToken, idExpires := g.idToken, g.idExpires
	fresh := s.roleToken != "" && now.Before(g.roleExpires.Add(-platformRefreshMargin))
	noRole := s.role == nil
	s.mu.Unlock()
	switch {
	case noRole || fresh:
		return nil
	case idToken == "":
		return &SignedOutError{ServerReply{Code: "signed_out", Text: "the session has been signed out"}}
	case !now.Before(idExpires):
		s.mu.Lock()
		g.idToken, s.roleToken = "", ""
		s.mu.Unlock()
		return &SignedOutError{ServerReply{Code: "id_token_expired", Text: "the CIS2 ID token has expired: sign in again"}}
	}
	tok, exp, err := g.p.exchange(ctx, idToken)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if g.idToken == "" { // signed out meanwhile
		s.mu.Unlock()
		_ = s.revokePlatform(ctx, tok)
		return &SignedOutError{ServerReply{Code: "signed_out", Text: "the session has been signed out"}}
	}
	old := s.roleToken
	s.roleToken, g.roleExpires = tok, exp
	s.mu.Unlock()
	if old != "" {
		_ = s.revokePlatform(ctx, old)
	}
	return nil
}

// signOutCIS2 forgets the ID token and the platform token, and revokes the
// platform token where the platform offers revocation (the sandbox's
// /oauth2/revoke): a platform without it (404 or 405) is no error.
func (s *Session) signOutCIS2(ctx context.Context) error {
	s.mu.Lock()
	tok := s.roleToken
	s.cis2.idToken, s.roleToken, s.role = "", "", nil
	s.mu.Unlock()
	if tok == "" {
		return nil
	}
	return s.revokePlatform(ctx, tok)
}

func (s *Session) revokePlatform(ctx context.Context, token string) error {
	err := s.revoke(ctx, token)
	if e, ok := errors.AsType[*SignInError](err); ok && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) {
		return nil
	}
	return err
}

// CheckApplication asks the API platform whether it takes the application's
// client assertion (API key, key and kid, aud, this computer's clock), for
// scr doctor, without a user: it exchanges a made-up, unsigned subject token.
// The platform checks the client assertion before the subject token's issuer
// and signature (the sandbox does; the platform's published checks read so),
// so a refusal of the subject token is the answer wanted, and CheckApplication
// returns nil. A refusal of the client assertion is an *ExchangeError whose
// ApplicationRefused is true; any other failure is the transport's.
func (p *CIS2) CheckApplication(ctx context.Context) error {
	now := p.cfg.Now()
	probe := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://scr.invalid/doctor", "sub": "doctor", "aud": p.cfg.ClientID,
		"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(),
	})
	probe.Header["kid"] = "scr-doctor-probe"
	subject, err := probe.SignedString([]byte("scr doctor: not a real ID token"))
	if err != nil {
		return err
	}
	_, _, err = p.exchange(ctx, subject)
	if e, ok := errors.AsType[*ExchangeError](err); ok && !e.ApplicationRefused() {
		return nil
	}
	if err == nil {
		return &ExchangeError{ServerReply{Service: ServiceSignIn, Status: http.StatusOK,
			Text: "the platform exchanged a made-up subject token"}}
	}
	return err
}

// SameUser refuses, with a *WrongUserError, a card whose user (cardUUID, from
// its certificate) is not the session's: a card put in after another was
// pulled never inherits a session, whichever way it was signed in.
func (s *Session) SameUser(cardUUID string) error {
	if cardUUID != s.UserUUID {
		return &WrongUserError{CardUUID: cardUUID, TokenUUID: s.UserUUID}
	}
	return nil
}
