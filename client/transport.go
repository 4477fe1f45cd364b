package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/google/uuid"

	"github.com/scrterm/scr/internal/safetext"
)

// Config is how to reach a server root (API.md: /oauth2,
// /personal-demographics, /summary-care-record live under it).
type Config struct {
	Server         string        // e.g. https://int.api.service.nhs.uk; http:// only for loopback
	CAFile         string        // optional PEM file of CAs trusted besides the system roots
	CAPEM          []byte        // optional PEM CAs trusted besides the system roots (scr --demo's in-memory sandbox CA)
	OnlyGivenCAs   bool          // trust CAFile and CAPEM alone, not the system roots (scr --demo: its sandbox and nothing else)
	ConnectTimeout time.Duration // TCP connect and TLS handshake; 0 = 10 s
	RequestTimeout time.Duration // each attempt, headers and body; 0 = 30 s
	Logger         *slog.Logger  // optional; debug records carry no tokens, bodies, names or NHS numbers
}

// MaxResponseBytes caps a response body. The largest honest answer, an SCR
// Bundle, is well under 1 MiB; a bigger one is refused rather than held in
// memory.
const MaxResponseBytes = 8 << 20

// ErrResponseTooLarge is wrapped by the *InvalidResponseError for a body past
// MaxResponseBytes.
var ErrResponseTooLarge = fmt.Errorf("client: response larger than %d bytes", MaxResponseBytes)

// Retry policy defaults. Only idempotent GETs are retried: a POST (a token, a
// privacy alert) might have taken effect before the failure.
const (
	defaultConnectTimeout = 10 * time.Second
	defaultRequestTimeout = 30 * time.Second
	defaultAttempts       = 3 // times a GET may reach the server, net/http's replays included
	defaultBackoffBase    = 250 * time.Millisecond
	defaultBackoffMax     = 2 * time.Second
	// A Retry-After longer than this is not slept through: the user, not the
	// client, decides whether to wait a minute, so the *RateLimitedError
	// (carrying RetryAfter) comes back at once.
	defaultRetryAfterMax = 10 * time.Second
)

// Client talks to one server root. It is safe for concurrent use.
//
// The HTTP is resty's, and so are these parts of it: the retry loop
// (SetRetryCount, with the one X-Request-ID on every attempt since the
// headers belong to the request, not the attempt), the decision to go again
// (AddRetryCondition: see exchange.attempted), the wait between attempts
// (SetRetryAfter: see retryWait; SetRetryMaxWaitTime its ceiling) and the cap
// on a body (SetResponseBodyLimit). Two things remain ours, in wire, below
// resty, because resty has no hook for them:
//   - each attempt's own deadline. resty's SetTimeout is http.Client.Timeout,
//     which hands back an answer that arrives as the deadline fires: what the
//     cancellation provoked (net/http half-closes the connection; a server
//     that then gives up writes an empty 200), not the server's answer.
//   - that an attempt reaches the server once. When a reused connection fails
//     before any answer, net/http replays a GET on another pooled connection,
//     and again, up to the pool's size, inside what resty counts as one
//     attempt; a server resetting every connection saw a Bundle GET 29 times
//     for 3 attempts. No switch turns that off for a GET (an Idempotency-Key
//     only makes other methods replayable), so wire refuses the replay.
//
// When the trusted roots load is ours too, for speed: see wire.
type Client struct {
	server     string // scheme://host[:port][/path], no trailing slash
	rc         *resty.Client
	log        *slog.Logger
	reqTimeout time.Duration

	// The retry policy is in fields, not constants, so that tests can make
	// backoff tiny and observe waits.
	backoffBase   time.Duration
	backoffMax    time.Duration
	retryAfterMax time.Duration
	// sleep, when set (by tests), makes each wait before a retry in resty's
	// place, resty then waiting a nanosecond; nil: resty waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// New checks cfg and builds the client. It makes no request, and does not
// wait for the system's trusted roots: the first request does.
func New(cfg Config) (*Client, error) {
	if cfg.OnlyGivenCAs {
		// Nor is the system's store parsed: 10-20 ms of CPU, which a start
		// on two cores feels.
		return newClient(cfg, func() (*x509.CertPool, error) { return x509.NewCertPool(), nil })
	}
	return newClient(cfg, x509.SystemCertPool)
}

// newClient is New with the system roots from systemRoots, so that a test
// can hold them back.
func newClient(cfg Config, systemRoots func() (*x509.CertPool, error)) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Server, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: server %q: %w", cfg.Server, err)
	}
	switch {
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("client: server %q must be a URL such as https://host[:port]", cfg.Server)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		// Plain HTTP exposes tokens and records to the network: only the
		// sandbox on this machine may use it.
	case u.Scheme == "http":
		return nil, fmt.Errorf("client: plain http:// is allowed for loopback hosts only, not %q", u.Hostname())
	default:
		return nil, fmt.Errorf("client: server %q: scheme must be https", cfg.Server)
	}

	// The extra CAs are checked here, so that a bad one is New's error; they
	// join the system roots when those are loaded.
	var extra [][]byte
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("client: CA file: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		extra = append(extra, pem)
	}
	if len(cfg.CAPEM) > 0 {
		if !x509.NewCertPool().AppendCertsFromPEM(cfg.CAPEM) {
			return nil, errors.New("client: CAPEM holds no PEM certificate")
		}
		extra = append(extra, cfg.CAPEM)
	}
	if cfg.OnlyGivenCAs && len(extra) == 0 {
		return nil, errors.New("client: OnlyGivenCAs with no CA given would trust no server")
	}
	reqTimeout := durationOr(cfg.RequestTimeout, defaultRequestTimeout)
	w := newWire(durationOr(cfg.ConnectTimeout, defaultConnectTimeout), reqTimeout, systemRoots, extra)

	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		server:        u.String(),
		log:           log,
		reqTimeout:    reqTimeout,
		backoffBase:   defaultBackoffBase,
		backoffMax:    defaultBackoffMax,
		retryAfterMax: defaultRetryAfterMax,
	}
	c.rc = resty.New().
		SetTransport(w).
		SetLogger(restyQuietLogger{}). // resty's own log would print URLs, with NHS numbers in queries
		SetHeader("User-Agent", "scr").
		// An API never redirects; following one could carry the Bearer token
		// elsewhere. The 3xx comes back and is an invalid response.
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		})).
		SetResponseBodyLimit(MaxResponseBytes).
		SetRetryCount(defaultAttempts - 1).
		SetRetryAfter(c.retryWait).
		SetRetryWaitTime(0). // no floor: retryWait decides every wait
		SetRetryMaxWaitTime(defaultRetryAfterMax)
	return c, nil
}

// Server is the server root the client talks to.
func (c *Client) Server() string { return c.server }

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type restyQuietLogger struct{}

func (restyQuietLogger) Errorf(string, ...any) {}
func (restyQuietLogger) Warnf(string, ...any)  {}
func (restyQuietLogger) Debugf(string, ...any) {}

// errAttemptTimedOut is wire's error for an attempt past Config.RequestTimeout.
var errAttemptTimedOut = errors.New("client: attempt timed out")

// errNotReplayed is wire's error for a GET whose connection failed before any
// answer, where net/http would have sent it again on another connection.
var errNotReplayed = errors.New("the connection failed before any answer; not sent again on another")

// wire is the client's http.RoundTripper: one attempt each call, below
// resty's retries. It gives the attempt its deadline and goes on the wire at
// most once for it, and it builds the http.Transport once the trusted roots
// are loaded.
//
// The roots. x509.SystemCertPool parses the system's store (10-20 ms of
// CPU on Linux, the first time), and New runs before the viewer's first
// frame, so a goroutine started by New loads them and builds the
// transport, and a request waits for that (within its attempt's deadline).
// The goroutine starts the parse rootsDelay after New, or at the first
// request if that comes sooner: on two cores a parse at once would take
// from the first frame's time, and no one signs in within rootsDelay.
//
// Verification is crypto/tls's own, untouched: RootCAs, with the server
// name the transport sets. Two other ways were weighed and refused. A DialTLSContext that waits for the
// roots is not used for https through an HTTP proxy, as HSCN sites have:
// the tunnel's TLS is the transport's, with TLSClientConfig, which would
// still need the roots before the first request. VerifyConnection needs
// InsecureSkipVerify and its own verification, and ConnectionState.ServerName
// is the SNI, empty for a server named by IP address, which would pass the
// name check unseen. HTTP/2 is not lost: the transport has never spoken it
// (a custom TLSClientConfig and dialer, no ForceAttemptHTTP2; on purpose, see
// buildTransport).
type wire struct {
	timeout time.Duration // each attempt's, headers and body
	asked   chan struct{} // closed by the first attempt: load the roots now
	ask     func()        // closes asked, once
	ready   chan struct{} // closed once base is built
	base    *http.Transport
}

// rootsDelay is how long after New the roots are loaded if no request has
// asked for them sooner: past the viewer's first frame (about 25 ms).
const rootsDelay = 100 * time.Millisecond

func newWire(connect, timeout time.Duration, systemRoots func() (*x509.CertPool, error), extra [][]byte) *wire {
	w := &wire{timeout: timeout, asked: make(chan struct{}), ready: make(chan struct{})}
	w.ask = sync.OnceFunc(func() { close(w.asked) })
	go func() {
		defer close(w.ready)
		delay := time.NewTimer(rootsDelay)
		select {
		case <-delay.C:
		case <-w.asked:
			delay.Stop()
		}
		roots, err := systemRoots()
		if err != nil || roots == nil {
			roots = x509.NewCertPool() // e.g. no system store: only the extra CAs are trusted
		}
		for _, pem := range extra {
			roots.AppendCertsFromPEM(pem)
		}
		w.base = buildTransport(connect, roots)
	}()
	return w
}

func buildTransport(connect time.Duration, roots *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	// HTTP/1.1 only (no ForceAttemptHTTP2): a viewer makes few requests, and
	// a dropped connection then surfaces as the reset it is, which send may
	// retry, rather than as an HTTP/2 stream error it cannot tell apart.
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment, // HSCN sites often reach the internet through a proxy
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &wireConn{Conn: conn}, nil
		},
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   connect,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// RoundTrip makes one attempt. An error is the attempt's: errAttemptTimedOut
// past its deadline, errNotReplayed where net/http would have replayed it,
// else the transport's (or, once the caller's context has ended, whatever
// that caused).
func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	gated, refuse := context.WithCancelCause(parent)
	ctx, cancel := context.WithTimeoutCause(gated, w.timeout, errAttemptTimedOut)
	end := func() {
		cancel()
		refuse(nil)
	}
	// failed is the attempt's error: its own ending, if it has ended, over
	// the error that ending caused.
	failed := func(err error) error {
		if parent.Err() == nil {
			if cause := context.Cause(ctx); cause == errAttemptTimedOut || cause == errNotReplayed {
				err = cause
			}
		}
		end()
		return err
	}

	w.ask()
	select {
	case <-w.ready:
	case <-ctx.Done():
		return nil, failed(ctx.Err())
	}
	if req.Method == http.MethodGet {
		ctx = httptrace.WithClientTrace(ctx, replayGate(refuse))
	}
	resp, err := w.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		return nil, failed(err)
	}
	if parent.Err() == nil && ctx.Err() != nil {
		// An answer that came as the attempt timed out is what the
		// cancellation provoked (net/http half-closes the connection; a
		// server that then gives up writes an empty 200), not the server's
		// answer to the request: the attempt timed out.
		_ = resp.Body.Close()
		return nil, failed(ctx.Err())
	}
	resp.Body = &attemptBody{ReadCloser: resp.Body, parent: parent, ctx: ctx, end: end}
	return resp, nil
}

// CloseIdleConnections closes the transport's idle connections, as
// http.Client.CloseIdleConnections expects of its transport.
func (w *wire) CloseIdleConnections() {
	select {
	case <-w.ready:
		w.base.CloseIdleConnections()
	default:
	}
}

// replayGate stops net/http's replay of a GET. net/http asks for a
// connection (GetConn) once for each time it would send the request; the
// second ask is a replay after the first connection failed, so the attempt
// ends there with errNotReplayed, which send's retry treats as the reset it
// stands for. Cancelling alone could lose the race with a pooled connection
// already handed over, whose write net/http starts without looking at the
// context, so that connection's next write is refused too: nothing of the
// replay reaches the server, and the connection, failed, is closed.
func replayGate(refuse context.CancelCauseFunc) *httptrace.ClientTrace {
	var asks atomic.Int32
	return &httptrace.ClientTrace{
		GetConn: func(string) {
			if asks.Add(1) > 1 {
				refuse(errNotReplayed)
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			if asks.Load() > 1 {
				if c := wireConnOf(info.Conn); c != nil {
					c.refuse.Store(true)
				}
			}
		},
	}
}

// wireConn is a connection the transport dialled: replayGate can have its
// next write refused.
type wireConn struct {
	net.Conn
	refuse atomic.Bool
}

func (c *wireConn) Write(p []byte) (int, error) {
	if c.refuse.Load() {
		return 0, errNotReplayed
	}
	return c.Conn.Write(p)
}

// wireConnOf is the wireConn under a connection the transport handed over:
// the wireConn itself, or the TLS connection over one.
func wireConnOf(conn net.Conn) *wireConn {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	c, _ := conn.(*wireConn)
	return c
}

// attemptBody is an answer's body, read within the attempt's deadline; closing
// it ends the attempt.
type attemptBody struct {
	io.ReadCloser
	parent, ctx context.Context
	end         func()
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.parent.Err() == nil && context.Cause(b.ctx) == errAttemptTimedOut {
		err = errAttemptTimedOut
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.end()
	return err
}

// apiRequest is one call to the server.
type apiRequest struct {
	method string
	path   string     // under the server root, e.g. /oauth2/token
	query  url.Values // never logged: it carries NHS numbers and names
	form   url.Values // application/x-www-form-urlencoded body
	json   []byte     // application/fhir+json body
	bearer string     // Authorization: Bearer
	roleID string     // NHSD-Session-URID
	// url, if set, is where the request goes instead of the server root and
	// path (CIS2, which lives elsewhere); path then names it in logs, and
	// svc says which service it is.
	url string
	svc Service
}

// service is the service the request goes to.
func (r apiRequest) service() Service {
	if r.svc != ServiceUnknown {
		return r.svc
	}
	return serviceOf(r.path)
}

// apiResponse is a successful (2xx) answer, its body read in full.
type apiResponse struct {
	status    int
	header    http.Header
	body      []byte
	requestID string
}

// decode unmarshals the body into v; a body that is not JSON is an invalid
// response.
func (r *apiResponse) decode(v any) error {
	if err := decodeJSON(r.body, v); err != nil {
		return &InvalidResponseError{Status: r.status, RequestID: r.requestID, Problem: "malformed JSON", Err: err}
	}
	return nil
}

// sandboxFaultKey carries an X-Sandbox-Fault value on a context. It is for this
// package's tests against the sandbox (--enable-faults) only: unexported, so
// no caller can set it.
type sandboxFaultKey struct{}

// httpAttempt is what one try produced: a status and body, or a transport error.
type httpAttempt struct {
	status int
	header http.Header
	body   []byte
	err    error // a typed error (or ctx's) when no usable answer came
	reset  bool  // err is a connection lost before any answer: retryable for a GET
}

// send makes the call, resty retrying an idempotent GET on 429, 502, 503, 504
// or a connection lost before any answer, with the same X-Request-ID each
// time (API.md: a retry of a request carries the same value, so the server's
// logs can tie them). A non-2xx answer becomes the typed error of errors.go.
func (c *Client) send(ctx context.Context, req apiRequest) (*apiResponse, error) {
	x := &exchange{c: c, ctx: ctx, req: req, requestID: uuid.NewString()}
	r := c.rc.R().SetContext(ctx).
		SetHeader("X-Request-ID", x.requestID).
		SetHeader("X-Correlation-ID", uuid.NewString()).
		SetHeader("Accept", "application/fhir+json, application/json").
		AddRetryCondition(x.attempted)
	if len(req.query) > 0 {
		r.SetQueryParamsFromValues(req.query)
	}
	if req.bearer != "" {
		r.SetHeader("Authorization", "Bearer "+req.bearer)
	}
	if req.roleID != "" {
		r.SetHeader("NHSD-Session-URID", req.roleID)
	}
	switch {
	case req.form != nil:
		r.SetFormDataFromValues(req.form)
	case req.json != nil:
		r.SetHeader("Content-Type", "application/fhir+json").SetBody(req.json)
	}
	if f, ok := ctx.Value(sandboxFaultKey{}).(string); ok {
		r.SetHeader("X-Sandbox-Fault", f)
	}

	target := c.server + req.path
	if req.url != "" {
		target = req.url
	}
	resp, err := r.Execute(req.method, target)
	if x.n != r.Attempt {
		// resty asks no retry condition about an attempt after which the
		// caller's context has ended.
		x.attempted(resp, err)
	}
	if err != nil && ctx.Err() != nil {
		// The call was given up: in an attempt, or in the wait before the next.
		return nil, ctx.Err()
	}
	a := x.last
	switch {
	case a.err != nil:
		return nil, a.err
	case a.status >= 200 && a.status < 300:
		return &apiResponse{status: a.status, header: a.header, body: a.body, requestID: x.requestID}, nil
	}
	return nil, errorForStatus(req, a, x.requestID)
}

// exchange is one call's attempts, as resty makes them.
type exchange struct {
	c         *Client
	ctx       context.Context
	req       apiRequest
	requestID string

	n    int         // the attempt last seen
	last httpAttempt // what it produced
}

// attempted is the call's retry condition, which resty asks after each
// attempt: it makes the attempt's outcome typed, logs it, and says whether
// to go again.
func (x *exchange) attempted(resp *resty.Response, err error) bool {
	start, n := time.Now(), x.n+1
	if resp != nil && resp.Request != nil {
		start, n = resp.Request.Time, resp.Request.Attempt
	}
	a := x.c.attemptOf(x.ctx, x.req, x.requestID, resp, err)
	x.n, x.last = n, a

	args := []any{"method", x.req.method, "path", maskNHSPath(x.req.path), "request_id", x.requestID,
		"attempt", n, "duration", time.Since(start).Round(time.Millisecond)}
	if a.status != 0 {
		args = append(args, "status", a.status)
	}
	if len(x.req.query) > 0 {
		args = append(args, "query_params", slices.Sorted(func(yield func(string) bool) {
			for k := range x.req.query {
				if !yield(k) {
					return
				}
			}
		}))
	}
	if a.err != nil {
		args = append(args, "error", fmt.Sprintf("%T", a.err)) // the type only: messages may hold server text
	}
	x.c.log.DebugContext(x.ctx, "scr http", args...)

	return x.req.method == http.MethodGet && x.c.retryable(a)
}

// retryable reports whether a GET's attempt may go again: after a connection
// lost before any answer, or a 429, 502, 503 or 504 whose Retry-After, if
// any, is short enough to wait through.
func (c *Client) retryable(a httpAttempt) bool {
	switch {
	case a.reset:
		return true
	case a.err != nil:
		return false
	case a.status == http.StatusTooManyRequests, a.status == http.StatusBadGateway,
		a.status == http.StatusServiceUnavailable, a.status == http.StatusGatewayTimeout:
		ra, ok := parseRetryAfter(a.header, time.Now())
		return !ok || ra <= c.retryAfterMax
	}
	return false
}

// retryWait is resty's RetryAfter: how long to wait before attempt n+1.
// Exponential backoff with jitter (so that many viewers do not come back in
// step), and no sooner than the server's Retry-After. It is ours, not
// resty's backoff, because resty takes a Retry-After in place of the backoff
// (and caps it at the backoff's maximum) where it must be a floor.
func (c *Client) retryWait(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
	n := max(1, resp.Request.Attempt)
	backoff := min(c.backoffBase<<(n-1), c.backoffMax)
	backoff = backoff/2 + rand.N(backoff/2+1) // "equal jitter": at least half the backoff
	if ra, ok := parseRetryAfter(resp.Header(), time.Now()); ok {
		backoff = max(backoff, ra)
	}
	if c.sleep != nil {
		return time.Nanosecond, c.sleep(resp.Request.Context(), backoff)
	}
	return max(backoff, time.Nanosecond), nil // 0 would be resty's own backoff
}

// parseRetryAfter parses Retry-After (RFC 9110 section 10.2.3): seconds or a date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// attemptOf types what one attempt produced: resty's response (its body read
// within MaxResponseBytes) and error.
func (c *Client) attemptOf(ctx context.Context, req apiRequest, requestID string, resp *resty.Response, err error) httpAttempt {
	if resp == nil || resp.RawResponse == nil {
		if err == nil {
			err = errors.New("no response") // not seen: resty gives one or the other
		}
		return c.transportFailure(ctx, req, err)
	}
	a := httpAttempt{status: resp.StatusCode(), header: resp.Header(), body: resp.Body()}
	switch {
	case err != nil && ctx.Err() != nil:
		a.err = ctx.Err()
	case errors.Is(err, errAttemptTimedOut):
		a.err = c.timeout(req)
	case errors.Is(err, resty.ErrResponseBodyTooLarge):
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID, Problem: "body too large", Err: ErrResponseTooLarge}
	case err != nil:
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID, Problem: "truncated body", Err: unwrapURL(err)}
	case a.status >= 200 && a.status < 300 && len(a.body) > 0 && !isJSONContentType(a.header.Get("Content-Type")):
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID,
			Problem: fmt.Sprintf("content type %q, not JSON", safetext.Line(a.header.Get("Content-Type")))}
	}
	return a
}

// timeout is the error of an attempt past Config.RequestTimeout.
func (c *Client) timeout(req apiRequest) *TimeoutError {
	return &TimeoutError{Service: req.service(), Method: req.method, Path: maskNHSPath(req.path),
		After: c.reqTimeout, Err: context.DeadlineExceeded}
}

// transportFailure turns a failure to get an answer into a typed error.
func (c *Client) transportFailure(ctx context.Context, req apiRequest, err error) httpAttempt {
	err = unwrapURL(err) // *url.Error's message has the full URL, NHS numbers and all
	if ctx.Err() != nil {
		return httpAttempt{err: ctx.Err()}
	}
	if errors.Is(err, errAttemptTimedOut) {
		return httpAttempt{err: c.timeout(req)}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return httpAttempt{err: &TimeoutError{Service: req.service(), Method: req.method, Path: maskNHSPath(req.path), After: c.reqTimeout, Err: err}}
	}
	if te := tlsFailureOf(err); te != nil {
		return httpAttempt{err: te}
	}
	// A reset, or a connection closed before any answer (wire's refusal of
	// net/http's replay is one): the request may never have been read, so a
	// GET can safely go again.
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errNotReplayed) {
		return httpAttempt{err: &UnavailableError{ServerReply: ServerReply{Service: req.service()}, Err: err}, reset: true}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return httpAttempt{err: &UnavailableError{ServerReply: ServerReply{Service: req.service()}, Err: err}}
	}
	return httpAttempt{err: fmt.Errorf("client: %s %s: %w", req.method, maskNHSPath(req.path), err)}
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// tlsFailureOf names why the server's certificate was refused, or returns nil if
// err is not a TLS failure.
func tlsFailureOf(err error) *TLSError {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown):
		return &TLSError{Reason: TLSUnknownAuthority, Err: err}
	case errors.As(err, &hostname):
		return &TLSError{Reason: TLSWrongName, Err: err}
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return &TLSError{Reason: TLSExpired, Err: err}
	case errors.As(err, &record):
		return &TLSError{Reason: TLSNotTLS, Err: err}
	case errors.As(err, &verify):
		return &TLSError{Reason: TLSOther, Err: err}
	}
	return nil
}

func isJSONContentType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	// application/jwk-set+json is a JWKS's own type (RFC 7517 section 8.5),
	// as an OpenID provider may serve it.
	return err == nil && (mt == "application/json" || mt == "application/fhir+json" || mt == "application/jwk-set+json")
}

// maskNHSPath replaces every 10-digit path segment (an NHS number) with {nhs}, so
// a log line holds the path template, not the patient.
func maskNHSPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) == 10 && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{nhs}"
		}
	}
	return strings.Join(segs, "/")
}

// wireErrorBody is either error format of API.md: RFC 6749 JSON or a FHIR
// OperationOutcome.
type wireErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Issue       []struct {
		Code        string `json:"code"`
		Diagnostics string `json:"diagnostics"`
		Details     struct {
			Text   string      `json:"text"`
			Coding wireCodings `json:"coding"`
		} `json:"details"`
	} `json:"issue"`
}

type wireCoding struct {
	Code    string `json:"code"`
	Display string `json:"display"`
}

// wireCodings is details.coding, which should be a list; the SCR
// specification's 500 example sends one object, so that is taken too rather
// than losing the whole body.
type wireCodings []wireCoding

func (c *wireCodings) UnmarshalJSON(b []byte) error {
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		var one wireCoding
		if err := decodeJSON(b, &one); err != nil {
			return err
		}
		*c = wireCodings{one}
		return nil
	}
	var many []wireCoding
	if err := decodeJSON(b, &many); err != nil {
		return err
	}
	*c = many
	return nil
}

// statusSpineBusiness is Spine's 420, "Business condition related to access
// control which prevents the action being performed by PSIS": with PSIS-30418
// in the text, the access control refusal (summary-care-record.yaml, GET
// /Bundle), not a bad request.
const statusSpineBusiness = 420

// psisCode finds Spine's own code in a details text such as "Code: 420,
// Display: …;Code: 30418, Display: [PSIS-30418] - ACF does not permit
// access to resource": the last [PSIS-n] marked, the most specific.
var psisCode = regexp.MustCompile(`\[(PSIS-[0-9]+)\]`)

// namesRole and namesOptOut are the words by which a refusal says which of
// Spine's causes it was; without them the cause is not guessed.
var (
	namesRole   = regexp.MustCompile(`(?i)\b(role|roles|activity|activities)\b`)
	namesOptOut = regexp.MustCompile(`(?i)\bopted[ -]out\b`)
	namesHeader = regexp.MustCompile(`(?i)\b(header|x-request-id|x-correlation-id|nhsd-session-urid|authorization)\b`)
)

// call is which of the viewer's requests failed: the same status and code
// mean different things on different calls.
type call int

const (
	callOther call = iota
	callSignIn
	callPDSRead
	callPDSSearch
	callSCR         // the SCR's GETs and the privacy alert: nothing on them is typed by the user
	callAuditSearch // the audit report: its dates are the privacy officer's
)

func callOf(req apiRequest) call {
	switch {
	case req.svc == ServiceCIS2, strings.HasPrefix(req.path, "/oauth2/"):
		return callSignIn
	case strings.HasPrefix(req.path, pdsPatientPath+"/"):
		return callPDSRead
	case req.path == pdsPatientPath:
		return callPDSSearch
	case req.path == scrAuditEventPath && req.method == http.MethodGet:
		return callAuditSearch
	case strings.HasPrefix(req.path, "/summary-care-record/"):
		return callSCR
	}
	return callOther
}

// errorForStatus maps a non-2xx answer to its typed error. Where the body is
// missing or not JSON, the status and the call alone decide.
func errorForStatus(req apiRequest, a httpAttempt, requestID string) error {
	rep := ServerReply{Service: req.service(), Status: a.status, RequestID: requestID}
	var eb wireErrorBody
	var said []string // every text of the body, to read a cause from
	if isJSONContentType(a.header.Get("Content-Type")) && decodeJSON(a.body, &eb) == nil {
		rep.Code, rep.Text = eb.Error, eb.Description
		for i, is := range eb.Issue {
			said = append(said, is.Diagnostics, is.Details.Text)
			for _, c := range is.Details.Coding {
				said = append(said, c.Display)
			}
			if i > 0 {
				continue
			}
			rep.Code, rep.Text = is.Code, nonEmptyOr(is.Diagnostics, is.Details.Text)
			if len(is.Details.Coding) > 0 {
				rep.SpineCode = is.Details.Coding[0].Code
				rep.Text = nonEmptyOr(rep.Text, is.Details.Coding[0].Display)
			}
		}
		said = append(said, eb.Description)
		if rep.SpineCode == "" {
			if m := psisCode.FindAllStringSubmatch(strings.Join(said, ";"), -1); m != nil {
				rep.SpineCode = m[len(m)-1][1]
			}
		}
	}
	text := strings.Join(said, "\n")
	c := callOf(req)
	switch s := a.status; {
	case s == http.StatusUnauthorized:
		return &SignedOutError{rep}
	case s == http.StatusTooManyRequests:
		ra, _ := parseRetryAfter(a.header, time.Now())
		return &RateLimitedError{ServerReply: rep, RetryAfter: ra}
	case s >= 500, s == http.StatusRequestTimeout:
		// 408 is the server's own timeout (PDS: UNABLE_TO_CALL_SERVICE, a
		// service behind it did not answer in time), not the request's fault.
		return &UnavailableError{ServerReply: rep}
	case c == callSignIn && s >= 400:
		return &SignInError{rep}
	case s == http.StatusForbidden || s == statusSpineBusiness:
		return refusal(c, rep, text)
	case c == callPDSRead && (s == http.StatusNotFound || rep.SpineCode == "RESOURCE_NOT_FOUND" || rep.SpineCode == "INVALIDATED_RESOURCE"):
		return &NotFoundError{rep}
	case s >= 400 && typedByUser(c, rep, text):
		return &BadRequestError{rep}
	case s >= 400:
		return &RequestFaultError{rep}
	}
	return &InvalidResponseError{Status: a.status, RequestID: requestID, Problem: "unexpected status " + strconv.Itoa(a.status)}
}

// refusal tells a 403 (or Spine's 420) apart by what the server said. Spine
// answers the patient's opt-out and a role without the activity with the same
// PSIS-30418, so the opt-out and the role are named only when the server
// names them (the sandbox's diagnostics do); otherwise an SCR refusal is
// Spine's access control, cause unknown.
func refusal(c call, rep ServerReply, text string) error {
	switch {
	case c == callSCR && namesOptOut.MatchString(text):
		return &OptedOutError{rep}
	case namesRole.MatchString(text):
		return &ForbiddenError{rep}
	case rep.SpineCode != "" && rep.SpineCode != "ACCESS_DENIED" && !strings.HasPrefix(rep.SpineCode, "PSIS-"):
		// INVALID_METHOD (the app may not use this method), INVALID_VALUE
		// (PDS: several results asked for in application-restricted mode),
		// FORBIDDEN_UPDATE: refusals of how the viewer asked, not of who.
		return &RequestFaultError{rep}
	case c == callSCR:
		return &AccessControlError{rep}
	}
	return &AccessDeniedError{rep}
}

// typedByUser reports whether a 4xx refused what the user typed: an NHS
// number PDS calls INVALID_RESOURCE_ID, or a search's details. Everything else
// on the wire (headers, the SCR's parameters, a privacy alert) the viewer
// built, and is its fault.
func typedByUser(c call, rep ServerReply, text string) bool {
	switch c {
	case callPDSRead:
		return rep.SpineCode == "INVALID_RESOURCE_ID"
	case callPDSSearch:
		switch rep.SpineCode {
		case "INVALID_SEARCH_DATA", "TOO_FEW_VALUES_SUBMITTED", "TOO_MANY_VALUES_SUBMITTED":
			return true
		case "INVALID_VALUE", "MISSING_VALUE":
			// "Invalid header or query parameter": a header is ours; a
			// query parameter is, nearly always, a detail typed.
			return rep.Status == http.StatusBadRequest && !namesHeader.MatchString(text)
		}
	case callAuditSearch:
		// More accesses than one report holds: the date range typed.
		return rep.SpineCode == "TOO_MANY_MATCHES"
	}
	return false
}

func nonEmptyOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
