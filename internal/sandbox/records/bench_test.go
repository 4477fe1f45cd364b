package records

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// discardAudit takes every record and keeps none, so that benchmarks measure
// serving, not the audit store.
type discardAudit struct{}

func (discardAudit) Append(context.Context, audit.Record) error { return nil }

// discardWriter is a ResponseWriter that counts what it is sent.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func benchService(tb testing.TB) (*Service, *http.ServeMux) {
	tb.Helper()
	svc, err := New(Config{Patients: assets.Patients, Audit: discardAudit{}})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, fakeProtect)
	return svc, mux
}

// The published record and the very large one (50 allergies, 300 medication
// rows). "handler" is the server's own cost; "http" adds a loopback round trip
// through net/http, as the viewer sees it.
var benchRecords = []struct{ name, nhs string }{{"normal", "9000000009"}, {"large", "9000000130"}}

func BenchmarkBundle(b *testing.B) {
	svc, mux := benchService(b)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, rc := range benchRecords {
		sum := mustStore(b, svc).patients[rc.nhs].scr
		target := bundleURL(rc.nhs, sum.id)
		b.Run(rc.name+"/handler", func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set(roleHeader, "pharmacist")
			w := &discardWriter{header: http.Header{}}
			b.SetBytes(int64(len(mustBundle(sum))))
			b.ReportAllocs()
			for b.Loop() {
				w.n = 0
				mux.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK || w.n != len(mustBundle(sum)) {
				b.Fatalf("status %d, %d bytes", w.status, w.n)
			}
		})
		b.Run(rc.name+"/http", func(b *testing.B) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+target, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set(roleHeader, "pharmacist")
			client := srv.Client()
			b.SetBytes(int64(len(mustBundle(sum))))
			b.ReportAllocs()
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || n != int64(len(mustBundle(sum))) {
					b.Fatalf("status %d, %d bytes, %v", resp.StatusCode, n, err)
				}
				times = append(times, time.Since(start))
			}
			reportPercentiles(b, times)
		})
	}
}

// reportPercentiles adds the p50 and p99 of times, in milliseconds, to the
// benchmark's line: the budget is about the slow requests, not the mean.
func reportPercentiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	at := func(q float64) float64 {
		return float64(times[min(len(times)-1, int(q*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// The record is encoded once, at startup: serving even the largest allocates
// a small, fixed amount, nothing in proportion to its size.
func TestBundleIsNotEncodedPerRequest(t *testing.T) {
	svc, mux := benchService(t)
	const runs = 200
	for _, rc := range benchRecords {
		sum := mustStore(t, svc).patients[rc.nhs].scr
		req := httptest.NewRequest(http.MethodGet, bundleURL(rc.nhs, sum.id), nil)
		req.Header.Set(roleHeader, "pharmacist")
		w := &discardWriter{header: http.Header{}}
		mux.ServeHTTP(w, req) // warm up
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range runs {
			mux.ServeHTTP(w, req)
		}
		runtime.ReadMemStats(&after)
		perRequest := (after.TotalAlloc - before.TotalAlloc) / runs
		t.Logf("%s: %d-byte record, %d bytes allocated per request", rc.name, len(mustBundle(sum)), perRequest)
		if perRequest > 16<<10 || perRequest > uint64(len(mustBundle(sum)))/4 {
			t.Errorf("%s: %d bytes allocated per request for a %d-byte record", rc.name, perRequest, len(mustBundle(sum)))
		}
	}
}

// Requests of every kind at once share nothing mutable (run with -race).
func TestConcurrentRequests(t *testing.T) {
	h := newHarness(t)
	large, _ := scrID(t, h, "9000000130")
	targets := []string{
		pdsPatientPath + "9000000009",
		pdsPatientPath + "9000000106",
		pdsSearchPath + "family=Taylor&birthdate=eq2015-03-14",
		pdsSearchPath + "family=Bronte&given=Zoe&birthdate=eq1948-09-23&_fuzzy-match=true",
		docRefURL("9000000130"),
		bundleURL("9000000130", large),
		bundleURL("9000000009", publishedSCR),
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				target := targets[(i+j)%len(targets)]
				if w := h.get(t, "pharmacist", target); w.Code != http.StatusOK {
					t.Errorf("%s: %d", target, w.Code)
				}
			}
		})
	}
	wg.Wait()
	if n := len(h.audit.take()); n < 8*50 {
		t.Errorf("%d audit records for %d requests", n, 8*50)
	}
}

// mustBundle is sum's Bundle, for the benchmarks: the assets' all read
// (TestEveryBundleReads).
func mustBundle(sum *summary) []byte {
	b, err := sum.bundle()
	if err != nil {
		panic(err)
	}
	return b
}

// mustStore is svc's patients, once loaded.
func mustStore(tb testing.TB, svc *Service) *store {
	tb.Helper()
	st, err := svc.load()
	if err != nil {
		tb.Fatal(err)
	}
	return st
}
