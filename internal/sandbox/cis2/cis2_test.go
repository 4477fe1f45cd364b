package cis2_test

// Tests of the CIS2 stand-in and the API platform's token exchange (API.md
// section 1b) on the wire: the sandbox over HTTPS, spoken to as a browser and
// an application would, with raw HTTP, so that every status, error and
// description is the one sent.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
)

const (
	pharmacist     = sandboxtest.DemoUser // role 555000000201
	pharmacistRole = "555000000201"
	doctor         = "555000000102" // role 555000000202
	doctorRole     = "555000000202"
	patientPath    = "/personal-demographics/FHIR/R4/Patient/9000000009"

	tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	idTokenType   = "urn:ietf:params:oauth:token-type:id_token"
	jwtBearer     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// fixture is a sandbox, an HTTP client that trusts it and does not follow
// redirects, and the sandbox application's credentials.
type fixture struct {
	srv   *sandbox.Server
	hc    *http.Client
	clock *clock
	app   apps.Credentials
	key   *rsa.PrivateKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{}
	return newFixtureOn(t, sandboxtest.Start(t, sandbox.Config{Now: c.now, RateLimit: 1000}), c)
}

func newFixtureOn(t *testing.T, srv *sandbox.Server, c *clock) *fixture {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	hc := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	t.Cleanup(hc.CloseIdleConnections)
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	k, err := pki.ParseKey(creds.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, hc: hc, clock: c, app: creds, key: k.(*rsa.PrivateKey)}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

func (f *fixture) get(t *testing.T, target, bearer string, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return f.do(t, req)
}

func (f *fixture) post(t *testing.T, target string, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(t, req)
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("HTTP %d, body %q: %v", r.status, r.body, err)
	}
	return m
}

// oauthError checks the reply is the RFC 6749 error wanted, word for word.
func (r reply) oauthError(t *testing.T, status int, code, description string) {
	t.Helper()
	m := r.json(t)
	if r.status != status || m["error"] != code || (description != "" && m["error_description"] != description) {
		t.Fatalf("HTTP %d %v; want %d %s %q", r.status, m, status, code, description)
	}
}

// authRequest is a sign-in's authorisation request and its secrets.
type authRequest struct {
	params   url.Values
	verifier string
}

func (f *fixture) newAuthRequest(redirect string) authRequest {
	verifier := strings.Repeat("v", 20) + uuid.NewString() // 56 characters
	sum := sha256.Sum256([]byte(verifier))
	return authRequest{
		verifier: verifier,
		params: url.Values{
			"response_type":         {"code"},
			"client_id":             {f.app.ClientID},
			"redirect_uri":          {redirect},
			"scope":                 {"openid nationalrbacaccess"},
			"state":                 {"state-" + uuid.NewString()},
			"nonce":                 {"nonce-" + uuid.NewString()},
			"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
			"code_challenge_method": {"S256"},
		},
	}
}

const redirectURI = "http://127.0.0.1:53682/callback"

// cardAssertion is user uuid's card's assertion over a fresh challenge, as
// section 1's sign-in makes it.
func (f *fixture) cardAssertion(t *testing.T, user string) string {
	t.Helper()
	ch := f.post(t, f.srv.URL()+"/oauth2/challenge", url.Values{}).json(t)["challenge"].(string)
	key, cert, err := sandboxtest.UnlockedCard(user)
	if err != nil {
		t.Fatal(err)
	}
	a, err := client.Assertion{Cert: cert, UserUUID: user, Audience: f.srv.URL() + "/oauth2/token", JTI: ch, Now: f.clock.now()}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// authorize does the machine step of the authorise endpoint and returns the
// redirect's query.
func (f *fixture) authorize(t *testing.T, ar authRequest, cardAssertion string) url.Values {
	t.Helper()
	form := url.Values{}
	for k, v := range ar.params {
		form[k] = v
	}
	form.Set("card_assertion", cardAssertion)
	r := f.post(t, f.srv.CIS2Issuer()+"/authorize", form)
	if r.status != http.StatusFound {
		t.Fatalf("authorise: HTTP %d %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != ar.params.Get("redirect_uri") {
		t.Fatalf("redirected to %q", r.header.Get("Location"))
	}
	if loc.Query().Get("state") != ar.params.Get("state") {
		t.Fatalf("the redirect's state %q is not the request's", loc.Query().Get("state"))
	}
	return loc.Query()
}

// clientAssertion signs claims (with iss and sub id, aud aud, a fresh jti and
// exp 4 minutes ahead unless claims say otherwise) with alg and the
// application's key.
func (f *fixture) clientAssertion(t *testing.T, alg jwt.SigningMethod, id, aud string, edit func(h, c map[string]any)) string {
	t.Helper()
	claims := jwt.MapClaims{"iss": id, "sub": id, "aud": aud, "jti": uuid.NewString(), "exp": f.clock.now().Add(4 * time.Minute).Unix()}
	tok := jwt.NewWithClaims(alg, claims)
	tok.Header["kid"] = f.app.KID
	if edit != nil {
		edit(tok.Header, claims)
	}
	s, err := tok.SignedString(f.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// redeem is the CIS2 token request for code.
func (f *fixture) redeem(t *testing.T, ar authRequest, code string) reply {
	t.Helper()
	return f.post(t, f.srv.CIS2Issuer()+"/token", url.Values{
		"grant_type":            {"authorization_code"},
		"code":                  {code},
		"redirect_uri":          {ar.params.Get("redirect_uri")},
		"code_verifier":         {ar.verifier},
		"client_id":             {f.app.ClientID},
		"client_assertion_type": {jwtBearer},
		"client_assertion":      {f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, f.srv.CIS2Issuer()+"/token", nil)},
	})
}

// signIn is a whole CIS2 sign-in of user: CIS2's tokens.
func (f *fixture) signIn(t *testing.T, user string) (idToken, access string) {
	t.Helper()
	ar := f.newAuthRequest(redirectURI)
	q := f.authorize(t, ar, f.cardAssertion(t, user))
	r := f.redeem(t, ar, q.Get("code"))
	if r.status != http.StatusOK {
		t.Fatalf("token: HTTP %d %s", r.status, r.body)
	}
	m := r.json(t)
	return m["id_token"].(string), m["access_token"].(string)
}

// exchangeForm is the platform's token exchange of idToken with a good
// client assertion.
func (f *fixture) exchangeForm(t *testing.T, idToken string) url.Values {
	t.Helper()
	return url.Values{
		"grant_type":            {tokenExchange},
		"subject_token":         {idToken},
		"subject_token_type":    {idTokenType},
		"client_assertion_type": {jwtBearer},
		"client_assertion":      {f.clientAssertion(t, jwt.SigningMethodRS512, f.app.APIKey, f.srv.URL()+"/oauth2/token", nil)},
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	f := newFixture(t)
	iss := f.srv.CIS2Issuer()
	d := f.get(t, iss+"/.well-known/openid-configuration", "", nil).json(t)
	for k, want := range map[string]any{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"userinfo_endpoint": iss + "/userinfo", "jwks_uri": iss + "/jwks",
		"response_types_supported": []any{"code"}, "grant_types_supported": []any{"authorization_code"},
		"code_challenge_methods_supported":      []any{"S256"},
		"token_endpoint_auth_methods_supported": []any{"private_key_jwt"},
		"id_token_signing_alg_values_supported": []any{"RS256"},
	} {
		if !reflect.DeepEqual(d[k], want) {
			t.Errorf("%s = %v; want %v", k, d[k], want)
		}
	}
	scopes, _ := d["scopes_supported"].([]any)
	if !slices.Contains(scopes, any("openid")) || !slices.Contains(scopes, any("nationalrbacaccess")) {
		t.Errorf("scopes_supported %v", scopes)
	}

	r := f.get(t, iss+"/jwks", "", nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", r.body, err)
	}
	k := set.Keys[0]
	if _, ok := k.Key.(*rsa.PublicKey); !ok || k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() {
		t.Fatalf("JWKS key %+v", k)
	}

	// The ID token verifies with it, and says what OpenID Connect asks.
	ar := f.newAuthRequest(redirectURI)
	q := f.authorize(t, ar, f.cardAssertion(t, pharmacist))
	tok := f.redeem(t, ar, q.Get("code")).json(t)
	if tok["token_type"] != "Bearer" || tok["expires_in"] == nil || tok["access_token"] == "" {
		t.Fatalf("token response %v", tok)
	}
	var claims jwt.MapClaims
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(iss), jwt.WithAudience(f.app.ClientID),
		jwt.WithTimeFunc(f.clock.now), jwt.WithExpirationRequired(), jwt.WithIssuedAt()).
		ParseWithClaims(tok["id_token"].(string), &claims, func(*jwt.Token) (any, error) { return k.Key, nil })
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["kid"] != k.KeyID || parsed.Header["typ"] != "JWT" || claims["sub"] != pharmacist ||
		claims["nonce"] != ar.params.Get("nonce") || claims["auth_time"] == nil {
		t.Fatalf("ID token header %v claims %v", parsed.Header, claims)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	f := newFixture(t)
	authz := f.srv.CIS2Issuer() + "/authorize?"
	good := f.newAuthRequest(redirectURI)

	// A good request's GET is the page standing in for CIS2's sign-in.
	r := f.get(t, authz+good.params.Encode(), "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "This is the sandbox") {
		t.Fatalf("GET authorize: %d %s", r.status, r.body)
	}

	// No redirect to a client or redirect_uri that cannot be trusted: 400.
	for name, edit := range map[string]func(url.Values){
		"unknown client":         func(v url.Values) { v.Set("client_id", "someone-else") },
		"no client":              func(v url.Values) { v.Del("client_id") },
		"https redirect":         func(v url.Values) { v.Set("redirect_uri", "https://127.0.0.1:53682/callback") },
		"localhost":              func(v url.Values) { v.Set("redirect_uri", "http://localhost:53682/callback") },
		"another host":           func(v url.Values) { v.Set("redirect_uri", "http://192.0.2.1:53682/callback") },
		"no port":                func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1/callback") },
		"a fragment":             func(v url.Values) { v.Set("redirect_uri", redirectURI+"#x") },
		"redirect_uri twice":     func(v url.Values) { v.Add("redirect_uri", redirectURI) },
		"no redirect_uri at all": func(v url.Values) { v.Del("redirect_uri") },
	} {
		v := url.Values{}
		for k, x := range good.params {
			v[k] = slices.Clone(x)
		}
		edit(v)
		if r := f.get(t, authz+v.Encode(), "", nil); r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
			t.Errorf("%s: HTTP %d, Location %q", name, r.status, r.header.Get("Location"))
		}
	}

	// The rest go back to the client as OpenID Connect errors.
	for name, tt := range map[string]struct {
		edit func(url.Values)
		code string
	}{
		"implicit flow":      {func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		"no openid":          {func(v url.Values) { v.Set("scope", "nationalrbacaccess") }, "invalid_scope"},
		"an unknown scope":   {func(v url.Values) { v.Set("scope", "openid everything") }, "invalid_scope"},
		"no PKCE":            {func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		"PKCE plain":         {func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		"no nonce":           {func(v url.Values) { v.Del("nonce") }, "invalid_request"},
		"a short challenge":  {func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request"},
		"[::1] is loopback":  {func(v url.Values) { v.Set("redirect_uri", "http://[::1]:53682/cb"); v.Del("nonce") }, "invalid_request"},
		"no card, on a POST": {nil, "access_denied"},
	} {
		v := url.Values{}
		for k, x := range good.params {
			v[k] = slices.Clone(x)
		}
		var r reply
		if tt.edit != nil {
			tt.edit(v)
			r = f.get(t, authz+v.Encode(), "", nil)
		} else {
			r = f.post(t, f.srv.CIS2Issuer()+"/authorize", v)
		}
		loc, err := url.Parse(r.header.Get("Location"))
		if r.status != http.StatusFound || err != nil || loc.Query().Get("error") != tt.code || loc.Query().Get("state") != v.Get("state") ||
			loc.Query().Get("code") != "" {
			t.Errorf("%s: HTTP %d, Location %q; want %s", name, r.status, r.header.Get("Location"), tt.code)
		}
	}

	// A card assertion is spent once, as at section 1's token endpoint.
	assertion := f.cardAssertion(t, pharmacist)
	if q := f.authorize(t, good, assertion); q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	q := f.authorize(t, f.newAuthRequest(redirectURI), assertion)
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), "already been used") {
		t.Fatalf("a replayed card assertion: %v", q)
	}
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	tokenURL := f.srv.CIS2Issuer() + "/token"
	fresh := func() (authRequest, string) {
		ar := f.newAuthRequest(redirectURI)
		return ar, f.authorize(t, ar, f.cardAssertion(t, pharmacist)).Get("code")
	}

	// The application must authenticate: 401 invalid_client, and the code
	// is not spent.
	ar, code := fresh()
	for name, ca := range map[string]string{
		"none":           "",
		"wrong aud":      f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, f.srv.URL()+"/oauth2/token", nil),
		"unknown client": f.clientAssertion(t, jwt.SigningMethodRS512, "someone", tokenURL, nil),
		"unknown kid":    f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, tokenURL, func(h, _ map[string]any) { h["kid"] = "other" }),
		"exp too far":    f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, tokenURL, func(_, c map[string]any) { c["exp"] = f.clock.now().Add(time.Hour).Unix() }),
		"expired":        f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, tokenURL, func(_, c map[string]any) { c["exp"] = f.clock.now().Add(-time.Minute).Unix() }),
		"iss is not sub": f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, tokenURL, func(_, c map[string]any) { c["sub"] = "x" }),
	} {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {ar.verifier}}
		if ca != "" {
			form.Set("client_assertion_type", jwtBearer)
			form.Set("client_assertion", ca)
		}
		r := f.post(t, tokenURL, form)
		if r.status != http.StatusUnauthorized || r.json(t)["error"] != "invalid_client" {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		}
	}
	// A client assertion's jti buys one request.
	reused := f.clientAssertion(t, jwt.SigningMethodRS512, f.app.ClientID, tokenURL, nil)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {ar.verifier},
		"client_assertion_type": {jwtBearer}, "client_assertion": {reused}}
	if r := f.post(t, tokenURL, form); r.status != http.StatusOK {
		t.Fatalf("the code, after refused client assertions: HTTP %d %s", r.status, r.body)
	}
	ar2, code2 := fresh()
	form.Set("code", code2)
	form.Set("code_verifier", ar2.verifier)
	f.post(t, tokenURL, form).oauthError(t, http.StatusUnauthorized, "invalid_client", "client_assertion's jti has been used already")

	// The code: once, with its own redirect_uri and code_verifier, in time.
	f.redeem(t, ar, code).oauthError(t, http.StatusBadRequest, "invalid_grant", "the code has been used already; the token it bought is revoked")
	ar3, code3 := fresh()
	bad := ar3
	bad.verifier = strings.Repeat("w", 50)
	f.redeem(t, bad, code3).oauthError(t, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge (S256)")
	ar4, code4 := fresh()
	ar4.params.Set("redirect_uri", "http://127.0.0.1:1/other")
	f.redeem(t, ar4, code4).oauthError(t, http.StatusBadRequest, "invalid_grant", "redirect_uri is not the authorisation request's")
	ar5, code5 := fresh()
	f.clock.advance(cis2.DefaultCodeTTL)
	f.redeem(t, ar5, code5).oauthError(t, http.StatusBadRequest, "invalid_grant", "the code is unknown, or has expired")
	f.post(t, tokenURL, url.Values{"grant_type": {"password"}}).oauthError(t, http.StatusBadRequest, "unsupported_grant_type", "")
}

// TestUserinfo: CIS2's userinfo is the shape section 1's serves, for the
// same user.
func TestUserinfo(t *testing.T) {
	f := newFixture(t)
	_, access := f.signIn(t, doctor)
	r := f.get(t, f.srv.CIS2Issuer()+"/userinfo", access, nil)
	if r.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	got := r.json(t)

	// Section 1's, with a card token.
	tok := f.post(t, f.srv.URL()+"/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {f.cardAssertion(t, doctor)},
	}).json(t)["access_token"].(string)
	want := f.get(t, f.srv.URL()+"/oauth2/userinfo", tok, nil).json(t)
	if !reflect.DeepEqual(got, want) || got["sub"] != doctor || got["nhsid_useruid"] != doctor {
		t.Fatalf("CIS2 userinfo %v\nsection 1's %v", got, want)
	}
	if r := f.get(t, f.srv.CIS2Issuer()+"/userinfo", "made-up", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("a made-up token: HTTP %d", r.status)
	}
}

// TestPlatformExchangeErrors: every refusal of the platform's own e2e tests
// that the sandbox can meet, with its status, error and description word for
// word (reference/nhs/identity/e2e/tests/oauth/test_token_exchange.py).
func TestPlatformExchangeErrors(t *testing.T) {
	f := newFixture(t)
	idToken, _ := f.signIn(t, pharmacist)
	tokenURL := f.srv.URL() + "/oauth2/token"
	ca := func(alg jwt.SigningMethod, edit func(h, c map[string]any)) string {
		return f.clientAssertion(t, alg, f.app.APIKey, tokenURL, edit)
	}
	// A subject token with changed claims or header, signed as CIS2 would
	// not: the checks before the signature's see these.
	subject := func(edit func(h, c map[string]any)) string {
		parsed, _, err := jwt.NewParser().ParseUnverified(idToken, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		c := parsed.Claims.(jwt.MapClaims)
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = parsed.Header["kid"]
		edit(tok.Header, c)
		s, err := tok.SignedString(f.key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const (
		br   = http.StatusBadRequest
		un   = http.StatusUnauthorized
		inv  = "invalid_request"
		pkey = "public_key error"
	)
	for _, tt := range []struct {
		name   string
		edit   func(url.Values)
		status int
		code   string
		desc   string
	}{
		{"invalid client_assertion_type", func(v url.Values) { v.Set("client_assertion_type", "invalid") }, br, inv,
			"Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'"},
		{"missing client_assertion_type", func(v url.Values) { v.Del("client_assertion_type") }, br, inv,
			"Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'"},
		{"invalid subject_token_type", func(v url.Values) { v.Set("subject_token_type", "invalid") }, br, inv,
			"missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'"},
		{"missing subject_token_type", func(v url.Values) { v.Del("subject_token_type") }, br, inv,
			"missing or invalid subject_token_type - must be 'urn:ietf:params:oauth:token-type:id_token'"},
		{"invalid grant_type", func(v url.Values) { v.Set("grant_type", "invalid") }, br, inv, "grant_type is invalid"},
		{"missing grant_type", func(v url.Values) { v.Del("grant_type") }, br, inv, "grant_type is invalid"},
		{"invalid subject_token", func(v url.Values) { v.Set("subject_token", "invalid") }, br, inv, "Malformed JWT in subject_token"},
		{"missing subject_token", func(v url.Values) { v.Del("subject_token") }, br, inv, "Missing subject_token"},
		{"invalid client_assertion", func(v url.Values) { v.Set("client_assertion", "invalid") }, br, inv, "Malformed JWT in client_assertion"},
		{"missing client_assertion", func(v url.Values) { v.Del("client_assertion") }, br, inv, "Missing client_assertion"},

		{"missing kid", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(h, _ map[string]any) { delete(h, "kid") }))
		},
			br, inv, "Missing 'kid' header in client_assertion JWT"},
		{"invalid kid", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(h, _ map[string]any) { h["kid"] = "invalid" }))
		},
			un, inv, "Invalid 'kid' header in client_assertion JWT - no matching public key"},
		{"invalid typ", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(h, _ map[string]any) { h["typ"] = "invalid" }))
		},
			br, inv, "Invalid 'typ' header in client_assertion JWT - must be 'JWT'"},
		{"None typ", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(h, _ map[string]any) { h["typ"] = nil }))
		},
			br, inv, "Invalid 'typ' header in client_assertion JWT - must be 'JWT'"},
		{"RS256, not RS512", func(v url.Values) { v.Set("client_assertion", ca(jwt.SigningMethodRS256, nil)) },
			br, inv, "Invalid 'alg' header in client_assertion JWT - unsupported JWT algorithm - must be 'RS512'"},
		{"invalid iss and sub", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["iss"], c["sub"] = "invalid", "invalid" }))
		}, un, inv, "Invalid 'iss'/'sub' claims in client_assertion JWT"},
		{"invalid iss", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["iss"] = "invalid" }))
		},
			br, inv, "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT"},
		{"missing sub", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { delete(c, "sub") }))
		},
			br, inv, "Missing or non-matching 'iss'/'sub' claims in client_assertion JWT"},
		{"missing jti", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { delete(c, "jti") }))
		},
			br, inv, "Missing 'jti' claim in client_assertion JWT"},
		{"jti an integer", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["jti"] = 1234567890 }))
		},
			br, inv, "Invalid 'jti' claim in client_assertion JWT - must be a unique string value such as a GUID"},
		{"invalid aud", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["aud"] = "invalid" }))
		},
			un, inv, "Missing or invalid 'aud' claim in client_assertion JWT"},
		{"missing aud", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { delete(c, "aud") }))
		},
			un, inv, "Missing or invalid 'aud' claim in client_assertion JWT"},
		{"missing exp", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { delete(c, "exp") }))
		},
			br, inv, "Missing 'exp' claim in client_assertion JWT"},
		{"exp more than 5 minutes ahead", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["exp"] = f.clock.now().Unix() + 50000 }))
		}, br, inv, "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future"},
		{"exp a string", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["exp"] = fmt.Sprint(f.clock.now().Unix() + 300) }))
		}, br, inv, "Invalid 'exp' claim in client_assertion JWT - must be an integer"},
		{"exp in the past", func(v url.Values) {
			v.Set("client_assertion", ca(jwt.SigningMethodRS512, func(_, c map[string]any) { c["exp"] = f.clock.now().Unix() - 20 }))
		}, br, inv, "Invalid 'exp' claim in client_assertion JWT - JWT has expired"},
		{"another key", func(v url.Values) {
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			tok := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.MapClaims{"iss": f.app.APIKey, "sub": f.app.APIKey, "aud": tokenURL,
				"jti": uuid.NewString(), "exp": f.clock.now().Add(time.Minute).Unix()})
			tok.Header["kid"] = f.app.KID
			s, _ := tok.SignedString(other)
			v.Set("client_assertion", s)
		}, un, pkey, "JWT signature verification failed"},

		{"subject: missing iss", func(v url.Values) { v.Set("subject_token", subject(func(_, c map[string]any) { delete(c, "iss") })) },
			br, inv, "Missing 'iss' claim in subject_token JWT"},
		{"subject: missing aud", func(v url.Values) { v.Set("subject_token", subject(func(_, c map[string]any) { delete(c, "aud") })) },
			un, inv, "Missing 'aud' claim in subject_token JWT"},
		{"subject: missing exp", func(v url.Values) { v.Set("subject_token", subject(func(_, c map[string]any) { delete(c, "exp") })) },
			br, inv, "Missing 'exp' claim in subject_token JWT"},
		{"subject: exp a string", func(v url.Values) {
			v.Set("subject_token", subject(func(_, c map[string]any) { c["exp"] = fmt.Sprint(f.clock.now().Unix() + 300) }))
		}, br, inv, "Invalid 'exp' claim in subject_token JWT - must be an integer"},
		{"subject: expired", func(v url.Values) {
			v.Set("subject_token", subject(func(_, c map[string]any) { c["exp"] = f.clock.now().Unix() - 1 }))
		}, br, inv, "Invalid 'exp' claim in subject_token JWT - JWT has expired"},
		{"subject: missing kid", func(v url.Values) { v.Set("subject_token", subject(func(h, _ map[string]any) { delete(h, "kid") })) },
			br, inv, "Missing 'kid' header in subject_token JWT"},
		{"subject: invalid typ", func(v url.Values) {
			v.Set("subject_token", subject(func(h, _ map[string]any) { h["typ"] = "invalid" }))
		},
			br, inv, "Invalid 'typ' header in subject_token JWT - must be 'JWT'"},
		{"subject: another issuer", func(v url.Values) {
			v.Set("subject_token", subject(func(_, c map[string]any) { c["iss"] = "https://cis2.example" }))
		}, br, inv, "Invalid iss claim in external ID token JWT"},
		{"subject: another application's", func(v url.Values) {
			v.Set("subject_token", subject(func(_, c map[string]any) { c["aud"] = "another-client" }))
		}, br, inv, "Invalid 'aud' claim in external ID token JWT"},
		{"subject: not signed by CIS2", func(v url.Values) { v.Set("subject_token", subject(func(map[string]any, map[string]any) {})) },
			un, inv, "Invalid subject_token JWT - signature verification failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := f.exchangeForm(t, idToken)
			tt.edit(form)
			f.post(t, tokenURL, form).oauthError(t, tt.status, tt.code, tt.desc)
		})
	}

	// A jti once.
	form := f.exchangeForm(t, idToken)
	if r := f.post(t, tokenURL, form); r.status != http.StatusOK {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	f.post(t, tokenURL, form).oauthError(t, br, inv, "Non-unique 'jti' claim in client_assertion JWT")
}

// TestPlatformToken: the platform's answer, and what its token may do: PDS
// and SCR in any of its user's roles, named in NHSD-Session-URID, and not in
// another's; not userinfo, not section 1's role exchange; revoked, it does
// nothing. Section 1's role tokens are unchanged beside it.
func TestPlatformToken(t *testing.T) {
	f := newFixture(t)
	idToken, _ := f.signIn(t, pharmacist)
	tokenURL := f.srv.URL() + "/oauth2/token"
	r := f.post(t, tokenURL, f.exchangeForm(t, idToken))
	m := r.json(t)
	if r.status != http.StatusOK || m["token_type"] != "Bearer" || m["expires_in"] != "599" ||
		m["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" || m["access_token"] == "" || len(m) != 4 {
		t.Fatalf("HTTP %d %v", r.status, m)
	}
	tok := m["access_token"].(string)
	pds := f.srv.URL() + patientPath
	urid := func(id string) map[string]string { return map[string]string{"NHSD-Session-URID": id} }

	if r := f.get(t, pds, tok, urid(pharmacistRole)); r.status != http.StatusOK {
		t.Fatalf("PDS in the user's role: HTTP %d %s", r.status, r.body)
	}
	for name, hdr := range map[string]map[string]string{"another user's role": urid(doctorRole), "no URID": nil} {
		r := f.get(t, pds, tok, hdr)
		var oo struct {
			Issue []struct {
				Code    string `json:"code"`
				Details struct {
					Coding []struct{ Code string } `json:"coding"`
				} `json:"details"`
			} `json:"issue"`
		}
		if err := json.Unmarshal(r.body, &oo); r.status != http.StatusForbidden || err != nil || len(oo.Issue) != 1 ||
			oo.Issue[0].Code != "forbidden" || oo.Issue[0].Details.Coding[0].Code != "ACCESS_DENIED" {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		}
	}
	scr := f.srv.URL() + "/summary-care-record/FHIR/R4/DocumentReference?" + url.Values{
		"patient": {"https://fhir.nhs.uk/Id/nhs-number|9000000009"}, "type": {"http://snomed.info/sct|196981000000101"},
		"_sort": {"date"}, "_count": {"1"},
	}.Encode()
	if r := f.get(t, scr, tok, urid(pharmacistRole)); r.status != http.StatusOK {
		t.Fatalf("SCR in the user's role: HTTP %d %s", r.status, r.body)
	}
	if r := f.get(t, scr, tok, urid(doctorRole)); r.status != http.StatusForbidden {
		t.Fatalf("SCR in another user's role: HTTP %d %s", r.status, r.body)
	}

	f.get(t, f.srv.URL()+"/oauth2/userinfo", tok, nil).oauthError(t, http.StatusBadRequest, "invalid_request",
		"The Userinfo endpoint is only supported for Combined Auth integrations. Currently this is only for NHS CIS2 authentications - "+
			"for more guidance see https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/"+
			"user-restricted-restful-apis-nhs-cis2-combined-authentication-and-authorisation")
	f.post(t, tokenURL, url.Values{
		"grant_type": {tokenExchange}, "subject_token": {tok}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"selected_roleid": {pharmacistRole},
	}).oauthError(t, http.StatusBadRequest, "invalid_request", "subject_token: the token is an API platform token (exchanged from a CIS2 ID token), not a card token")

	if r := f.post(t, f.srv.URL()+"/oauth2/revoke", url.Values{"token": {tok}}); r.status != http.StatusOK {
		t.Fatalf("revoke: HTTP %d", r.status)
	}
	if r := f.get(t, pds, tok, urid(pharmacistRole)); r.status != http.StatusUnauthorized {
		t.Fatalf("PDS with a revoked platform token: HTTP %d", r.status)
	}

	// An expired platform token is refused; the ID token it came from, still
	// live, buys another.
	tok2 := f.post(t, tokenURL, f.exchangeForm(t, idToken)).json(t)["access_token"].(string)
	f.clock.advance(600 * time.Second)
	if r := f.get(t, pds, tok2, urid(pharmacistRole)); r.status != http.StatusUnauthorized {
		t.Fatalf("PDS with an expired platform token: HTTP %d", r.status)
	}
	if r := f.post(t, tokenURL, f.exchangeForm(t, idToken)); r.status != http.StatusOK {
		t.Fatalf("a second exchange of the live ID token: HTTP %d %s", r.status, r.body)
	}
	f.clock.advance(cis2.DefaultTokenTTL)
	f.post(t, tokenURL, f.exchangeForm(t, idToken)).oauthError(t, http.StatusBadRequest, "invalid_request",
		"Invalid 'exp' claim in subject_token JWT - JWT has expired")
}

// TestRateLimitPerUserAndRole: a platform token's requests count against its
// user and the role named, as a role token's do.
func TestRateLimitPerUserAndRole(t *testing.T) {
	c := &clock{}
	srv := sandboxtest.Start(t, sandbox.Config{Now: c.now, RateLimit: 1, AddressRateLimit: 1000})
	f := newFixtureOn(t, srv, c)
	idToken, _ := f.signIn(t, pharmacist)
	tok := f.post(t, srv.URL()+"/oauth2/token", f.exchangeForm(t, idToken)).json(t)["access_token"].(string)
	hdr := map[string]string{"NHSD-Session-URID": pharmacistRole}
	if r := f.get(t, srv.URL()+patientPath, tok, hdr); r.status != http.StatusOK {
		t.Fatalf("first: HTTP %d", r.status)
	}
	if r := f.get(t, srv.URL()+patientPath, tok, hdr); r.status != http.StatusTooManyRequests {
		t.Fatalf("second within the second: HTTP %d", r.status)
	}
}
