// Package cis2 is the sandbox's stand-in for NHS CIS2 Authentication: an
// OpenID Connect provider (Authorization Code flow with PKCE, private-key-JWT
// client authentication, RS256 ID tokens, CIS2's userinfo) under {base}/cis2,
// for the NHS's own sign-in path of API.md section 1b.
//
// Where CIS2 would have the user sign in in the browser with their smartcard
// and passcode, this provider's authorise step takes the card in the reader:
// POST {issuer}/authorize with the authorisation request's parameters and
// card_assertion, an assertion the card signs over a challenge from POST
// /oauth2/challenge, exactly as section 1's sign-in makes it, and verified the
// same way (package identity). A GET of {issuer}/authorize answers a small
// page that says so. Browser plays that part for scr --demo and the tests.
//
// Codes, access tokens and client-assertion jtis live in memory, bounded by
// their lifetimes; the ID-token key is made in memory when first needed, and
// never stored.
package cis2

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// PathPrefix is where the provider lives under the server root: its issuer
// identifier is the server's base URL and PathPrefix.
const PathPrefix = "/cis2"

// The provider's endpoints, under PathPrefix.
const (
	PathDiscovery = PathPrefix + "/.well-known/openid-configuration"
	PathAuthorize = PathPrefix + "/authorize"
	PathToken     = PathPrefix + "/token"
	PathUserinfo  = PathPrefix + "/userinfo"
	PathJWKS      = PathPrefix + "/jwks"
)

// Defaults for Config's zero values.
const (
	DefaultTokenTTL = 15 * time.Minute // ID and access tokens, as the sandbox's tokens
	DefaultCodeTTL  = 60 * time.Second // an authorisation code
)

// Scopes are the scopes the provider knows: OpenID Connect's openid and the
// scopes CIS2 documents for its claims, nationalrbacaccess (the user's RBAC
// roles, nhsid_nrbac_roles) above all. Every request must ask for openid.
var Scopes = []string{
	"openid", "profile", "email", "nationalrbacaccess", "associatedorgs",
	"professionalmemberships", "organisationalmemberships", "nhsperson",
}

// CardAuthenticator verifies the card in the reader: the identity service.
type CardAuthenticator interface {
	AuthenticateCard(r *http.Request, assertion, via string) (identity.User, error)
}

// Config is what the provider needs.
type Config struct {
	Keys     *Keys             // the ID-token key and the issuer identifier (NewKeys(base + PathPrefix))
	Cards    CardAuthenticator // who authenticates the card at the authorise step
	Users    identity.Directory
	Apps     *apps.Registry // the applications, by client_id
	TokenTTL time.Duration  // lifetime of ID and access tokens; 0 means DefaultTokenTTL
	CodeTTL  time.Duration  // lifetime of an authorisation code; 0 means DefaultCodeTTL
	Now      func() time.Time
}

// Provider is the CIS2 stand-in. It is safe for concurrent use.
type Provider struct {
	issuer   string
	keys     *Keys
	cards    CardAuthenticator
	users    identity.Directory
	apps     *apps.Registry
	tokenTTL time.Duration
	now      func() time.Time

	codes  *codeStore
	tokens *accessTokens
	jtis   *apps.JTICache
}

// New checks cfg and returns a provider with no codes or tokens yet.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Keys == nil:
		return nil, errors.New("cis2: Config.Keys is required")
	case cfg.Cards == nil:
		return nil, errors.New("cis2: Config.Cards is required")
	case cfg.Apps == nil:
		return nil, errors.New("cis2: Config.Apps is required")
	case cfg.TokenTTL < 0 || cfg.CodeTTL < 0:
		return nil, errors.New("cis2: negative TokenTTL or CodeTTL")
	}
	u, err := url.Parse(cfg.Keys.Issuer())
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("cis2: issuer %q is not an http(s) URL", cfg.Keys.Issuer())
	}
	p := &Provider{
		issuer:   cfg.Keys.Issuer(),
		keys:     cfg.Keys,
		cards:    cfg.Cards,
		users:    cfg.Users,
		apps:     cfg.Apps,
		tokenTTL: cfg.TokenTTL,
		now:      cfg.Now,
		jtis:     apps.NewJTICache(0),
	}
	if p.tokenTTL == 0 {
		p.tokenTTL = DefaultTokenTTL
	}
	codeTTL := cfg.CodeTTL
	if codeTTL == 0 {
		codeTTL = DefaultCodeTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.codes = newCodeStore(codeTTL)
	p.tokens = newAccessTokens(p.tokenTTL)
	return p, nil
}

// Issuer is the provider's issuer identifier.
func (p *Provider) Issuer() string { return p.issuer }

// Routes registers the provider's endpoints on mux, by path alone (the mux's
// own 405 is plain text; these answer RFC 6749 JSON).
func (p *Provider) Routes(mux *http.ServeMux) {
	mux.Handle(PathDiscovery, allow(p.handleDiscovery, http.MethodGet))
	mux.Handle(PathJWKS, allow(p.handleJWKS, http.MethodGet))
	mux.Handle(PathAuthorize, allow(p.handleAuthorize, http.MethodGet, http.MethodPost))
	mux.Handle(PathToken, allow(p.handleToken, http.MethodPost))
	mux.Handle(PathUserinfo, allow(p.handleUserinfo, http.MethodGet))
}

func allow(h http.HandlerFunc, methods ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		wire.OAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use "+strings.Join(methods, " or "))
	})
}

// discovery is the provider's metadata (OpenID Connect Discovery 1.0 section 3).
type discovery struct {
	Issuer                      string   `json:"issuer"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	TokenEndpoint               string   `json:"token_endpoint"`
	UserinfoEndpoint            string   `json:"userinfo_endpoint"`
	JWKSURI                     string   `json:"jwks_uri"`
	ScopesSupported             []string `json:"scopes_supported"`
	ResponseTypesSupported      []string `json:"response_types_supported"`
	ResponseModesSupported      []string `json:"response_modes_supported"`
	GrantTypesSupported         []string `json:"grant_types_supported"`
	SubjectTypesSupported       []string `json:"subject_types_supported"`
	IDTokenSigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlg []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported             []string `json:"claims_supported"`
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, discovery{
		Issuer:                      p.issuer,
		AuthorizationEndpoint:       p.issuer + "/authorize",
		TokenEndpoint:               p.tokenEndpoint(),
		UserinfoEndpoint:            p.issuer + "/userinfo",
		JWKSURI:                     p.issuer + "/jwks",
		ScopesSupported:             Scopes,
		ResponseTypesSupported:      []string{"code"},
		ResponseModesSupported:      []string{"query"},
		GrantTypesSupported:         []string{"authorization_code"},
		SubjectTypesSupported:       []string{"public"},
		IDTokenSigningAlgs:          []string{algIDToken},
		CodeChallengeMethods:        []string{"S256"},
		TokenEndpointAuthMethods:    []string{"private_key_jwt"},
		TokenEndpointAuthSigningAlg: clientAssertionAlgs,
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp",
			"name", "nhsid_useruid", "nhsid_nrbac_roles"},
	})
}

func (p *Provider) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	set, err := p.keys.jwks()
	if err != nil {
		wire.OAuthError(w, http.StatusInternalServerError, "server_error", "the provider has no key")
		return
	}
	wire.WriteJSON(w, http.StatusOK, "application/jwk-set+json", set)
}

func (p *Provider) tokenEndpoint() string { return p.issuer + "/token" }

// maxFormBytes bounds a form body: an authorise step with an RS256 card
// assertion and its certificate, or a token request with an RSA-4096 client
// assertion, is a few KB.
const maxFormBytes = 64 << 10

// formError is a form that cannot be read.
type formError string

func (e formError) Error() string { return string(e) }

// readForm returns a POST's application/x-www-form-urlencoded body, each
// parameter at most once (RFC 6749 section 3.1 and 3.2). Parameters in the
// query are not read.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, formError("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, formError("the form cannot be read: " + err.Error())
	}
	if err := once(r.PostForm); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// once refuses a parameter given more than once.
func once(v url.Values) error {
	for name, values := range v {
		if len(values) > 1 {
			return formError("parameter " + name + " is given more than once")
		}
	}
	return nil
}
