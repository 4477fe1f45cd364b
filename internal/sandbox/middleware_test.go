package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echo answers a small FHIR Bundle.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/fhir+json")
	_, _ = io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","total":0,"entry":[]}`)
})

func TestFaults(t *testing.T) {
	srv := httptest.NewServer(injectFaults(echo))
	defer srv.Close()
	get := func(fault string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.URL+"/summary-care-record/FHIR/R4/Bundle", nil)
		if fault != "" {
			req.Header.Set(FaultHeader, fault)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}

	t.Run("none", func(t *testing.T) {
		resp, body, err := get("")
		if err != nil || resp.StatusCode != 200 || !json.Valid(body) {
			t.Fatalf("%v %v %s", resp, err, body)
		}
	})
	t.Run("status with Retry-After", func(t *testing.T) {
		resp, body, err := get("status=503,retry-after=2")
		if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("%v %v", resp, err)
		}
		var oo struct {
			ResourceType string
			Issue        []struct{ Code string }
		}
		if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" || oo.Issue[0].Code != "transient" {
			t.Fatalf("body = %s", body)
		}
	})
	t.Run("latency", func(t *testing.T) {
		start := time.Now()
		if resp, _, err := get("latency=150ms"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		if time.Since(start) < 150*time.Millisecond {
			t.Fatal("latency fault answered early")
		}
	})
	t.Run("malformed", func(t *testing.T) {
		resp, body, err := get("malformed")
		if err != nil || resp.StatusCode != 200 || json.Valid(body) {
			t.Fatalf("malformed body is valid JSON or failed: %v %s", err, body)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		_, _, err := get("truncate")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated body: err = %v, want unexpected EOF", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		_, _, err := get("reset")
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Fatalf("reset: err = %v, want connection reset", err)
		}
	})
	t.Run("bad fault", func(t *testing.T) {
		if resp, _, err := get("explode"); err != nil || resp.StatusCode != 400 {
			t.Fatalf("%v %v", resp, err)
		}
	})
}

// TestRateLimits: the platform's limit per user and role (the key who gives),
// and the limit per client address on requests without a live token. The
// clock stands still, so a bucket once empty stays empty.
func TestRateLimits(t *testing.T) {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	who := func(r *http.Request) string { return r.Header.Get("X-Test-Who") }
	h := newRateLimiter(5, 10, who, func() time.Time { return now }).wrap(echo)
	status := func(path, who, addr string) (int, string, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = addr + ":40000"
		if who != "" {
			req.Header.Set("X-Test-Who", who)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Header().Get("Retry-After"), rec.Body.String()
	}
	const bundle = "/summary-care-record/FHIR/R4/Bundle"
	for i := range 5 {
		if code, _, _ := status(bundle, "role A", "127.0.0.1"); code != 200 {
			t.Fatalf("request %d of the first 5: %d", i+1, code)
		}
	}
	// The same user and role from elsewhere, as from any token, is the same allowance.
	code, retry, body := status(bundle, "role A", "127.0.0.2")
	if code != 429 || retry != "1" || !strings.Contains(body, "throttled") || !strings.Contains(body, "per user and role") {
		t.Fatalf("sixth request in a second: %d, Retry-After %q, %s; want 429, 1, throttled", code, retry, body)
	}
	if code, _, _ := status(bundle, "role B", "127.0.0.1"); code != 200 {
		t.Fatalf("another user or role is limited too: %d", code)
	}

	// Without a token: a burst of addressBurst per address, then 429 in the
	// sign-in API's own error format.
	for i := range addressBurst {
		if code, _, _ := status("/oauth2/challenge", "", "192.0.2.1"); code != 200 {
			t.Fatalf("request %d of the first %d without a token: %d", i+1, addressBurst, code)
		}
	}
	code, retry, body = status("/oauth2/challenge", "", "192.0.2.1")
	if code != 429 || retry != "1" || !strings.Contains(body, `"error":"slow_down"`) || !strings.Contains(body, "from one address") {
		t.Fatalf("past the burst: %d, Retry-After %q, %s", code, retry, body)
	}
	if code, _, _ := status("/oauth2/challenge", "", "192.0.2.2"); code != 200 {
		t.Fatalf("another address is limited too: %d", code)
	}
	// A signed-in user is not held back by their address's requests without one.
	if code, _, _ := status(bundle, "role B", "192.0.2.1"); code != 200 {
		t.Fatalf("a live token from a limited address: %d", code)
	}
	// An IPv6 client is one /64.
	for i := range addressBurst {
		if code, _, _ := status("/oauth2/token", "", fmt.Sprintf("[2001:db8::%x]", i+1)); code != 200 {
			t.Fatalf("IPv6 request %d: %d", i+1, code)
		}
	}
	if code, _, _ := status("/oauth2/token", "", "[2001:db8::ffff]"); code != 429 {
		t.Fatalf("another address in the same /64: %d, want 429", code)
	}
	if code, _, _ := status("/oauth2/token", "", "[2001:db8:0:1::1]"); code != 200 {
		t.Fatalf("another /64: %d", code)
	}
}

// TestLimiterSetBounded: idle limiters are forgotten, and the set never holds
// more than maxLimiters.
func TestLimiterSetBounded(t *testing.T) {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	ls := newLimiterSet(10, 30)
	for i := range maxLimiters + 1000 {
		ls.allow(fmt.Sprint(i), now)
	}
	if n := ls.len(); n > maxLimiters {
		t.Fatalf("%d limiters held, want at most %d", n, maxLimiters)
	}
	ls.allow("late", now.Add(limiterIdle+time.Second))
	if n := ls.len(); n != 1 {
		t.Errorf("%d limiters held after the others were idle, want 1", n)
	}
}

func TestRecoverAndMirror(t *testing.T) {
	h := mirrorIDs(recoverPanics(discardLog(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	for _, path := range []string{"/oauth2/token", "/summary-care-record/FHIR/R4/Bundle"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("X-Request-ID", "60E0B220-8136-4CA5-AE46-1D97EF59D068")
		req.Header.Set("X-Correlation-ID", "corr-1")
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "boom") || strings.Contains(body, "goroutine") || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: panic answered %d %q", path, rec.Code, body)
		}
		if rec.Header().Get("X-Request-ID") != "60E0B220-8136-4CA5-AE46-1D97EF59D068" || rec.Header().Get("X-Correlation-ID") != "corr-1" {
			t.Errorf("%s: IDs not mirrored: %v", path, rec.Header())
		}
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.0.0.2": true, "0.0.0.0": false, "10.0.0.1": false, "example.org": false} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %t", host, got)
		}
	}
	if _, err := Start(Config{Addr: "0.0.0.0:0", PlainHTTP: true}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("plain HTTP on all interfaces: err = %v", err)
	}
}
