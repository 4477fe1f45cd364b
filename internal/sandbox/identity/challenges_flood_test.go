package identity_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/sandbox/identity"
)

// from sends a request to the harness's handler as if it came from addr, as
// any local user can send from any 127.0.0.0/8 address.
func (h *harness) from(t *testing.T, addr, method, target, contentType, body string) reply {
	t.Helper()
	req := httptest.NewRequest(method, h.srv.URL+target, strings.NewReader(body))
	req.RemoteAddr = net.JoinHostPort(addr, "40000")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.srv.Config.Handler.ServeHTTP(w, req)
	return reply{status: w.Code, header: w.Result().Header, body: w.Body.Bytes()}
}

// challengeFrom asks for a challenge from addr: the challenge, or "" and the reply.
func (h *harness) challengeFrom(t *testing.T, addr string) (string, reply) {
	t.Helper()
	r := h.from(t, addr, http.MethodPost, identity.PathChallenge, "", "")
	var c struct{ Challenge string }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &c) != nil || c.Challenge == "" {
		return "", r
	}
	return c.Challenge, r
}

// grantFrom signs in from addr with an assertion.
func (h *harness) grantFrom(t *testing.T, addr, assertion string) reply {
	t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	return h.from(t, addr, http.MethodPost, tokenEP, "application/x-www-form-urlencoded", form.Encode())
}

// flood has 640 addresses in 127.n.0.0/16 each ask for 16 challenges, the
// reviewer's flood: more than the store holds. Every one is served, each
// address being within its own allowance. It returns the first challenge.
func (h *harness) flood(t *testing.T, n int) string {
	t.Helper()
	var first string
	for i := range 640 {
		addr := fmt.Sprintf("127.%d.%d.%d", n, i/256, i%256)
		for range identity.DefaultChallengesPerAddress {
			c, r := h.challengeFrom(t, addr)
			if c == "" {
				t.Fatalf("flood: %s asking for a challenge within its allowance: %d %s", addr, r.status, r.body)
			}
			if first == "" {
				first = c
			}
		}
	}
	return first
}

// TestChallengeFloodFromManyAddresses: 640 addresses × 16 challenges, more
// than the store holds, lock no one out. A fresh address still gets a
// challenge, which survives a second flood, and signs in with it; an address
// at its own allowance is refused with 429; the challenge evicted to make
// room is refused exactly as one the server never issued. Before, the flood
// filled the store and every sign-in got 503 until its challenges expired.
func TestChallengeFloodFromManyAddresses(t *testing.T) {
	h := newHarness(t)
	demo := loadCard(t, priya)
	const fresh = "127.0.0.1"

	evicted := h.flood(t, 1)
	// The last flooder still holds its 16 (the 240 evicted came from the
	// first 240, which held as many and older): it is refused as before.
	_, r := h.challengeFrom(t, "127.1.2.127")
	if code, _ := r.oauth(t); r.status != http.StatusTooManyRequests || code != "slow_down" || r.header.Get("Retry-After") == "" {
		t.Fatalf("an address at its allowance: %d %s, Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
	}
	c, r := h.challengeFrom(t, fresh)
	if c == "" {
		t.Fatalf("a fresh address after the flood: %d %s", r.status, r.body)
	}
	h.flood(t, 2)
	if r := h.grantFrom(t, fresh, demo.assertion(t, h.tokenURL(), c, t0, nil)); r.status != http.StatusOK {
		t.Fatalf("signing in with the fresh address's challenge after a second flood: %d %s", r.status, r.body)
	}

	// The evicted challenge is refused as unknown, word for word.
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	r = h.grantFrom(t, fresh, demo.assertion(t, h.tokenURL(), evicted, t0, nil))
	code, desc := r.oauth(t)
	rec := h.audit.last(t)
	w := h.grantFrom(t, fresh, demo.assertion(t, h.tokenURL(), unknown, t0, nil))
	wantCode, wantDesc := w.oauth(t)
	if r.status != w.status || code != wantCode || desc != wantDesc || !strings.Contains(desc, "not a challenge this server issued") {
		t.Errorf("the evicted challenge: %d %s %q; an unknown one: %d %s %q", r.status, code, desc, w.status, wantCode, wantDesc)
	}
	if rec.Detail != desc {
		t.Errorf("the evicted challenge's refusal recorded as %q, want %q", rec.Detail, desc)
	}
}

// TestSpendingNeverExhausts: 32 addresses asking for challenges and spending
// each at once (a refused assertion spends its challenge too) use nothing up:
// after 12 000, more than the store holds, any address still gets one and
// signs in, with no wait. Before, used challenges counted until they expired.
func TestSpendingNeverExhausts(t *testing.T) {
	h := newHarness(t)
	demo := loadCard(t, priya)
	// An assertion the server reads the jti of, then refuses for its alg.
	spend := func(jti string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(`{"jti":"`+jti+`"}`)) + "."
	}
	for i := range 12_000 {
		addr := fmt.Sprintf("127.3.0.%d", i%32)
		c, r := h.challengeFrom(t, addr)
		if c == "" {
			t.Fatalf("challenge %d, from %s: %d %s", i, addr, r.status, r.body)
		}
		if r := h.grantFrom(t, addr, spend(c)); r.status != http.StatusBadRequest {
			t.Fatalf("spending challenge %d: %d %s", i, r.status, r.body)
		}
	}
	const fresh = "127.0.0.1"
	c, r := h.challengeFrom(t, fresh)
	if c == "" {
		t.Fatalf("a fresh address after 12 000 spent: %d %s", r.status, r.body)
	}
	if r := h.grantFrom(t, fresh, demo.assertion(t, h.tokenURL(), c, t0, nil)); r.status != http.StatusOK {
		t.Fatalf("signing in: %d %s", r.status, r.body)
	}
}
