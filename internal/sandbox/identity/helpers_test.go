package identity_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// The sandbox users the tests sign in as (assets/sandbox/README.md).
const (
	priya   = "555000000101" // demo card, ES256, pharmacist
	james   = "555000000102" // RSA-2048 card, A&E doctor
	jordan  = "555000000103" // receptionist, two roles
	daniel  = "555000000105" // locum, roles at two organisations
	grace   = "555000000106" // expired card
	mark    = "555000000107" // revoked card
	nobody  = "555000000199" // not in the directory
	ttl     = identity.DefaultTokenTTL
	tokenEP = identity.PathToken
)

// t0 is the fake clock's start: inside the cards' validity and after the expired
// card's.
var t0 = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is an audit.Recorder that keeps what it is given, or fails on demand.
type recorder struct {
	mu   sync.Mutex
	recs []audit.Record
	fail bool
}

func (r *recorder) Append(_ context.Context, rec audit.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("disk full")
	}
	r.recs = append(r.recs, rec)
	return nil
}

func (r *recorder) setFail(fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// records returns a copy of the records kept.
func (r *recorder) records() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.recs)
}

// last returns the latest record, failing the test if there is none.
func (r *recorder) last(t *testing.T) audit.Record {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recs) == 0 {
		t.Fatal("no audit record")
	}
	return r.recs[len(r.recs)-1]
}

// harness is the identity service behind a real HTTP server, with a fake clock,
// an in-memory audit trail and, under /scr/, a handler behind RequireRole that
// answers with the wire.Session it was given.
type harness struct {
	srv   *httptest.Server
	svc   *identity.Service
	clock *clock
	audit *recorder
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with the identity Config changed by edit.
func newHarnessWith(t *testing.T, edit func(*identity.Config)) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: t0}, audit: &recorder{}}
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	cfg, err := identity.SandboxConfig(h.srv.URL, h.audit)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = h.clock.Now
	if edit != nil {
		edit(&cfg)
	}
	if h.svc, err = identity.New(cfg); err != nil {
		t.Fatal(err)
	}
	h.svc.Routes(mux)
	mux.Handle("/scr/", h.svc.RequireRole(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := wire.SessionFrom(r.Context())
		if !ok {
			http.Error(w, "no session", http.StatusInternalServerError)
			return
		}
		wire.WriteJSON(w, http.StatusOK, wire.ContentJSON, s)
	})))
	return h
}

// reply is an HTTP response, its body read.
type reply struct {
	status    int
	header    http.Header
	body      []byte
	requestID string // the X-Request-ID that was sent
}

// oauth decodes an RFC 6749 error body.
func (r reply) oauth(t *testing.T) (code, description string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if ct := r.header.Get("Content-Type"); ct != wire.ContentJSON {
		t.Fatalf("error Content-Type %q, want %s; body %s", ct, wire.ContentJSON, r.body)
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		t.Fatalf("not an RFC 6749 error body (%v): %s", err, r.body)
	}
	return e.Error, e.Description
}

// token decodes a token response.
func (r reply) token(t *testing.T) tokenResponse {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int    `json:"expires_in"`
	Scope           string `json:"scope"`
}

// do sends a request with a fresh X-Request-ID. hdr may set Host.
func (h *harness) do(t *testing.T, method, target, contentType string, body string, hdr http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	rid := uuid.NewString()
	req.Header.Set("X-Request-ID", rid)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data, requestID: rid}
}

func (h *harness) postForm(t *testing.T, target string, form url.Values) reply {
	t.Helper()
	return h.do(t, http.MethodPost, target, "application/x-www-form-urlencoded", form.Encode(), nil)
}

func (h *harness) challenge(t *testing.T) string {
	t.Helper()
	r := h.do(t, http.MethodPost, identity.PathChallenge, "", "", nil)
	var c struct {
		Challenge string `json:"challenge"`
		ExpiresIn int    `json:"expires_in"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &c) != nil || c.Challenge == "" {
		t.Fatalf("challenge: %d %s", r.status, r.body)
	}
	return c.Challenge
}

func (h *harness) tokenURL() string { return h.srv.URL + tokenEP }

func (h *harness) grant(t *testing.T, assertion string) reply {
	t.Helper()
	return h.postForm(t, tokenEP, url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	})
}

// signIn signs in with c and returns the card token.
func (h *harness) signIn(t *testing.T, c card) string {
	t.Helper()
	return h.grant(t, c.assertion(t, h.tokenURL(), h.challenge(t), h.clock.Now(), nil)).token(t).AccessToken
}

func (h *harness) exchange(t *testing.T, subject, roleID string) reply {
	t.Helper()
	return h.postForm(t, tokenEP, url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {subject},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"selected_roleid":    {roleID},
	})
}

func (h *harness) revoke(t *testing.T, token string) reply {
	t.Helper()
	return h.postForm(t, identity.PathRevoke, url.Values{"token": {token}})
}

func (h *harness) userinfo(t *testing.T, token string) reply {
	t.Helper()
	return h.do(t, http.MethodGet, identity.PathUserinfo, "", "", bearer(token))
}

// scr calls the RequireRole-protected handler.
func (h *harness) scr(t *testing.T, token, urid string) reply {
	t.Helper()
	hdr := bearer(token)
	if urid != "" {
		hdr.Set("NHSD-Session-URID", urid)
	}
	return h.do(t, http.MethodGet, "/scr/DocumentReference", "", "", hdr)
}

func bearer(token string) http.Header {
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	return hdr
}

// card is a smartcard identity as a client holds it.
type card struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// loadCard reads a sandbox card from the embedded assets.
func loadCard(t *testing.T, uid string) card {
	t.Helper()
	fsys, dir := assets.Cards, uid
	if uid == priya {
		fsys, dir = assets.DemoCard, "."
	}
	certPEM, err := fs.ReadFile(fsys, path.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := fs.ReadFile(fsys, path.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCert(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.ParseKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return card{cert: cert, key: key}
}

// sandboxCA is the embedded smartcard CA with its key, to issue cards the
// sandbox does not ship.
func sandboxCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.LoadCA(assets.SmartcardCA)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// issueCard makes a P-256 card for uid under ca, valid around t0.
func issueCard(t *testing.T, ca *pki.CA, uid string) card {
	t.Helper()
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: "Test HOLDER", UUID: uid}, key.Public(), t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return card{cert: cert, key: key}
}

// assertion builds a client assertion as the viewer does (RFC 7523, API.md
// section 1): signed by the card's key with ES256 or RS256, the certificate in
// x5c, iss = sub = the certificate's user ID, aud the token endpoint, jti the
// challenge, exp 30 s after iat. edit may change the header and claims before
// signing.
func (c card) assertion(t *testing.T, aud, jti string, now time.Time, edit func(hdr map[string]any, claims jwt.MapClaims)) string {
	t.Helper()
	signed, err := c.sign(aud, jti, now, edit)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func (c card) sign(aud, jti string, now time.Time, edit func(hdr map[string]any, claims jwt.MapClaims)) (string, error) {
	uid := c.cert.Subject.SerialNumber
	claims := jwt.MapClaims{
		"iss": uid, "sub": uid, "aud": aud, "jti": jti,
		"iat": now.Unix(), "exp": now.Add(30 * time.Second).Unix(),
	}
	var method jwt.SigningMethod = jwt.SigningMethodRS256
	if _, ok := c.key.(*ecdsa.PrivateKey); ok {
		method = jwt.SigningMethodES256
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["x5c"] = []string{base64.StdEncoding.EncodeToString(c.cert.Raw)}
	if edit != nil {
		edit(tok.Header, claims)
	}
	return tok.SignedString(c.key)
}

// session runs a whole session with c, reporting the first thing that goes
// wrong rather than failing a test, so that it can run off the test goroutine.
func (h *harness) session(c card, roleID string) error {
	call := func(method, target string, form url.Values, hdr http.Header, into any) error {
		req, err := http.NewRequest(method, h.srv.URL+target, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header = hdr.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %d %s", method, target, resp.StatusCode, body)
		}
		if into == nil {
			return nil
		}
		return json.Unmarshal(body, into)
	}
	var ch struct {
		Challenge string `json:"challenge"`
	}
	if err := call(http.MethodPost, identity.PathChallenge, nil, nil, &ch); err != nil {
		return err
	}
	a, err := c.sign(h.tokenURL(), ch.Challenge, h.clock.Now(), nil)
	if err != nil {
		return err
	}
	var cardTok, roleTok tokenResponse
	if err := call(http.MethodPost, tokenEP, url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a},
	}, nil, &cardTok); err != nil {
		return err
	}
	if err := call(http.MethodGet, identity.PathUserinfo, nil, bearer(cardTok.AccessToken), nil); err != nil {
		return err
	}
	if err := call(http.MethodPost, tokenEP, url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {cardTok.AccessToken},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"selected_roleid":    {roleID},
	}, nil, &roleTok); err != nil {
		return err
	}
	hdr := bearer(roleTok.AccessToken)
	hdr.Set("NHSD-Session-URID", roleID)
	if err := call(http.MethodGet, "/scr/DocumentReference", nil, hdr, nil); err != nil {
		return err
	}
	return call(http.MethodPost, identity.PathRevoke, url.Values{"token": {cardTok.AccessToken}}, nil, nil)
}

// resign replaces an assertion's signature: the header and claims of a, signed
// with method and key. Used to forge what a client should never send.
func resign(t *testing.T, a string, method jwt.SigningMethod, key any) string {
	t.Helper()
	var claims jwt.MapClaims
	tok, _, err := jwt.NewParser().ParseUnverified(a, &claims)
	if err != nil {
		t.Fatal(err)
	}
	forged := jwt.NewWithClaims(method, claims)
	forged.Header["x5c"] = tok.Header["x5c"]
	signed, err := forged.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
