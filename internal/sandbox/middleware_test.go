package sandbox

import (
	"encoding/json"
	"errors"
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

func TestRateLimitPerToken(t *testing.T) {
	rl := newRateLimiter(5, func(r *http.Request) string { return r.Header.Get("Authorization") })
	srv := httptest.NewServer(rl.wrap(echo))
	defer srv.Close()
	status := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/summary-care-record/FHIR/R4/Bundle", nil)
		req.Header.Set("Authorization", token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for i := range 5 {
		if code, _ := status("a"); code != 200 {
			t.Fatalf("request %d of the first 5: %d", i+1, code)
		}
	}
	if code, retry := status("a"); code != 429 || retry != "1" {
		t.Fatalf("sixth request in a second: %d, Retry-After %q; want 429, 1", code, retry)
	}
	if code, _ := status("b"); code != 200 {
		t.Fatalf("another token is limited too: %d", code)
	}
	for range 10 {
		if code, _ := status(""); code != 200 {
			t.Fatalf("a request without a token was limited: %d", code)
		}
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
