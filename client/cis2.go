package client

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The NHS's own sign-in, auth = "cis2" (API.md section 1b, NHS England's "CIS2
// separate authentication and authorisation"): the user signs in to CIS2
// Authentication in the system browser (OpenID Connect, Authorization Code
// flow with PKCE, a loopback redirect); the application redeems the code with
// a private-key-JWT client assertion and checks the ID token against CIS2's
// JWKS; the user's roles come from CIS2's userinfo; choosing a role exchanges
// the ID token at the API platform's /oauth2/token for the access token PDS
// and SCR take, with the role in NHSD-Session-URID. The Session it gives is
// the card sign-in's: the same Roles, ChooseRole, record calls and SignOut.
//
// The journey, for the UI:
//
//	p, err := c.DiscoverCIS2(ctx, cfg)          // CIS2's discovery and JWKS
//	s, err := p.SignIn(ctx, cardUUID, open)     // open(url) shows the browser; the card's user only
//	role, err := s.ChooseRole(ctx, roleID)      // the platform's token exchange
//	… s.Patient, s.Summary, …                   // re-exchanged while the ID token lives
//	s.SignOut(ctx)

// Defaults of CIS2Config.
const (
	// DefaultSignInTimeout is how long SignIn waits for the browser.
	DefaultSignInTimeout = 10 * time.Minute
	// idTokenSkew is the leeway on the ID token's exp and iat, for clocks a
	// little apart.
	idTokenSkew = 60 * time.Second
	// clientAssertionLifetime is how long the application's client
	// assertions live: the platform wants at most 5 minutes (and allows 10 s
	// more), so a minute is left for a clock a little ahead of the server's.
	clientAssertionLifetime = 4 * time.Minute
	// platformRefreshMargin is how long before the platform token expires it
	// is exchanged again, so that a request does not go out on a token that
	// dies on the way.
	platformRefreshMargin = 30 * time.Second
	// jwksRefetchAfter is how soon the JWKS may be fetched again for an ID
	// token whose kid it lacks (CIS2 has rotated its key).
	jwksRefetchAfter = time.Minute
)

// DefaultCIS2Scopes are the scopes asked for: openid and the user's National
// RBAC roles (nhsid_nrbac_roles in userinfo).
var DefaultCIS2Scopes = []string{"openid", "nationalrbacaccess"}

// idTokenAlgs is the allow-list of ID-token algorithms: RSA and ECDSA, never
// "none" or an HMAC (whose key anyone holding the client_id might guess).
var idTokenAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"}

// Form values of section 1b.
const (
	grantAuthorizationCode = "authorization_code"
	clientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	tokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
)

// CIS2Config is the application as registered with NHS England, and where its
// user signs in.
type CIS2Config struct {
	Issuer   string        // CIS2's issuer identifier; discovery is at Issuer + /.well-known/openid-configuration
	ClientID string        // the application's CIS2 client_id
	APIKey   string        // the application's API key on the API platform (the Client's server root)
	Key      crypto.Signer // the application's private key, RSA (ParseSigningKey); its public key is registered
	KID      string        // the kid under which that public key is registered
	Scopes   []string      // nil: DefaultCIS2Scopes
	// RedirectPort is the loopback listener's port; 0 picks a free one, as
	// RFC 8252 section 7.3 lets a native application. Set it only if CIS2
	// holds the application to one registered redirect URI.
	RedirectPort  int
	SignInTimeout time.Duration    // how long SignIn waits for the browser; 0: DefaultSignInTimeout
	Now           func() time.Time // the clock; nil: time.Now
}

// CIS2 is CIS2 Authentication as its discovery document describes it, with
// the application that signs its users in. It is safe for concurrent use.
type CIS2 struct {
	c    *Client
	cfg  CIS2Config
	meta cis2Metadata
	algs []string // idTokenAlgs that CIS2 says it signs with

	mu        sync.Mutex
	keys      jose.JSONWebKeySet
	keysFetch time.Time
}

// cis2Metadata is what the sign-in reads of CIS2's discovery document (OpenID
// Connect Discovery 1.0 section 3).
type cis2Metadata struct {
	Issuer                   string   `json:"issuer"`
	AuthorizationEndpoint    string   `json:"authorization_endpoint"`
	TokenEndpoint            string   `json:"token_endpoint"`
	UserinfoEndpoint         string   `json:"userinfo_endpoint"`
	JWKSURI                  string   `json:"jwks_uri"`
	ResponseTypes            []string `json:"response_types_supported"`
	IDTokenSigningAlgs       []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// DiscoverCIS2 reads CIS2's discovery document and JWKS and checks that the
// sign-in can go ahead: the issuer is the one configured, every endpoint it
// needs is there over https (http for a loopback address only, the sandbox),
// and it supports the Authorization Code flow, PKCE S256, private_key_jwt
// and an ID-token algorithm on the allow-list where it says what it
// supports. Failures are *DiscoveryError; a configuration missing a part is
// a plain error.
func (c *Client) DiscoverCIS2(ctx context.Context, cfg CIS2Config) (*CIS2, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("client: auth cis2 needs cis2-issuer")
	case cfg.ClientID == "":
		return nil, errors.New("client: auth cis2 needs client-id")
	case cfg.APIKey == "":
		return nil, errors.New("client: auth cis2 needs api-key")
	case cfg.Key == nil:
		return nil, errors.New("client: auth cis2 needs signing-key")
	case cfg.KID == "":
		return nil, errors.New("client: auth cis2 needs kid")
	}
	if _, ok := cfg.Key.Public().(*rsa.PublicKey); !ok {
		return nil, &SigningKeyError{Problem: "not an RSA key (client assertions are RS512)"}
	}
	if err := checkEndpoint(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("client: cis2-issuer %q: %w", cfg.Issuer, err)
	}
	if cfg.Scopes == nil {
		cfg.Scopes = DefaultCIS2Scopes
	}
	if !slices.Contains(cfg.Scopes, "openid") {
		return nil, errors.New("client: the CIS2 scopes must include openid")
	}
	if cfg.SignInTimeout <= 0 {
		cfg.SignInTimeout = DefaultSignInTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &CIS2{c: c, cfg: cfg}
	if err := p.discover(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// CheckCIS2Issuer reads CIS2's discovery document and JWKS for issuer alone,
// and checks them as DiscoverCIS2 does: the issuer is the one given, every
// endpoint the sign-in needs is there over https (http for a loopback
// address only), and it supports what the sign-in needs. It is for checks
// made before an application is wholly configured (scr doctor, while
// client-id, api-key, signing-key or kid are unset or the key is unusable):
// discovery and the JWKS need only the issuer, and no application is
// signed in with. Failures are the same *DiscoveryError values as
// DiscoverCIS2's, DiscoveryError.URL naming the discovery document or the
// JWKS; an issuer unset or not https is a plain error, as there.
func (c *Client) CheckCIS2Issuer(ctx context.Context, issuer string) error {
	if issuer == "" {
		return errors.New("client: auth cis2 needs cis2-issuer")
	}
	if err := checkEndpoint(issuer); err != nil {
		return fmt.Errorf("client: cis2-issuer %q: %w", issuer, err)
	}
	p := &CIS2{c: c, cfg: CIS2Config{Issuer: issuer, Now: time.Now}}
	return p.discover(ctx)
}

// discover reads the discovery document of p.cfg.Issuer into p.meta, checks
// it, keeps the ID-token algorithms it offers in p.algs, and reads its JWKS.
// Failures are *DiscoveryError.
func (p *CIS2) discover(ctx context.Context) error {
	discoveryURL := strings.TrimSuffix(p.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	if err := p.getJSON(ctx, discoveryURL, "", &p.meta); err != nil {
		return &DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: err}
	}
	bad := func(problem string) error {
		return &DiscoveryError{URL: discoveryURL, Problem: problem}
	}
	m := &p.meta
	if strings.TrimSuffix(m.Issuer, "/") != strings.TrimSuffix(p.cfg.Issuer, "/") {
		return bad(fmt.Sprintf("its issuer is %q, not the configured %q", m.Issuer, p.cfg.Issuer))
	}
	for name, u := range map[string]string{
		"authorization_endpoint": m.AuthorizationEndpoint, "token_endpoint": m.TokenEndpoint,
		"userinfo_endpoint": m.UserinfoEndpoint, "jwks_uri": m.JWKSURI,
	} {
		if u == "" {
			return bad("it has no " + name)
		}
		if err := checkEndpoint(u); err != nil {
			return bad(name + " " + err.Error())
		}
	}
	switch {
	case len(m.ResponseTypes) > 0 && !slices.Contains(m.ResponseTypes, "code"):
		return bad("it does not offer the Authorization Code flow (response_type code)")
	case len(m.CodeChallengeMethods) > 0 && !slices.Contains(m.CodeChallengeMethods, "S256"):
		return bad("it does not offer PKCE with S256")
	case len(m.TokenEndpointAuthMethods) > 0 && !slices.Contains(m.TokenEndpointAuthMethods, "private_key_jwt"):
		return bad("it does not offer private_key_jwt client authentication")
	}
	p.algs = idTokenAlgs
	if len(m.IDTokenSigningAlgs) > 0 {
		p.algs = slices.DeleteFunc(slices.Clone(idTokenAlgs), func(a string) bool { return !slices.Contains(m.IDTokenSigningAlgs, a) })
		if len(p.algs) == 0 {
			return bad("it signs ID tokens with none of " + strings.Join(idTokenAlgs, ", "))
		}
	}
	return p.fetchKeys(ctx)
}

// checkEndpoint refuses a URL that is not https (or http on a loopback host).
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
		return errors.New("is not an https URL")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return errors.New("must be https (http for a loopback address only)")
}

// fetchKeys reads CIS2's JWKS.
func (p *CIS2) fetchKeys(ctx context.Context) error {
	var set jose.JSONWebKeySet
	if err := p.getJSON(ctx, p.meta.JWKSURI, "", &set); err != nil {
		return &DiscoveryError{URL: p.meta.JWKSURI, Problem: "the JWKS cannot be read", Err: err}
	}
	set.Keys = slices.DeleteFunc(set.Keys, func(k jose.JSONWebKey) bool {
		return !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig")
	})
	if len(set.Keys) == 0 {
		return &DiscoveryError{URL: p.meta.JWKSURI, Problem: "the JWKS holds no public signing key"}
	}
	p.mu.Lock()
	p.keys, p.keysFetch = set, p.cfg.Now()
	p.mu.Unlock()
	return nil
}

// key returns CIS2's public key for kid; a kid the JWKS lacks has the JWKS
// fetched again, at most once a minute, in case CIS2 has rotated its key.
func (p *CIS2) key(ctx context.Context, kid string) (any, bool) {
	find := func() (any, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if kid == "" && len(p.keys.Keys) == 1 {
			return p.keys.Keys[0].Key, true
		}
		if ks := p.keys.Key(kid); kid != "" && len(ks) > 0 {
			return ks[0].Key, true
		}
		return nil, false
	}
	if k, ok := find(); ok {
		return k, true
	}
	p.mu.Lock()
	due := p.cfg.Now().Sub(p.keysFetch) >= jwksRefetchAfter
	p.mu.Unlock()
	if !due || p.fetchKeys(ctx) != nil {
		return nil, false
	}
	return find()
}

// getJSON GETs an absolute URL of CIS2's, with a bearer token if any.
func (p *CIS2) getJSON(ctx context.Context, raw, bearer string, out any) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	res, err := p.c.send(ctx, apiRequest{method: http.MethodGet, url: raw, path: u.Path, bearer: bearer, svc: ServiceCIS2})
	if err != nil {
		return err
	}
	return res.decode(out)
}

// authorization is one sign-in's secrets: PKCE's verifier, state, nonce.
type authorization struct {
	verifier, state, nonce string
	redirectURI            string
}

// randomValue is 32 random bytes, base64url without padding: a PKCE
// verifier (43 characters, RFC 7636 section 4.1), a state or a nonce.
func randomValue() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// authorizeURL is the authorisation request (OpenID Connect Core 1.0 section
// 3.1.2.1, RFC 7636 section 4.3) the browser opens.
func (p *CIS2) authorizeURL(a *authorization) string {
	sum := sha256.Sum256([]byte(a.verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {p.cfg.ClientID},
		"redirect_uri":          {a.redirectURI},
		"scope":                 {strings.Join(p.cfg.Scopes, " ")},
		"state":                 {a.state},
		"nonce":                 {a.nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	u, _ := url.Parse(p.meta.AuthorizationEndpoint) // checked by DiscoverCIS2
	if u.RawQuery != "" {
		u.RawQuery += "&" + q.Encode()
	} else {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// SignIn signs the user in to CIS2 in the system browser. It opens a loopback
// listener, hands open the authorisation URL to show (the system browser; if
// none can be opened, open should print the URL for the user to open, and
// return nil: an error from open ends the sign-in), and waits for the
// browser's redirect, at most CIS2Config.SignInTimeout. It redeems the code,
// validates the ID token, refuses it unless its subject is cardUUID (the user
// ID in the certificate of the card in the reader: *WrongUserError), and
// reads the user's roles from userinfo. The session is the card sign-in's:
// choose a role next.
//
// The errors: *CallbackError, *StateMismatchError, *AuthorizationError from
// the redirect; *CIS2TokenError from the token endpoint; *IDTokenError,
// *WrongUserError; and the transport's (errors.go) for CIS2's endpoints.
func (p *CIS2) SignIn(ctx context.Context, cardUUID string, open func(url string) error) (*Session, error) {
	if cardUUID == "" {
		return nil, errors.New("client: SignIn needs the UUID of the card in the reader")
	}
	a := &authorization{verifier: randomValue(), state: randomValue(), nonce: randomValue()}
	lb, err := listenLoopback(p.cfg.RedirectPort, a.state, p.meta.Issuer)
	if err != nil {
		return nil, err
	}
	defer lb.close()
	a.redirectURI = lb.redirectURI

	wctx, cancel := context.WithTimeoutCause(ctx, p.cfg.SignInTimeout, ErrSignInTimedOut)
	defer cancel()
	if err := open(p.authorizeURL(a)); err != nil {
		select {
		case res := <-lb.result: // the browser has answered all the same
			lb.result <- res
		default:
			return nil, fmt.Errorf("client: opening the sign-in page: %w", err)
		}
	}
	code, err := lb.wait(wctx)
	lb.close() // exactly one redirect: nothing more is listened for
	if err != nil {
		return nil, err
	}
	tokens, err := p.redeem(ctx, code, a.verifier, a.redirectURI)
	if err != nil {
		return nil, err
	}
	claims, err := p.validateIDToken(ctx, tokens.IDToken, a.nonce)
	if err != nil {
		return nil, err
	}
	if claims.Subject != cardUUID {
		return nil, &WrongUserError{CardUUID: cardUUID, TokenUUID: claims.Subject}
	}
	var ui struct {
		UserUUID string `json:"nhsid_useruid"`
		Sub      string `json:"sub"`
		Name     string `json:"name"`
		Roles    []Role `json:"nhsid_nrbac_roles"`
	}
	if err := p.getJSON(ctx, p.meta.UserinfoEndpoint, tokens.AccessToken, &ui); err != nil {
		return nil, err
	}
	// OpenID Connect Core 1.0 section 5.3.2: a userinfo whose sub is not the
	// ID token's must not be used.
	if ui.Sub != claims.Subject || (ui.UserUUID != "" && ui.UserUUID != claims.Subject) {
		return nil, &InvalidResponseError{Status: http.StatusOK, Problem: "CIS2's userinfo is for another user than its ID token"}
	}
	s := &Session{
		client:   p.c,
		UserUUID: claims.Subject,
		UserName: ui.Name,
		Roles:    ui.Roles,
		cis2: &cis2Grant{
			p:         p,
			idToken:   tokens.IDToken,
			idExpires: claims.ExpiresAt.Time,
		},
	}
	return s, nil
}
