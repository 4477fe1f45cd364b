package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Patient is a PDS record as the banner shows it. Every string has been
// through cleanText.
type Patient struct {
	NHSNumber NHSNumber // the record's own number
	// SupersededFrom is the number asked for when PDS answered with another
	// record: the asked-for number was merged into NHSNumber. Empty otherwise.
	SupersededFrom NHSNumber

	Name PersonName
	// NameInForce is false when no name's period covers today and Name is the
	// usual name with the latest period, so the screen can say so.
	NameInForce bool

	BirthDate FHIRDate
	Gender    string // "male", "female", "other", "unknown" or empty

	// Sensitive: meta.security holds R (restricted). PDS then withholds the
	// address, telecom and GP, and the screen must say so, not show blanks.
	Sensitive bool
	Address   Address // the home address in force today; zero if none
	GP        GP      // the registered practice in force today; zero if none

	Deceased     bool     // deceasedDateTime present, or deceasedBoolean true
	DeceasedDate FHIRDate // zero when only deceasedBoolean (or an unreadable date) was given
}

// PersonName is one of a patient's names.
type PersonName struct {
	Prefix []string // titles: "Mrs", "Dr"
	Given  []string
	Family string
	Suffix []string
}

// Title is the prefixes joined: "Mrs".
func (n PersonName) Title() string { return strings.Join(n.Prefix, " ") }

// String is the name in the order it is spoken: "Mrs Jane Smith".
func (n PersonName) String() string {
	parts := make([]string, 0, len(n.Prefix)+len(n.Given)+1)
	parts = append(parts, n.Prefix...)
	parts = append(parts, n.Given...)
	if n.Family != "" {
		parts = append(parts, n.Family)
	}
	return strings.Join(parts, " ")
}

// Address is a postal address.
type Address struct {
	Lines      []string
	PostalCode string
}

// IsZero reports an absent address.
func (a Address) IsZero() bool { return len(a.Lines) == 0 && a.PostalCode == "" }

// String is the address on one line.
func (a Address) String() string {
	parts := slices.Clone(a.Lines)
	if a.PostalCode != "" {
		parts = append(parts, a.PostalCode)
	}
	return strings.Join(parts, ", ")
}

// GP is the practice a patient is registered with.
type GP struct {
	ODSCode string // "Y12345"
	Name    string // the reference's display, when PDS sends one
}

// PatientMatch is one result of a PDS search.
type PatientMatch struct {
	Patient *Patient
	Score   float64 // 1 for an exact match
}

// ErrTooManyMatches is PDS's answer (200, an OperationOutcome with
// TOO_MANY_MATCHES) to a search that matched more patients than asked for:
// the user must narrow the search.
var ErrTooManyMatches = errors.New("client: too many patients match; add more details to the search")

// ParsePatient reads a PDS Patient. asked is the number the user asked for
// (empty when the patient came from a search); now decides which name,
// address and GP are in force, by its calendar date in its own location, so
// pass local time.
func ParsePatient(data []byte, asked NHSNumber, now time.Time) (*Patient, error) {
	var r fhirPatient
	if err := decodeJSON(data, &r); err != nil {
		return nil, fmt.Errorf("client: PDS patient: %w", err)
	}
	if r.ResourceType != "Patient" {
		return nil, fmt.Errorf("client: PDS answered a %q, not a Patient", cleanText(r.ResourceType))
	}
	p, err := r.patient(now)
	if err != nil {
		return nil, err
	}
	if asked != "" && asked != p.NHSNumber {
		p.SupersededFrom = asked
	}
	return p, nil
}

// ParsePatientSearch reads the answer to a PDS search: a searchset Bundle,
// best match first, or ErrTooManyMatches.
func ParsePatientSearch(data []byte, now time.Time) ([]PatientMatch, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Search struct {
				Score float64 `json:"score"`
			} `json:"search"`
			Resource fhirPatient `json:"resource"`
		} `json:"entry"`
		Issue []fhirIssue `json:"issue"`
	}
	if err := decodeJSON(data, &b); err != nil {
		return nil, fmt.Errorf("client: PDS search: %w", err)
	}
	switch b.ResourceType {
	case "Bundle":
	case "OperationOutcome":
		for _, is := range b.Issue {
			if is.Code == "multiple-matches" || is.hasSpineCode("TOO_MANY_MATCHES") {
				return nil, ErrTooManyMatches
			}
		}
		return nil, fmt.Errorf("client: PDS search answered with an OperationOutcome: %s", issuesText(b.Issue))
	default:
		return nil, fmt.Errorf("client: PDS search answered a %q, not a Bundle", cleanText(b.ResourceType))
	}
	matches := make([]PatientMatch, 0, len(b.Entry))
	for i := range b.Entry {
		e := &b.Entry[i]
		if e.Resource.ResourceType != "Patient" {
			continue // PDS sends none; anything else is not a match to offer
		}
		p, err := e.Resource.patient(now)
		if err != nil {
			return nil, fmt.Errorf("client: PDS search result %d: %w", i+1, err)
		}
		matches = append(matches, PatientMatch{Patient: p, Score: e.Search.Score})
	}
	slices.SortStableFunc(matches, func(a, b PatientMatch) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return matches, nil
}

// fhirPatient is the part of a PDS Patient the viewer reads.
type fhirPatient struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		Security []fhirCoding `json:"security"`
	} `json:"meta"`
	Name []struct {
		Use    string     `json:"use"`
		Period fhirPeriod `json:"period"`
		Prefix []string   `json:"prefix"`
		Given  []string   `json:"given"`
		Family string     `json:"family"`
		Suffix []string   `json:"suffix"`
	} `json:"name"`
	Gender           string `json:"gender"`
	BirthDate        string `json:"birthDate"`
	DeceasedDateTime string `json:"deceasedDateTime"`
	DeceasedBoolean  bool   `json:"deceasedBoolean"`
	Address          []struct {
		Use        string     `json:"use"`
		Period     fhirPeriod `json:"period"`
		Line       []string   `json:"line"`
		PostalCode string     `json:"postalCode"`
	} `json:"address"`
	GeneralPractitioner []struct {
		Display    string `json:"display"`
		Identifier struct {
			Value  string     `json:"value"`
			Period fhirPeriod `json:"period"`
		} `json:"identifier"`
	} `json:"generalPractitioner"`
}

func (r *fhirPatient) patient(now time.Time) (*Patient, error) {
	id, err := ParseNHSNumber(r.ID)
	if err != nil {
		// A record without a valid number cannot be matched to the person in
		// front of the pharmacist: refuse it rather than show it.
		return nil, fmt.Errorf("client: PDS patient id: %w", err)
	}
	p := &Patient{
		NHSNumber:    id,
		BirthDate:    parseFHIRDate(r.BirthDate),
		Gender:       cleanText(r.Gender),
		DeceasedDate: parseFHIRDate(r.DeceasedDateTime),
	}
	// A date we cannot read still means the patient has died.
	p.Deceased = r.DeceasedBoolean || r.DeceasedDateTime != ""
	for _, c := range r.Meta.Security {
		if c.Code == "R" {
			p.Sensitive = true
		}
	}

	// The name in force, usual before any other; failing that, the usual name
	// (or any name) that was in force last.
	best, bestRank := -1, 0
	for i, n := range r.Name {
		rank := 0
		switch {
		case n.Period.covers(now) && n.Use == "usual":
			rank = 4
		case n.Period.covers(now) && n.Use != "old":
			rank = 3
		case n.Use == "usual":
			rank = 2
		default:
			rank = 1
		}
		if rank > bestRank || (rank == bestRank && rank <= 2 && n.Period.later(r.Name[best].Period)) {
			best, bestRank = i, rank
		}
	}
	if best >= 0 {
		n := r.Name[best]
		p.Name = PersonName{
			Prefix: cleanTexts(n.Prefix),
			Given:  cleanTexts(n.Given),
			Family: cleanText(n.Family),
			Suffix: cleanTexts(n.Suffix),
		}
		p.NameInForce = bestRank >= 3
	}

	for _, a := range r.Address {
		if a.Use == "home" && a.Period.covers(now) {
			p.Address = Address{Lines: cleanTexts(a.Line), PostalCode: cleanText(a.PostalCode)}
			break
		}
	}
	for _, g := range r.GeneralPractitioner {
		if g.Identifier.Period.covers(now) {
			p.GP = GP{ODSCode: cleanText(g.Identifier.Value), Name: cleanText(g.Display)}
			break
		}
	}
	if p.Sensitive {
		// PDS withholds these for a restricted patient; should a record
		// carry them anyway, the viewer must not be what discloses them.
		p.Address, p.GP = Address{}, GP{}
	}
	return p, nil
}

// cleanTexts is cleanText over a list, dropping entries left empty.
func cleanTexts(ss []string) []string {
	var out []string
	for _, s := range ss {
		if c := cleanText(s); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// FHIRDate is a FHIR date or dateTime, which may be only a year or a month.
type FHIRDate struct {
	Time      time.Time // UTC midnight for a date; as sent for a dateTime
	Precision DatePrecision
}

// DatePrecision is how much of a FHIRDate was given.
type DatePrecision int

const (
	PrecisionNone DatePrecision = iota
	PrecisionYear
	PrecisionMonth
	PrecisionDay
	PrecisionTime
)

// IsZero reports an absent or unreadable date.
func (d FHIRDate) IsZero() bool { return d.Precision == PrecisionNone }

// String formats the date as the SCR does, "22-Oct-2010", to the precision
// given; a time is shown to the minute.
func (d FHIRDate) String() string {
	switch d.Precision {
	case PrecisionYear:
		return d.Time.Format("2006")
	case PrecisionMonth:
		return d.Time.Format("Jan-2006")
	case PrecisionDay:
		return d.Time.Format("02-Jan-2006")
	case PrecisionTime:
		return d.Time.Format("02-Jan-2006 15:04")
	}
	return ""
}

// parseFHIRDate reads any of FHIR's date and dateTime forms; anything else is
// the zero FHIRDate, since a malformed date is not worth refusing a record
// over, and the screen shows it as absent.
func parseFHIRDate(s string) FHIRDate {
	for _, f := range [...]struct {
		layout string
		p      DatePrecision
	}{
		{time.RFC3339, PrecisionTime},
		{"2006-01-02", PrecisionDay},
		{"2006-01", PrecisionMonth},
		{"2006", PrecisionYear},
	} {
		if t, err := time.Parse(f.layout, s); err == nil {
			return FHIRDate{Time: t, Precision: f.p}
		}
	}
	return FHIRDate{}
}

// fhirPeriod is a FHIR Period; either end may be open.
type fhirPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// covers reports whether now falls within the period, by calendar day:
// a period ending 2025-12-31 is still in force on that day.
func (p fhirPeriod) covers(now time.Time) bool {
	today := now.Format("2006-01-02")
	start, end := fhirDay(p.Start), fhirDay(p.End)
	return (start == "" || start <= today) && (end == "" || today <= end)
}

// later reports whether p was in force later than q: an open end is latest,
// then the later end, then the later start.
func (p fhirPeriod) later(q fhirPeriod) bool {
	pe, qe := fhirDay(p.End), fhirDay(q.End)
	switch {
	case pe == "" && qe != "":
		return true
	case pe != "" && qe == "":
		return false
	case pe != qe:
		return pe > qe
	}
	return fhirDay(p.Start) > fhirDay(q.Start)
}

// fhirDay is the YYYY-MM-DD prefix of a FHIR date or dateTime, which compares
// as a string; a partial date compares as its first day.
func fhirDay(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// fhirCoding is a FHIR Coding.
type fhirCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

// fhirConcept is a FHIR CodeableConcept.
type fhirConcept struct {
	Coding []fhirCoding `json:"coding"`
	Text   string       `json:"text"`
}

// fhirIssue is one OperationOutcome issue.
type fhirIssue struct {
	Severity    string      `json:"severity"`
	Code        string      `json:"code"`
	Details     fhirConcept `json:"details"`
	Diagnostics string      `json:"diagnostics"`
}

func (is fhirIssue) hasSpineCode(code string) bool {
	for _, c := range is.Details.Coding {
		if c.Code == code {
			return true
		}
	}
	return false
}

// issuesText is an OperationOutcome's issues, cleaned, for an error message.
func issuesText(issues []fhirIssue) string {
	var parts []string
	for _, is := range issues {
		part := is.Code
		for _, c := range is.Details.Coding {
			part += " " + c.Code
		}
		if is.Details.Text != "" {
			part += ": " + is.Details.Text
		}
		parts = append(parts, cleanText(part))
	}
	return strings.Join(parts, "; ")
}
