package ui

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// Pulling the card during a CIS2 session revokes the session's API platform
// token at the server, not only in scr's memory: a request made afterwards
// with the token the viewer used is refused by the sandbox (401).
//
// The client keeps its tokens to itself (no accessor outside its package),
// so the test reads the token where it is used: on the wire, through a
// proxy in front of the sandbox's API platform, PDS and SCR that notes the
// bearer token and NHSD-Session-URID of each record request. CIS2 itself is
// reached directly, at the sandbox's issuer, as in the other CIS2 tests.

// bearerTap is an HTTPS reverse proxy in front of the sandbox that notes the
// last bearer token and role each PDS or SCR request carried. The Host is
// kept (NewSingleHostReverseProxy does not rewrite it), so the platform's
// client assertion, whose aud is the token URL as the viewer reaches it, is
// accepted.
type bearerTap struct {
	mu    sync.Mutex
	token string
	urid  string
}

func (b *bearerTap) seen() (token, urid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.token, b.urid
}

// newBearerTap puts a tap in front of e's sandbox and returns it with a
// client of it that also trusts the sandbox's own CA (for CIS2, reached
// directly).
func newBearerTap(t *testing.T, e *cis2Env) (*bearerTap, *client.Client) {
	t.Helper()
	up, err := url.Parse(e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(up)
	rp.Transport = e.hc.Transport
	rp.ErrorLog = log.New(io.Discard, "", 0)
	tap := &bearerTap{}
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/personal-demographics/") || strings.HasPrefix(r.URL.Path, "/summary-care-record/") {
			if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				tap.mu.Lock()
				tap.token, tap.urid = tok, r.Header.Get("NHSD-Session-URID")
				tap.mu.Unlock()
			}
		}
		rp.ServeHTTP(w, r)
	}))
	front.Config.ErrorLog = log.New(io.Discard, "", 0)
	front.StartTLS()
	t.Cleanup(func() {
		front.CloseClientConnections()
		front.Close()
	})
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
	cl, err := client.New(client.Config{Server: front.URL, CAPEM: append(ca, e.srv.CACertPEM()...), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return tap, cl
}

// readWith reads a patient from the sandbox itself, as a stolen copy of the
// token would, and returns the status.
func readWith(t *testing.T, e *cis2Env, token, urid string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
		e.srv.URL()+"/personal-demographics/FHIR/R4/Patient/9000000017", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("NHSD-Session-URID", urid)
	req.Header.Set("Accept", "application/fhir+json")
	res, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestCIS2CardPulledRevokesPlatformToken: the pharmacist signs in through
// CIS2 and reads a record; the platform token the viewer read it with works
// at the sandbox; the card comes out; within a few seconds (the sign-out
// runs in the background) the sandbox refuses that token with 401, and its
// audit trail records the platform token's revocation.
func TestCIS2CardPulledRevokesPlatformToken(t *testing.T) {
	e := newCIS2Env(t)
	tap, cl := newBearerTap(t, e)
	cards := newTestCards(t, userPharmacist)
	opts := Options{Client: cl, Cards: cards, CIS2: &CIS2{Discover: DiscoverOnce(cl, e.cfg), Open: e.open}}
	s := newScreen(t, opts, 80, 24)

	s.waitFor("Sign in with NHS CIS2", "Your browser has been opened")
	e.signInAt(t, e.page(t), userPharmacist)
	s.waitFor("Find a patient", "FA123")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")

	token, urid := tap.seen()
	if token == "" || urid != "555000000201" {
		t.Fatalf("the viewer's record request carried token %t, NHSD-Session-URID %q", token != "", urid)
	}
	// The token as taken works at the sandbox before the pull, so the
	// refusal after it is the revocation, not a malformed request.
	if got := readWith(t, e, token, urid); got != http.StatusOK {
		t.Fatalf("the session's platform token, before the pull: status %d; want 200", got)
	}

	cards.remove()
	s.waitGone(time.Second, "HARGREAVES", "900 000 0017")
	s.waitFor("The card was removed")

	// The sign-out (wipe) runs in the background, with a 5 s limit: poll.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := readWith(t, e, token, urid)
		if got == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the card was pulled the session's platform token still gets status %d; want 401", got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Revoked, not merely forgotten or expired: the sandbox recorded it.
	rows, err := e.srv.Audit().Query(context.Background(), audit.Filter{
		UserUUID: userPharmacist, Kinds: []audit.Kind{audit.SignOut}, Outcome: audit.Allowed,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(rows[0].Detail, "API platform token revoked") {
		t.Errorf("sign-out rows: %+v; want one revoking the API platform token", rows)
	}
}
