package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// The record calls of API.md sections 2 and 3: PDS read and search, the SCR
// DocumentReference search (consent) and the SCR Bundle read. Each sends the
// chosen role's token and NHSD-Session-URID (scrRequest) and hands the body to
// the parsers of patient.go and summary.go.

const (
	pdsPatientPath   = "/personal-demographics/FHIR/R4/Patient"
	scrDocRefPath    = "/summary-care-record/FHIR/R4/DocumentReference"
	scrBundlePath    = "/summary-care-record/FHIR/R4/Bundle"
	scrGPSummaryType = "http://snomed.info/sct|196981000000101" // the only type the SCR search takes
)

// nhsIdentifier is the token-search form of an NHS number the SCR API takes.
func nhsIdentifier(nhs NHSNumber) string { return nhsNumberSystem + "|" + string(nhs) }

// getBody GETs path with query for the chosen role and returns the 2xx answer,
// body unread, so that a parse failure can name the request ID for support.
func (s *Session) getBody(ctx context.Context, path string, query url.Values) (*apiResponse, error) {
	req, err := s.scrRequest(ctx, apiRequest{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return nil, err
	}
	return s.client.send(ctx, req)
}

// invalid wraps a parser's complaint about res as an *InvalidResponseError, so
// the screen shows one kind of "the server sent something unusable" with the
// request ID, whichever parser found it.
func invalid(res *apiResponse, what string, err error) error {
	return &InvalidResponseError{Status: res.status, RequestID: res.requestID, Problem: what, Err: err}
}

// Patient reads the patient's PDS record. For a superseded number PDS answers
// with the current record, and Patient.SupersededFrom holds nhs.
func (s *Session) Patient(ctx context.Context, nhs NHSNumber) (*Patient, error) {
	res, err := s.getBody(ctx, pdsPatientPath+"/"+string(nhs), nil)
	if err != nil {
		return nil, err
	}
	// Local time: which name and address are in force is a matter of the
	// pharmacist's calendar day.
	p, err := ParsePatient(res.body, nhs, time.Now())
	if err != nil {
		return nil, invalid(res, "unusable PDS Patient", err)
	}
	return p, nil
}

// Consent finds the patient's latest SCR and the consent that applies to it.
// It returns ErrNoSCR, unwrapped, when the patient has none.
func (s *Session) Consent(ctx context.Context, nhs NHSNumber) (Consent, error) {
	// Exactly API.md's parameters: Spine refuses any other type, sort or count.
	q := url.Values{
		"patient": {nhsIdentifier(nhs)},
		"type":    {scrGPSummaryType},
		"_sort":   {"date"},
		"_count":  {"1"},
	}
	res, err := s.getBody(ctx, scrDocRefPath, q)
	if err != nil {
		return Consent{}, err
	}
	c, err := ParseConsent(res.body)
	switch {
	case errors.Is(err, ErrNoSCR):
		return Consent{}, ErrNoSCR
	case err != nil:
		return Consent{}, invalid(res, "unusable SCR DocumentReference search", err)
	}
	return c, nil
}

// Lookup is what the viewer shows once an NHS number is entered: the banner
// and whether there is an SCR to open.
type Lookup struct {
	Patient *Patient
	// Consent is the SCR and its consent; valid only when ConsentErr is nil.
	Consent Consent
	// ConsentErr is why Consent is unknown: ErrNoSCR when the patient has
	// no SCR (not a failure), else the typed error of the DocumentReference
	// search, e.g. *AccessControlError when Spine's access control refuses
	// it (or *ForbiddenError when the server says it is the role). It is
	// carried beside the patient rather than returned so that the banner is
	// still shown: PDS is open to every role, the SCR is not.
	ConsentErr error
}

// HasSCR reports whether the patient has an SCR whose consent is known.
func (l *Lookup) HasSCR() bool { return l.ConsentErr == nil }

// Lookup reads the patient's PDS record and SCR consent in parallel, so
// entering a number costs one round trip. An error is returned only when the
// PDS read fails; the consent's outcome is in Lookup.ConsentErr.
//
// For a superseded number the consent is asked again under the current
// number (a second round trip, for merged records only): Spine keeps the SCR
// under the current number, so the first answer is about a number that no
// longer names anyone.
func (s *Session) Lookup(ctx context.Context, nhs NHSNumber) (*Lookup, error) {
	// Cancelled as soon as the PDS read fails: the consent alone is of no use.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		l      Lookup
		wg     sync.WaitGroup
		patErr error
	)
	wg.Go(func() { l.Consent, l.ConsentErr = s.Consent(ctx, nhs) })
	l.Patient, patErr = s.Patient(ctx, nhs)
	if patErr != nil {
		cancel()
	}
	wg.Wait()
	if patErr != nil {
		return nil, patErr
	}
	if l.Patient.SupersededFrom != "" {
		l.Consent, l.ConsentErr = s.Consent(ctx, l.Patient.NHSNumber)
	}
	return &l, nil
}

// Summary reads the SCR scrID (Consent.SCRID) of patient nhs. The caller must
// first have the patient's permission, or have sent the privacy alert (API.md
// section 3). A patient who has opted out gives *OptedOutError. A record for
// any patient other than nhs is an *InvalidResponseError, never a Summary: the
// wrong patient's record must not reach the screen.
//
// An empty Bundle is Spine's answer for an id that is no longer the patient's
// current SCR ("If you specify an out-of-date UUID, this endpoint returns a
// Bundle with 0 entries"): the record changed since scrID was read. The
// consent is then read once more and the Bundle asked for once more, with the
// id that consent gives; the permission or privacy alert given for this
// patient covers that second read. A fresh consent of No gives
// *OptedOutError, no SCR any longer ErrNoSCR, and a second empty Bundle
// ErrRecordChanged: never a claim that there is no record.
func (s *Session) Summary(ctx context.Context, nhs NHSNumber, scrID string) (*Summary, error) {
	sum, err := s.readSummary(ctx, nhs, scrID)
	if !errors.Is(err, errEmptyBundle) {
		return sum, err
	}
	c, err := s.Consent(ctx, nhs)
	switch {
	case err != nil:
		return nil, err // ErrNoSCR among them: the SCR is gone
	case c.Permission == ConsentNo:
		return nil, &OptedOutError{ServerReply{Service: ServiceSCR, Status: http.StatusOK,
			Text: "the consent read again after an empty Bundle is No"}}
	}
	sum, err = s.readSummary(ctx, nhs, c.SCRID)
	if errors.Is(err, errEmptyBundle) {
		return nil, ErrRecordChanged
	}
	return sum, err
}

// errEmptyBundle is readSummary's answer for a Bundle of no entries; Summary
// never returns it.
var errEmptyBundle = errors.New("client: empty SCR Bundle")

// readSummary is one GET /Bundle.
func (s *Session) readSummary(ctx context.Context, nhs NHSNumber, scrID string) (*Summary, error) {
	q := url.Values{
		"composition.identifier":                 {scrID},
		"composition.subject:Patient.identifier": {nhsIdentifier(nhs)},
	}
	res, err := s.getBody(ctx, scrBundlePath, q)
	if err != nil {
		return nil, err
	}
	var head struct {
		ResourceType string           `json:"resourceType"`
		Entry        []jsontext.Value `json:"entry"`
	}
	if err := decodeJSON(res.body, &head); err != nil {
		return nil, invalid(res, "malformed JSON", err)
	}
	if head.ResourceType == "Bundle" && len(head.Entry) == 0 {
		return nil, errEmptyBundle
	}
	sum, err := ParseSummary(res.body)
	if err != nil {
		return nil, invalid(res, "unusable SCR Bundle", err)
	}
	if sum.NHSNumber != nhs {
		return nil, invalid(res, fmt.Sprintf("the SCR is for NHS number %q, not the one asked for", string(sum.NHSNumber)), nil)
	}
	return sum, nil
}

// PatientQuery is a PDS search (API.md section 2). Empty fields are not sent.
type PatientQuery struct {
	Family     string
	Given      []string
	Gender     string    // "male", "female", "other" or "unknown"
	BirthDate  time.Time // the calendar date only; zero if not searched on
	Postcode   string
	Fuzzy      bool // _fuzzy-match: PDS's phonetic and misspelling-tolerant search
	MaxResults int  // _max-results, 1–50; 0 leaves PDS's default
}

// values is the query's URL parameters.
func (q PatientQuery) values() url.Values {
	v := url.Values{}
	set := func(name, val string) {
		if val != "" {
			v.Set(name, val)
		}
	}
	set("family", q.Family)
	for _, g := range q.Given {
		if g != "" {
			v.Add("given", g)
		}
	}
	set("gender", q.Gender)
	if !q.BirthDate.IsZero() {
		// PDS wants the comparator prefixed: an exact date is eqYYYY-MM-DD.
		v.Set("birthdate", "eq"+q.BirthDate.Format(time.DateOnly))
	}
	set("address-postalcode", q.Postcode)
	if q.Fuzzy {
		v.Set("_fuzzy-match", "true")
	}
	if q.MaxResults > 0 {
		v.Set("_max-results", strconv.Itoa(q.MaxResults))
	}
	return v
}

// SearchPatients searches PDS, best match first, then any result that cannot
// be used (PatientMatch.Unusable), which does not spoil the rest. More matches than
// MaxResults (or PDS's default) give ErrTooManyMatches, unwrapped: the user
// must add details.
func (s *Session) SearchPatients(ctx context.Context, q PatientQuery) ([]PatientMatch, error) {
	v := q.values()
	if len(v) == 0 {
		return nil, errors.New("client: a patient search needs at least one detail")
	}
	if q.MaxResults < 0 || q.MaxResults > 50 {
		return nil, fmt.Errorf("client: at most 1 to 50 results may be asked for, not %d", q.MaxResults)
	}
	res, err := s.getBody(ctx, pdsPatientPath, v)
	if err != nil {
		return nil, err
	}
	ms, err := ParsePatientSearch(res.body, time.Now())
	switch {
	case errors.Is(err, ErrTooManyMatches):
		return nil, ErrTooManyMatches
	case err != nil:
		return nil, invalid(res, "unusable PDS search answer", err)
	}
	return ms, nil
}
