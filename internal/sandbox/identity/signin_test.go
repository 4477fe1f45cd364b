package identity_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

func TestChallenge(t *testing.T) {
	h := newHarness(t)
	r := h.do(t, http.MethodPost, "/oauth2/challenge", "", "", nil)
	var c map[string]any
	if err := json.Unmarshal(r.body, &c); err != nil || r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if len(c) != 2 || c["expires_in"] != float64(60) {
		t.Errorf("challenge response %s, want exactly challenge and expires_in 60", r.body)
	}
	raw, err := base64.RawURLEncoding.DecodeString(c["challenge"].(string))
	if err != nil || len(raw) != 32 {
		t.Errorf("challenge %q is not 32 bytes of unpadded base64url (%v)", c["challenge"], err)
	}
	if h.challenge(t) == c["challenge"] {
		t.Error("two challenges are the same")
	}
}

// TestSignIn covers the JWT bearer grant: the two happy paths and each refusal
// API.md section 1 asks for, each with its audit record.
func TestSignIn(t *testing.T) {
	rogueCA, err := pki.NewCA("rogue CA", t0.AddDate(-1, 0, 0), t0.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	type test struct {
		name string
		card func(t *testing.T) card
		// jti returns the challenge to use; nil means a fresh one.
		jti func(t *testing.T, h *harness) string
		// edit changes the header and claims before signing.
		edit func(hdr map[string]any, claims jwt.MapClaims)
		// forge, if set, turns the signed assertion into what is sent.
		forge    func(t *testing.T, a string) string
		wantUser string // on success
		wantDesc string // on refusal: a piece of error_description
	}
	cardOf := func(uid string) func(*testing.T) card {
		return func(t *testing.T) card { return loadCard(t, uid) }
	}
	tests := []test{
		{name: "ES256 demo card", card: cardOf(priya), wantUser: priya},
		{name: "RS256 card", card: cardOf(james), wantUser: james},
		{name: "aud as an array", card: cardOf(priya), wantUser: priya,
			edit: func(_ map[string]any, c jwt.MapClaims) {
				c["aud"] = []string{"https://elsewhere.example", c["aud"].(string)}
			}},
		{name: "exp exactly 60 s after iat", card: cardOf(priya), wantUser: priya,
			edit: func(_ map[string]any, c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 60 }},

		{name: "card from another CA", wantDesc: "not issued by the sandbox smartcard CA",
			card: func(t *testing.T) card { return issueCard(t, rogueCA, priya) }},
		{name: "expired card certificate", card: cardOf(grace), wantDesc: "expired on 2026-06-01"},
		{name: "revoked card certificate", card: cardOf(mark), wantDesc: "has been revoked"},
		{name: "bad signature", card: cardOf(priya), wantDesc: "signature does not verify",
			forge: func(t *testing.T, a string) string { return resign(t, a, jwt.SigningMethodES256, otherKey) }},
		{name: "signature cut short", card: cardOf(priya), wantDesc: "signature does not verify",
			forge: func(_ *testing.T, a string) string { return a[:len(a)-8] }},
		{name: "wrong aud", card: cardOf(priya), wantDesc: "aud must be the token endpoint URL",
			edit: func(_ map[string]any, c jwt.MapClaims) { c["aud"] = "https://int.api.service.nhs.uk/oauth2/token" }},
		{name: "no aud", card: cardOf(priya), wantDesc: "has no aud",
			edit: func(_ map[string]any, c jwt.MapClaims) { delete(c, "aud") }},
		{name: "exp more than 60 s after iat", card: cardOf(priya), wantDesc: "at most 1m0s",
			edit: func(_ map[string]any, c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 120 }},
		{name: "no exp", card: cardOf(priya), wantDesc: "has no exp",
			edit: func(_ map[string]any, c jwt.MapClaims) { delete(c, "exp") }},
		{name: "no iat", card: cardOf(priya), wantDesc: "no iat",
			edit: func(_ map[string]any, c jwt.MapClaims) { delete(c, "iat") }},
		{name: "expired assertion", card: cardOf(priya), wantDesc: "assertion has expired",
			edit: func(_ map[string]any, c jwt.MapClaims) {
				c["iat"], c["exp"] = t0.Add(-8*time.Minute).Unix(), t0.Add(-450*time.Second).Unix()
			}},
		{name: "iat in the future", card: cardOf(priya), wantDesc: "iat is in the future",
			edit: func(_ map[string]any, c jwt.MapClaims) {
				c["iat"], c["exp"] = t0.Add(6*time.Minute).Unix(), t0.Add(390*time.Second).Unix()
			}},
		// A client clock 2 minutes off is within the leeway.
		{name: "clock two minutes fast", card: cardOf(priya), wantUser: priya,
			edit: func(_ map[string]any, c jwt.MapClaims) {
				c["iat"], c["exp"] = t0.Add(2*time.Minute).Unix(), t0.Add(150*time.Second).Unix()
			}},
		{name: "replayed jti", card: cardOf(priya), wantDesc: "already been used",
			jti: func(t *testing.T, h *harness) string {
				c := h.challenge(t)
				h.grant(t, loadCard(t, priya).assertion(t, h.tokenURL(), c, t0, nil)).token(t)
				return c
			}},
		{name: "unknown jti", card: cardOf(priya), wantDesc: "not a challenge this server issued",
			jti: func(*testing.T, *harness) string { return base64.RawURLEncoding.EncodeToString(make([]byte, 32)) }},
		{name: "no jti", card: cardOf(priya), wantDesc: "no jti",
			jti: func(*testing.T, *harness) string { return "" }},
		{name: "expired challenge", card: cardOf(priya), wantDesc: "challenge expired",
			jti: func(t *testing.T, h *harness) string {
				c := h.challenge(t)
				h.clock.Advance(61 * time.Second)
				return c
			}},
		{name: "sub is not the certificate's user", card: cardOf(priya), wantDesc: `sub "555000000102" is not the card certificate's user ID 555000000101`,
			edit: func(_ map[string]any, c jwt.MapClaims) { c["sub"], c["iss"] = james, james }},
		{name: "iss is not sub", card: cardOf(priya), wantDesc: "iss",
			edit: func(_ map[string]any, c jwt.MapClaims) { c["iss"] = "scr" }},
		{name: "user not in the directory", wantDesc: "user 555000000199 is not known",
			card: func(t *testing.T) card { return issueCard(t, sandboxCA(t), nobody) }},
		{name: "alg none", card: cardOf(priya), wantDesc: "alg none is not accepted",
			forge: func(t *testing.T, a string) string {
				return resign(t, a, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)
			}},
		{name: "alg HS256", card: cardOf(priya), wantDesc: "alg HS256 is not accepted",
			forge: func(t *testing.T, a string) string { return resign(t, a, jwt.SigningMethodHS256, []byte("secret")) }},
		{name: "ES256 with an RSA card", card: cardOf(james), wantDesc: "does not fit the card's RSA-2048 key",
			forge: func(t *testing.T, a string) string { return resign(t, a, jwt.SigningMethodES256, otherKey) }},
		{name: "no x5c", card: cardOf(priya), wantDesc: "x5c header must carry the card certificate",
			edit: func(hdr map[string]any, _ jwt.MapClaims) { delete(hdr, "x5c") }},
		{name: "x5c in base64url", card: cardOf(priya), wantDesc: "not standard base64",
			edit: func(hdr map[string]any, _ jwt.MapClaims) {
				der, _ := base64.StdEncoding.DecodeString(hdr["x5c"].([]string)[0])
				hdr["x5c"] = []string{base64.RawURLEncoding.EncodeToString(der) + "-_"}
			}},
		{name: "crit header", card: cardOf(priya), wantDesc: "crit",
			edit: func(hdr map[string]any, _ jwt.MapClaims) { hdr["crit"] = []string{"exp"} }},
		{name: "not a JWT", card: cardOf(priya), wantDesc: "not a well-formed JWT",
			forge: func(*testing.T, string) string { return "card-says-hello" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := tt.card(t)
			var jti string
			if tt.jti != nil {
				jti = tt.jti(t, h)
			} else {
				jti = h.challenge(t)
			}
			a := c.assertion(t, h.tokenURL(), jti, h.clock.Now(), tt.edit)
			if tt.forge != nil {
				a = tt.forge(t, a)
			}
			r := h.grant(t, a)
			rec := h.audit.last(t)
			if rec.Kind != audit.SignIn || rec.RequestID != r.requestID || !rec.Time.Equal(h.clock.Now()) {
				t.Errorf("audit record %+v: want a sign-in with request ID %s at %v", rec, r.requestID, h.clock.Now())
			}

			if tt.wantUser != "" {
				tr := r.token(t)
				if tr.TokenType != "Bearer" || tr.ExpiresIn != int(ttl/time.Second) || tr.Scope != "openid nationalrbacaccess" || len(tr.AccessToken) != 43 {
					t.Errorf("token response %s", r.body)
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Error("token response may be cached")
				}
				if rec.Outcome != audit.Allowed || rec.UserUUID != tt.wantUser || rec.UserName == "" {
					t.Errorf("audit record %+v, want allowed for %s", rec, tt.wantUser)
				}
				if u := h.userinfo(t, tr.AccessToken); u.status != http.StatusOK || !strings.Contains(string(u.body), tt.wantUser) {
					t.Errorf("userinfo with the new token: %d %s", u.status, u.body)
				}
				return
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			code, desc := r.oauth(t)
			t.Logf("%s: %s", code, desc)
			if code != "invalid_grant" || !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("got %s %q, want invalid_grant containing %q", code, desc, tt.wantDesc)
			}
			if strings.Contains(string(r.body), a) {
				t.Error("the error echoes the assertion")
			}
			if rec.Outcome != audit.Denied || rec.Detail != desc {
				t.Errorf("audit record %+v, want denied with Detail %q", rec, desc)
			}
		})
	}
}

// TestChallengeSpentByRefusal: a challenge buys one attempt; an assertion refused
// for any reason still uses it up, and the very same assertion cannot be replayed.
func TestChallengeSpentByRefusal(t *testing.T) {
	h := newHarness(t)
	c, demo := h.challenge(t), loadCard(t, priya)
	good := demo.assertion(t, h.tokenURL(), c, t0, nil)
	forged := resign(t, good, jwt.SigningMethodHS256, []byte("guess"))
	if r := h.grant(t, forged); r.status != http.StatusBadRequest {
		t.Fatalf("forged assertion: %d %s", r.status, r.body)
	}
	r := h.grant(t, good)
	if _, desc := r.oauth(t); !strings.Contains(desc, "already been used") {
		t.Errorf("a good assertion on a spent challenge: %d %s", r.status, r.body)
	}

	a := demo.assertion(t, h.tokenURL(), h.challenge(t), t0, nil)
	h.grant(t, a).token(t)
	r = h.grant(t, a)
	if _, desc := r.oauth(t); !strings.Contains(desc, "already been used") {
		t.Errorf("replayed assertion: %d %s", r.status, r.body)
	}
}

// TestAudienceAsReached: the token endpoint's URL is accepted as the client
// reached it (here through "localhost"), as well as under the configured issuer;
// but not a Host the request did not use.
func TestAudienceAsReached(t *testing.T) {
	h := newHarness(t)
	demo := loadCard(t, priya)
	port := h.srv.URL[strings.LastIndex(h.srv.URL, ":")+1:]
	localhost := "http://localhost:" + port + tokenEP

	tests := []struct {
		name, host, aud string
		want            int
	}{
		{"configured issuer via localhost", "localhost:" + port, h.tokenURL(), http.StatusOK},
		{"localhost via localhost", "localhost:" + port, localhost, http.StatusOK},
		{"localhost via 127.0.0.1", "", localhost, http.StatusBadRequest},
		{"https when the request was http", "localhost:" + port, "https://localhost:" + port + tokenEP, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
				"assertion":  {demo.assertion(t, tt.aud, h.challenge(t), t0, nil)},
			}
			hdr := http.Header{}
			if tt.host != "" {
				hdr.Set("Host", tt.host)
			}
			r := h.do(t, http.MethodPost, tokenEP, "application/x-www-form-urlencoded", form.Encode(), hdr)
			if r.status != tt.want {
				t.Errorf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	h := newHarness(t)
	token := h.signIn(t, loadCard(t, priya))
	h.clock.Advance(ttl - time.Second)
	if r := h.userinfo(t, token); r.status != http.StatusOK {
		t.Fatalf("a second before expiry: %d %s", r.status, r.body)
	}
	h.clock.Advance(time.Second)
	r := h.userinfo(t, token)
	if code, desc := r.oauth(t); r.status != http.StatusUnauthorized || code != "invalid_token" || !strings.Contains(desc, "expired") {
		t.Errorf("at expiry: %d %s", r.status, r.body)
	}
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q", got)
	}
}
