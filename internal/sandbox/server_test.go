package sandbox_test

// End-to-end tests of the sandbox through real HTTPS, with sign-in done as the
// viewer does it: the card (the virtual one, through the smartcard package)
// signs the RFC 7523 assertion.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
	"github.com/scrterm/scr/smartcard"
)

// Sandbox users (assets/sandbox/users.json) and the role each test uses.
const (
	pharmacist     = "555000000101" // role 555000000201, B0401
	aeDoctor       = "555000000102" // role 555000000202, B0370 + B0168, RSA card
	receptionist   = "555000000103" // role 555000000203, no SCR activity
	privacyOfficer = "555000000104" // role 555000000205, B0015 + B0016
	locum          = "555000000105" // roles 555000000206, 555000000207
	expiredCard    = "555000000106"
	revokedCard    = "555000000107"
)

// orgOf is the organisation of each user's role in roleOf.
var orgOf = map[string]string{
	pharmacist: "FA123", aeDoctor: "R9A", receptionist: "Y99901", privacyOfficer: "R9A", locum: "FA123",
}

var roleOf = map[string]string{
	pharmacist: "555000000201", aeDoctor: "555000000202", receptionist: "555000000203",
	privacyOfficer: "555000000205", locum: "555000000206",
}

const testPatient = "9000000009"

// tb is what the helpers need of a test: *testing.T, or goT in a goroutine.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// goT lets a helper fail from a goroutine other than the test's: it reports the
// failure on errs and ends the goroutine.
type goT struct{ errs chan<- error }

func (goT) Helper() {}
func (g goT) Fatal(args ...any) {
	g.errs <- errors.New(fmt.Sprint(args...))
	runtime.Goexit()
}
func (g goT) Fatalf(format string, args ...any) {
	g.errs <- fmt.Errorf(format, args...)
	runtime.Goexit()
}

// env is a running sandbox and an HTTPS client that trusts it.
type env struct {
	srv  *sandbox.Server
	http *http.Client
}

func start(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	srv := sandboxtest.Start(t, cfg)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("the sandbox gave no CA certificate")
	}
	e := &env{srv: srv, http: &http.Client{
		Timeout: 10 * time.Second,
		// Idle connections enough for the floods of limits_test.go, so that
		// each request does not pay for a TLS handshake.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 16},
	}}
	// Before the Shutdown above (cleanups run last first): a connection
	// dialled and never used would hold it 5 s.
	t.Cleanup(e.http.CloseIdleConnections)
	return e
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t tb) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
	return m
}

func (e *env) do(t tb, method, path string, header http.Header, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (e *env) form(t tb, path string, v url.Values) response {
	t.Helper()
	return e.do(t, "POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(v.Encode()))
}

// card loads a sandbox user's card into a virtual card with its PIN verified.
func card(t tb, uuid string) (*smartcard.Key, *x509.Certificate) {
	t.Helper()
	key, cert, err := sandboxtest.UnlockedCard(uuid)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// signIn runs challenge → card-signed assertion → token, returning the answer.
func (e *env) signIn(t tb, uuid string) response {
	t.Helper()
	ch := e.do(t, "POST", "/oauth2/challenge", nil, nil)
	if ch.status != 200 {
		t.Fatalf("challenge: %d %s", ch.status, ch.body)
	}
	key, cert := card(t, uuid)
	assertion, err := client.Assertion{
		Cert: cert, UserUUID: uuid, Audience: e.srv.URL() + "/oauth2/token",
		JTI: ch.json(t)["challenge"].(string), Now: time.Now(),
	}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	return e.form(t, "/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	})
}

// session signs uuid in and exchanges the card token for role's token.
func (e *env) session(t tb, uuid, role string) (cardToken, roleToken string) {
	t.Helper()
	tok := e.signIn(t, uuid)
	if tok.status != 200 {
		t.Fatalf("sign-in of %s: %d %s", uuid, tok.status, tok.body)
	}
	cardToken = tok.json(t)["access_token"].(string)
	ex := e.form(t, "/oauth2/token", url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":      {cardToken},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
		"selected_roleid":    {role},
	})
	if ex.status != 200 {
		t.Fatalf("exchange for role %s: %d %s", role, ex.status, ex.body)
	}
	return cardToken, ex.json(t)["access_token"].(string)
}

func scrHeaders(token, role string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("NHSD-Session-URID", role)
	h.Set("X-Request-ID", "7b3f1c2e-9d4a-4e8b-a1c5-0f6e2d3b4a59")
	h.Set("X-Correlation-ID", "c0ffee00-1111-4222-8333-444455556666")
	return h
}

const (
	pdsPath    = "/personal-demographics/FHIR/R4/Patient/" + testPatient
	docRefPath = "/summary-care-record/FHIR/R4/DocumentReference?patient=https://fhir.nhs.uk/Id/nhs-number|" + testPatient +
		"&type=http://snomed.info/sct|196981000000101&_sort=date&_count=1"
)

func bundlePath(scrID string) string {
	return "/summary-care-record/FHIR/R4/Bundle?composition.identifier=" + scrID +
		"&composition.subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|" + testPatient
}

// published reads an example of the SCR specification from the project's
// copy of NHS England's payloads (internal/nhscorpus).
func published(t tb, name string) []byte {
	t.Helper()
	b, err := nhscorpus.Read("scr/specification/components/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON reports whether two JSON documents decode to the same value.
func sameJSON(t tb, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestJourneyAsPharmacist(t *testing.T) {
	e := start(t, sandbox.Config{})
	cardToken, roleToken := e.session(t, pharmacist, roleOf[pharmacist])
	h := scrHeaders(roleToken, roleOf[pharmacist])

	info := e.do(t, "GET", "/oauth2/userinfo", http.Header{"Authorization": {"Bearer " + cardToken}}, nil)
	if info.status != 200 || info.json(t)["nhsid_useruid"] != pharmacist {
		t.Fatalf("userinfo: %d %s", info.status, info.body)
	}

	pds := e.do(t, "GET", pdsPath, h, nil)
	if pds.status != 200 || pds.header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("PDS read: %d %v %s", pds.status, pds.header, pds.body)
	}
	if pds.header.Get("X-Request-ID") != h.Get("X-Request-ID") || pds.header.Get("X-Correlation-ID") != h.Get("X-Correlation-ID") {
		t.Errorf("request IDs not mirrored: %v", pds.header)
	}

	// 9000000009 is served exactly as NHS England publishes it.
	docRef := e.do(t, "GET", docRefPath, h, nil)
	if docRef.status != 200 || !sameJSON(t, docRef.body, published(t, "DocumentReferenceBundle.json")) {
		t.Fatalf("DocumentReference: %d, or not the published example: %s", docRef.status, docRef.body)
	}
	bundle := e.do(t, "GET", bundlePath("FA60BE64-1F34-11EB-A2A8-000C29A364EB"), h, nil)
	if bundle.status != 200 || !sameJSON(t, bundle.body, published(t, "GetScrBundle.json")) {
		t.Fatalf("Bundle: %d, or not the published example", bundle.status)
	}

	// Sign-out: the card token dies, and with it the role token.
	if r := e.form(t, "/oauth2/revoke", url.Values{"token": {cardToken}}); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	after := e.do(t, "GET", pdsPath, h, nil)
	if after.status != 401 || after.json(t)["resourceType"] != "OperationOutcome" {
		t.Fatalf("role token after sign-out: %d %s", after.status, after.body)
	}
}

func TestRefusedCards(t *testing.T) {
	e := start(t, sandbox.Config{})
	for _, uuid := range []string{expiredCard, revokedCard} {
		r := e.signIn(t, uuid)
		if r.status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("sign-in with card of %s: %d %s, want 400 invalid_grant", uuid, r.status, r.body)
		}
	}
}

// TestRBACMatrix runs every user through every operation the viewer makes.
func TestRBACMatrix(t *testing.T) {
	e := start(t, sandbox.Config{})
	alert, err := os.ReadFile(filepath.Join("testdata", "emergency-alert.json"))
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		do   func(t tb, h http.Header) response
	}{
		{"PDS read", func(t tb, h http.Header) response { return e.do(t, "GET", pdsPath, h, nil) }},
		{"SCR consent", func(t tb, h http.Header) response { return e.do(t, "GET", docRefPath, h, nil) }},
		{"SCR read", func(t tb, h http.Header) response {
			return e.do(t, "GET", bundlePath("FA60BE64-1F34-11EB-A2A8-000C29A364EB"), h, nil)
		}},
		{"emergency alert", func(t tb, h http.Header) response {
			h = h.Clone()
			h.Set("Content-Type", "application/fhir+json")
			// Each user sends the alert as themselves, from their organisation.
			body := bytes.ReplaceAll(alert, []byte(`"R9A"`), []byte(`"`+orgOf[h.Get("X-Test-User")]+`"`))
			body = bytes.ReplaceAll(body, []byte(`"`+aeDoctor+`"`), []byte(`"`+h.Get("X-Test-User")+`"`))
			return e.do(t, "POST", "/summary-care-record/FHIR/R4/AuditEvent", h, bytes.NewReader(body))
		}},
		{"subject access request", func(t tb, h http.Header) response {
			return e.do(t, "GET", "/summary-care-record/FHIR/R4/AuditEvent?patient=https://fhir.nhs.uk/Id/nhs-number|"+testPatient, h, nil)
		}},
	}
	want := map[string][]int{ // per user, the status of each op above
		pharmacist:     {200, 200, 200, 403, 403},
		aeDoctor:       {200, 200, 200, 201, 403},
		receptionist:   {200, 403, 403, 403, 403},
		privacyOfficer: {200, 403, 403, 403, 200},
		locum:          {200, 200, 200, 403, 403},
	}
	for _, uuid := range []string{pharmacist, aeDoctor, receptionist, privacyOfficer, locum} {
		_, tok := e.session(t, uuid, roleOf[uuid])
		for i, op := range ops {
			h := scrHeaders(tok, roleOf[uuid])
			h.Set("X-Test-User", uuid)
			r := op.do(t, h)
			if r.status != want[uuid][i] {
				t.Errorf("user %s, %s: %d, want %d: %s", uuid, op.name, r.status, want[uuid][i], r.body)
			}
		}
	}
}

// TestConcurrentSessions runs 100 viewers at once and checks the audit trail
// holds exactly their accesses, chained. They are one user in one role at one
// address, so the limits per user and role and per address are lifted.
func TestConcurrentSessions(t *testing.T) {
	const sessions = 100
	e := start(t, sandbox.Config{RateLimit: 1e6, ChallengesPerAddress: sessions})
	before, err := e.srv.Audit().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for range sessions {
		wg.Go(func() { e.viewOnce(goT{errs}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after, err := e.srv.Audit().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Each session: sign-in, role exchange, PDS read, SCR consent, SCR read.
	if got := after - before; got != sessions*5 {
		t.Errorf("audit rows added = %d, want %d", got, sessions*5)
	}
	if err := e.srv.Audit().Verify(context.Background()); err != nil {
		t.Fatalf("audit chain after concurrent sessions: %v", err)
	}
}

// viewOnce is one viewer's visit: sign in, choose a role, look the patient up,
// read the consent and the record.
func (e *env) viewOnce(t tb) {
	role := roleOf[pharmacist]
	_, tok := e.session(t, pharmacist, role)
	h := scrHeaders(tok, role)
	for _, path := range []string{pdsPath, docRefPath, bundlePath("FA60BE64-1F34-11EB-A2A8-000C29A364EB")} {
		if r := e.do(t, "GET", path, h, nil); r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

// TestRestartKeepsAudit stops a sandbox with a database and starts another on
// it: the trail is all there and its chain verifies.
func TestRestartKeepsAudit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	e := start(t, sandbox.Config{DBPath: db})
	e.viewOnce(t)
	ctx := context.Background()
	n, err := e.srv.Audit().Count(ctx)
	if err != nil || n != 5 {
		t.Fatalf("rows after one visit = %d, %v; want 5", n, err)
	}
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	again := start(t, sandbox.Config{DBPath: db})
	if n2, err := again.srv.Audit().Count(ctx); err != nil || n2 != n {
		t.Fatalf("rows after restart = %d, %v; want %d", n2, err, n)
	}
	again.viewOnce(t)
	if err := again.srv.Audit().Verify(ctx); err != nil {
		t.Fatalf("chain after restart: %v", err)
	}
}

// TestShutdownFinishesInFlight: a request in flight when the server is told
// to stop is answered, and recorded.
func TestShutdownFinishesInFlight(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	e := start(t, sandbox.Config{DBPath: db, EnableFaults: true})
	_, tok := e.session(t, pharmacist, roleOf[pharmacist])
	h := scrHeaders(tok, roleOf[pharmacist])
	h.Set(sandbox.FaultHeader, "latency=400ms")
	done := make(chan response, 1)
	go func() { done <- e.do(goT{make(chan error, 1)}, "GET", pdsPath, h, nil) }()
	time.Sleep(100 * time.Millisecond) // the request is in the handler now
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.status != 200 {
			t.Fatalf("in-flight request: %d", r.status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request never answered")
	}
	store, err := audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.Query(context.Background(), audit.Filter{Kinds: []audit.Kind{audit.PDSRead}})
	if err != nil || len(recs) != 1 {
		t.Fatalf("PDS reads recorded = %d, %v; want 1", len(recs), err)
	}
}

func TestErrorsAreNeverHTML(t *testing.T) {
	e := start(t, sandbox.Config{})
	for _, tt := range []struct{ path, want string }{
		{"/nope", "OperationOutcome"},
		{"/summary-care-record/FHIR/R4/Nope", "OperationOutcome"},
		{"/oauth2/nope", "invalid_request"},
	} {
		r := e.do(t, "GET", tt.path, nil, nil)
		if r.status != 404 || !strings.Contains(string(r.body), tt.want) || strings.Contains(string(r.body), "<") {
			t.Errorf("GET %s: %d %s", tt.path, r.status, r.body)
		}
	}
	if r := e.do(t, "GET", pdsPath, nil, nil); r.status != 401 || r.json(t)["resourceType"] != "OperationOutcome" {
		t.Errorf("PDS without a token: %d %s", r.status, r.body)
	}
}

// TestRateLimit: the platform's 5 requests per second per token.
func TestRateLimit(t *testing.T) {
	e := start(t, sandbox.Config{})
	_, tok := e.session(t, pharmacist, roleOf[pharmacist])
	h := scrHeaders(tok, roleOf[pharmacist])
	// Ten requests as fast as they go: all ten pass only if they took over a
	// second, which on loopback they do not.
	var limited *response
	start := time.Now()
	for range 10 {
		if r := e.do(t, "GET", pdsPath, h, nil); r.status != 200 && limited == nil {
			limited = &r
		}
	}
	if limited == nil {
		t.Fatalf("ten requests in %v, none limited", time.Since(start))
	}
	if limited.status != 429 || limited.header.Get("Retry-After") == "" || limited.json(t)["resourceType"] != "OperationOutcome" {
		t.Fatalf("limited request: %d, Retry-After %q: %s", limited.status, limited.header.Get("Retry-After"), limited.body)
	}
	// Another user's token is not held back by this one.
	_, other := e.session(t, aeDoctor, roleOf[aeDoctor])
	if r := e.do(t, "GET", pdsPath, scrHeaders(other, roleOf[aeDoctor]), nil); r.status != 200 {
		t.Fatalf("another token: %d", r.status)
	}
}

// TestFaultsThroughTheServer: the fault header works behind every middleware
// (a reset needs the connection, through the response writers' Unwrap).
func TestFaultsThroughTheServer(t *testing.T) {
	e := start(t, sandbox.Config{EnableFaults: true})
	req, _ := http.NewRequest("POST", e.srv.URL()+"/oauth2/challenge", nil)
	req.Header.Set(sandbox.FaultHeader, "reset")
	if resp, err := e.http.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	r := e.do(t, "POST", "/oauth2/challenge", http.Header{sandbox.FaultHeader: {"status=503,retry-after=3"}}, nil)
	if r.status != 503 || r.header.Get("Retry-After") != "3" || r.json(t)["error"] != "temporarily_unavailable" {
		t.Fatalf("status fault: %d %v %s", r.status, r.header, r.body)
	}
	// Without --enable-faults the header means nothing.
	plain := start(t, sandbox.Config{})
	if r := plain.do(t, "POST", "/oauth2/challenge", http.Header{sandbox.FaultHeader: {"status=503"}}, nil); r.status != 200 {
		t.Fatalf("fault honoured without --enable-faults: %d", r.status)
	}
}
