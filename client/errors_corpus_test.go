package client_test

// Every OperationOutcome NHS England publishes, served with its status by a
// real HTTP server to the call it belongs to, and the sentence the screen
// gives for it. The sandbox cannot produce these bodies (it answers with its
// own), so an httptest.Server serves them verbatim.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/nhscorpus"
)

// corpusCall is one of the viewer's calls, made against a server.
type corpusCall string

const (
	pdsRead   corpusCall = "PDS read"
	pdsSearch corpusCall = "PDS search"
	scrDocRef corpusCall = "SCR DocumentReference"
	scrBundle corpusCall = "SCR Bundle"
	scrAlert  corpusCall = "POST AuditEvent"
)

func (c corpusCall) do(ctx context.Context, s *client.Session) error {
	switch c {
	case pdsRead:
		_, err := s.Patient(ctx, "9000000009")
		return err
	case pdsSearch:
		_, err := s.SearchPatients(ctx, client.PatientQuery{Family: "Smith", BirthDate: time.Date(2010, 10, 22, 0, 0, 0, 0, time.UTC)})
		return err
	case scrDocRef:
		_, err := s.Consent(ctx, "9000000009")
		return err
	case scrBundle:
		_, err := s.Summary(ctx, "9000000009", "FA60BE64-1F34-11EB-A2A8-000C29A364EB")
		return err
	case scrAlert:
		return s.SendPrivacyAlert(ctx, client.PrivacyAlert{NHS: "9000000009",
			SCRID: "FA60BE64-1F34-11EB-A2A8-000C29A364EB", Reason: client.AlertEmergency})
	}
	panic(c)
}

// The SCR specification's error examples (summary-care-record.yaml), as JSON:
// the file is YAML, and each is checked to be there by its telling text.
const (
	specACF = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"text":` +
		`"Code: 420, Display: Business condition related to access control  which prevents the action being performed by PSIS;` +
		`Code: 30418, Display: [PSIS-30418] - ACF does not permit access to resource"}}]}`
	specInvalidToken = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"text":"Invalid access token"}}]}`
	specNHSMissing   = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"text":"NHS number missing"}}]}`
	// details.coding an object, version a number: as the 500 example has it.
	spec500 = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"unknown","details":{"coding":` +
		`{"system":"https://fhir.nhs.uk/CodeSystem/Spine-ErrorOrWarningCode","version":1,"code":"UNKNOWN_ERROR","display":"Unknown Error"}},` +
		`"diagnostics":"An unknown server-side error occurred processing this request. Contact us for assistance diagnosing this issue: ` +
		`https://digital.nhs.uk/developer/help-and-support. (Message ID: rrt-4161241190348351641-b-geu2-4210-928960-20)"}]}`
	spec503 = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","details":{"text":"Code: 503, Display: Service Not Available"}}]}`
)

// The sentences, "{id}" standing for the request's X-Request-ID.
const (
	sayACF           = "Spine's access control refused this: the patient may have withdrawn consent, or your role may not allow it."
	saySignedOut     = "Your session has ended. Enter your passcode to sign in again."
	sayPDSDenied     = "The patient demographics service (PDS) refused access and did not say why. Tell IT, quoting request ID {id}."
	sayNotFound      = "No patient has that NHS number. Check the number with the patient."
	sayInvalidated   = "The patient demographics service (PDS) says the record for that NHS number was invalidated, with no number replacing it. Check the number with the patient."
	sayBadNHS        = "The patient demographics service (PDS) says that is not a valid NHS number. Check what you typed against the patient's details."
	sayBadSearch     = "The patient demographics service (PDS) cannot search on that combination of details. Check what you typed and try again."
	sayTooFew        = "The patient demographics service (PDS) says too few values were given for the search. Check what you typed and try again."
	sayTooManyValues = "The patient demographics service (PDS) says too many values were given for the search. Check what you typed and try again."
	saySearchValue   = "The patient demographics service (PDS) says a value in the search is not valid. Check what you typed; if it is right, tell IT, quoting request ID {id}."
	saySearchMissing = "The patient demographics service (PDS) says a value the search needs is missing. Check what you typed; if it is right, tell IT, quoting request ID {id}."
	sayTooMany       = "Too many patients match. Add the date of birth, gender or postcode."
	sayPDSTimeout    = "The patient demographics service (PDS) timed out before it could answer. Try again in a minute; if it persists, tell IT."
	saySCRDown       = "The Summary Care Record service is unavailable. Try again in a minute; if it persists, tell IT."
	sayPDSDown       = "The patient demographics service (PDS) is unavailable. Try again in a minute; if it persists, tell IT."
)

// sayFault is the sentence for a request of ours the service refused.
func sayFault(service, code string) string {
	if code != "" {
		code = " (" + code + ")"
	}
	return service + " refused a request this viewer made" + code + ". That is a fault in scr or its set-up, " +
		"not in anything you typed: tell IT, quoting request ID {id}."
}

const (
	pdsName = "The patient demographics service (PDS)"
	scrName = "The Summary Care Record service"
)

type corpusErrorCase struct {
	file   string // below published/, or "" for body
	body   string // when not a file: a specification's example, or none
	status int
	call   corpusCall
	want   string
	// spine is the Spine code the typed error must carry, if any.
	spine string
}

const stubs = "pds/karate-tests/src/test/java/mocks/stubs/errorResponses/"
const alerts = "scr/docker/service/src/integration-test/resources/uat/"

// corpusErrorCases: the statuses are those of patient-get.yaml,
// patient-search.yaml and summary-care-record.yaml; the update and create
// errors (scr never writes to PDS) are served on the read, with the status
// PDS gives them on the write.
var corpusErrorCases = []corpusErrorCase{
	// PDS read.
	{file: stubs + "ACCESS_DENIED.json", status: 401, call: pdsRead, want: saySignedOut, spine: "ACCESS_DENIED"},
	{file: stubs + "ACCESS_DENIED.json", status: 403, call: pdsRead, want: sayPDSDenied, spine: "ACCESS_DENIED"},
	{file: stubs + "INVALID_RESOURCE_ID.json", status: 400, call: pdsRead, want: sayBadNHS, spine: "INVALID_RESOURCE_ID"},
	{file: stubs + "UNSUPPORTED_SERVICE.json", status: 400, call: pdsRead, want: sayFault(pdsName, "UNSUPPORTED_SERVICE")},
	{file: stubs + "MISSING_VALUE.json", status: 400, call: pdsRead, want: sayFault(pdsName, "MISSING_VALUE")},
	{file: stubs + "INVALID_VALUE.json", status: 400, call: pdsRead, want: sayFault(pdsName, "INVALID_VALUE")},
	{file: stubs + "RESOURCE_NOT_FOUND.json", status: 404, call: pdsRead, want: sayNotFound, spine: "RESOURCE_NOT_FOUND"},
	{file: stubs + "INVALIDATED_RESOURCE.json", status: 404, call: pdsRead, want: sayInvalidated, spine: "INVALIDATED_RESOURCE"},
	{file: stubs + "INVALID_METHOD.json", status: 403, call: pdsRead, want: sayFault(pdsName, "INVALID_METHOD")},
	{file: stubs + "FORBIDDEN_UPDATE.json", status: 403, call: pdsRead, want: sayFault(pdsName, "FORBIDDEN_UPDATE")},
	{file: stubs + "INVALID_UPDATE.json", status: 400, call: pdsRead, want: sayFault(pdsName, "INVALID_UPDATE")},
	{file: stubs + "INVALID_CREATE.json", status: 400, call: pdsRead, want: sayFault(pdsName, "INVALID_CREATE")},
	{file: stubs + "INSERT_BIRTH_DEATH_STATUS_INCONSISTENT.json", status: 400, call: pdsRead, want: sayFault(pdsName, "INSERT_BIRTH_DEATH_STATUS_INCONSISTENT")},
	{file: stubs + "PRECONDITION_FAILED.json", status: 412, call: pdsRead, want: sayFault(pdsName, "PRECONDITION_FAILED")},
	{file: stubs + "RESOURCE_VERSION_MISMATCH.json", status: 409, call: pdsRead, want: sayFault(pdsName, "RESOURCE_VERSION_MISMATCH")},
	// 408 UNABLE_TO_CALL_SERVICE has no published body: the status decides.
	{status: 408, call: pdsRead, want: sayPDSTimeout},
	{body: "<html>Service Unavailable</html>", status: 503, call: pdsRead, want: sayPDSDown},

	// PDS search.
	{file: stubs + "INVALID_SEARCH_DATA.json", status: 400, call: pdsSearch, want: sayBadSearch, spine: "INVALID_SEARCH_DATA"},
	{file: stubs + "TOO_FEW_VALUES_SUBMITTED.json", status: 400, call: pdsSearch, want: sayTooFew},
	{file: stubs + "TOO_MANY_VALUES_SUBMITTED.json", status: 400, call: pdsSearch, want: sayTooManyValues},
	{file: stubs + "UNSUPPORTED_SERVICE.json", status: 400, call: pdsSearch, want: sayFault(pdsName, "UNSUPPORTED_SERVICE")},
	{file: stubs + "MISSING_VALUE.json", status: 400, call: pdsSearch, want: saySearchMissing},
	{file: stubs + "INVALID_VALUE.json", status: 400, call: pdsSearch, want: saySearchValue},
	{file: stubs + "INVALID_VALUE.json", status: 403, call: pdsSearch, want: sayFault(pdsName, "INVALID_VALUE")},
	{file: stubs + "ADDITIONAL_PROPERTIES.json", status: 400, call: pdsSearch, want: sayFault(pdsName, "ADDITIONAL_PROPERTIES")},
	{file: stubs + "NOT_SUPPORTED_SEARCH.json", status: 400, call: pdsSearch, want: sayFault(pdsName, "not-supported")},
	{file: stubs + "ACCESS_DENIED.json", status: 401, call: pdsSearch, want: saySignedOut},
	{file: "pds/karate-tests/src/test/java/mocks/stubs/searchResponses/TOO_MANY_MATCHES.json", status: 200, call: pdsSearch, want: sayTooMany},
	{status: 408, call: pdsSearch, want: sayPDSTimeout},

	// SCR DocumentReference (the consent).
	{body: specACF, status: 403, call: scrDocRef, want: sayACF, spine: "PSIS-30418"},
	{body: specACF, status: 420, call: scrDocRef, want: sayACF, spine: "PSIS-30418"},
	{body: specInvalidToken, status: 401, call: scrDocRef, want: saySignedOut},
	{body: spec500, status: 500, call: scrDocRef, want: saySCRDown, spine: "UNKNOWN_ERROR"},
	{body: spec503, status: 503, call: scrDocRef, want: saySCRDown},
	{status: 403, call: scrDocRef, want: sayACF},
	{body: specNHSMissing, status: 400, call: scrDocRef, want: sayFault(scrName, "invalid")},

	// SCR Bundle (the record).
	{body: specACF, status: 403, call: scrBundle, want: sayACF, spine: "PSIS-30418"},
	{body: specACF, status: 420, call: scrBundle, want: sayACF, spine: "PSIS-30418"},
	{status: 420, call: scrBundle, want: sayACF},
	{body: spec500, status: 500, call: scrBundle, want: saySCRDown, spine: "UNKNOWN_ERROR"},
	{body: spec503, status: 503, call: scrBundle, want: saySCRDown},
	{body: specNHSMissing, status: 400, call: scrBundle, want: sayFault(scrName, "invalid")},

	// POST AuditEvent (the privacy alert).
	{file: alerts + "send_alert/bad_request/1-missingNhsNumber.response.json", status: 400, call: scrAlert, want: sayFault(scrName, "value")},
	{file: alerts + "send_alert/bad_request/3-multipleOrgEntry.response.json", status: 400, call: scrAlert, want: sayFault(scrName, "value")},
	{file: alerts + "send_alert/spine_error/1-invalidValue.response.json", status: 400, call: scrAlert, want: sayFault(scrName, "value")},
	{file: alerts + "responses/alert/error.json", status: 400, call: scrAlert, want: sayFault(scrName, "INVALID_VALUE"), spine: "INVALID_VALUE"},
	{body: specNHSMissing, status: 400, call: scrAlert, want: sayFault(scrName, "invalid")},
	{body: spec500, status: 500, call: scrAlert, want: saySCRDown},
	{status: 415, call: scrAlert, want: sayFault(scrName, "")},
}

// corpusServer answers every request with status and body, and keeps the
// request IDs it was sent.
type corpusServer struct {
	*httptest.Server
	mu  sync.Mutex
	ids []string
}

func newCorpusServer(t *testing.T, status int, body string) *corpusServer {
	cs := &corpusServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		cs.mu.Lock()
		cs.ids = append(cs.ids, r.Header.Get("X-Request-ID"))
		cs.mu.Unlock()
		switch {
		case strings.HasPrefix(body, "{"):
			w.Header().Set("Content-Type", "application/fhir+json")
		case body != "":
			w.Header().Set("Content-Type", "text/html")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func corpusSession(t *testing.T, server string) *client.Session {
	t.Helper()
	c, err := client.New(client.Config{Server: server})
	if err != nil {
		t.Fatal(err)
	}
	return client.NewTestSession(c, "555000000202", "R9A")
}

func TestCorpusErrorSentences(t *testing.T) {
	spec, err := nhscorpus.Read("scr/specification/summary-care-record.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"[PSIS-30418] - ACF does not permit access to resource", "text: Invalid access token",
		"text: NHS number missing", "code: UNKNOWN_ERROR", `"text": "Code: 503, Display: Service Not Available"`, "| 420 "} {
		if !strings.Contains(string(spec), text) {
			t.Errorf("the SCR specification no longer has %q", text)
		}
	}
	served := map[string]bool{}
	for _, tc := range corpusErrorCases {
		name := string(tc.call) + " " + http.StatusText(tc.status) + " " + path.Base(tc.file)
		t.Run(name, func(t *testing.T) {
			body := tc.body
			if tc.file != "" {
				data, err := nhscorpus.Read(tc.file)
				if err != nil {
					t.Fatal(err)
				}
				body, served[tc.file] = string(data), true
			}
			srv := newCorpusServer(t, tc.status, body)
			err := tc.call.do(context.Background(), corpusSession(t, srv.URL))
			if err == nil {
				t.Fatal("no error")
			}
			var rep *client.ServerReply
			for _, target := range []any{new(*client.AccessControlError), new(*client.AccessDeniedError), new(*client.BadRequestError),
				new(*client.RequestFaultError), new(*client.NotFoundError), new(*client.SignedOutError), new(*client.UnavailableError)} {
				if errors.As(err, target) {
					rep = replyOf(target)
				}
			}
			want := tc.want
			if rep != nil {
				srv.mu.Lock()
				if !containsString(srv.ids, rep.RequestID) || rep.RequestID == "" {
					t.Errorf("request ID %q, but the server saw %q", rep.RequestID, srv.ids)
				}
				srv.mu.Unlock()
				want = strings.ReplaceAll(want, "{id}", rep.RequestID)
				if tc.spine != "" && rep.SpineCode != tc.spine {
					t.Errorf("Spine code %q, want %q", rep.SpineCode, tc.spine)
				}
				wantService := map[corpusCall]client.Service{pdsRead: client.ServicePDS, pdsSearch: client.ServicePDS,
					scrDocRef: client.ServiceSCR, scrBundle: client.ServiceSCR, scrAlert: client.ServiceSCR}[tc.call]
				if rep.Service != wantService {
					t.Errorf("service %v, want %v", rep.Service, wantService)
				}
			}
			if got := explain.Error(err); got != want {
				t.Errorf("%T %v\n got %q\nwant %q", err, err, got, want)
			}
		})
	}
	// Every published error body is served above, so one added to the
	// corpus is not left unexplained.
	for _, f := range nhscorpus.OfKind(nhscorpus.OperationOutcome) {
		if !served[f.Name()] {
			t.Errorf("%s is served by no case", f.Name())
		}
	}
}

func replyOf(target any) *client.ServerReply {
	switch e := target.(type) {
	case **client.AccessControlError:
		return &(*e).ServerReply
	case **client.AccessDeniedError:
		return &(*e).ServerReply
	case **client.BadRequestError:
		return &(*e).ServerReply
	case **client.RequestFaultError:
		return &(*e).ServerReply
	case **client.NotFoundError:
		return &(*e).ServerReply
	case **client.SignedOutError:
		return &(*e).ServerReply
	case **client.UnavailableError:
		return &(*e).ServerReply
	}
	return nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
