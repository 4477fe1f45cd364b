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
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	defaultAttempts       = 3
	defaultBackoffBase    = 250 * time.Millisecond
	defaultBackoffMax     = 2 * time.Second
	// A Retry-After longer than this is not slept through: the user, not the
	// client, decides whether to wait a minute, so the *RateLimitedError
	// (carrying RetryAfter) comes back at once.
	defaultRetryAfterMax = 10 * time.Second
)

// Client talks to one server root. It is safe for concurrent use.
type Client struct {
	server     string // scheme://host[:port][/path], no trailing slash
	rc         *resty.Client
	log        *slog.Logger
	reqTimeout time.Duration

	// The retry policy is in fields, not constants, so that tests can make
	// backoff tiny and observe waits.
	attempts      int
	backoffBase   time.Duration
	backoffMax    time.Duration
	retryAfterMax time.Duration
	sleep         func(ctx context.Context, d time.Duration) error
}

// New checks cfg and builds the client. It makes no request.
func New(cfg Config) (*Client, error) {
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

	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool() // e.g. no system store: only CAFile is trusted
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("client: CA file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	if len(cfg.CAPEM) > 0 && !roots.AppendCertsFromPEM(cfg.CAPEM) {
		return nil, errors.New("client: CAPEM holds no PEM certificate")
	}
	connect := durationOr(cfg.ConnectTimeout, defaultConnectTimeout)
	// HTTP/1.1 only (no ForceAttemptHTTP2): a viewer makes few requests, and
	// a dropped connection then surfaces as the reset it is, which send may
	// retry, rather than as an HTTP/2 stream error it cannot tell apart.
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment, // HSCN sites often reach the internet through a proxy
		DialContext:           (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   connect,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	rc := resty.New().
		SetTransport(transport).
		SetLogger(restyQuietLogger{}). // resty's own log would print URLs, with NHS numbers in queries
		SetRetryCount(0).              // retries are ours: see send
		SetHeader("User-Agent", "scr").
		// An API never redirects; following one could carry the Bearer token
		// elsewhere. The 3xx comes back and is an invalid response.
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}))
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		server:        u.String(),
		rc:            rc,
		log:           log,
		reqTimeout:    durationOr(cfg.RequestTimeout, defaultRequestTimeout),
		attempts:      defaultAttempts,
		backoffBase:   defaultBackoffBase,
		backoffMax:    defaultBackoffMax,
		retryAfterMax: defaultRetryAfterMax,
		sleep:         sleepContext,
	}, nil
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

// apiRequest is one call to the server.
type apiRequest struct {
	method string
	path   string     // under the server root, e.g. /oauth2/token
	query  url.Values // never logged: it carries NHS numbers and names
	form   url.Values // application/x-www-form-urlencoded body
	json   []byte     // application/fhir+json body
	bearer string     // Authorization: Bearer
	roleID string     // NHSD-Session-URID
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
	reset  bool  // err is a reset connection: retryable for a GET
}

// send makes the call, retrying an idempotent GET on 429, 502, 503, 504 or a
// reset connection, with the same X-Request-ID each time (API.md: a retry of
// a request carries the same value, so the server's logs can tie them). A non-2xx answer becomes the typed error of
// errors.go.
func (c *Client) send(ctx context.Context, req apiRequest) (*apiResponse, error) {
	requestID, correlationID := uuid.NewString(), uuid.NewString()
	tries := 1
	if req.method == http.MethodGet {
		tries = max(1, c.attempts)
	}
	for n := 1; ; n++ {
		a := c.sendOnce(ctx, req, requestID, correlationID, n)
		if a.err != nil && !a.reset {
			return nil, a.err
		}
		wait, retry := c.retryWait(a, n)
		if !retry || n >= tries {
			if a.err != nil {
				return nil, a.err
			}
			if a.status >= 200 && a.status < 300 {
				return &apiResponse{status: a.status, header: a.header, body: a.body, requestID: requestID}, nil
			}
			return nil, errorForStatus(req, a, requestID)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryWait reports whether a may be retried and after how long: exponential
// backoff with jitter (so that many viewers do not come back in step), and no
// sooner than the server's Retry-After.
func (c *Client) retryWait(a httpAttempt, n int) (time.Duration, bool) {
	switch {
	case a.reset:
	case a.status == http.StatusTooManyRequests, a.status == http.StatusBadGateway,
		a.status == http.StatusServiceUnavailable, a.status == http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	backoff := min(c.backoffBase<<(n-1), c.backoffMax)
	backoff = backoff/2 + rand.N(backoff/2+1) // "equal jitter": at least half the backoff
	if ra, ok := parseRetryAfter(a.header, time.Now()); ok {
		if ra > c.retryAfterMax {
			return 0, false
		}
		backoff = max(backoff, ra)
	}
	return backoff, true
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

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendOnce makes one attempt within the request timeout and logs it.
func (c *Client) sendOnce(ctx context.Context, req apiRequest, requestID, correlationID string, n int) (a httpAttempt) {
	start := time.Now()
	defer func() {
		args := []any{"method", req.method, "path", maskNHSPath(req.path), "request_id", requestID,
			"attempt", n, "duration", time.Since(start).Round(time.Millisecond)}
		if a.status != 0 {
			args = append(args, "status", a.status)
		}
		if len(req.query) > 0 {
			args = append(args, "query_params", slices.Sorted(func(yield func(string) bool) {
				for k := range req.query {
					if !yield(k) {
						return
					}
				}
			}))
		}
		if a.err != nil {
			args = append(args, "error", fmt.Sprintf("%T", a.err)) // the type only: messages may hold server text
		}
		c.log.DebugContext(ctx, "scr http", args...)
	}()

	actx, cancel := context.WithTimeout(ctx, c.reqTimeout)
	defer cancel()
	r := c.rc.R().SetContext(actx).SetDoNotParseResponse(true).
		SetHeader("X-Request-ID", requestID).
		SetHeader("X-Correlation-ID", correlationID).
		SetHeader("Accept", "application/fhir+json, application/json")
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

	resp, err := r.Execute(req.method, c.server+req.path)
	if err != nil {
		return c.transportFailure(ctx, actx, req, err)
	}
	if ctx.Err() == nil && actx.Err() != nil {
		// An answer that came as the attempt timed out is what the
		// cancellation provoked (net/http half-closes the connection; a
		// server that then gives up writes an empty 200), not the server's
		// answer to the request: the attempt timed out.
		_ = resp.RawBody().Close()
		a.err = &TimeoutError{Service: serviceOf(req.path), Method: req.method, Path: maskNHSPath(req.path), After: c.reqTimeout, Err: actx.Err()}
		return a
	}
	raw := resp.RawBody()
	defer raw.Close()
	a.status, a.header = resp.StatusCode(), resp.Header()
	body, err := io.ReadAll(io.LimitReader(raw, MaxResponseBytes+1))
	switch {
	case err != nil && ctx.Err() == nil && actx.Err() != nil:
		a.err = &TimeoutError{Service: serviceOf(req.path), Method: req.method, Path: maskNHSPath(req.path), After: c.reqTimeout, Err: actx.Err()}
	case err != nil && ctx.Err() != nil:
		a.err = ctx.Err()
	case err != nil:
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID, Problem: "truncated body", Err: unwrapURL(err)}
	case len(body) > MaxResponseBytes:
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID, Problem: "body too large", Err: ErrResponseTooLarge}
	case a.status >= 200 && a.status < 300 && len(body) > 0 && !isJSONContentType(a.header.Get("Content-Type")):
		a.err = &InvalidResponseError{Status: a.status, RequestID: requestID,
			Problem: fmt.Sprintf("content type %q, not JSON", safetext.Line(a.header.Get("Content-Type")))}
	}
	a.body = body
	return a
}

// transportFailure turns a failure to get an answer into a typed error.
func (c *Client) transportFailure(ctx, actx context.Context, req apiRequest, err error) httpAttempt {
	err = unwrapURL(err) // *url.Error's message has the full URL, NHS numbers and all
	if ctx.Err() != nil {
		return httpAttempt{err: ctx.Err()}
	}
	var ne net.Error
	if actx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return httpAttempt{err: &TimeoutError{Service: serviceOf(req.path), Method: req.method, Path: maskNHSPath(req.path), After: c.reqTimeout, Err: err}}
	}
	if te := tlsFailureOf(err); te != nil {
		return httpAttempt{err: te}
	}
	// A reset, or a connection closed before any answer: the request may
	// never have been read, so a GET can safely go again.
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return httpAttempt{err: &UnavailableError{ServerReply: ServerReply{Service: serviceOf(req.path)}, Err: err}, reset: true}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return httpAttempt{err: &UnavailableError{ServerReply: ServerReply{Service: serviceOf(req.path)}, Err: err}}
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
	return err == nil && (mt == "application/json" || mt == "application/fhir+json")
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
	case strings.HasPrefix(req.path, "/oauth2/"):
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
	rep := ServerReply{Service: serviceOf(req.path), Status: a.status, RequestID: requestID}
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
