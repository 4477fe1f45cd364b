package client

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scrterm/scr/internal/safetext"
)

// ConsentCode is the patient's SCR-ACSPermission.
type ConsentCode string

const (
	// ConsentNo: the patient has opted out; the record must not be shown.
	ConsentNo ConsentCode = "No"
	// ConsentAsk: the pharmacist must have the patient's permission to view
	// (or claim an emergency, which raises a privacy alert).
	ConsentAsk ConsentCode = "Ask"
	// ConsentYes is the legacy form of Ask and is treated like it.
	ConsentYes ConsentCode = "Yes"
)

// Consent is what the DocumentReference search says about a patient's SCR.
type Consent struct {
	SCRID      string // masterIdentifier: the SCR's UUID, for GET /Bundle
	Permission ConsentCode
	Date       FHIRDate // when the SCR was made; zero if not sent
}

// ErrNoSCR is an empty DocumentReference search: the patient has no Summary
// Care Record. Not a failure: the screen says so.
var ErrNoSCR = errors.New("client: the patient has no Summary Care Record")

const (
	scrPermissionSystem = "https://fhir.nhs.uk/CodeSystem/SCR-ACSPermission"
	odsSystem           = "https://fhir.nhs.uk/Id/ods-organization-code"
	nhsNumberSystem     = "https://fhir.nhs.uk/Id/nhs-number"
)

// ParseConsent reads the DocumentReference searchset. A DocumentReference
// without a permission label, or with one the viewer does not know, is an
// error rather than a guess: which of "opted out" and "ask first" applies is
// not the viewer's to decide.
func ParseConsent(docRefBundle []byte) (Consent, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource struct {
				ResourceType     string `json:"resourceType"`
				MasterIdentifier struct {
					Value string `json:"value"`
				} `json:"masterIdentifier"`
				Date          string        `json:"date"`
				SecurityLabel []fhirConcept `json:"securityLabel"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := decodeJSON(docRefBundle, &b); err != nil {
		return Consent{}, fmt.Errorf("client: SCR DocumentReference search: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return Consent{}, fmt.Errorf("client: SCR DocumentReference search answered a %q, not a Bundle", b.ResourceType)
	}
	for _, e := range b.Entry {
		r := e.Resource
		if r.ResourceType != "DocumentReference" {
			continue // the Patient beside it
		}
		c := Consent{SCRID: r.MasterIdentifier.Value, Date: parseFHIRDate(r.Date)}
		if c.SCRID == "" {
			return Consent{}, errors.New("client: SCR DocumentReference has no masterIdentifier")
		}
		for _, l := range r.SecurityLabel {
			for _, cd := range l.Coding {
				if cd.System == scrPermissionSystem {
					c.Permission = ConsentCode(cd.Code)
				}
			}
		}
		switch c.Permission {
		case ConsentNo, ConsentAsk, ConsentYes:
			return c, nil
		case "":
			return Consent{}, errors.New("client: SCR DocumentReference has no SCR-ACSPermission")
		default:
			return Consent{}, fmt.Errorf("client: SCR DocumentReference has an unknown SCR-ACSPermission %q", c.Permission)
		}
	}
	return Consent{}, ErrNoSCR
}

// Summary is a Summary Care Record. Every string has been through the gate,
// safetext.Line: as it was decoded (see decodeOptions), or, for the
// narrative, as parseNarrative read it.
type Summary struct {
	ID        string     // the Composition's identifier
	NHSNumber NHSNumber  // of the Patient in the Bundle, to check against the one asked
	Created   FHIRDate   // Composition.date
	Author    PersonName // the practitioner's name: often Text alone
	Practice  Organisation
	Sections  []Section // in the record's order
	// Withheld: some statement says entries were deliberately withheld.
	Withheld bool
	Entries  []ClinicalEntry
}

// Organisation is a practice or other organisation.
type Organisation struct {
	Name    string
	ODSCode string
}

// Section is one Composition.section. Code is kept as sent, whatever it is
// (AllergiesHeader, AcuteMedsHeader, … and codes not known today), so a new
// section still reaches the screen under its own title. Title is the title
// sent, else the code, else "".
type Section struct {
	Code  string
	Title string
	// Kind is what the section is, as an SCR section code: Code when it is
	// one of the SCR's (the Section… constants); else the code of the Spine
	// title the section carries, as some GP systems send a title and no
	// code; else Code as sent (maybe ""). Read Kind, not Code, to find the
	// allergies or the medication.
	Kind     string
	Blocks   []Block
	Withheld bool // a statement in this section says entries were withheld
}

// SCR section codes.
const (
	SectionTitle                      = "Title"
	SectionAllergies                  = "AllergiesHeader"
	SectionAcuteMeds                  = "AcuteMedsHeader"
	SectionRepeatMeds                 = "RepeatMedsHeader"
	SectionDiscontinuedMeds           = "DiscRepeatMedsHeader"
	SectionRisksToPatient             = "RisksToPatientHeader"
	SectionDiagnoses                  = "DiagnosesHeader"
	SectionProblems                   = "ProblemsHeader"
	SectionObservations               = "ObservationsHeader"
	SectionTreatments                 = "TreatmentsHeader"
	SectionResults                    = "ResultsHeader"
	SectionInvestigations             = "InvestigationsHeader"
	SectionEvents                     = "EventsHeader"
	SectionProcedures                 = "ProceduresHeader"
	SectionAdvice                     = "AdviceHeader"
	SectionPreferences                = "PreferencesHeader"
	SectionCircumstances              = "CircumstancesHeader"
	SectionHistory                    = "HistoryHeader"
	SectionLifestyle                  = "LifestyleHeader"
	SectionDocumentation              = "DocumentationHeader"
	SectionPatientCarerCorrespondence = "PatientCarerCorrespondenceHeader"
)

// sectionTitles is Spine's title for each SCR section code, as NHS
// England's published records carry them. The three medication titles are
// followed by the period they cover ("Acute Medications (For the 12 month
// period 14-May-2019 to 14-May-2020)"), so they are matched as a prefix;
// the others whole.
var sectionTitles = [...]struct {
	code, title string
	prefix      bool
}{
	{SectionTitle, "General Practice Summary", false},
	{SectionAllergies, "Allergies and Adverse Reactions", false},
	{SectionAcuteMeds, "Acute Medication", true},
	{SectionRepeatMeds, "Current Repeat Medication", true},
	{SectionDiscontinuedMeds, "Discontinued Repeat Medication", true},
	{SectionRisksToPatient, "Risks to Patient", false},
	{SectionDiagnoses, "Diagnoses", false},
	{SectionProblems, "Problems and Issues", false},
	{SectionObservations, "Clinical Observations and Findings", false},
	{SectionTreatments, "Treatments", false},
	{SectionResults, "Investigation Results", false},
	{SectionInvestigations, "Investigations", false},
	{SectionEvents, "Care Events", false},
	{SectionProcedures, "Administrative Procedures", false},
	{SectionAdvice, "Provision of Advice and Information to Patients and Carers", false},
	{SectionPreferences, "Personal Preferences", false},
	{SectionCircumstances, "Social and Personal Circumstances", false},
	{SectionHistory, "Family History", false},
	{SectionLifestyle, "Lifestyle", false},
	{SectionDocumentation, "Care Professional Documentation", false},
	{SectionPatientCarerCorrespondence, "Patient/Carer Correspondence", false},
}

// sectionKind is what a section with code and (cleaned) title is: see
// Section.Kind.
func sectionKind(code, title string) string {
	for _, st := range sectionTitles {
		if code == st.code {
			return code
		}
	}
	for _, st := range sectionTitles {
		if titleIs(title, st.title, st.prefix) {
			return st.code
		}
	}
	// Any other title that speaks of allergies ("Allergies", "Drug
	// allergies and sensitivities", "Adverse reactions") is taken for the
	// allergy section: shown first and counted in the allergy status.
	// Wrongly so is a section moved up the screen; wrongly not is an
	// allergy under "Allergies not recorded".
	if t := strings.ToLower(title); strings.Contains(t, "allerg") || strings.Contains(t, "adverse reaction") {
		return SectionAllergies
	}
	return code
}

// titleIs reports whether title is want, in any case, or with prefix set
// begins with it ("Medication" or "Medications") as a whole word.
func titleIs(title, want string, prefix bool) bool {
	if len(title) < len(want) || !strings.EqualFold(title[:len(want)], want) {
		return false
	}
	rest := title[len(want):]
	if !prefix {
		return rest == ""
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "s"), "S")
	return rest == "" || rest[0] == ' ' || rest[0] == '('
}

// ClinicalEntry is one structured Condition, Observation or Procedure sent
// beside the narrative.
type ClinicalEntry struct {
	Kind     string // "Condition", "Observation" or "Procedure"
	Code     string // SNOMED CT concept id
	Display  string
	Category string // e.g. "Diagnoses", "Investigation Results"
	Date     FHIRDate
	Status   string // clinicalStatus for a Condition, status otherwise
	Value    string // an Observation's value, with its unit
}

// maxSummaryEntries bounds the structured entries kept.
const maxSummaryEntries = 5000

// ParseSummary reads the SCR Bundle.
func ParseSummary(bundle []byte) (*Summary, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			FullURL  string       `json:"fullUrl"`
			Resource fhirResource `json:"resource"`
		} `json:"entry"`
	}
	if err := decodeJSON(bundle, &b); err != nil {
		return nil, fmt.Errorf("client: SCR bundle: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("client: SCR answered a %q, not a Bundle", b.ResourceType)
	}
	byRef := make(map[string]*fhirResource, len(b.Entry))
	var comp *fhirResource
	for i := range b.Entry {
		r := &b.Entry[i].Resource
		byRef[r.ResourceType+"/"+r.ID] = r
		if r.ResourceType == "Composition" && comp == nil {
			comp = r
		}
	}
	if comp == nil {
		return nil, errors.New("client: SCR bundle has no Composition")
	}

	s := &Summary{
		Created: parseFHIRDate(comp.Date),
	}
	// Dates written in the narrative lie between the patient's birth and
	// the record's making.
	bounds := DateBounds{NotAfter: s.Created.Time}
	for i := range b.Entry {
		if r := &b.Entry[i].Resource; r.ResourceType == "Patient" {
			var born string
			_ = decodeJSON(r.BirthDate, &born) // a wrong type is no bound, not a failed record
			bounds.NotBefore = parseFHIRDate(born).Time
			break
		}
	}
	if ids := comp.identifiers(); len(ids) > 0 {
		s.ID = ids[0].Value
	}
	if s.ID == "" {
		s.ID = comp.ID
	}
	for _, a := range comp.Author {
		s.summaryAuthor(byRef, a.Reference, 0)
	}
	for i := range comp.Section {
		sec := &comp.Section[i]
		out := Section{Title: sec.Title}
		for _, c := range sec.Code.Coding {
			if out.Code = c.Code; out.Code != "" {
				break
			}
		}
		out.Kind = sectionKind(out.Code, out.Title)
		if out.Title == "" {
			out.Title = out.Code
		}
		out.Title = DisplayDates(out.Title, bounds)
		out.Blocks, out.Withheld = parseNarrative(string(sec.Text.Div), bounds)
		s.Withheld = s.Withheld || out.Withheld
		s.Sections = append(s.Sections, out)
	}

	for i := range b.Entry {
		r := &b.Entry[i].Resource
		switch r.ResourceType {
		case "Patient":
			for _, id := range r.identifiers() {
				if id.System == nhsNumberSystem && s.NHSNumber == "" {
					// An invalid number stays empty: the caller's check
					// against the number asked then fails, as it should.
					s.NHSNumber, _ = ParseNHSNumber(id.Value)
				}
			}
		case "Condition", "Observation", "Procedure":
			if len(s.Entries) < maxSummaryEntries {
				s.Entries = append(s.Entries, r.clinicalEntry())
			}
		}
	}
	return s, nil
}

// summaryAuthor fills Author and Practice from an author reference: a
// PractitionerRole (the SCR's way), a Practitioner or an Organization. depth
// stops a PractitionerRole that refers to itself.
func (s *Summary) summaryAuthor(byRef map[string]*fhirResource, ref string, depth int) {
	r := byRef[ref]
	if r == nil || depth > 1 {
		return
	}
	switch r.ResourceType {
	case "PractitionerRole":
		s.summaryAuthor(byRef, r.Practitioner.Reference, depth+1)
		s.summaryAuthor(byRef, r.Organization.Reference, depth+1)
	case "Practitioner":
		if s.Author.String() == "" {
			s.Author = r.humanName()
		}
	case "Organization":
		if s.Practice == (Organisation{}) {
			var name string
			_ = decodeJSON(r.Name, &name) // an Organization's name is a string
			s.Practice.Name = name
			for _, id := range r.identifiers() {
				if id.System == odsSystem {
					s.Practice.ODSCode = id.Value
				}
			}
		}
	}
}

// fhirResource holds the fields of every resource type the SCR bundle reader
// looks at. Fields whose type differs between resource types stay raw.
type fhirResource struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`

	// Composition
	// identifier is an object on a Composition, a list elsewhere; kept raw,
	// as most resources' identifiers are never read (see identifiers).
	RawIdentifier jsontext.Value  `json:"identifier"`
	Date          string          `json:"date"`
	Author        []fhirReference `json:"author"`
	Section       []struct {
		Title string      `json:"title"`
		Code  fhirConcept `json:"code"`
		Text  struct {
			Div markup `json:"div"`
		} `json:"text"`
	} `json:"section"`

	// PractitionerRole
	Practitioner fhirReference `json:"practitioner"`
	Organization fhirReference `json:"organization"`

	// Practitioner ([]HumanName) and Organization (string)
	Name jsontext.Value `json:"name"`

	// Patient: a string, kept raw so a wrong type does not fail the record
	BirthDate jsontext.Value `json:"birthDate"`

	// Condition, Observation, Procedure
	Code              fhirConcepts `json:"code"` // a list on PractitionerRole
	Category          fhirConcepts `json:"category"`
	ClinicalStatus    fhirConcept  `json:"clinicalStatus"`
	Status            string       `json:"status"`
	OnsetDateTime     string       `json:"onsetDateTime"`
	RecordedDate      string       `json:"recordedDate"`
	EffectiveDateTime string       `json:"effectiveDateTime"`
	EffectivePeriod   fhirPeriod   `json:"effectivePeriod"`
	Issued            string       `json:"issued"`
	PerformedDateTime string       `json:"performedDateTime"`
	PerformedPeriod   fhirPeriod   `json:"performedPeriod"`
	ValueQuantity     *struct {
		Value jsontext.Value `json:"value"`
		Unit  string         `json:"unit"`
	} `json:"valueQuantity"`
	ValueString          string       `json:"valueString"`
	ValueCodeableConcept *fhirConcept `json:"valueCodeableConcept"`
}

type fhirReference struct {
	Reference string `json:"reference"`
}

type fhirIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// identifiers decodes the resource's identifiers, one or a list.
func (r *fhirResource) identifiers() []fhirIdentifier {
	var ids []fhirIdentifier
	_ = unmarshalOneOrMany(r.RawIdentifier, &ids)
	return ids
}

// fhirConcepts is a CodeableConcept field sent as one (Condition.code) or a
// list (PractitionerRole.code, category).
type fhirConcepts []fhirConcept

// UnmarshalJSONFrom reads the field from the document's own decoder, which
// has already checked it, instead of copying it out and checking it again.
func (cs *fhirConcepts) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return unmarshalOneOrMany(v, (*[]fhirConcept)(cs))
}

// first is the first concept, or none.
func (cs fhirConcepts) first() fhirConcept {
	if len(cs) == 0 {
		return fhirConcept{}
	}
	return cs[0]
}

// unmarshalOneOrMany decodes a JSON object or array of objects into *list,
// decoding the bytes once either way. A value of the wrong shape is left
// unset rather than failing the record: these fields decorate it.
func unmarshalOneOrMany[T any](b []byte, list *[]T) error {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		if decodeJSON(b, list) != nil {
			*list = nil
		}
	case '{':
		var one T
		if decodeJSON(b, &one) == nil {
			*list = []T{one}
		}
	}
	return nil
}

// humanName is a Practitioner's first name: its parts and its text.
func (r *fhirResource) humanName() PersonName {
	var names []struct {
		Text   string   `json:"text"`
		Prefix []string `json:"prefix"`
		Given  []string `json:"given"`
		Family string   `json:"family"`
	}
	if decodeJSON(r.Name, &names) != nil || len(names) == 0 {
		return PersonName{}
	}
	n := names[0]
	return PersonName{Prefix: nonEmpty(n.Prefix), Given: nonEmpty(n.Given), Family: n.Family, Text: n.Text}
}

func (r *fhirResource) clinicalEntry() ClinicalEntry {
	e := ClinicalEntry{Kind: r.ResourceType}
	e.Code, e.Display = conceptCodeDisplay(r.Code.first())
	if len(r.Category) > 0 {
		_, e.Category = conceptCodeDisplay(r.Category[0])
	}
	switch r.ResourceType {
	case "Condition":
		// The code ("active"), which every system sends; display is optional.
		e.Status, _ = conceptCodeDisplay(r.ClinicalStatus)
		e.Date = firstFHIRDate(r.OnsetDateTime, r.RecordedDate)
	case "Observation":
		e.Status = r.Status
		e.Date = firstFHIRDate(r.EffectiveDateTime, r.EffectivePeriod.Start, r.Issued)
		switch {
		case r.ValueQuantity != nil:
			e.Value = safetext.Line(strings.TrimSpace(r.ValueQuantity.Value.String() + " " + r.ValueQuantity.Unit))
		case r.ValueString != "":
			e.Value = r.ValueString
		case r.ValueCodeableConcept != nil:
			_, e.Value = conceptCodeDisplay(*r.ValueCodeableConcept)
		}
	case "Procedure":
		e.Status = r.Status
		e.Date = firstFHIRDate(r.PerformedDateTime, r.PerformedPeriod.Start)
	}
	return e
}

// conceptCodeDisplay is a concept's first code and the best text for it:
// its text, else the first coding's display, else the code itself.
func conceptCodeDisplay(c fhirConcept) (code, display string) {
	for _, cd := range c.Coding {
		if code == "" {
			code = cd.Code
		}
		if display == "" {
			display = cd.Display
		}
	}
	if t := c.Text; t != "" {
		display = t
	}
	if display == "" {
		display = code
	}
	return code, display
}

func firstFHIRDate(ss ...string) FHIRDate {
	for _, s := range ss {
		if d := parseFHIRDate(s); !d.IsZero() {
			return d
		}
	}
	return FHIRDate{}
}
