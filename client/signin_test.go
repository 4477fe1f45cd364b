package client

// Tests of the transport and sign-in against the real sandbox, in-process, over
// HTTPS. Helpers are prefixed sbx so they cannot collide with the record-model
// tests in this package.

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
	"github.com/scrterm/scr/smartcard"
)

// Sandbox users (assets/sandbox/users.json).
const (
	sbxPharmacist     = "555000000101" // demo card; role 555000000201, B0401
	sbxAEDoctor       = "555000000102" // RSA card; role 555000000202, B0370 + B0168
	sbxReceptionist   = "555000000103" // roles 555000000203/204, no SCR activity
	sbxPrivacyOfficer = "555000000104" // role 555000000205, B0015 + B0016
	sbxLocum          = "555000000105" // roles 555000000206, 555000000207
	sbxExpiredCard    = "555000000106"
	sbxRevokedCard    = "555000000107"

	sbxPatient = "9000000009"
	sbxPDSPath = "/personal-demographics/FHIR/R4/Patient/" + sbxPatient
)

// sbxServer starts a sandbox with faults enabled and returns it with the path
// of a PEM file holding its CA.
func sbxServer(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	// A high rate limit: the tests send many requests on one token and are not
	// about the platform's 5 per second.
	srv := sandboxtest.Start(t, sandbox.Config{EnableFaults: true, RateLimit: 1000})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// sbxClient is a client of srv with tiny backoffs, whose waits are recorded
// rather than slept, and whose attempts are recorded.
type sbxClient struct {
	*Client
	rec *sbxRecorder

	mu    sync.Mutex
	waits []time.Duration
}

func newSBXClient(t *testing.T, srv *sandbox.Server, ca string, timeout time.Duration) *sbxClient {
	t.Helper()
	c, err := New(Config{Server: srv.URL(), CAFile: ca, RequestTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	sc := &sbxClient{Client: c, rec: &sbxRecorder{next: c.rc.GetClient().Transport}}
	c.rc.SetTransport(sc.rec)
	c.backoffBase, c.backoffMax = time.Millisecond, 4*time.Millisecond
	c.sleep = func(_ context.Context, d time.Duration) error {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.waits = append(sc.waits, d)
		return nil
	}
	return sc
}

func (sc *sbxClient) recordedWaits() []time.Duration {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]time.Duration(nil), sc.waits...)
}

// sbxRecorder records each attempt's X-Request-ID and the one the server
// mirrored back ("" when no answer came).
type sbxRecorder struct {
	next http.RoundTripper

	mu       sync.Mutex
	sent     []string
	mirrored []string
}

func (r *sbxRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, req.Header.Get("X-Request-ID"))
	m := ""
	if resp != nil {
		m = resp.Header.Get("X-Request-ID")
	}
	r.mirrored = append(r.mirrored, m)
	return resp, err
}

func (r *sbxRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent, r.mirrored = nil, nil
}

func (r *sbxRecorder) attempts() (sent, mirrored []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...), append([]string(nil), r.mirrored...)
}

// sbxCard loads a sandbox user's card into a virtual card, PIN verified.
func sbxCard(t *testing.T, uuid string) (*smartcard.Key, *x509.Certificate) {
	t.Helper()
	key, cert, err := sandboxtest.UnlockedCard(uuid)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func sbxSignIn(t *testing.T, c *Client, uuid string) *Session {
	t.Helper()
	key, cert := sbxCard(t, uuid)
	s, err := c.SignIn(context.Background(), key, cert, uuid)
	if err != nil {
		t.Fatalf("sign-in of %s: %v", uuid, err)
	}
	return s
}

func TestSignInChooseRoleSignOut(t *testing.T) {
	srv, ca := sbxServer(t)
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	c, err := New(Config{Server: srv.URL(), CAFile: ca, Logger: sbxDebugLogger(&logBuf, &logMu)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		uuid, role, org string
	}{
		{sbxPharmacist, "555000000201", "FA123"}, // the demo card, P-256
		{sbxAEDoctor, "555000000202", "R9A"},     // RSA-2048
	} {
		t.Run(tc.uuid, func(t *testing.T) {
			s := sbxSignIn(t, c, tc.uuid)
			if s.UserUUID != tc.uuid || len(s.Roles) != 1 || s.Roles[0].ID != tc.role || s.Roles[0].OrgCode != tc.org {
				t.Fatalf("userinfo: %+v %+v", s.UserUUID, s.Roles)
			}
			if _, ok := s.Role(); ok {
				t.Fatal("a role is chosen before ChooseRole")
			}
			if _, err := s.ChooseRole(ctx, "555000000999"); err == nil {
				t.Fatal("ChooseRole accepted a role the user does not hold")
			}
			role, err := s.ChooseRole(ctx, tc.role)
			if err != nil {
				t.Fatal(err)
			}
			if !role.CanView() {
				t.Fatalf("role %s cannot view", role.ID)
			}
			var patient map[string]any
			if err := s.getRecord(ctx, sbxPDSPath, nil, &patient); err != nil {
				t.Fatal(err)
			}
			if patient["resourceType"] != "Patient" {
				t.Fatalf("PDS answered %v", patient["resourceType"])
			}

			// Nothing that prints a session shows its tokens.
			s.mu.Lock()
			card, roleTok := s.cardToken, s.roleToken
			s.mu.Unlock()
			var slogBuf bytes.Buffer
			slog.New(slog.NewTextHandler(&slogBuf, nil)).Info("x", "session", s)
			for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), slogBuf.String()} {
				if strings.Contains(out, card) || strings.Contains(out, roleTok) {
					t.Fatalf("a token is printed: %s", out)
				}
			}

			if err := s.SignOut(ctx); err != nil {
				t.Fatal(err)
			}
			// The server has ended the card token: a role exchange with it is
			// refused, and reported as signed out, not as a sign-in refusal.
			s.mu.Lock()
			s.cardToken = card
			s.mu.Unlock()
			var so *SignedOutError
			if _, err := s.ChooseRole(ctx, tc.role); !errors.As(err, &so) {
				t.Fatalf("ChooseRole after sign-out: %v, want *SignedOutError", err)
			}
			s.mu.Lock()
			s.cardToken = ""
			s.mu.Unlock()
			// Locally: no token left.
			var se *SignedOutError
			if err := s.getRecord(ctx, sbxPDSPath, nil, &patient); !errors.As(err, &se) {
				t.Fatalf("after sign-out: %v, want *SignedOutError", err)
			}
			// At the server: the revoked role token is refused with 401.
			_, err = c.send(ctx, apiRequest{method: http.MethodGet, path: sbxPDSPath, bearer: roleTok, roleID: tc.role})
			if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
				t.Fatalf("revoked token: %v, want *SignedOutError 401", err)
			}

			// The debug log holds none of the secrets or personal data.
			logMu.Lock()
			log := logBuf.String()
			logMu.Unlock()
			for _, secret := range []string{card, roleTok, sbxPatient, "SHARMA", "OKAFOR", "eyJ"} {
				if strings.Contains(log, secret) {
					t.Fatalf("the debug log holds %q:\n%s", secret, log)
				}
			}
			if !strings.Contains(log, "/Patient/{nhs}") {
				t.Fatalf("the debug log lacks the masked path:\n%s", log)
			}
		})
	}
}

func TestRolesOfSandboxUsers(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	type can struct{ view, emergency, audit bool }
	want := map[string]map[string]can{
		sbxPharmacist:     {"555000000201": {view: true}},
		sbxAEDoctor:       {"555000000202": {view: true, emergency: true}},
		sbxReceptionist:   {"555000000203": {}, "555000000204": {}},
		sbxPrivacyOfficer: {"555000000205": {audit: true}},
		sbxLocum:          {"555000000206": {view: true}, "555000000207": {view: true}},
	}
	for uuid, roles := range want {
		t.Run(uuid, func(t *testing.T) {
			s := sbxSignIn(t, c.Client, uuid)
			defer s.SignOut(context.Background())
			if len(s.Roles) != len(roles) {
				t.Fatalf("%d roles, want %d", len(s.Roles), len(roles))
			}
			for _, r := range s.Roles {
				w, ok := roles[r.ID]
				if !ok {
					t.Fatalf("unexpected role %s", r.ID)
				}
				if got := (can{r.CanView(), r.CanEmergency(), r.CanAudit()}); got != w {
					t.Errorf("role %s: %+v, want %+v", r.ID, got, w)
				}
				if _, err := s.ChooseRole(context.Background(), r.ID); err != nil {
					t.Errorf("ChooseRole(%s): %v", r.ID, err)
				}
			}
		})
	}
}

func TestSignInRefusedCards(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 0)
	for uuid, want := range map[string]string{sbxExpiredCard: "expired", sbxRevokedCard: "revoked"} {
		key, cert := sbxCard(t, uuid)
		_, err := c.SignIn(context.Background(), key, cert, uuid)
		var sie *SignInError
		if !errors.As(err, &sie) || sie.Status != http.StatusBadRequest || sie.Code != "invalid_grant" || !strings.Contains(sie.Text, want) {
			t.Errorf("%s: %v, want *SignInError 400 invalid_grant mentioning %q", uuid, err, want)
		}
	}
}

// TestFaults sends each fault of --enable-faults on a PDS GET and checks the
// typed error, the number of attempts, the waits and the X-Request-ID.
func TestFaults(t *testing.T) {
	srv, ca := sbxServer(t)
	c := newSBXClient(t, srv, ca, 300*time.Millisecond)
	s := sbxSignIn(t, c.Client, sbxPharmacist)
	if _, err := s.ChooseRole(context.Background(), "555000000201"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fault     string
		post      bool // the challenge POST instead of a PDS GET
		attempts  int
		minWait   time.Duration // each wait at least this (Retry-After)
		check     func(error) bool
		mirrorsID bool
	}{
		{fault: "status=503", attempts: 3, mirrorsID: true, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e) && e.Status == 503 && e.Code == "transient"
		}},
		{fault: "status=502", attempts: 3, mirrorsID: true, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e) && e.Status == 502
		}},
		{fault: "status=500", attempts: 1, mirrorsID: true, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e) && e.Status == 500
		}},
		{fault: "status=429,retry-after=1", attempts: 3, minWait: time.Second, mirrorsID: true, check: func(err error) bool {
			var e *RateLimitedError
			return errors.As(err, &e) && e.Status == 429 && e.RetryAfter == time.Second
		}},
		// A Retry-After past the bound is handed to the user, not slept through.
		{fault: "status=429,retry-after=60", attempts: 1, mirrorsID: true, check: func(err error) bool {
			var e *RateLimitedError
			return errors.As(err, &e) && e.RetryAfter == time.Minute
		}},
		{fault: "status=503", post: true, attempts: 1, mirrorsID: true, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e) && e.Status == 503
		}},
		{fault: "reset", attempts: 3, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e) && e.Err != nil
		}},
		{fault: "reset", post: true, attempts: 1, check: func(err error) bool {
			var e *UnavailableError
			return errors.As(err, &e)
		}},
		{fault: "truncate", attempts: 1, mirrorsID: true, check: func(err error) bool {
			var e *InvalidResponseError
			return errors.As(err, &e) && e.Problem == "truncated body"
		}},
		{fault: "malformed", attempts: 1, mirrorsID: true, check: func(err error) bool {
			var e *InvalidResponseError
			return errors.As(err, &e) && e.Problem == "malformed JSON"
		}},
		{fault: "latency=2s", attempts: 1, check: func(err error) bool {
			var e *TimeoutError
			return errors.As(err, &e) && e.Path == "/personal-demographics/FHIR/R4/Patient/{nhs}"
		}},
	} {
		name := tc.fault
		if tc.post {
			name += "/POST"
		}
		t.Run(name, func(t *testing.T) {
			c.rec.reset()
			c.mu.Lock()
			c.waits = nil
			c.mu.Unlock()
			ctx := context.WithValue(context.Background(), sandboxFaultKey{}, tc.fault)
			var err error
			if tc.post {
				_, err = c.send(ctx, apiRequest{method: http.MethodPost, path: oauth2Challenge})
			} else {
				var out map[string]any
				err = s.getRecord(ctx, sbxPDSPath, nil, &out)
			}
			if !tc.check(err) {
				t.Fatalf("error %T %v", err, err)
			}
			sent, mirrored := c.rec.attempts()
			if len(sent) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(sent), tc.attempts)
			}
			for i, id := range sent {
				if id == "" || id != sent[0] {
					t.Fatalf("attempt %d sent X-Request-ID %q, the first %q", i+1, id, sent[0])
				}
				if tc.mirrorsID && mirrored[i] != id {
					t.Fatalf("attempt %d: the server mirrored %q", i+1, mirrored[i])
				}
			}
			waits := c.recordedWaits()
			if len(waits) != tc.attempts-1 {
				t.Fatalf("%d waits, want %d", len(waits), tc.attempts-1)
			}
			for _, w := range waits {
				if w < tc.minWait || w > max(tc.minWait, c.backoffMax) {
					t.Fatalf("waited %v; want between %v and %v", w, tc.minWait, max(tc.minWait, c.backoffMax))
				}
			}
		})
	}
}

func TestTLSAndScheme(t *testing.T) {
	srv, _ := sbxServer(t)
	other, otherCA := sbxServer(t) // a CA that did not sign srv's certificate
	_ = other
	for name, caFile := range map[string]string{"system roots": "", "another CA": otherCA} {
		c, err := New(Config{Server: srv.URL(), CAFile: caFile})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.send(context.Background(), apiRequest{method: http.MethodPost, path: oauth2Challenge})
		var te *TLSError
		if !errors.As(err, &te) || te.Reason != TLSUnknownAuthority {
			t.Errorf("%s: %v, want *TLSError %q", name, err, TLSUnknownAuthority)
		}
	}
	// The same CA given in memory, as scr --demo does, is trusted.
	c, err := New(Config{Server: srv.URL(), CAPEM: srv.CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.send(context.Background(), apiRequest{method: http.MethodPost, path: oauth2Challenge}); err != nil {
		t.Errorf("with the CA in memory: %v", err)
	}
	if _, err := New(Config{Server: srv.URL(), CAPEM: []byte("not PEM")}); err == nil {
		t.Error("New accepted a CAPEM without a certificate")
	}
	for _, server := range []string{"http://example.org", "http://10.0.0.1:8080", "ftp://127.0.0.1", "https://", "https://h/?q=1"} {
		if _, err := New(Config{Server: server}); err == nil {
			t.Errorf("New accepted %q", server)
		}
	}
	for _, server := range []string{"http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://int.api.service.nhs.uk/"} {
		if _, err := New(Config{Server: server}); err != nil {
			t.Errorf("New refused %q: %v", server, err)
		}
	}
	if _, err := New(Config{Server: srv.URL(), CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Error("New accepted a missing CA file")
	}
}
