package ui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"maps"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/sandbox"
)

// Fault drills: the whole viewer against the real sandbox over HTTPS, with
// a proxy in front that a drill switches at run time to fail the way
// networks and servers do. Each drill checks the one sentence the user
// sees, that the screen stays live while a request hangs, and that nothing
// of the patient is left once the session ends.

// fault is what the drill proxy does to the requests it matches.
type fault int

const (
	passThrough  fault = iota
	fail503            // 503 with a transient OperationOutcome
	trickle            // the sandbox's answer, one byte per 100 ms
	resetConn          // the connection reset (RST) before any answer
	resetOnce          // the first matching request reset, the rest passed
	truncateBody       // the headers and half the body, then the connection closed
)

// faultProxy is an HTTPS reverse proxy in front of the sandbox. The Host
// is kept, so the assertion's aud (the token URL as the viewer reaches it)
// is one the sandbox accepts.
type faultProxy struct {
	front *httptest.Server

	mu     sync.Mutex
	up     *httputil.ReverseProxy
	upT    *http.Transport
	path   string         // requests whose path contains it meet the fault
	fault  fault          // what they meet
	hold   chan struct{}  // not nil: a faulted request waits until it is closed
	spent  bool           // resetOnce has reset its one request
	hits   int            // requests that met the fault
	byPath map[string]int // requests that met the fault, by path
	active atomic.Int32   // faulted requests being answered now
}

// newFaultProxy puts a proxy in front of srv and returns it with a client
// of it whose attempts time out after timeout.
func newFaultProxy(t *testing.T, srv *sandbox.Server, timeout time.Duration) (*faultProxy, *client.Client) {
	t.Helper()
	p := &faultProxy{}
	p.setUpstream(srv)
	p.front = httptest.NewUnstartedServer(p)
	p.front.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.front.StartTLS()
	t.Cleanup(func() {
		p.release()
		p.front.CloseClientConnections()
		p.front.Close()
		p.mu.Lock()
		p.upT.CloseIdleConnections()
		p.mu.Unlock()
	})
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.front.Certificate().Raw})
	cl, err := client.New(client.Config{Server: p.front.URL, CAPEM: ca, RequestTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return p, cl
}

// setUpstream points the proxy at srv (trusting srv's own TLS CA).
func (p *faultProxy) setUpstream(srv *sandbox.Server) {
	u, err := url.Parse(srv.URL())
	if err != nil {
		panic(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = tr
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p.mu.Lock()
	old := p.upT
	p.up, p.upT = rp, tr
	p.mu.Unlock()
	if old != nil {
		old.CloseIdleConnections()
	}
}

// set makes requests whose path contains path meet f from now on.
func (p *faultProxy) set(path string, f fault) {
	p.mu.Lock()
	p.path, p.fault, p.spent, p.hits, p.byPath = path, f, false, 0, map[string]int{}
	p.mu.Unlock()
}

// holdFaults makes faulted requests wait until release.
func (p *faultProxy) holdFaults() {
	p.mu.Lock()
	p.hold = make(chan struct{})
	p.mu.Unlock()
}

func (p *faultProxy) release() {
	p.mu.Lock()
	if p.hold != nil {
		close(p.hold)
		p.hold = nil
	}
	p.mu.Unlock()
}

func (p *faultProxy) faulted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

// faultedOn is how many faulted requests had a path containing path.
func (p *faultProxy) faultedOn(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.byPath {
		if strings.Contains(k, path) {
			n += v
		}
	}
	return n
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	up, f, hold := p.up, p.fault, p.hold
	match := f != passThrough && strings.Contains(r.URL.Path, p.path)
	if match && f == resetOnce {
		match, p.spent = !p.spent, true
	}
	if match {
		p.hits++
		p.byPath[r.URL.Path]++
	}
	p.mu.Unlock()
	if !match {
		up.ServeHTTP(w, r)
		return
	}
	p.active.Add(1)
	defer p.active.Add(-1)
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	switch f {
	case fail503:
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"drill"}]}`)
	case resetConn, resetOnce:
		hijackClose(w, true)
	case trickle, truncateBody:
		rec := httptest.NewRecorder()
		up.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		maps.Copy(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		rc := http.NewResponseController(w)
		if f == truncateBody {
			_, _ = w.Write(body[:len(body)/2])
			_ = rc.Flush()
			hijackClose(w, false)
			return
		}
		for i := range body {
			if _, err := w.Write(body[i : i+1]); err != nil {
				return
			}
			_ = rc.Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}
}

// hijackClose closes the connection under the request: with a TCP reset
// (SO_LINGER 0) when rst, else a plain close, and never a TLS close_notify.
func hijackClose(w http.ResponseWriter, rst bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok && rst {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

// The sentences the viewer may show for a failure, from explain.go.
var (
	// A failure names the service that failed: the lookup's is PDS's, the
	// record's the SCR's.
	sayUnavailable    = explain.Error(&client.UnavailableError{ServerReply: client.ServerReply{Service: client.ServicePDS}})
	saySCRUnavailable = explain.Error(&client.UnavailableError{ServerReply: client.ServerReply{Service: client.ServiceSCR}})
	sayTooLong        = explain.Error(&client.TimeoutError{Service: client.ServiceSCR})
	sayUnreadable     = explain.Error(&client.InvalidResponseError{})
	saySignedOut      = "Your session has ended. Enter your passcode to sign in again; the NHS number you typed is kept."
	saySignInError    = explain.Error(&client.SignInError{})
	sayClock          = explain.Error(&client.SignInError{ServerReply: client.ServerReply{Text: "the assertion has expired"}})
	sayWrongName      = explain.Error(&client.TLSError{Reason: client.TLSWrongName, Err: io.EOF})
	sayAnyElse        = explain.Error(io.ErrUnexpectedEOF)
)

var failureSentences = []string{
	sayUnavailable, saySCRUnavailable, sayTooLong, sayUnreadable, saySignedOut, saySignInError, sayClock, sayWrongName, sayAnyElse,
	explain.Error(&client.SignedOutError{}),
	explain.Error(&client.TLSError{Reason: client.TLSUnknownAuthority, Err: io.EOF}), explain.Error(&client.TLSError{Reason: client.TLSExpired, Err: io.EOF}), explain.Error(&client.TLSError{Reason: client.TLSNotTLS, Err: io.EOF}), explain.Error(&client.TLSError{Reason: "", Err: io.EOF}),
	explain.Error(&client.RateLimitedError{}), explain.Error(&client.BadRequestError{}), explain.Error(&client.ForbiddenError{}),
	explain.Error(&client.NotFoundError{}),
}

// flat is the screen's text without white space, so a sentence wrapped
// across rows (at a space or after a hyphen) reads as one.
func flat(txt string) string { return strings.Join(strings.Fields(txt), "") }

// waitSentence waits until the screen shows want (wrapped or not) and
// checks it is the only failure sentence shown.
func waitSentence(t *testing.T, s *terminal, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		txt := s.text()
		if strings.Contains(flat(txt), flat(want)) {
			for _, other := range failureSentences {
				if other != want && strings.Contains(flat(txt), flat(other)) {
					t.Errorf("besides %q the screen shows %q:\n%s", want, other, txt)
				}
			}
			return txt
		}
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q; it shows:\n%s", want, txt)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var patientLeaks = []string{"HARGREAVES", "Penicillin", "Clarithromycin", "900 000 0017"}

// noRecord fails if anything of the record itself is on the screen.
func noRecord(t *testing.T, txt string) {
	t.Helper()
	for _, leak := range []string{"Penicillin", "Clarithromycin", "Allergies", "Latex"} {
		if strings.Contains(txt, leak) {
			t.Errorf("%q of the record on screen:\n%s", leak, txt)
		}
	}
}

// responsive checks, while a request is in flight with busy on screen,
// that ? opens the help and a key closes it, and that a resize redraws:
// too small asks for a larger window, back to 80×24 shows busy again.
// inFlight, when not nil, must still hold once all that is done.
func responsive(t *testing.T, s *terminal, busy string, inFlight func() bool) {
	t.Helper()
	s.press("?")
	s.waitFor("Any key closes this help")
	s.press("esc")
	s.waitGone(2*time.Second, "Any key closes this help")
	s.resize(50, 12)
	s.waitFor("Make the window")
	s.resize(80, 24)
	txt := s.waitFor(busy)
	if inFlight != nil && !inFlight() {
		t.Errorf("the request ended before the screen was checked; the check proves nothing:\n%s", txt)
	}
}

// endClean pulls the card, then quits, and checks nothing of the patient
// is left on the screen or in the final model.
func endClean(t *testing.T, s *terminal, cards *testCards) {
	t.Helper()
	if cards != nil {
		cards.remove()
		s.waitGone(500*time.Millisecond, patientLeaks...)
		s.waitFor("The card was removed")
	}
	m := s.quit()
	if m.patient() != nil || m.View().Content != "" {
		t.Error("the final model still holds the patient, or draws something")
	}
	txt := s.text()
	for _, leak := range patientLeaks {
		if strings.Contains(txt, leak) {
			t.Errorf("%q on screen after the session ended:\n%s", leak, txt)
		}
	}
}

// openRecord looks up 9000000017 and opens the record with permission.
func openRecord(s *terminal) {
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	s.waitFor("Penicillin allergy", "Clarithromycin")
}

// TestDrillServerRestart: the server goes down mid-session (unavailable),
// then comes back as a new process on the same address that knows none of
// the old tokens: the session has ended, the number typed is kept, and
// after the passcode the lookup works.
func TestDrillServerRestart(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	p, cl := newFaultProxy(t, srv, 5*time.Second)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	openRecord(s)
	s.typeText("n")
	s.waitFor("Find a patient")

	addr := strings.TrimPrefix(srv.URL(), "https://")
	// Briefly: connections the client dialled and never used hold a
	// graceful shutdown 5 s; Shutdown closes them when its time is up.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	s.typeText("9000000017")
	s.press("enter")
	txt := waitSentence(t, s, sayUnavailable)
	noRecord(t, txt)

	srv2, _ := startSandbox(t, sandbox.Config{Addr: addr, RateLimit: 1e6})
	p.setUpstream(srv2)
	s.press("enter") // the number is still typed
	waitSentence(t, s, saySignedOut)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient", "900 000 0017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	s.waitFor("Penicillin allergy")
	endClean(t, s, cards)
}

// TestDrill503Storm: every request 503 for a while; the screen stays live
// while the viewer retries, the lookup says the service is unavailable,
// and once the storm ends the lookup works.
func TestDrill503Storm(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	p, cl := newFaultProxy(t, srv, 5*time.Second)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	p.set("", fail503)
	p.holdFaults()
	s.typeText("9000000017")
	s.press("enter")
	busy := "Looking up NHS No. 900 000 0017"
	s.waitFor(busy)
	responsive(t, s, busy, func() bool { return p.active.Load() > 0 })
	p.release()
	txt := waitSentence(t, s, sayUnavailable)
	noRecord(t, txt)
	// The Patient GET tried 3 times; the DocumentReference beside it at
	// most 3, and dropped when the Patient fails.
	if n, m := p.faultedOn("/Patient/"), p.faultedOn("/DocumentReference"); n != 3 || m < 1 || m > 3 {
		t.Errorf("the storm met %d Patient and %d DocumentReference requests; want 3 and 1 to 3", n, m)
	}

	p.set("", passThrough)
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	s.waitFor("Penicillin allergy")
	endClean(t, s, cards)
}

// TestDrillTrickledPastTimeout: the record comes one byte per 100 ms, past
// the 1 s timeout: the screen stays live meanwhile, then says it took too
// long, and nothing of the record is shown.
func TestDrillTrickledPastTimeout(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	p, cl := newFaultProxy(t, srv, 1*time.Second)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	p.set("/Bundle", trickle)
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	start := time.Now()
	s.typeText("p")
	s.waitFor("Opening the Summary Care Record")
	s.press("?")
	s.waitFor("Any key closes this help")
	if p.active.Load() == 0 {
		t.Error("the trickle ended before the help was shown; the check proves nothing")
	}
	s.press("esc")
	s.waitGone(2*time.Second, "Any key closes this help")
	txt := waitSentence(t, s, sayTooLong)
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Errorf("the timeout came after %v; want about 1 s", d)
	}
	noRecord(t, txt)
	if n := p.faulted(); n != 1 {
		t.Errorf("the Bundle was asked for %d times; a timeout is not retried", n)
	}
	endClean(t, s, cards)
}

// TestDrillConnectionReset: the Bundle's connection is reset on every try:
// one sentence, nothing shown. PDS reset once, then answered: the retry
// hides it and the record comes.
func TestDrillConnectionReset(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	p, cl := newFaultProxy(t, srv, 5*time.Second)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	p.set("/Bundle", resetConn)
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	txt := waitSentence(t, s, saySCRUnavailable)
	noRecord(t, txt)
	// 3 tries by the client, and no more: Go's transport would replay a
	// GET on another pooled connection when a reused one was reset, and
	// the client stops it (client/transport.go).
	if n := p.faulted(); n != 3 {
		t.Errorf("the Bundle was tried %d times; a reset GET is tried 3 times", n)
	}

	s.press("esc") // back to the search, the number kept
	s.waitFor("Find a patient")
	s.press("ctrl+u")
	p.set("/Patient/", resetOnce)
	s.typeText("9000000017")
	s.press("enter")
	txt = s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	for _, other := range failureSentences {
		if strings.Contains(flat(txt), flat(other)) {
			t.Errorf("a reset the retry hid is shown as %q", other)
		}
	}
	if n := p.faulted(); n != 1 {
		t.Errorf("%d PDS requests were reset; want 1", n)
	}
	p.set("", passThrough)
	s.typeText("p")
	s.waitFor("Penicillin allergy")
	endClean(t, s, cards)
}

// TestDrillTruncatedBody: the record's body stops half-way: it cannot be
// read safely, and nothing of it is shown.
func TestDrillTruncatedBody(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	p, cl := newFaultProxy(t, srv, 5*time.Second)
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")

	p.set("/Bundle", truncateBody)
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	txt := waitSentence(t, s, sayUnreadable)
	noRecord(t, txt)
	endClean(t, s, cards)
}

// TestDrillWrongTLSName: the server's certificate, from a CA the viewer
// trusts, is for another host name: the sign-in says so and nothing is sent.
func TestDrillWrongTLSName(t *testing.T) {
	caPEM, leaf := certFor(t, "scr.example.org")
	var got atomic.Int32
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	front.Config.ErrorLog = log.New(io.Discard, "", 0)
	front.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	front.StartTLS()
	t.Cleanup(front.Close)
	cl, err := client.New(client.Config{Server: front.URL, CAPEM: caPEM, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	waitSentence(t, s, sayWrongName)
	s.waitFor("Enter your passcode")
	if n := got.Load(); n != 0 {
		t.Errorf("%d requests reached a server with the wrong name", n)
	}
	endClean(t, s, nil)
}

// certFor makes a CA and a server certificate signed by it for name only.
func certFor(t *testing.T, name string) ([]byte, tls.Certificate) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "drill CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestDrillClockSkew: the server's clock runs 10 minutes ahead of this
// computer's. The card's assertion (valid 60 s from this computer's now)
// has expired by the server's clock, so the sign-in is refused ("invalid_grant:
// the assertion has expired"), in one sentence that names the clock, not
// the card, and nothing opens.
func TestDrillClockSkew(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{Now: func() time.Time { return time.Now().Add(10 * time.Minute) }})
	cards := newTestCards(t, userPharmacist)
	s := newScreen(t, Options{Client: cl, Cards: cards}, 80, 24)
	signIn(t, s, userPharmacist)
	waitSentence(t, s, sayClock)
	s.waitFor("Enter your passcode")

	// What the server said, straight from the client.
	card, err := cards.Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	_, err = cl.SignIn(context.Background(), card.Signer([]byte(userPIN[userPharmacist])), card.Certificate(), card.Holder().UUID)
	var sie *client.SignInError
	if !errors.As(err, &sie) || !sie.ClockRefused() {
		t.Fatalf("a 10-minute skew signs in, or fails otherwise: %v", err)
	}
	t.Logf("the sandbox says: %v", err)
	if strings.Contains(s.text(), "Find a patient") {
		t.Error("signed in with a 10-minute clock skew")
	}
	endClean(t, s, nil)
}
