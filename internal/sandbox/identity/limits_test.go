package identity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/identity"
)

// clientFrom is an HTTP client whose connections come from ip, another
// loopback address, so that the server sees a second client; nil where ip
// cannot be used (127.0.0.0/8 is all loopback on Linux, but not on every
// system).
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Logf("%s is not a loopback address here, so it is not tried: %v", ip, err)
		return nil
	}
	ln.Close()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// postWith sends a form with client and returns the status.
func postWith(t *testing.T, client *http.Client, target string, form url.Values) int {
	t.Helper()
	resp, err := client.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func sha256Hex(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// TestUnverifiedCertificate: a certificate not issued by the smartcard CA is
// not believed. Whoever it names, the refusal is recorded against no user,
// with the certificate's fingerprint; a certificate the CA issued names its
// user, by the directory's spelling of their name, even when refused.
func TestUnverifiedCertificate(t *testing.T) {
	rogueCA, err := pki.NewCA("rogue CA", t0.AddDate(-1, 0, 0), t0.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	priyaName := func() string {
		u, _ := directory(t).User(priya)
		return u.Name
	}()
	tests := []struct {
		name     string
		card     func(t *testing.T) card
		edit     func(hdr map[string]any, claims jwt.MapClaims)
		wantUser string // "" = unverified: the fingerprint instead
		wantName string
		wantDesc string
	}{
		{name: "another CA's card naming a real user", card: func(t *testing.T) card { return issueCard(t, rogueCA, priya) },
			wantDesc: "is not issued by the sandbox smartcard CA"},
		{name: "another CA's card naming a user with no roles here", card: func(t *testing.T) card { return issueCard(t, rogueCA, nobody) },
			wantDesc: "is not issued by the sandbox smartcard CA"},
		{name: "the CA's card, refused for its aud", card: func(t *testing.T) card { return issueCard(t, sandboxCA(t), priya) },
			edit:     func(_ map[string]any, c jwt.MapClaims) { c["aud"] = "https://elsewhere.example/oauth2/token" },
			wantUser: priya, wantName: priyaName, wantDesc: "aud must be"},
		{name: "the CA's card, expired", card: func(t *testing.T) card { return loadCard(t, grace) },
			wantUser: grace, wantName: "", wantDesc: "expired on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := tt.card(t)
			r := h.grant(t, c.assertion(t, h.tokenURL(), h.challenge(t), t0, tt.edit))
			code, desc := r.oauth(t)
			if r.status != http.StatusBadRequest || code != "invalid_grant" || !strings.Contains(desc, tt.wantDesc) {
				t.Fatalf("%d %s %q, want 400 invalid_grant containing %q", r.status, code, desc, tt.wantDesc)
			}
			rec := h.audit.last(t)
			if rec.Kind != audit.SignIn || rec.Outcome != audit.Denied || rec.Detail != desc {
				t.Errorf("audit record %+v", rec)
			}
			if tt.wantUser == "" {
				fp := sha256Hex(c.cert.Raw)
				if rec.UserUUID != "" || rec.UserName != "" || !strings.Contains(rec.Detail, "SHA-256 "+fp) {
					t.Errorf("unverified certificate recorded as user %q (%q), Detail %q; want no user and SHA-256 %s",
						rec.UserUUID, rec.UserName, rec.Detail, fp)
				}
				return
			}
			if rec.UserUUID != tt.wantUser || (tt.wantName != "" && rec.UserName != tt.wantName) {
				t.Errorf("recorded as %q (%q), want %s (%q)", rec.UserUUID, rec.UserName, tt.wantUser, tt.wantName)
			}
			if rec.UserName == "Test HOLDER" {
				t.Error("the name is the certificate's, not the directory's")
			}
		})
	}
}

// TestRefusalsCountedPerAddress: 1 000 failed sign-ins from one address
// write failuresInFull rows in full, then one summary row with the right
// count once the minute is over; another address's failures, and a known
// user's refusals, are counted apart; Flush writes what is left.
func TestRefusalsCountedPerAddress(t *testing.T) {
	const flood, inFull = 1000, 5
	h := newHarness(t)
	ctx := context.Background()
	for range flood {
		if r := h.grant(t, "not-a-jwt"); r.status != http.StatusBadRequest {
			t.Fatalf("a failed sign-in: %d %s", r.status, r.body)
		}
	}
	if n := h.audit.count(); n != inFull {
		t.Fatalf("%d failed sign-ins wrote %d rows, want %d", flood, n, inFull)
	}
	for _, rec := range h.audit.records() {
		if rec.Kind != audit.SignIn || rec.Outcome != audit.Denied || rec.RequestID == "" || !strings.Contains(rec.Detail, "not a well-formed JWT") {
			t.Errorf("a row written in full: %+v", rec)
		}
	}

	// The flood holds back no one: the same address signs in, and a signed-in
	// user's refusal is written in full, under their name.
	card := h.signIn(t, loadCard(t, priya))
	if r := h.exchange(t, card, "555000000202"); r.status != http.StatusBadRequest {
		t.Fatalf("exchange for another user's role: %d", r.status)
	}
	if rec := h.audit.last(t); rec.Kind != audit.RoleExchange || rec.UserUUID != priya || rec.Outcome != audit.Denied {
		t.Errorf("a known user's refusal: %+v", rec)
	}
	rows := h.audit.count()

	// Another address has an allowance of its own.
	if other := clientFrom(t, "127.0.0.2"); other != nil {
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"not-a-jwt"}}
		if s := postWith(t, other, h.tokenURL(), form); s != http.StatusBadRequest {
			t.Fatalf("a failed sign-in from 127.0.0.2: %d", s)
		}
		if n := h.audit.count(); n != rows+1 {
			t.Fatalf("the other address's first failure wrote %d rows, want 1", n-rows)
		}
		rows++
	}

	// The minute is over: the next failure brings the summary, then is
	// written in full as the first of a new minute.
	h.clock.Advance(time.Minute)
	r := h.grant(t, "not-a-jwt")
	recs := h.audit.records()[rows:]
	if len(recs) != 2 {
		t.Fatalf("%d rows after the minute, want a summary and the failure: %+v", len(recs), recs)
	}
	sum, full := recs[0], recs[1]
	want := fmt.Sprintf("%d further failed sign-ins from 127.0.0.1 since %s", flood-inFull, t0.Format(time.RFC3339))
	if sum.Kind != audit.SignIn || sum.Outcome != audit.Denied || sum.UserUUID != "" || !strings.HasPrefix(sum.Detail, want) ||
		!strings.Contains(sum.Detail, "not a well-formed JWT") {
		t.Errorf("summary row %+v, want Detail starting %q", sum, want)
	}
	if full.RequestID != r.requestID || !strings.Contains(full.Detail, "not a well-formed JWT") {
		t.Errorf("the failure after the summary: %+v", full)
	}

	// Refused sign-outs of made-up tokens are counted the same way; Flush,
	// as the server stops, writes every count left, window over or not.
	for range 20 {
		if r := h.revoke(t, "made-up"); r.status != http.StatusOK {
			t.Fatalf("revoke: %d", r.status)
		}
	}
	rows = h.audit.count()
	if err := h.svc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	recs = h.audit.records()[rows:]
	if len(recs) != 1 || recs[0].Kind != audit.SignOut || !strings.HasPrefix(recs[0].Detail, "15 further refused sign-outs from 127.0.0.1") {
		t.Errorf("Flush wrote %+v; want one summary of 15 refused sign-outs", recs)
	}
	if err := h.svc.Flush(ctx); err != nil || h.audit.count() != rows+1 {
		t.Errorf("a second Flush wrote more rows (%v)", err)
	}
}

// TestSummaryKeptWhenUnwritten: a summary the audit trail cannot take is
// kept and written later, its count whole.
func TestSummaryKeptWhenUnwritten(t *testing.T) {
	h := newHarness(t)
	for range 8 {
		h.grant(t, "not-a-jwt")
	}
	h.audit.setFail(true)
	if err := h.svc.Flush(context.Background()); err == nil {
		t.Fatal("Flush reported no error with the trail down")
	}
	h.audit.setFail(false)
	if err := h.svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := h.audit.last(t); !strings.HasPrefix(rec.Detail, "3 further failed sign-ins") {
		t.Errorf("summary %+v, want 3 further", rec)
	}
}

// TestRoleTokensPerSignIn: switching role again and again (ctrl+r exchanges
// each time) keeps working, but one sign-in holds at most MaxRoleTokens live
// role tokens: each exchange beyond revokes the oldest, and says so.
func TestRoleTokensPerSignIn(t *testing.T) {
	h := newHarness(t)
	card := h.signIn(t, loadCard(t, daniel))
	roles := []string{"555000000206", "555000000207"}
	var tokens []string
	for i := range 10 {
		r := h.exchange(t, card, roles[i%2])
		tokens = append(tokens, r.token(t).AccessToken)
		rec := h.audit.last(t)
		revoked := strings.Contains(rec.Detail, "oldest role token")
		if rec.Outcome != audit.Allowed || revoked != (i >= identity.MaxRoleTokens) {
			t.Errorf("exchange %d recorded %+v", i+1, rec)
		}
	}
	for i, tok := range tokens {
		want := http.StatusOK
		if i < len(tokens)-identity.MaxRoleTokens {
			want = http.StatusUnauthorized
		}
		if r := h.scr(t, tok, roles[i%2]); r.status != want {
			t.Errorf("role token %d of %d: %d, want %d", i+1, len(tokens), r.status, want)
		}
	}
	h.revoke(t, card)
	if rec := h.audit.last(t); !strings.Contains(rec.Detail, fmt.Sprintf("%d live role token", identity.MaxRoleTokens)) {
		t.Errorf("sign-out %+v", rec)
	}
}

// TestRoleTokenKeptWhenExchangeUnrecorded: an exchange that cannot be
// recorded does not happen, so the oldest role token it would have revoked
// still works.
func TestRoleTokenKeptWhenExchangeUnrecorded(t *testing.T) {
	h := newHarness(t)
	card := h.signIn(t, loadCard(t, priya))
	var tokens []string
	for range identity.MaxRoleTokens {
		tokens = append(tokens, h.exchange(t, card, "555000000201").token(t).AccessToken)
	}
	h.audit.setFail(true)
	if r := h.exchange(t, card, "555000000201"); r.status != http.StatusInternalServerError {
		t.Fatalf("exchange with the trail down: %d", r.status)
	}
	h.audit.setFail(false)
	for i, tok := range tokens {
		if r := h.scr(t, tok, "555000000201"); r.status != http.StatusOK {
			t.Errorf("role token %d after the unrecorded exchange: %d", i+1, r.status)
		}
	}
	// And the limit holds: the next exchange revokes the oldest.
	h.exchange(t, card, "555000000201").token(t)
	if r := h.scr(t, tokens[0], "555000000201"); r.status != http.StatusUnauthorized {
		t.Errorf("the oldest after the next exchange: %d", r.status)
	}
}
