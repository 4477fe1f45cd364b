package sandbox

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// isOAuth reports whether a path belongs to a sign-in API, section 1's or
// the CIS2 stand-in's, whose errors are RFC 6749 JSON rather than FHIR
// OperationOutcomes.
func isOAuth(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/oauth2/") || strings.HasPrefix(r.URL.Path, cis2.PathPrefix+"/")
}

// writeError answers in the error format of the API the request was for.
func writeError(w http.ResponseWriter, r *http.Request, status int, fhirCode, oauthCode, text string) {
	if isOAuth(r) {
		wire.OAuthError(w, status, oauthCode, text)
		return
	}
	wire.Outcome(w, status, fhirCode, "", text)
}

// mirrorIDs copies X-Request-ID and X-Correlation-ID onto the response, as the
// NHS API platform does, so a client can match answers to requests.
func mirrorIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{"X-Request-ID", "X-Correlation-ID"} {
			if v := r.Header.Get(h); v != "" && len(v) <= 200 {
				w.Header().Set(h, v)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler's panic into a plain 500 in the API's own error
// format: never a stack trace on the wire. http.ErrAbortHandler passes through,
// as it asks the server to drop the connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, r, http.StatusInternalServerError, "exception", "server_error", "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}

// Rate limits. The platform's is per user and role; the sandbox adds one per
// client address on requests that carry no live token, which need no
// credentials to send.
const (
	// DefaultRateLimit is the NHS API platform's limit: requests per second
	// for each user and role.
	DefaultRateLimit = 5
	// DefaultAddressRateLimit is requests per second from one client address
	// without a live token: challenges, sign-ins, role exchanges, sign-outs,
	// and anything sent without a token or with a made-up one. A sign-in is
	// three of them and a change of role one, so a viewer comes nowhere near.
	DefaultAddressRateLimit = 10
	// addressBurst is how many such requests one address may send at once.
	addressBurst = 30
	// maxLimiters bounds each set of limiters; see limiterSet.limiter.
	maxLimiters = 1 << 16
	// limiterIdle is how long an unused limiter is kept: a full bucket again by then.
	limiterIdle = time.Minute
)

// rateLimiter answers 429, with Retry-After, to requests beyond the limits:
// the platform's per user and role for a request with a live token (who
// names its user and role, see identity.Service.RateKey), and one per client
// address for a request without.
type rateLimiter struct {
	who    func(*http.Request) string
	now    func() time.Time
	byUser *limiterSet
	byAddr *limiterSet
}

func newRateLimiter(perUser, perAddr float64, who func(*http.Request) string, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		who:    who,
		now:    now,
		byUser: newLimiterSet(perUser, max(1, int(perUser))),
		byAddr: newLimiterSet(perAddr, max(addressBurst, int(perAddr))),
	}
}

// limiterSet is a token bucket for each key, kept while in use.
type limiterSet struct {
	perSecond rate.Limit
	burst     int

	mu       sync.Mutex
	limiters map[string]*limiterEntry
	lastGC   time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiterSet(perSecond float64, burst int) *limiterSet {
	return &limiterSet{perSecond: rate.Limit(perSecond), burst: burst, limiters: map[string]*limiterEntry{}}
}

// limiter returns key's bucket. Buckets unused for limiterIdle are forgotten
// (they would be full again), and the set holds at most maxLimiters: past
// that, an eighth of them, chosen at random, are forgotten at once, each
// of whose keys then starts again with a full bucket. Only a client with tens
// of thousands of addresses gains by that, and only a burst each.
func (ls *limiterSet) limiter(key string, now time.Time) *rate.Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e, ok := ls.limiters[key]
	if !ok {
		if now.Sub(ls.lastGC) > limiterIdle || len(ls.limiters) >= maxLimiters {
			for k, e := range ls.limiters {
				if now.Sub(e.seen) > limiterIdle {
					delete(ls.limiters, k)
				}
			}
			ls.lastGC = now
		}
		if len(ls.limiters) >= maxLimiters {
			for k := range ls.limiters { // map order is random
				if len(ls.limiters) < maxLimiters*7/8 {
					break
				}
				delete(ls.limiters, k)
			}
		}
		e = &limiterEntry{lim: rate.NewLimiter(ls.perSecond, ls.burst)}
		ls.limiters[key] = e
	}
	e.seen = now
	return e.lim
}

// len reports how many limiters are held, for tests.
func (ls *limiterSet) len() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.limiters)
}

// allow takes one request from key's bucket, or reports how long until it could.
func (ls *limiterSet) allow(key string, now time.Time) (bool, time.Duration) {
	res := ls.limiter(key, now).ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now) // a refused request does not use up the next slot
		return false, delay
	}
	return true, 0
}

func (rl *rateLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := rl.now()
		set, key, what := rl.byUser, rl.who(r), "per user and role"
		if key == "" {
			set, key, what = rl.byAddr, identity.ClientAddress(r), "from one address without a token"
		}
		if ok, delay := set.allow(key, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
			text := fmt.Sprintf("rate limit: %g requests per second %s", float64(set.perSecond), what)
			if isOAuth(r) {
				wire.OAuthError(w, http.StatusTooManyRequests, "slow_down", text)
			} else {
				wire.Outcome(w, http.StatusTooManyRequests, "throttled", wire.SpineRateLimited, text)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logRequests logs each request at debug level by its route pattern, never its
// path or query: those carry NHS numbers.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern // set by the mux on this request
		if route == "" {
			route = r.Method + " (no route)"
		}
		log.Debug("request", "route", route, "status", sw.status,
			"duration", time.Since(start).Round(time.Microsecond), "request_id", r.Header.Get("X-Request-ID"))
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (faults hijack it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
