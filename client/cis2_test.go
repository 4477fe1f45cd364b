package client

// Tests of the NHS's own sign-in (auth = "cis2", API.md section 1b) against
// the real sandbox over HTTPS: its CIS2 stand-in and the API platform's token
// exchange. The "browser" is cis2.Browser, which signs in at the sandbox's
// authorise step with a virtual card, as a person would with theirs.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
)

// cis2Clock is a clock the sandbox and the client share, which a test moves
// on to expire tokens.
type cis2Clock struct{ offset atomic.Int64 }

func (c *cis2Clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *cis2Clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// cis2Fixture is a sandbox, a client of it, the sandbox application's
// configuration and an HTTP client that trusts the sandbox (the browser's).
type cis2Fixture struct {
	srv   *sandbox.Server
	c     *Client
	cfg   CIS2Config
	hc    *http.Client
	clock *cis2Clock
	tap   *cis2Tap
}

func newCIS2Fixture(t *testing.T, sc sandbox.Config) *cis2Fixture {
	t.Helper()
	clock := &cis2Clock{}
	sc.Now = clock.now
	sc.RateLimit = 1000
	srv := sandboxtest.Start(t, sc)
	c, err := New(Config{Server: srv.URL(), CAPEM: srv.CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	tap := &cis2Tap{next: c.rc.GetClient().Transport}
	c.rc.SetTransport(tap)
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseSigningKey(creds.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &cis2Fixture{
		srv: srv, c: c, hc: hc, clock: clock, tap: tap,
		cfg: CIS2Config{
			Issuer: srv.CIS2Issuer(), ClientID: creds.ClientID, APIKey: creds.APIKey, Key: key, KID: creds.KID,
			Now: clock.now, SignInTimeout: 20 * time.Second,
		},
	}
}

func (f *cis2Fixture) discover(t *testing.T) *CIS2 {
	t.Helper()
	p, err := f.c.DiscoverCIS2(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// browser is an open func that plays the browser with user uuid's card.
// editURL, if set, changes the authorisation URL first (as a tampered link
// would); redirect, if set, sees and may change the redirect back.
func (f *cis2Fixture) browser(t *testing.T, uuid string, editURL func(q url.Values), redirect func(*url.URL)) func(string) error {
	t.Helper()
	signer, cert := sbxCard(t, uuid)
	b := &cis2.Browser{
		HTTP: f.hc,
		Sign: func(_ context.Context, challenge, aud string) (string, error) {
			return Assertion{Cert: cert, UserUUID: uuid, Audience: aud, JTI: challenge, Now: f.clock.now()}.Sign(signer)
		},
		Redirect: redirect,
	}
	return func(raw string) error {
		if editURL != nil {
			u, err := url.Parse(raw)
			if err != nil {
				return err
			}
			q := u.Query()
			editURL(q)
			u.RawQuery = q.Encode()
			raw = u.String()
		}
		return b.Open(context.Background(), raw)
	}
}

// cis2Tap sees the client's answers and may change them: the tests read
// CIS2's token response, and put another ID token in it, or another JWKS.
type cis2Tap struct {
	next http.RoundTripper

	mu          sync.Mutex
	tokenBody   []byte                   // CIS2's last token response
	rewrite     func(body []byte) []byte // changes CIS2's token response
	rewriteJWKS func(body []byte) []byte // changes CIS2's JWKS
	exchanges   int                      // platform token exchanges answered 200
}

// replaceBody gives resp the body edit makes of its own.
func replaceBody(resp *http.Response, edit func([]byte) []byte) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	body = edit(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return nil
}

func (tp *cis2Tap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tp.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch {
	case req.URL.Path == cis2.PathToken && resp.StatusCode == http.StatusOK:
		err := replaceBody(resp, func(body []byte) []byte {
			tp.mu.Lock()
			defer tp.mu.Unlock()
			tp.tokenBody = body
			if tp.rewrite != nil {
				body = tp.rewrite(body)
			}
			return body
		})
		if err != nil {
			return nil, err
		}
	case req.URL.Path == cis2.PathJWKS:
		tp.mu.Lock()
		edit := tp.rewriteJWKS
		tp.mu.Unlock()
		if edit != nil {
			if err := replaceBody(resp, edit); err != nil {
				return nil, err
			}
		}
	case req.URL.Path == oauth2Token && resp.StatusCode == http.StatusOK:
		tp.mu.Lock()
		tp.exchanges++
		tp.mu.Unlock()
	}
	return resp, nil
}

func (tp *cis2Tap) cis2Tokens(t *testing.T) cis2Tokens {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var tok cis2Tokens
	if err := json.Unmarshal(tp.tokenBody, &tok); err != nil {
		t.Fatalf("CIS2's token response %q: %v", tp.tokenBody, err)
	}
	return tok
}

func (tp *cis2Tap) exchangeCount() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.exchanges
}

func auditRows(t *testing.T, srv *sandbox.Server, f audit.Filter) []audit.Record {
	t.Helper()
	rows, err := srv.Audit().Query(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCIS2Journey is the whole journey: discovery, the browser's sign-in with
// the card, the ID token, userinfo's roles, the platform's token exchange for
// a role, PDS and SCR reads with NHSD-Session-URID, sign-out.
func TestCIS2Journey(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)

	var redirectURI string
	s, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, nil, func(u *url.URL) {
		redirectURI = u.Scheme + "://" + u.Host + u.Path
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(redirectURI, "http://127.0.0.1:") || !strings.HasSuffix(redirectURI, callbackPath) {
		t.Errorf("redirect_uri %q is not a loopback one", redirectURI)
	}
	// Exactly one redirect: the listener is closed once it came.
	if conn, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(redirectURI, "http://"), callbackPath), time.Second); err == nil {
		conn.Close()
		t.Error("the loopback listener still listens after the sign-in")
	}
	if s.UserUUID != sbxPharmacist || s.UserName == "" || len(s.Roles) != 1 || s.Roles[0].ID != "555000000201" || s.Roles[0].OrgCode != "FA123" {
		t.Fatalf("session %s %q %+v", s.UserUUID, s.UserName, s.Roles)
	}
	if _, ok := s.Role(); ok {
		t.Fatal("a role is chosen before ChooseRole")
	}
	if _, err := s.Patient(ctx, sbxPatient); !isErr[*SignedOutError](err) {
		t.Fatalf("a record read before a role is chosen: %v", err)
	}
	if _, err := s.ChooseRole(ctx, "555000000202"); err == nil {
		t.Fatal("ChooseRole took another user's role")
	}
	if s.SameUser(sbxPharmacist) != nil || !isErr[*WrongUserError](s.SameUser(sbxAEDoctor)) {
		t.Fatal("SameUser")
	}
	role, err := s.ChooseRole(ctx, "555000000201")
	if err != nil || !role.CanView() {
		t.Fatalf("ChooseRole: %+v, %v", role, err)
	}
	if n := f.tap.exchangeCount(); n != 1 {
		t.Fatalf("%d platform exchanges; want 1", n)
	}

	l, err := s.Lookup(ctx, sbxPatient)
	if err != nil || !l.HasSCR() {
		t.Fatalf("lookup: %+v, %v", l, err)
	}
	if err := s.SendPrivacyAlert(ctx, PrivacyAlert{NHS: sbxPatient, SCRID: l.Consent.SCRID, Reason: AlertLRWithPermission}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Summary(ctx, sbxPatient, l.Consent.SCRID); err != nil {
		t.Fatal(err)
	}

	// The audit trail has the sign-in at CIS2's authorise step, the
	// platform's exchange and the reads, in the chosen role.
	if rows := auditRows(t, f.srv, audit.Filter{UserUUID: sbxPharmacist, Kinds: []audit.Kind{audit.SignIn}, Outcome: audit.Allowed}); len(rows) != 1 ||
		!strings.Contains(rows[0].Detail, "CIS2 authorise") {
		t.Errorf("sign-in rows: %+v", rows)
	}
	if rows := auditRows(t, f.srv, audit.Filter{UserUUID: sbxPharmacist, Kinds: []audit.Kind{audit.RoleExchange}, Outcome: audit.Allowed}); len(rows) != 1 ||
		!strings.Contains(rows[0].Detail, "API platform token exchange") {
		t.Errorf("exchange rows: %+v", rows)
	}
	for _, k := range []audit.Kind{audit.PDSRead, audit.SCRConsent, audit.PrivacyAlert, audit.SCRRead} {
		rows := auditRows(t, f.srv, audit.Filter{UserUUID: sbxPharmacist, Kinds: []audit.Kind{k}, RoleID: "555000000201", Outcome: audit.Allowed})
		if len(rows) != 1 || rows[0].OrgCode != "FA123" {
			t.Errorf("%s rows in role 555000000201: %+v", k, rows)
		}
	}

	// Nothing that prints the session shows a token.
	s.mu.Lock()
	platform, idToken := s.roleToken, s.cis2.idToken
	s.mu.Unlock()
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s)} {
		if strings.Contains(out, platform) || strings.Contains(out, idToken) {
			t.Fatalf("a token is printed: %s", out)
		}
	}

	if err := s.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patient(ctx, sbxPatient); !isErr[*SignedOutError](err) {
		t.Fatalf("a read after sign-out: %v", err)
	}
	if _, err := s.ChooseRole(ctx, "555000000201"); !isErr[*SignedOutError](err) {
		t.Fatalf("a role chosen after sign-out: %v", err)
	}
	// The platform token is revoked at the server too.
	gone := &Session{client: f.c, UserUUID: sbxPharmacist, roleToken: platform, role: &role}
	if _, err := gone.Patient(ctx, sbxPatient); !isErr[*SignedOutError](err) {
		t.Fatalf("the revoked platform token still reads: %v", err)
	}
}

func isErr[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}

// TestCIS2RoleSwitchAndReexchange: a second role needs no new exchange; an
// expired platform token is exchanged again from the live ID token; once the
// ID token has expired the session is signed out.
func TestCIS2RoleSwitchAndReexchange(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	s, err := p.SignIn(ctx, sbxLocum, f.browser(t, sbxLocum, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChooseRole(ctx, "555000000206"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patient(ctx, sbxPatient); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChooseRole(ctx, "555000000207"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patient(ctx, sbxPatient); err != nil {
		t.Fatal(err)
	}
	if n := f.tap.exchangeCount(); n != 1 {
		t.Fatalf("%d exchanges for two roles; want 1", n)
	}
	if rows := auditRows(t, f.srv, audit.Filter{UserUUID: sbxLocum, Kinds: []audit.Kind{audit.PDSRead}, RoleID: "555000000207"}); len(rows) != 1 || rows[0].OrgCode != "FK456" {
		t.Fatalf("the read in the second role: %+v", rows)
	}

	f.clock.advance(identityPlatformLifetime + time.Second) // the platform token has expired; the ID token lives
	if _, err := s.Patient(ctx, sbxPatient); err != nil {
		t.Fatalf("after the platform token expired: %v", err)
	}
	if n := f.tap.exchangeCount(); n != 2 {
		t.Fatalf("%d exchanges; want a second one", n)
	}

	f.clock.advance(cis2.DefaultTokenTTL) // the ID token has expired too
	_, err = s.Patient(ctx, sbxPatient)
	if e, ok := errors.AsType[*SignedOutError](err); !ok || e.Code != "id_token_expired" {
		t.Fatalf("after the ID token expired: %v", err)
	}
}

// identityPlatformLifetime is the sandbox platform token's lifetime.
const identityPlatformLifetime = 599 * time.Second

// TestCIS2RedirectRefusals: a redirect with another state, an ID token with
// another nonce, a card that is not the one in the reader, a card CIS2
// refuses.
func TestCIS2RedirectRefusals(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)

	t.Run("wrong state", func(t *testing.T) {
		_, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, nil, func(u *url.URL) {
			q := u.Query()
			q.Set("state", randomValue())
			u.RawQuery = q.Encode()
		}))
		if !isErr[*StateMismatchError](err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad nonce", func(t *testing.T) {
		_, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, func(q url.Values) { q.Set("nonce", randomValue()) }, nil))
		if e, ok := errors.AsType[*IDTokenError](err); !ok || e.Reason != IDTokenNonce {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the ID token is not the card's user", func(t *testing.T) {
		_, err := p.SignIn(ctx, sbxAEDoctor, f.browser(t, sbxPharmacist, nil, nil))
		if e, ok := errors.AsType[*WrongUserError](err); !ok || e.CardUUID != sbxAEDoctor || e.TokenUUID != sbxPharmacist {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a card CIS2 refuses", func(t *testing.T) {
		_, err := p.SignIn(ctx, sbxExpiredCard, f.browser(t, sbxExpiredCard, nil, nil))
		if e, ok := errors.AsType[*AuthorizationError](err); !ok || e.Code != "access_denied" || !strings.Contains(e.Description, "expired") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no browser", func(t *testing.T) {
		var shown string
		_, err := p.SignIn(ctx, sbxPharmacist, func(u string) error { shown = u; return errors.New("no browser here") })
		if err == nil || !strings.Contains(err.Error(), "no browser here") {
			t.Fatalf("err = %v", err)
		}
		u, perr := url.Parse(shown)
		if perr != nil || u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("state") == "" ||
			u.Query().Get("nonce") == "" || u.Query().Get("client_id") != f.cfg.ClientID {
			t.Fatalf("the authorisation URL: %s", shown)
		}
	})
	t.Run("the browser never comes back", func(t *testing.T) {
		q := p.clone()
		q.cfg.SignInTimeout = 50 * time.Millisecond
		_, err := q.SignIn(ctx, sbxPharmacist, func(string) error { return nil })
		if e, ok := errors.AsType[*CallbackError](err); !ok || !errors.Is(e, ErrSignInTimedOut) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestCIS2IDTokenRefusals: an ID token signed by another key, and one that
// has expired.
func TestCIS2IDTokenRefusals(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		kid  func(string) string
	}{
		{"another key under CIS2's kid", func(kid string) string { return kid }},
		{"another key under a kid CIS2 does not have", func(string) string { return "not-cis2s" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.tap.mu.Lock()
			f.tap.rewrite = func(body []byte) []byte {
				var tok map[string]any
				_ = json.Unmarshal(body, &tok)
				parsed, _, _ := jwt.NewParser().ParseUnverified(tok["id_token"].(string), jwt.MapClaims{})
				forged := jwt.NewWithClaims(jwt.SigningMethodRS256, parsed.Claims)
				forged.Header["kid"] = tt.kid(parsed.Header["kid"].(string))
				tok["id_token"], _ = forged.SignedString(other)
				out, _ := json.Marshal(tok)
				return out
			}
			f.tap.mu.Unlock()
			defer func() { f.tap.mu.Lock(); f.tap.rewrite = nil; f.tap.mu.Unlock() }()
			_, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, nil, nil))
			if e, ok := errors.AsType[*IDTokenError](err); !ok || e.Reason != IDTokenSignature {
				t.Fatalf("err = %v", err)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		var nonce string
		if _, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, func(q url.Values) { nonce = q.Get("nonce") }, nil)); err != nil {
			t.Fatal(err)
		}
		tok := f.tap.cis2Tokens(t)
		if _, err := p.validateIDToken(ctx, tok.IDToken, nonce); err != nil {
			t.Fatalf("the ID token just issued: %v", err)
		}
		if _, err := p.validateIDToken(ctx, tok.IDToken, "another"); !isIDTokenErr(err, IDTokenNonce) {
			t.Fatalf("another nonce: %v", err)
		}
		q := p.clone()
		q.cfg.Now = func() time.Time { return f.clock.now().Add(cis2.DefaultTokenTTL + 2*idTokenSkew) }
		if _, err := q.validateIDToken(ctx, tok.IDToken, nonce); !isIDTokenErr(err, IDTokenExpired) {
			t.Fatalf("past its exp: %v", err)
		}
		q.cfg.Now = func() time.Time { return f.clock.now().Add(-2 * idTokenSkew) }
		if _, err := q.validateIDToken(ctx, tok.IDToken, nonce); !isIDTokenErr(err, IDTokenNotYet) {
			t.Fatalf("before its iat: %v", err)
		}
		q = p.clone()
		q.cfg.ClientID = "another-client"
		if _, err := q.validateIDToken(ctx, tok.IDToken, nonce); !isIDTokenErr(err, IDTokenAudience) {
			t.Fatalf("another audience: %v", err)
		}
		q = p.clone()
		q.meta.Issuer = "https://cis2.example"
		if _, err := q.validateIDToken(ctx, tok.IDToken, nonce); !isIDTokenErr(err, IDTokenIssuer) {
			t.Fatalf("another issuer: %v", err)
		}
		none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": p.meta.Issuer, "sub": sbxPharmacist})
		raw, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if _, err := p.validateIDToken(ctx, raw, nonce); !isIDTokenErr(err, IDTokenAlgorithm) {
			t.Fatalf("alg none: %v", err)
		}
	})
}

// clone is a copy of p, for a test to change its configuration.
func (p *CIS2) clone() *CIS2 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &CIS2{c: p.c, cfg: p.cfg, meta: p.meta, algs: p.algs, keys: p.keys, keysFetch: p.keysFetch}
}

func isIDTokenErr(err error, reason string) bool {
	e, ok := errors.AsType[*IDTokenError](err)
	return ok && e.Reason == reason
}

// TestCIS2ReplayedCode: a code redeemed twice is refused in CIS2's words, and
// the token it bought is revoked.
func TestCIS2ReplayedCode(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	var code, redirectURI string
	if _, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, nil, func(u *url.URL) {
		code, redirectURI = u.Query().Get("code"), u.Scheme+"://"+u.Host+u.Path
	})); err != nil {
		t.Fatal(err)
	}
	access := f.tap.cis2Tokens(t).AccessToken
	var ui map[string]any
	if err := p.getJSON(ctx, p.meta.UserinfoEndpoint, access, &ui); err != nil {
		t.Fatalf("userinfo with the first redemption's token: %v", err)
	}

	_, err := p.redeem(ctx, code, randomValue()+randomValue(), redirectURI)
	e, ok := errors.AsType[*CIS2TokenError](err)
	if !ok || e.Code != "invalid_grant" || e.Service != ServiceCIS2 || !strings.Contains(e.Text, "used already") || e.ApplicationRefused() {
		t.Fatalf("a replayed code: %v", err)
	}
	if err := p.getJSON(ctx, p.meta.UserinfoEndpoint, access, &ui); !isErr[*SignedOutError](err) {
		t.Fatalf("userinfo with the token of a replayed code: %v", err)
	}
}

// TestCIS2ExchangeRefusals: the platform refuses a client assertion with the
// wrong aud, and a jti used twice, in its own words; and a URID that is not
// one of the user's.
func TestCIS2ExchangeRefusals(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	s, err := p.SignIn(ctx, sbxPharmacist, f.browser(t, sbxPharmacist, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	idToken := s.cis2.idToken

	wrongAud, err := p.clientAssertion(f.cfg.APIKey, f.srv.URL()+"/oauth2/token/")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = p.exchangeWith(ctx, idToken, wrongAud)
	e, ok := errors.AsType[*ExchangeError](err)
	if !ok || e.Status != http.StatusUnauthorized || e.Code != "invalid_request" ||
		e.Text != "Missing or invalid 'aud' claim in client_assertion JWT" || !e.ApplicationRefused() {
		t.Fatalf("wrong aud: %v", err)
	}

	assertion, err := p.clientAssertion(f.cfg.APIKey, f.srv.URL()+oauth2Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.exchangeWith(ctx, idToken, assertion); err != nil {
		t.Fatalf("the first use of a jti: %v", err)
	}
	_, _, err = p.exchangeWith(ctx, idToken, assertion)
	if e, ok := errors.AsType[*ExchangeError](err); !ok || e.Status != http.StatusBadRequest ||
		e.Text != "Non-unique 'jti' claim in client_assertion JWT" {
		t.Fatalf("a jti used again: %v", err)
	}

	// A URID that is not the user's: PDS and SCR refuse it as the role's
	// doing.
	if _, err := s.ChooseRole(ctx, "555000000201"); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.role = &Role{ID: "555000000202", OrgCode: "R9A"} // the A&E doctor's
	s.mu.Unlock()
	if _, err := s.Patient(ctx, sbxPatient); !isErr[*ForbiddenError](err) {
		t.Fatalf("PDS with another user's URID: %v", err)
	}
	if _, err := s.Consent(ctx, sbxPatient); !isErr[*ForbiddenError](err) {
		t.Fatalf("SCR with another user's URID: %v", err)
	}
}

// TestCIS2OwnApplicationKey: a test's own key, registered with the sandbox
// as a JWKS (sandbox.Config.AppJWKS, scr-sandbox serve --app-jwks), signs in
// and exchanges; an unregistered kid is refused by both.
func TestCIS2OwnApplicationKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ParseSigningKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := PublicJWKS(signer, "test-own-1")
	if err != nil {
		t.Fatal(err)
	}
	f := newCIS2Fixture(t, sandbox.Config{AppJWKS: jwks})
	ctx := context.Background()
	f.cfg.Key, f.cfg.KID = signer, "test-own-1"
	p := f.discover(t)
	s, err := p.SignIn(ctx, sbxAEDoctor, f.browser(t, sbxAEDoctor, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChooseRole(ctx, "555000000202"); err != nil {
		t.Fatal(err)
	}

	q := p.clone()
	q.cfg.KID = "test-own-2"
	_, err = q.SignIn(ctx, sbxAEDoctor, f.browser(t, sbxAEDoctor, nil, nil))
	if e, ok := errors.AsType[*CIS2TokenError](err); !ok || !e.ApplicationRefused() || e.Status != http.StatusUnauthorized {
		t.Fatalf("CIS2 with an unregistered kid: %v", err)
	}
	_, _, err = q.exchange(ctx, s.cis2.idToken)
	if e, ok := errors.AsType[*ExchangeError](err); !ok || e.Text != "Invalid 'kid' header in client_assertion JWT - no matching public key" {
		t.Fatalf("the platform with an unregistered kid: %v", err)
	}
}

// TestCIS2Discovery: an issuer other than the one configured, or none there,
// is a *DiscoveryError; a configuration missing a part is refused before any
// request.
func TestCIS2Discovery(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	if p.meta.TokenEndpoint != f.srv.CIS2Issuer()+"/token" || len(p.keys.Keys) != 1 {
		t.Fatalf("discovered %+v, %d keys", p.meta, len(p.keys.Keys))
	}

	cfg := f.cfg
	cfg.Issuer = strings.Replace(f.srv.CIS2Issuer(), "127.0.0.1", "localhost", 1)
	if _, err := f.c.DiscoverCIS2(ctx, cfg); !isErr[*DiscoveryError](err) || !strings.Contains(err.Error(), "not the configured") {
		t.Fatalf("another issuer: %v", err)
	}
	cfg.Issuer = f.srv.URL() + "/nothing-here"
	if _, err := f.c.DiscoverCIS2(ctx, cfg); !isErr[*DiscoveryError](err) {
		t.Fatalf("no discovery document: %v", err)
	}
	cfg.Issuer = "http://cis2.example"
	if _, err := f.c.DiscoverCIS2(ctx, cfg); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain http: %v", err)
	}
	for _, missing := range []func(*CIS2Config){
		func(c *CIS2Config) { c.Issuer = "" }, func(c *CIS2Config) { c.ClientID = "" }, func(c *CIS2Config) { c.APIKey = "" },
		func(c *CIS2Config) { c.Key = nil }, func(c *CIS2Config) { c.KID = "" },
	} {
		cfg := f.cfg
		missing(&cfg)
		if _, err := f.c.DiscoverCIS2(ctx, cfg); err == nil {
			t.Errorf("a configuration without a part: %+v", cfg)
		}
	}
}

// TestCIS2CheckIssuer: the check of CIS2 for its issuer alone (scr doctor,
// before the application is wholly configured) reads the sandbox's discovery
// document and JWKS with no application, and fails as DiscoverCIS2 does: the
// same errors for another issuer, none there, plain http, a JWKS that cannot
// be read and one with no key.
func TestCIS2CheckIssuer(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	if err := f.c.CheckCIS2Issuer(ctx, f.srv.CIS2Issuer()); err != nil {
		t.Fatalf("the sandbox's CIS2: %v", err)
	}
	if err := f.c.CheckCIS2Issuer(ctx, f.srv.CIS2Issuer()+"/"); err != nil {
		t.Fatalf("the sandbox's CIS2, with a slash: %v", err)
	}
	if n := f.tap.exchangeCount(); n != 0 {
		t.Errorf("%d token exchanges with the platform, want none", n)
	}

	// same runs both and wants the same error from each (but for the
	// request ID a refusal quotes), and returns it.
	same := func(t *testing.T, issuer string) error {
		t.Helper()
		cfg := f.cfg
		cfg.Issuer = issuer
		_, want := f.c.DiscoverCIS2(ctx, cfg)
		got := f.c.CheckCIS2Issuer(ctx, issuer)
		dg, gotD := errors.AsType[*DiscoveryError](got)
		dw, wantD := errors.AsType[*DiscoveryError](want)
		switch {
		case want == nil || got == nil || gotD != wantD:
		case gotD && dg.URL == dw.URL && dg.Problem == dw.Problem && fmt.Sprintf("%T", dg.Err) == fmt.Sprintf("%T", dw.Err):
			return got
		case !gotD && got.Error() == want.Error():
			return got
		}
		t.Fatalf("issuer %q: CheckCIS2Issuer: %v; DiscoverCIS2: %v", issuer, got, want)
		return nil
	}
	discovery := func(issuer string) string { return issuer + "/.well-known/openid-configuration" }
	jwks := f.srv.CIS2Issuer() + "/jwks"
	for _, tt := range []struct {
		name, issuer string
		jwks         func([]byte) []byte // the JWKS as the client gets it
		url, problem string              // the *DiscoveryError's; "": a plain error
		words        string              // in the message
	}{
		{name: "another issuer", issuer: strings.Replace(f.srv.CIS2Issuer(), "127.0.0.1", "localhost", 1),
			url: discovery(strings.Replace(f.srv.CIS2Issuer(), "127.0.0.1", "localhost", 1)), words: "not the configured"},
		{name: "no discovery document", issuer: f.srv.URL() + "/nothing-here",
			url: discovery(f.srv.URL() + "/nothing-here"), problem: "cannot be read"},
		{name: "plain http", issuer: "http://cis2.example", words: `cis2-issuer "http://cis2.example": must be https`},
		{name: "unset", issuer: "", words: "needs cis2-issuer"},
		{name: "JWKS unreadable", issuer: f.srv.CIS2Issuer(), jwks: func([]byte) []byte { return []byte("not JSON") },
			url: jwks, problem: "the JWKS cannot be read"},
		{name: "JWKS without a key", issuer: f.srv.CIS2Issuer(), jwks: func([]byte) []byte { return []byte(`{"keys":[]}`) },
			url: jwks, problem: "the JWKS holds no public signing key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.tap.mu.Lock()
			f.tap.rewriteJWKS = tt.jwks
			f.tap.mu.Unlock()
			defer func() { f.tap.mu.Lock(); f.tap.rewriteJWKS = nil; f.tap.mu.Unlock() }()
			err := same(t, tt.issuer)
			d, ok := errors.AsType[*DiscoveryError](err)
			switch {
			case tt.url == "" && ok:
				t.Errorf("a plain error wanted: %v", err)
			case tt.url != "" && (!ok || d.URL != tt.url || (tt.problem != "" && d.Problem != tt.problem)):
				t.Errorf("err = %#v, want a *DiscoveryError for %s: %s", err, tt.url, tt.problem)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("err = %v, want %q in it", err, tt.words)
			}
		})
	}
}

func TestSigningKey(t *testing.T) {
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSigningKey(creds.KeyPEM); err != nil {
		t.Fatalf("the sandbox application's key: %v", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, k := range map[string]crypto.Signer{"ECDSA": ec, "RSA-1024": small} {
		pemData, err := pki.EncodeKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSigningKey(pemData); !isErr[*SigningKeyError](err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseSigningKey([]byte("not a key")); !isErr[*SigningKeyError](err) {
		t.Errorf("not PEM: %v", err)
	}
}

// TestCIS2CheckApplication: scr doctor's check of the application's
// registration with the platform, without a user.
func TestCIS2CheckApplication(t *testing.T) {
	f := newCIS2Fixture(t, sandbox.Config{})
	ctx := context.Background()
	p := f.discover(t)
	if err := p.CheckApplication(ctx); err != nil {
		t.Fatalf("the sandbox application: %v", err)
	}
	q := p.clone()
	q.cfg.APIKey = "not-registered"
	err := q.CheckApplication(ctx)
	if e, ok := errors.AsType[*ExchangeError](err); !ok || !e.ApplicationRefused() || e.Text != "Invalid 'iss'/'sub' claims in client_assertion JWT" {
		t.Fatalf("an unregistered API key: %v", err)
	}
	q = p.clone()
	q.cfg.KID = "not-registered"
	if err := q.CheckApplication(ctx); !isErr[*ExchangeError](err) {
		t.Fatalf("an unregistered kid: %v", err)
	}
}
