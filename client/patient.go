package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/safetext"
)

// Patient is a PDS record as the banner shows it. Every string has been
// through the gate, safetext.Line, as it was decoded (see decodeOptions).
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

	// Security is the meta.security label's code when it restricts the
	// record: SecurityRestricted, SecurityVeryRestricted, SecurityRedacted,
	// or a code not known here (cleaned, cut short). Empty for U
	// (unrestricted) or no label.
	Security string
	// Sensitive: Security is set. PDS then withholds the address, telecom
	// and GP, and the screen must say so, not show blanks. An unknown label
	// counts, to fail safe.
	Sensitive bool
	Address   Address // the home address in force today; zero if none
	GP        GP      // the registered practice in force today; zero if none

	Deceased     bool     // deceasedDateTime present, or deceasedBoolean true
	DeceasedDate FHIRDate // zero when only deceasedBoolean (or an unreadable date) was given
}

// PersonName is a person's name: one of a patient's names, or the author
// of a record.
type PersonName struct {
	Prefix []string // titles: "Mrs", "Dr"
	Given  []string
	Family string
	Suffix []string
	// Text is the name as one string, as the sender wrote it. PDS sends
	// parts; a record's author often comes as text alone, in whatever order
	// the GP system wrote it ("Dr Steve Jones", "BLOGGS Fred").
	Text string
}

// HasParts reports whether the sender gave the name in parts, so that it
// can be put in any order; without them only Text can be shown.
func (n PersonName) HasParts() bool {
	return strings.TrimSpace(n.Family) != "" || strings.TrimSpace(strings.Join(n.Given, "")) != ""
}

// Title is the prefixes joined: "Mrs".
func (n PersonName) Title() string { return strings.Join(n.Prefix, " ") }

// String is the name in the order it is spoken: "Mrs Jane Smith", or Text
// when it came without parts.
func (n PersonName) String() string {
	if n.Text != "" && !n.HasParts() {
		return n.Text
	}
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

// The PDS security labels (meta.security, v3-Confidentiality) that withhold
// the address, telecom and GP.
const (
	SecurityRestricted     = "R"
	SecurityVeryRestricted = "V"
	SecurityRedacted       = "REDACTED"
	securityUnrestricted   = "U"
)

// securityRank orders the labels a record may carry several of, most
// restrictive last; a code not known here ranks lowest, but still restricts.
var securityRank = map[string]int{SecurityRestricted: 1, SecurityRedacted: 2, SecurityVeryRestricted: 3}

// securityLabel is the most restrictive label of a record other than U, or ""
// if none restricts it.
func securityLabel(codes []fhirCoding) string {
	best, bestRank := "", -1
	for _, c := range codes {
		code := strings.TrimSpace(c.Code)
		if code == "" || code == securityUnrestricted {
			continue
		}
		if r := securityRank[code]; r > bestRank {
			best, bestRank = code, r
		}
	}
	if bestRank == 0 {
		// Unknown: kept for the banner to name, but it is the server's text.
		if r := []rune(best); len(r) > 12 {
			best = string(r[:12]) + "…"
		}
		if best == "" {
			best = "?"
		}
	}
	return best
}

// PatientMatch is one result of a PDS search.
type PatientMatch struct {
	// Patient is the match. For an unusable one it holds only what tells
	// the entry apart in a list (name, birth date, gender), its NHSNumber is
	// empty, and it is nil when the entry is not a Patient at all.
	Patient *Patient
	Score   float64 // 1 for an exact match
	// Unusable is why this match cannot be chosen; Usable (zero) if it can.
	Unusable UnusableReason
}

// UnusableReason is why one search result cannot be used. The others of the
// search stay usable: one bad entry does not hide the rest.
type UnusableReason int

const (
	Usable             UnusableReason = iota
	UnusableNotPatient                // the entry is not a Patient
	UnusableNoNumber                  // no NHS number (id) at all
	UnusableBadNumber                 // an NHS number of the wrong length or with other characters
	UnusableCheckDigit                // an NHS number whose check digit fails
	UnusableNoName                    // no name to tell the patient by
)

// String names the reason, for an error message or a log.
func (r UnusableReason) String() string {
	switch r {
	case Usable:
		return "usable"
	case UnusableNotPatient:
		return "not a Patient"
	case UnusableNoNumber:
		return "no NHS number"
	case UnusableBadNumber:
		return "malformed NHS number"
	case UnusableCheckDigit:
		return "NHS number fails the check digit"
	case UnusableNoName:
		return "no name"
	}
	return fmt.Sprintf("UnusableReason(%d)", int(r))
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
		return nil, fmt.Errorf("client: PDS answered a %q, not a Patient", r.ResourceType)
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
// or ErrTooManyMatches. Every entry is a match: usable ones best first, then
// those that cannot be used, each with its reason.
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
		return nil, fmt.Errorf("client: PDS search answered a %q, not a Bundle", b.ResourceType)
	}
	matches := make([]PatientMatch, 0, len(b.Entry))
	for i := range b.Entry {
		e := &b.Entry[i]
		m := PatientMatch{Score: e.Search.Score}
		if e.Resource.ResourceType != "Patient" {
			m.Unusable = UnusableNotPatient // PDS sends none
			matches = append(matches, m)
			continue
		}
		p, err := e.Resource.patient(now)
		m.Patient = p
		var bad *InvalidNHSNumberError
		switch {
		case strings.TrimSpace(e.Resource.ID) == "":
			m.Unusable = UnusableNoNumber
		case errors.As(err, &bad) && bad.Reason == NHSNumberCheckDigit:
			m.Unusable = UnusableCheckDigit
		case err != nil:
			m.Unusable = UnusableBadNumber
		case p.Name.Family == "" && len(p.Name.Given) == 0:
			m.Unusable = UnusableNoName
		}
		if m.Unusable != Usable {
			// Only what tells the entry apart in the list is kept: a
			// record that cannot be matched to the person is not shown.
			m.Patient = &Patient{Name: p.Name, NameInForce: p.NameInForce, BirthDate: p.BirthDate, Gender: p.Gender}
		}
		matches = append(matches, m)
	}
	slices.SortStableFunc(matches, func(a, b PatientMatch) int {
		switch {
		case (a.Unusable == Usable) != (b.Unusable == Usable):
			if a.Unusable == Usable {
				return -1
			}
			return 1
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

// patient reads the record. A record without a valid number cannot be matched
// to the person in front of the pharmacist: it is refused (the error wraps the
// *InvalidNHSNumberError), though the Patient, number empty, is still returned
// for a search to list as unusable.
func (r *fhirPatient) patient(now time.Time) (*Patient, error) {
	id, idErr := ParseNHSNumber(r.ID)
	if idErr != nil {
		idErr = fmt.Errorf("client: PDS patient id: %w", idErr)
	}
	p := &Patient{
		NHSNumber:    id,
		BirthDate:    parseFHIRDate(r.BirthDate),
		Gender:       r.Gender,
		DeceasedDate: parseFHIRDate(r.DeceasedDateTime),
	}
	// A date we cannot read still means the patient has died.
	p.Deceased = r.DeceasedBoolean || r.DeceasedDateTime != ""
	p.Security = securityLabel(r.Meta.Security)
	p.Sensitive = p.Security != ""

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
			Prefix: nonEmpty(n.Prefix),
			Given:  nonEmpty(n.Given),
			Family: n.Family,
			Suffix: nonEmpty(n.Suffix),
		}
		p.NameInForce = bestRank >= 3
	}

	for _, a := range r.Address {
		if a.Use == "home" && a.Period.covers(now) {
			p.Address = Address{Lines: nonEmpty(a.Line), PostalCode: a.PostalCode}
			break
		}
	}
	for _, g := range r.GeneralPractitioner {
		if g.Identifier.Period.covers(now) {
			p.GP = GP{ODSCode: g.Identifier.Value, Name: g.Display}
			break
		}
	}
	if p.Sensitive {
		// PDS withholds these for a restricted patient; should a record
		// carry them anyway, the viewer must not be what discloses them.
		p.Address, p.GP = Address{}, GP{}
	}
	return p, idErr
}

// nonEmpty is ss without the entries that are empty (or were nothing but
// what the gate removed).
func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// FHIRDate is a FHIR date or dateTime, which may be only a year or a month.
type FHIRDate struct {
	Time      time.Time // UTC midnight for a date; as sent for a dateTime (its clock time in UTC if sent without a zone)
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

// parseFHIRDate reads any of FHIR's date and dateTime forms, each at its own
// precision: "2017", "2017-10", "2017-10-09", "2017-10-09T15:25:00+01:00".
// It also reads the dateTimes NHS systems send that FHIR does not allow: no
// seconds ("2017-10-09T15:25+00:00", as Spine sends Composition.date), and
// no zone (see parseFHIRDateTime). Anything else is the zero FHIRDate, since
// a malformed date is not worth refusing a record over, and the screen
// shows it as absent.
func parseFHIRDate(s string) FHIRDate {
	s = strings.TrimSpace(s)
	// Fixed positions, not time.Parse: RFC3339 refuses a time without
	// seconds, and a partial date must keep its precision.
	y, ny := scanDigits(s, 0)
	if ny != 4 || y == 0 {
		return FHIRDate{}
	}
	if len(s) == 4 {
		return FHIRDate{Time: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), Precision: PrecisionYear}
	}
	if s[4] != '-' || !twoDigitsAt(s, 5) || (len(s) > 7 && s[7] != '-') {
		return FHIRDate{}
	}
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	if m < 1 || m > 12 {
		return FHIRDate{}
	}
	if len(s) == 7 {
		return FHIRDate{Time: time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), Precision: PrecisionMonth}
	}
	if !twoDigitsAt(s, 8) {
		return FHIRDate{}
	}
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if !validDay(y, m, d) {
		return FHIRDate{}
	}
	if len(s) == 10 {
		return FHIRDate{Time: time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), Precision: PrecisionDay}
	}
	if t, ok := parseFHIRDateTime(s, y, m, d); ok {
		return FHIRDate{Time: t, Precision: PrecisionTime}
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
		parts = append(parts, safetext.Line(part))
	}
	return strings.Join(parts, "; ")
}
