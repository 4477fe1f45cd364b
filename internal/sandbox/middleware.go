package sandbox

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// isOAuth reports whether a path belongs to the sign-in API, whose errors are
// RFC 6749 JSON rather than FHIR OperationOutcomes.
func isOAuth(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/oauth2/") }

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

// rateLimiter holds the platform's per-token limit: 5 requests a second for each
// bearer token.
type rateLimiter struct {
	perSecond rate.Limit
	burst     int
	tokenID   func(*http.Request) string

	mu       sync.Mutex
	limiters map[string]*limiterEntry
	lastGC   time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newRateLimiter(perSecond float64, tokenID func(*http.Request) string) *rateLimiter {
	return &rateLimiter{
		perSecond: rate.Limit(perSecond),
		burst:     max(1, int(perSecond)),
		tokenID:   tokenID,
		limiters:  map[string]*limiterEntry{},
	}
}

// limiterIdle is how long an unused limiter is kept: a full bucket again by then.
const limiterIdle = time.Minute

func (rl *rateLimiter) limiter(key string, now time.Time) *rate.Limiter {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if now.Sub(rl.lastGC) > limiterIdle {
		for k, e := range rl.limiters {
			if now.Sub(e.seen) > limiterIdle {
				delete(rl.limiters, k)
			}
		}
		rl.lastGC = now
	}
	e, ok := rl.limiters[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(rl.perSecond, rl.burst)}
		rl.limiters[key] = e
	}
	e.seen = now
	return e.lim
}

func (rl *rateLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := rl.tokenID(r)
		if key == "" {
			// The platform limits per token. Requests without one (sign-in) are
			// bounded elsewhere: outstanding challenges are capped.
			next.ServeHTTP(w, r)
			return
		}
		now := time.Now()
		res := rl.limiter(key, now).ReserveN(now, 1)
		if delay := res.DelayFrom(now); delay > 0 {
			res.CancelAt(now) // a refused request does not use up the next slot
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
			if isOAuth(r) {
				wire.OAuthError(w, http.StatusTooManyRequests, "slow_down", "rate limit: 5 requests per second per token")
			} else {
				wire.Outcome(w, http.StatusTooManyRequests, "throttled", wire.SpineRateLimited, "rate limit: 5 requests per second per token")
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
