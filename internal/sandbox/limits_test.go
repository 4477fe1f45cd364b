package sandbox_test

// The sandbox cannot be locked or flooded by anyone: floods of bounded size on
// loopback, with the server's clock standing still so that a rate limit's
// bucket, once empty, stays empty and every count is exact.

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/identity"
)

// stopped is a clock that stands still at the real time the test began.
func stopped() func() time.Time {
	now := time.Now()
	return func() time.Time { return now }
}

// from is e as seen from another loopback address, ip: a second client. The
// test is skipped where ip cannot be used (127.0.0.0/8 is all loopback on
// Linux, but not on every system).
func (e *env) from(t *testing.T, ip string) *env {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("%s is not a loopback address here: %v", ip, err)
	}
	ln.Close()
	base := e.http.Transport.(*http.Transport)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	other := &env{srv: e.srv, http: &http.Client{
		Timeout:   e.http.Timeout,
		Transport: &http.Transport{TLSClientConfig: base.TLSClientConfig.Clone(), DialContext: d.DialContext, MaxIdleConnsPerHost: base.MaxIdleConnsPerHost},
	}}
	t.Cleanup(other.http.CloseIdleConnections)
	return other
}

// flood sends n requests with do, from workers goroutines, and counts the
// answers by status.
func flood(t *testing.T, n, workers int, do func(t tb) response) map[int][]response {
	t.Helper()
	var (
		mu  sync.Mutex
		got = map[int][]response{}
		wg  sync.WaitGroup
	)
	errs := make(chan error, workers)
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	for range workers {
		wg.Go(func() {
			for range jobs {
				r := do(goT{errs})
				mu.Lock()
				got[r.status] = append(got[r.status], r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return got
}

// TestChallengeFlood: 2 000 challenges asked for at once from one address
// get that address no more than its 16 unused ones, the rest 429 with
// Retry-After, and another address signs in straight after. Before, 10 050
// from anyone filled the one global store and locked every sign-in out.
func TestChallengeFlood(t *testing.T) {
	const n = 2000
	for _, tt := range []struct {
		name string
		cfg  sandbox.Config
	}{
		{"every limit", sandbox.Config{}},
		{"the cap on challenges alone", sandbox.Config{AddressRateLimit: 1e6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = stopped()
			e := start(t, tt.cfg)
			other := e.from(t, "127.0.0.2")
			got := flood(t, n, 8, func(t tb) response { return e.do(t, "POST", "/oauth2/challenge", nil, nil) })
			ok, limited := got[http.StatusOK], got[http.StatusTooManyRequests]
			if len(ok) != identity.DefaultChallengesPerAddress || len(ok)+len(limited) != n {
				t.Fatalf("%d challenges from one address: %d issued, %d refused with 429 (and %d otherwise); want %d issued, the rest 429",
					n, len(ok), len(limited), n-len(ok)-len(limited), identity.DefaultChallengesPerAddress)
			}
			for _, r := range limited {
				if r.header.Get("Retry-After") == "" || r.json(t)["error"] != "slow_down" {
					t.Fatalf("a refused challenge: %v %s", r.header, r.body)
				}
			}

			// Another address signs in at once, and works.
			_, tok := other.session(t, pharmacist, roleOf[pharmacist])
			if r := other.do(t, "GET", pdsPath, scrHeaders(tok, roleOf[pharmacist]), nil); r.status != http.StatusOK {
				t.Fatalf("PDS read after the flood: %d %s", r.status, r.body)
			}

			if tt.cfg.AddressRateLimit == 0 {
				return
			}
			// The flooding address may still use what it was given.
			key, cert := card(t, pharmacist)
			a, err := client.Assertion{
				Cert: cert, UserUUID: pharmacist, Audience: e.srv.URL() + "/oauth2/token",
				JTI: ok[0].json(t)["challenge"].(string), Now: time.Now(),
			}.Sign(key)
			if err != nil {
				t.Fatal(err)
			}
			r := e.form(t, "/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}})
			if r.status != http.StatusOK {
				t.Fatalf("sign-in with one of the flooder's challenges: %d %s", r.status, r.body)
			}
		})
	}
}

// TestTokensShareTheUsersAllowance: the platform's 5 requests a second are
// per user and role. One user with 8 role tokens for one role (two sign-ins,
// 4 each) sending 40 requests at once gets 5 through, not 40; another user
// is not held back.
func TestTokensShareTheUsersAllowance(t *testing.T) {
	e := start(t, sandbox.Config{Now: stopped()})
	role := roleOf[pharmacist]
	var tokens []string
	for range 2 {
		cardToken, roleToken := e.session(t, pharmacist, role)
		tokens = append(tokens, roleToken)
		for range identity.MaxRoleTokens - 1 {
			r := e.form(t, "/oauth2/token", url.Values{
				"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
				"subject_token":      {cardToken},
				"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
				"selected_roleid":    {role},
			})
			if r.status != http.StatusOK {
				t.Fatalf("exchange: %d %s", r.status, r.body)
			}
			tokens = append(tokens, r.json(t)["access_token"].(string))
		}
	}
	var next sync.Mutex
	i := 0
	got := flood(t, 5*len(tokens), len(tokens), func(t tb) response {
		next.Lock()
		tok := tokens[i%len(tokens)]
		i++
		next.Unlock()
		return e.do(t, "GET", pdsPath, scrHeaders(tok, role), nil)
	})
	ok, limited := got[http.StatusOK], got[http.StatusTooManyRequests]
	if len(ok) != sandbox.DefaultRateLimit || len(ok)+len(limited) != 5*len(tokens) {
		t.Fatalf("%d requests on %d tokens of one user and role: %d answered, %d limited; want %d answered, the rest 429",
			5*len(tokens), len(tokens), len(ok), len(limited), sandbox.DefaultRateLimit)
	}
	for _, r := range limited {
		if r.header.Get("Retry-After") == "" || r.json(t)["resourceType"] != "OperationOutcome" {
			t.Fatalf("a limited request: %v %s", r.header, r.body)
		}
	}
	_, other := e.session(t, aeDoctor, roleOf[aeDoctor])
	if r := e.do(t, "GET", pdsPath, scrHeaders(other, roleOf[aeDoctor]), nil); r.status != http.StatusOK {
		t.Fatalf("another user: %d", r.status)
	}
}

// TestFailedSignInFlood: 1 000 failed sign-ins from one address write 5 rows,
// and the rest are one summary row with their count, written as the server
// stops; the chain verifies.
func TestFailedSignInFlood(t *testing.T) {
	const n, inFull = 1000, 5
	db := filepath.Join(t.TempDir(), "audit.db")
	e := start(t, sandbox.Config{DBPath: db, AddressRateLimit: 1e6, Now: stopped()})
	ctx := context.Background()
	got := flood(t, n, 8, func(t tb) response {
		return e.form(t, "/oauth2/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":  {"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
		})
	})
	if len(got[http.StatusBadRequest]) != n {
		t.Fatalf("answers to %d bad assertions: %d were 400", n, len(got[http.StatusBadRequest]))
	}
	if rows, err := e.srv.Audit().Count(ctx); err != nil || rows != inFull {
		t.Fatalf("%d failed sign-ins wrote %d rows (%v), want %d", n, rows, err, inFull)
	}
	e.http.CloseIdleConnections() // else Shutdown waits 5 s for any never used
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	recs, err := store.Query(ctx, audit.Filter{Kinds: []audit.Kind{audit.SignIn}})
	if err != nil || len(recs) != inFull+1 {
		t.Fatalf("%d sign-in rows after the server stopped (%v), want %d", len(recs), err, inFull+1)
	}
	var summaries int
	for _, rec := range recs {
		if strings.HasPrefix(rec.Detail, "995 further failed sign-ins from 127.0.0.1 since ") {
			summaries++
		}
		if rec.Outcome != audit.Denied || rec.UserUUID != "" {
			t.Errorf("row %+v", rec)
		}
	}
	if summaries != 1 {
		t.Errorf("%d summary rows of 995 further failures, want 1: %+v", summaries, recs)
	}
}
