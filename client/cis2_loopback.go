package client

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scrterm/scr/internal/safetext"
)

// callbackPath is the loopback redirect's path.
const callbackPath = "/scr/callback"

// loopback is the listener a native application opens for the browser's
// redirect (RFC 8252 section 7.3): on 127.0.0.1, at a free port unless one
// is asked for. It takes exactly one redirect to callbackPath, checks its
// state, answers the browser a short page, and hands the outcome to wait;
// close shuts it.
type loopback struct {
	srv         *http.Server
	redirectURI string
	state       string // expected
	issuer      string // CIS2's, for an iss parameter (RFC 9207)

	once      sync.Once
	result    chan callbackResult // one outcome, buffered
	closeOnce sync.Once
}

type callbackResult struct {
	code string
	err  error
}

func listenLoopback(port int, state, issuer string) (*loopback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, &CallbackError{Problem: "cannot listen on 127.0.0.1 for the browser's redirect", Err: err}
	}
	lb := &loopback{
		redirectURI: "http://" + ln.Addr().String() + callbackPath,
		state:       state,
		issuer:      issuer,
		result:      make(chan callbackResult, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(callbackPath, lb.handle)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { callbackPage(w, http.StatusNotFound, pageNotHere) })
	lb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = lb.srv.Serve(ln) }()
	return lb, nil
}

// The pages the browser is shown.
const (
	pageSignedIn = "You are signed in to scr. You can close this tab and return to scr."
	pageFailed   = "The sign-in did not complete. Return to scr, which says why. You can close this tab."
	pageUsed     = "This sign-in has already been answered. You can close this tab."
	pageNotHere  = "Nothing here. You can close this tab."
)

func (lb *loopback) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		callbackPage(w, http.StatusMethodNotAllowed, pageNotHere)
		return
	}
	first := false
	lb.once.Do(func() { first = true })
	if !first {
		callbackPage(w, http.StatusGone, pageUsed)
		return
	}
	res := lb.read(r)
	if res.err != nil {
		callbackPage(w, http.StatusBadRequest, pageFailed)
	} else {
		callbackPage(w, http.StatusOK, pageSignedIn)
	}
	lb.result <- res
}

// read judges the redirect: the state first, whatever else it carries, then
// an error from CIS2, then the code.
func (lb *loopback) read(r *http.Request) callbackResult {
	q := r.URL.Query()
	for name, v := range q {
		if len(v) > 1 {
			return callbackResult{err: &CallbackError{Problem: "parameter " + safetext.Line(name) + " is given more than once"}}
		}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(lb.state)) != 1 {
		return callbackResult{err: &StateMismatchError{}}
	}
	if iss := q.Get("iss"); iss != "" && iss != lb.issuer {
		return callbackResult{err: &CallbackError{Problem: "its iss is not CIS2's issuer (RFC 9207)"}}
	}
	if code := q.Get("error"); code != "" {
		return callbackResult{err: &AuthorizationError{Code: short(code, 64), Description: short(q.Get("error_description"), 500)}}
	}
	code := q.Get("code")
	if code == "" {
		return callbackResult{err: &CallbackError{Problem: "it carries neither a code nor an error"}}
	}
	return callbackResult{code: code}
}

// short is s as a line, at most n bytes: text from the browser's address bar.
func short(s string, n int) string {
	s = safetext.Line(s)
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// wait returns the code from the redirect, or why there is none.
func (lb *loopback) wait(ctx context.Context) (string, error) {
	select {
	case res := <-lb.result:
		return res.code, res.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && context.Cause(ctx) == ErrSignInTimedOut {
			return "", &CallbackError{Problem: "no redirect came back from the browser in time", Err: ErrSignInTimedOut}
		}
		return "", ctx.Err()
	}
}

// close stops the listener, letting the page being answered finish. Calls
// after the first do nothing.
func (lb *loopback) close() {
	lb.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if lb.srv.Shutdown(ctx) != nil {
			_ = lb.srv.Close()
		}
	})
}

func callbackPage(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer") // the code is in this page's URL
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>scr sign-in</title></head>" +
		"<body><p>" + text + "</p></body></html>\n"))
}
