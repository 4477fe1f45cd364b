package cis2

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

const (
	grantAuthorizationCode = "authorization_code"
	clientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

	algIDToken = "RS256"

	// maxClientAssertionAhead is how far ahead a client assertion's exp may
	// be: five minutes, and ten seconds for clocks a little apart.
	maxClientAssertionAhead = 5*time.Minute + 10*time.Second
)

// clientAssertionAlgs are the algs taken for a client assertion (RFC 7518
// section 3.1): RSA keys, as registered.
var clientAssertionAlgs = []string{"RS512", "RS384", "RS256"}

// codeVerifierForm is RFC 7636 section 4.1's code_verifier.
var codeVerifierForm = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// tokenError is an RFC 6749 section 5.2 refusal.
type tokenError struct {
	status            int
	code, description string
}

func (e *tokenError) Error() string { return e.code + ": " + e.description }

func invalidClient(format string, a ...any) *tokenError {
	return &tokenError{http.StatusUnauthorized, "invalid_client", fmt.Sprintf(format, a...)}
}

func invalidGrant(format string, a ...any) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_grant", fmt.Sprintf(format, a...)}
}

func invalidRequest(format string, a ...any) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, a...)}
}

func writeTokenError(w http.ResponseWriter, err error) {
	var e *tokenError
	if !errors.As(err, &e) {
		e = &tokenError{http.StatusInternalServerError, "server_error", "internal error"}
	}
	wire.OAuthError(w, e.status, e.code, e.description)
}

// tokenResponse is OpenID Connect Core 1.0 section 3.1.3.3's.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// idTokenClaims are the ID token's claims (OpenID Connect Core 1.0 section 2):
// sub is the user's UUID, as CIS2's nhsid_useruid.
type idTokenClaims struct {
	jwt.RegisteredClaims
	Nonce    string `json:"nonce"`
	AuthTime int64  `json:"auth_time"`
	AZP      string `json:"azp"`
}

// handleToken is the token endpoint: an authorisation code, its PKCE
// code_verifier and the application's private-key-JWT client assertion buy
// an ID token and an access token.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	form, err := readForm(w, r)
	if err != nil {
		writeTokenError(w, invalidRequest("%v", err))
		return
	}
	if g := form.Get("grant_type"); g != grantAuthorizationCode {
		writeTokenError(w, &tokenError{http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code"})
		return
	}
	app, err := p.authenticateClient(form, now)
	if err != nil {
		writeTokenError(w, err)
		return
	}
	code := form.Get("code")
	if code == "" {
		writeTokenError(w, invalidRequest("code is required"))
		return
	}
	c, issued, err := p.codes.redeem(code, now)
	if errors.Is(err, errCodeUsed) {
		p.tokens.revoke(issued)
	}
	if err != nil {
		writeTokenError(w, invalidGrant("%v", err))
		return
	}
	verifier := form.Get("code_verifier")
	switch {
	case c.clientID != app.ClientID:
		writeTokenError(w, invalidGrant("the code was issued to another client"))
		return
	case form.Get("redirect_uri") != c.redirectURI:
		writeTokenError(w, invalidGrant("redirect_uri is not the authorisation request's"))
		return
	case !codeVerifierForm.MatchString(verifier):
		writeTokenError(w, invalidGrant("code_verifier is required: 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)"))
		return
	case !pkceMatches(verifier, c.challenge):
		writeTokenError(w, invalidGrant("code_verifier does not match the code_challenge (S256)"))
		return
	}
	access, key, exp := p.tokens.issue(c.userUUID, now)
	p.codes.bought(code, key)
	idToken, err := p.keys.sign(idTokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    p.issuer,
			Subject:   c.userUUID,
			Audience:  jwt.ClaimStrings{app.ClientID},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Nonce:    c.nonce,
		AuthTime: c.authTime.Unix(),
		AZP:      app.ClientID,
	})
	if err != nil {
		p.tokens.revoke(key)
		writeTokenError(w, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, tokenResponse{
		AccessToken: access,
		IDToken:     idToken,
		TokenType:   "Bearer",
		ExpiresIn:   int64(exp.Sub(now) / time.Second),
		Scope:       c.scope,
	})
}

// pkceMatches reports whether verifier's S256 is challenge (RFC 7636 section 4.6).
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// authenticateClient checks the private-key-JWT client authentication (OpenID
// Connect Core 1.0 section 9, RFC 7523 section 3): a JWT signed by one of the
// application's registered keys (by kid), with iss = sub = its client_id, aud
// this token endpoint, exp at most five minutes ahead and a jti never seen.
// Refusals are 401 invalid_client.
func (p *Provider) authenticateClient(form url.Values, now time.Time) (*apps.App, error) {
	if form.Get("client_assertion_type") != clientAssertionTypeJWT || form.Get("client_assertion") == "" {
		return nil, invalidClient("the client must authenticate with private_key_jwt: client_assertion_type %s and client_assertion", clientAssertionTypeJWT)
	}
	raw := form.Get("client_assertion")
	var unverified jwt.RegisteredClaims
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &unverified)
	if err != nil {
		return nil, invalidClient("client_assertion is not a well-formed JWT")
	}
	kid, _ := tok.Header["kid"].(string)
	alg := tok.Method.Alg()
	switch {
	case !slices.Contains(clientAssertionAlgs, alg):
		return nil, invalidClient("client_assertion's alg must be one of %s", strings.Join(clientAssertionAlgs, ", "))
	case kid == "":
		return nil, invalidClient("client_assertion has no kid header")
	case unverified.Issuer == "" || unverified.Issuer != unverified.Subject:
		return nil, invalidClient("client_assertion's iss and sub must both be the client_id")
	case form.Has("client_id") && form.Get("client_id") != unverified.Issuer:
		return nil, invalidClient("client_id is not client_assertion's iss")
	}
	app, ok := p.apps.ByClientID(unverified.Issuer)
	if !ok {
		return nil, invalidClient("client %s is not registered", unverified.Issuer)
	}
	key, ok := app.Key(kid)
	if !ok {
		return nil, invalidClient("client %s has no registered key with kid %s", app.ClientID, kid)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.NewParser(
		jwt.WithValidMethods(clientAssertionAlgs),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(p.tokenEndpoint()),
	).ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, invalidClient("client_assertion's signature does not verify with the key registered as %s", kid)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, invalidClient("client_assertion's aud must be the token endpoint, %s", p.tokenEndpoint())
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, invalidClient("client_assertion has expired, or has no exp")
	case err != nil:
		return nil, invalidClient("client_assertion is refused: %v", err)
	case claims.ExpiresAt.Sub(now) > maxClientAssertionAhead:
		return nil, invalidClient("client_assertion's exp is more than 5 minutes ahead")
	case claims.ID == "":
		return nil, invalidClient("client_assertion has no jti")
	}
	switch err := p.jtis.Use(claims.ID, claims.ExpiresAt.Time, now); {
	case errors.Is(err, apps.ErrJTIUsed):
		return nil, invalidClient("client_assertion's jti has been used already")
	case err != nil:
		return nil, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", err.Error()}
	}
	return app, nil
}
