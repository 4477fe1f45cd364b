package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// sbxDebugLogger logs at debug level into buf, guarded by mu.
func sbxDebugLogger(buf *bytes.Buffer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(sbxLockedWriter{buf, mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type sbxLockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l sbxLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestResponseChecks uses a plain-HTTP loopback server (allowed) answering
// what the sandbox never would.
func TestResponseChecks(t *testing.T) {
	big := `{"x":"` + strings.Repeat("a", MaxResponseBytes) + `"}`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>proxy login</html>")
		case "/big":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, big)
		case "/fhir":
			w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
			io.WriteString(w, `{"resourceType":"Bundle"}`)
		case "/redirect":
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		case pdsPatientPath + "/9000000009":
			w.Header().Set("Content-Type", "application/fhir+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",`+
				`"details":{"coding":[{"code":"INVALIDATED_RESOURCE","display":"Resource Id is invalid"}]}}]}`)
		}
	}))
	defer ts.Close()
	c, err := New(Config{Server: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (*apiResponse, error) {
		return c.send(context.Background(), apiRequest{method: http.MethodGet, path: path})
	}
	var ire *InvalidResponseError
	if _, err := get("/html"); !errors.As(err, &ire) || !strings.Contains(ire.Problem, "text/html") {
		t.Errorf("/html: %v", err)
	}
	if _, err := get("/big"); !errors.As(err, &ire) || !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("/big: %v", err)
	}
	if res, err := get("/fhir"); err != nil || string(res.body) != `{"resourceType":"Bundle"}` {
		t.Errorf("/fhir: %v", err)
	}
	if _, err := get("/redirect"); !errors.As(err, &ire) || ire.Status != http.StatusFound {
		t.Errorf("/redirect: %v", err)
	}
	var nf *NotFoundError
	if _, err := get(pdsPatientPath + "/9000000009"); !errors.As(err, &nf) || nf.SpineCode != "INVALIDATED_RESOURCE" || nf.Code != "not-found" {
		t.Errorf("invalidated: %v", err)
	}
}

func TestClassifyOptOutAndRole(t *testing.T) {
	const acf = "Code: 420, Display: Business condition related to access control  which prevents the action being performed by PSIS;" +
		"Code: 30418, Display: [PSIS-30418] - ACF does not permit access to resource"
	outcome := func(diag string) []byte {
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"text":"` +
			acf + `"},"diagnostics":"` + diag + `"}]}`)
	}
	h := http.Header{"Content-Type": {"application/fhir+json"}}
	bundle := apiRequest{method: http.MethodGet, path: "/summary-care-record/FHIR/R4/Bundle"}
	docRef := apiRequest{method: http.MethodGet, path: "/summary-care-record/FHIR/R4/DocumentReference"}
	pds := apiRequest{method: http.MethodGet, path: "/personal-demographics/FHIR/R4/Patient/9000000009"}
	for _, tc := range []struct {
		req    apiRequest
		status int
		diag   string
		want   string // the error's type
	}{
		{bundle, 403, "the patient has opted out of sharing their Summary Care Record (SCR-ACSPermission No)", "*client.OptedOutError"},
		// Spine's text alone names no cause: it is not guessed.
		{bundle, 403, "", "*client.AccessControlError"},
		{bundle, 420, "", "*client.AccessControlError"},
		{docRef, 403, "", "*client.AccessControlError"},
		{docRef, 420, "", "*client.AccessControlError"},
		{bundle, 403, "the selected role has no activity that allows viewing a Summary Care Record", "*client.ForbiddenError"},
		{docRef, 403, "the selected role has no activity that allows viewing a Summary Care Record", "*client.ForbiddenError"},
		{docRef, 403, "the patient has opted out", "*client.OptedOutError"},
		// "control" and "controlled" are not "role"; "enrolled" neither.
		{bundle, 403, "access controlled; not enrolled", "*client.AccessControlError"},
		// The audit report is no record: its refusal is not Spine's ACF.
		{apiRequest{method: http.MethodGet, path: scrAuditEventPath}, 403, "", "*client.AccessDeniedError"},
		// On PDS, a refusal is no access control of the SCR's.
		{pds, 420, "", "*client.AccessDeniedError"},
		{pds, 403, "", "*client.AccessDeniedError"},
	} {
		err := errorForStatus(tc.req, httpAttempt{status: tc.status, header: h, body: outcome(tc.diag)}, "id")
		if got := fmt.Sprintf("%T", err); got != tc.want {
			t.Errorf("%s %d %q: %s, want %s", tc.req.path, tc.status, tc.diag, got, tc.want)
		}
		var ac *AccessControlError
		if errors.As(err, &ac) && ac.SpineCode != "PSIS-30418" {
			t.Errorf("%s %d %q: Spine code %q, want it read from the details text", tc.req.path, tc.status, tc.diag, ac.SpineCode)
		}
	}
}

// TestErrorBodyShapes: what the server said is kept whatever shape it is
// sent in, and where there is no body the status and the call decide.
func TestErrorBodyShapes(t *testing.T) {
	fhir := http.Header{"Content-Type": {"application/fhir+json"}}
	bundle := apiRequest{method: http.MethodGet, path: scrBundlePath}
	search := apiRequest{method: http.MethodGet, path: pdsPatientPath}
	for _, tc := range []struct {
		name   string
		req    apiRequest
		status int
		header http.Header
		body   string
		want   ServerReply
		typ    string
	}{
		{"coding an object", bundle, 500, fhir,
			`{"resourceType":"OperationOutcome","issue":[{"code":"unknown","details":{"coding":{"version":1,"code":"UNKNOWN_ERROR","display":"Unknown Error"}}}]}`,
			ServerReply{Service: ServiceSCR, Status: 500, Code: "unknown", SpineCode: "UNKNOWN_ERROR", Text: "Unknown Error", RequestID: "id"}, "*client.UnavailableError"},
		{"coding null", bundle, 400, fhir,
			`{"resourceType":"OperationOutcome","issue":[{"code":"invalid","details":{"coding":null,"text":"bad"}}]}`,
			ServerReply{Service: ServiceSCR, Status: 400, Code: "invalid", Text: "bad", RequestID: "id"}, "*client.RequestFaultError"},
		{"not JSON", search, 400, http.Header{"Content-Type": {"text/html"}}, `<html>bad request</html>`,
			ServerReply{Service: ServicePDS, Status: 400, RequestID: "id"}, "*client.RequestFaultError"},
		{"no body", search, 408, http.Header{}, ``,
			ServerReply{Service: ServicePDS, Status: 408, RequestID: "id"}, "*client.UnavailableError"},
		{"header named", search, 400, fhir,
			`{"resourceType":"OperationOutcome","issue":[{"code":"value","details":{"coding":[{"code":"INVALID_VALUE"}]},"diagnostics":"Invalid value - '' in header 'X-Request-ID'"}]}`,
			ServerReply{Service: ServicePDS, Status: 400, Code: "value", SpineCode: "INVALID_VALUE", Text: "Invalid value - '' in header 'X-Request-ID'", RequestID: "id"}, "*client.RequestFaultError"},
		{"NHSD-Session-URID", search, 400, fhir,
			`{"resourceType":"OperationOutcome","issue":[{"code":"required","details":{"coding":[{"code":"MISSING_VALUE"}]},"diagnostics":"Missing value - NHSD-Session-URID"}]}`,
			ServerReply{Service: ServicePDS, Status: 400, Code: "required", SpineCode: "MISSING_VALUE", Text: "Missing value - NHSD-Session-URID", RequestID: "id"}, "*client.RequestFaultError"},
		{"RFC 6749 on the sign-in", apiRequest{method: http.MethodPost, path: "/oauth2/token"}, 503, http.Header{"Content-Type": {"application/json"}},
			`{"error":"temporarily_unavailable"}`,
			ServerReply{Service: ServiceSignIn, Status: 503, Code: "temporarily_unavailable", RequestID: "id"}, "*client.UnavailableError"},
	} {
		err := errorForStatus(tc.req, httpAttempt{status: tc.status, header: tc.header, body: []byte(tc.body)}, "id")
		if got := fmt.Sprintf("%T", err); got != tc.typ {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.typ)
			continue
		}
		var got ServerReply
		switch e := err.(type) {
		case *UnavailableError:
			got = e.ServerReply
		case *RequestFaultError:
			got = e.ServerReply
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestMaskPath(t *testing.T) {
	for in, want := range map[string]string{
		"/personal-demographics/FHIR/R4/Patient/9000000009": "/personal-demographics/FHIR/R4/Patient/{nhs}",
		"/summary-care-record/FHIR/R4/Bundle":               "/summary-care-record/FHIR/R4/Bundle",
		"/oauth2/token":                                     "/oauth2/token",
	} {
		if got := maskNHSPath(in); got != want {
			t.Errorf("maskNHSPath(%q) = %q", in, got)
		}
	}
}
