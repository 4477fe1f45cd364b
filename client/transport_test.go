package client

import (
	"bytes"
	"context"
	"errors"
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
		case "/gone":
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
	if _, err := get("/gone"); !errors.As(err, &nf) || nf.SpineCode != "INVALIDATED_RESOURCE" || nf.Code != "not-found" {
		t.Errorf("/gone: %v", err)
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
	for _, tc := range []struct {
		req  apiRequest
		diag string
		opt  bool
	}{
		{bundle, "the patient has opted out of sharing their Summary Care Record (SCR-ACSPermission No)", true},
		{bundle, "", true}, // Spine's text alone
		{bundle, "the selected role has no activity that allows viewing a Summary Care Record", false},
		{docRef, "the selected role has no activity that allows viewing a Summary Care Record", false},
	} {
		err := errorForStatus(tc.req, httpAttempt{status: 403, header: h, body: outcome(tc.diag)}, "id")
		var oo *OptedOutError
		var fe *ForbiddenError
		if tc.opt && !errors.As(err, &oo) || !tc.opt && !errors.As(err, &fe) {
			t.Errorf("%s %q: %T", tc.req.path, tc.diag, err)
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
