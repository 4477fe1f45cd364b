package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// The patients folder (assets/sandbox/patients) holds one folder per patient,
// named by NHS number, and two maps of numbers that are no longer in use.
const (
	patientFile    = "patient.json"           // the PDS Patient
	docRefFile     = "documentreference.json" // the DocumentReference searchset, as served
	scrFile        = "bundle.json"            // the SCR Bundle, as served
	supersededFile = "superseded.json"        // {"old NHS number": "current NHS number"}
	invalidFile    = "invalidated.json"       // ["NHS number", …]: invalidated, not superseded

	// An SCR whose id goes out of date: the patient's folder also holds the
	// DocumentReference searchset naming an SCR id that is no longer current
	// (its Bundle has no entries), and outdatedFile says when it is served.
	outdatedDocRefFile = "documentreference-outdated.json"
	outdatedFile       = "outdated.json" // {"NHS number": outdatedOnce or outdatedAlways}
)

// When the out-of-date DocumentReference is served instead of the current one.
const (
	// outdatedOnce: on a session's first DocumentReference search for the
	// patient only, as when the record changed between a viewer's two calls;
	// looking the patient up again finds the current id.
	outdatedOnce = "once"
	// outdatedAlways: on every search, as for a record that keeps changing.
	outdatedAlways = "always"
)

// Consent codes of https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission.
const (
	consentSystem = "https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission"
	consentAsk    = "Ask" // permission to view is asked at the point of care
	consentNo     = "No"  // the patient has opted out
	consentYes    = "Yes" // legacy: treated as Ask
)

// patient is one synthetic patient, every answer about them encoded.
type patient struct {
	nhs       string
	pds       pdsPatient
	read      []byte // GET /Patient/{nhs}
	etag      string // W/"versionId", as PDS sends
	searchHit []byte // the resource of a search entry
	scr       *summary
}

// summary is a patient's Summary Care Record.
type summary struct {
	id      string // masterIdentifier.value of the DocumentReference: the SCR's UUID
	consent string // consentAsk, consentNo or consentYes
	docRef  []byte // GET /DocumentReference
	// bundle is GET /Bundle, read and checked on first use, so that the
	// sandbox starts without parsing every record (scr --demo starts it
	// before its first frame); the embedded ones are all read by
	// TestEveryBundleReads. nil for an opted-out patient, whose record is
	// never served.
	bundle func() ([]byte, error)

	outdatedID     string // the SCR id outdatedDocRef names, whose Bundle is empty; "" if none
	outdatedDocRef []byte // GET /DocumentReference when the id is out of date
	outdated       string // outdatedOnce or outdatedAlways, from outdatedFile
}

// store is every patient, by NHS number, and the numbers retired from use.
type store struct {
	patients    map[string]*patient
	sorted      []*patient        // by NHS number: search order before scoring
	superseded  map[string]string // old → current
	invalidated map[string]bool
}

// loadStore reads and checks the patients folder. A patient file that would
// make the sandbox answer differently from PDS or SCR (a wrong check digit, an
// SCR without consent, a record naming another patient) stops it starting.
func loadStore(fsys fs.FS) (*store, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("records: patients: %w", err)
	}
	s := &store{patients: map[string]*patient{}, superseded: map[string]string{}, invalidated: map[string]bool{}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p, err := loadPatient(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("records: patient %s: %w", e.Name(), err)
		}
		s.patients[p.nhs] = p
		s.sorted = append(s.sorted, p)
	}
	slices.SortFunc(s.sorted, func(a, b *patient) int { return strings.Compare(a.nhs, b.nhs) })
	if len(s.patients) == 0 {
		return nil, errors.New("records: no patients")
	}
	if err := readOptionalJSON(fsys, supersededFile, &s.superseded); err != nil {
		return nil, err
	}
	var invalid []string
	if err := readOptionalJSON(fsys, invalidFile, &invalid); err != nil {
		return nil, err
	}
	for _, nhs := range invalid {
		s.invalidated[nhs] = true
	}
	if err := s.loadOutdated(fsys); err != nil {
		return nil, err
	}
	return s, s.checkRetired()
}

// loadOutdated reads when each out-of-date DocumentReference is served, and
// checks that every one has a rule and every rule a DocumentReference: a file
// left over, or a rule mistyped, would silently change what a patient shows.
func (s *store) loadOutdated(fsys fs.FS) error {
	rules := map[string]string{}
	if err := readOptionalJSON(fsys, outdatedFile, &rules); err != nil {
		return err
	}
	for nhs, rule := range rules {
		p := s.patients[nhs]
		switch {
		case rule != outdatedOnce && rule != outdatedAlways:
			return fmt.Errorf("records: %s: %s: %q is not %q or %q", outdatedFile, nhs, rule, outdatedOnce, outdatedAlways)
		case p == nil || p.scr == nil || p.scr.outdatedDocRef == nil:
			return fmt.Errorf("records: %s: %s has no %s", outdatedFile, nhs, outdatedDocRefFile)
		}
		p.scr.outdated = rule
	}
	for _, p := range s.sorted {
		if p.scr != nil && p.scr.outdatedDocRef != nil && p.scr.outdated == "" {
			return fmt.Errorf("records: patient %s: %s but no rule in %s", p.nhs, outdatedDocRefFile, outdatedFile)
		}
	}
	return nil
}

// checkRetired makes sure every retired number is valid, is no patient's, and
// (if superseded) leads to a patient.
func (s *store) checkRetired() error {
	for old, current := range s.superseded {
		switch {
		case !ValidNHSNumber(old) || !ValidNHSNumber(current):
			return fmt.Errorf("records: %s: %s → %s: not NHS numbers", supersededFile, old, current)
		case s.patients[old] != nil:
			return fmt.Errorf("records: %s: %s is superseded but still has a record", supersededFile, old)
		case s.patients[current] == nil:
			return fmt.Errorf("records: %s: %s is superseded by %s, which has no record", supersededFile, old, current)
		}
	}
	for nhs := range s.invalidated {
		switch {
		case !ValidNHSNumber(nhs):
			return fmt.Errorf("records: %s: %s is not an NHS number", invalidFile, nhs)
		case s.patients[nhs] != nil || s.superseded[nhs] != "":
			return fmt.Errorf("records: %s: %s is invalidated but also has a record or a successor", invalidFile, nhs)
		}
	}
	return nil
}

func loadPatient(fsys fs.FS, dir string) (*patient, error) {
	if !ValidNHSNumber(dir) {
		return nil, errors.New("folder name is not a valid NHS number")
	}
	raw, err := fs.ReadFile(fsys, path.Join(dir, patientFile))
	if err != nil {
		return nil, err
	}
	p := &patient{nhs: dir}
	if err := json.Unmarshal(raw, &p.pds); err != nil {
		return nil, fmt.Errorf("%s: %w", patientFile, err)
	}
	if p.pds.ResourceType != "Patient" || p.pds.ID != dir || p.pds.nhsNumber() != dir {
		return nil, fmt.Errorf("%s: not the Patient %s (resourceType %q, id %q, NHS number %q)",
			patientFile, dir, p.pds.ResourceType, p.pds.ID, p.pds.nhsNumber())
	}
	if p.pds.restricted() {
		p.read, err = restrictedRead.apply(raw)
		if err == nil {
			p.searchHit, err = restrictedSearchResult.apply(raw)
		}
	} else {
		p.read, err = compact(raw) // an unrestricted patient's retrieval is all PDS holds
		if err == nil {
			p.searchHit, err = searchResult.apply(raw)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", patientFile, err)
	}
	if v := p.pds.Meta.VersionID; v != "" {
		p.etag = `W/"` + v + `"`
	}
	p.scr, err = loadSummary(fsys, dir)
	return p, err
}

// loadSummary reads a patient's SCR, if they have one: the DocumentReference
// searchset that says which SCR is current and what consent applies, and the
// SCR Bundle itself.
func loadSummary(fsys fs.FS, nhs string) (*summary, error) {
	raw, err := fs.ReadFile(fsys, path.Join(nhs, docRefFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := fs.Stat(fsys, path.Join(nhs, scrFile)); err == nil {
			return nil, fmt.Errorf("%s without %s", scrFile, docRefFile)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sum := &summary{}
	if sum.id, sum.consent, err = checkDocRef(raw, nhs); err != nil {
		return nil, fmt.Errorf("%s: %w", docRefFile, err)
	}
	if sum.docRef, err = compact(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", docRefFile, err)
	}
	if err := loadOutdatedDocRef(fsys, nhs, sum); err != nil {
		return nil, fmt.Errorf("%s: %w", outdatedDocRefFile, err)
	}
	raw, err = fs.ReadFile(fsys, path.Join(nhs, scrFile))
	switch {
	case errors.Is(err, fs.ErrNotExist) && sum.consent == consentNo:
		return sum, nil // opted out: the record is never served, so none is kept
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("consent %s but no %s", sum.consent, scrFile)
	case err != nil:
		return nil, err
	}
	sum.bundle = sync.OnceValues(func() ([]byte, error) {
		if err := checkSCR(raw, nhs); err != nil {
			return nil, fmt.Errorf("records: patient %s: %s: %w", nhs, scrFile, err)
		}
		b, err := compact(raw)
		if err != nil {
			return nil, fmt.Errorf("records: patient %s: %s: %w", nhs, scrFile, err)
		}
		return b, nil
	})
	return sum, nil
}

// loadOutdatedDocRef reads the patient's out-of-date DocumentReference
// searchset, if they have one: the same consent as the current one, and
// another SCR id (else the Bundle would not be empty).
func loadOutdatedDocRef(fsys fs.FS, nhs string, sum *summary) error {
	raw, err := fs.ReadFile(fsys, path.Join(nhs, outdatedDocRefFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	id, consent, err := checkDocRef(raw, nhs)
	switch {
	case err != nil:
		return err
	case strings.EqualFold(id, sum.id):
		return fmt.Errorf("SCR id %s is the current one", id)
	case consent != sum.consent:
		return fmt.Errorf("consent %s, but the current DocumentReference says %s", consent, sum.consent)
	case consent == consentNo:
		return errors.New("an opted-out patient has no record to go out of date")
	}
	sum.outdatedID = id
	sum.outdatedDocRef, err = compact(raw)
	return err
}

// checkDocRef checks a DocumentReference searchset (DocumentReferenceBundle.json)
// and returns its SCR's UUID and consent code.
func checkDocRef(raw []byte, nhs string) (id, consent string, err error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Total        int    `json:"total"`
		Entry        []struct {
			Resource struct {
				ResourceType     string       `json:"resourceType"`
				MasterIdentifier identifier   `json:"masterIdentifier"`
				Identifier       []identifier `json:"identifier"` // the Patient's
				SecurityLabel    []struct {
					Coding []coding `json:"coding"`
				} `json:"securityLabel"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return "", "", err
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total != 1 {
		return "", "", errors.New("not a searchset Bundle with one match")
	}
	docRefs := 0
	for _, e := range b.Entry {
		r := e.Resource
		switch r.ResourceType {
		case "DocumentReference":
			docRefs++
			id = r.MasterIdentifier.Value
			for _, l := range r.SecurityLabel {
				for _, c := range l.Coding {
					if c.System == consentSystem {
						consent = c.Code
					}
				}
			}
		case "Patient":
			if !slices.Contains(r.Identifier, identifier{nhsNumberSystem, nhs}) {
				return "", "", fmt.Errorf("its Patient is not %s", nhs)
			}
		}
	}
	switch {
	case docRefs != 1:
		return "", "", fmt.Errorf("%d DocumentReferences, want 1", docRefs)
	case !isUUID(id):
		return "", "", fmt.Errorf("masterIdentifier %q is not a UUID", id)
	case consent != consentAsk && consent != consentNo && consent != consentYes:
		return "", "", fmt.Errorf("consent %q is not Ask, No or Yes", consent)
	}
	return id, consent, nil
}

// checkSCR checks an SCR Bundle (GetScrBundle.json): a searchset whose first
// entry is the Composition and which names the patient by NHS number.
func checkSCR(raw []byte, nhs string) error {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Total        int    `json:"total"`
		Entry        []struct {
			Resource struct {
				ResourceType string          `json:"resourceType"`
				Identifier   json.RawMessage `json:"identifier"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return err
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" || len(b.Entry) == 0 || b.Total != len(b.Entry) {
		return fmt.Errorf("not a searchset Bundle whose total (%d) counts its %d entries", b.Total, len(b.Entry))
	}
	if b.Entry[0].Resource.ResourceType != "Composition" {
		return errors.New("the first entry is not the Composition")
	}
	for _, e := range b.Entry {
		if e.Resource.ResourceType != "Patient" {
			continue
		}
		var ids []identifier
		if err := json.Unmarshal(e.Resource.Identifier, &ids); err != nil {
			return fmt.Errorf("patient identifier: %w", err)
		}
		if slices.Contains(ids, identifier{nhsNumberSystem, nhs}) {
			return nil
		}
	}
	return fmt.Errorf("no Patient entry with NHS number %s", nhs)
}

// compact is raw without insignificant white space: the files are indented for
// people, the wire need not be.
func compact(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readOptionalJSON(fsys fs.FS, name string, v any) error {
	raw, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return fmt.Errorf("records: %s: %w", name, err)
	}
	return nil
}

// isUUID reports whether s is a UUID in the 8-4-4-4-12 hex form, either case
// (the SCR's UUIDs are upper case, RFC 4122 prints lower).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
