package records

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/wire"
)

// PDS is readable by any signed-in role, as it is for smartcard users: the
// handlers check no activity, but record every read and search.

// pdsPublicBase is the base of a search entry's fullUrl: the published one, as
// in PatientSearch.json, so that answers are the same whichever address the
// sandbox listens on.
const pdsPublicBase = "https://api.service.nhs.uk/personal-demographics/FHIR/R4"

// fhirInstant is how the NHS APIs write a timestamp: 2019-12-25T12:00:00+00:00.
const fhirInstant = "2006-01-02T15:04:05-07:00"

// readPatient is GET /Patient/{nhsNumber}.
func (s *Service) readPatient(w http.ResponseWriter, r *http.Request) {
	sess, ok := caller(w, r)
	if !ok {
		return
	}
	rec := s.newRecord(r, sess, audit.PDSRead)
	asked := r.PathValue("nhsNumber")
	if !ValidNHSNumber(asked) {
		rec.Outcome, rec.Detail = audit.Failed, "invalid NHS number"
		if s.commit(w, r, rec) {
			wire.Outcome(w, http.StatusBadRequest, "value", wire.SpineInvalidResourceID, "Resource Id is invalid")
		}
		return
	}
	rec.Patient = asked
	p, current := s.store.patients[asked], asked
	if p == nil {
		current = s.store.superseded[asked]
		p = s.store.patients[current]
	}
	switch {
	case p == nil && s.store.invalidated[asked]:
		rec.Outcome, rec.Detail = audit.Failed, "invalidated NHS number"
		if s.commit(w, r, rec) {
			wire.Outcome(w, http.StatusNotFound, "not-found", wire.SpineInvalidatedResource,
				"Resource that has been marked as invalid was requested")
		}
		return
	case p == nil:
		rec.Outcome, rec.Detail = audit.Failed, "no such patient"
		if s.commit(w, r, rec) {
			wire.Outcome(w, http.StatusNotFound, "not-found", wire.SpineResourceNotFound, "Resource not found")
		}
		return
	}
	rec.Outcome, rec.Detail = audit.Allowed, "read"
	if current != asked {
		// The data shown is the current record's: the trail names that patient.
		rec.Patient, rec.Detail = current, "read by superseded NHS number "+asked
	}
	if !s.commit(w, r, rec) {
		return
	}
	if p.etag != "" {
		w.Header().Set("ETag", p.etag)
	}
	writeFHIR(w, http.StatusOK, p.read)
}

// searchPatients is GET /Patient?family=…: a searchset of the patients found.
func (s *Service) searchPatients(w http.ResponseWriter, r *http.Request) {
	sess, ok := caller(w, r)
	if !ok {
		return
	}
	rec := s.newRecord(r, sess, audit.PDSSearch)
	q, serr := parseSearch(r.URL.Query())
	if serr != nil {
		rec.Outcome, rec.Detail = audit.Failed, strings.TrimSpace("search refused: "+serr.spine+" "+serr.param)
		if s.commit(w, r, rec) {
			wire.Outcome(w, http.StatusBadRequest, serr.code, serr.spine, serr.text)
		}
		return
	}
	now := s.now()
	found := s.store.search(q, now.UTC().Format(time.DateOnly))
	// The trail names the parameters, not their values: which patient was found
	// is what a privacy officer needs, and the names searched for are personal data.
	terms := "search on " + strings.Join(q.names, ", ")
	rec.Outcome = audit.Allowed
	if len(found) > q.max {
		rec.Detail = fmt.Sprintf("%s: %d matches, more than %d, none returned", terms, len(found), q.max)
		if s.commit(w, r, rec) {
			writeFHIR(w, http.StatusOK, tooManyMatches)
		}
		return
	}
	// PDS records an access for every patient a search returns, so the trail
	// has a row per patient found.
	recs := make([]audit.Record, 0, max(1, len(found)))
	for i, m := range found {
		rec.Patient = m.p.nhs
		rec.Detail = fmt.Sprintf("%s: match %d of %d, score %g", terms, i+1, len(found), m.score)
		recs = append(recs, rec)
	}
	if len(found) == 0 {
		rec.Detail = terms + ": no match"
		recs = append(recs, rec)
	}
	if s.commit(w, r, recs...) {
		writeFHIR(w, http.StatusOK, searchBundle(found, now))
	}
}

// searchBundle encodes a search's answer (PatientSearch.json) around the
// patients' encoded search entries.
func searchBundle(found []match, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"Bundle","type":"searchset","timestamp":"`)
	b.WriteString(now.UTC().Format(fhirInstant))
	b.WriteString(`","total":`)
	b.WriteString(strconv.Itoa(len(found)))
	if len(found) > 0 { // FHIR JSON has no empty arrays
		b.WriteString(`,"entry":[`)
		for i, m := range found {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"fullUrl":"%s/Patient/%s","search":{"score":%s},"resource":`,
				pdsPublicBase, m.p.nhs, strconv.FormatFloat(m.score, 'f', -1, 64))
			b.Write(m.p.searchHit)
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes()
}
