package records

import (
	"encoding/json"
	"fmt"
	"slices"
)

// FHIR systems and extensions the PDS side reads.
const (
	nhsNumberSystem       = "https://fhir.nhs.uk/Id/nhs-number"
	confidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	restrictedCode        = "R" // meta.security: a sensitive patient
	veryRestrictedCode    = "V" // meta.security: very restricted, withheld at least as R is

	extDeathNotification = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus"
	extCommunication     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication"
	extContactPreference = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference"
)

// pdsPatient is what the sandbox reads from a PDS Patient to check it and to
// search on it. What it serves is the file itself (see views).
type pdsPatient struct {
	ResourceType string       `json:"resourceType"`
	ID           string       `json:"id"`
	Identifier   []identifier `json:"identifier"`
	Meta         struct {
		VersionID string   `json:"versionId"`
		Security  []coding `json:"security"`
	} `json:"meta"`
	Name                []humanName    `json:"name"`
	Gender              string         `json:"gender"`
	BirthDate           string         `json:"birthDate"`
	DeceasedDateTime    string         `json:"deceasedDateTime"`
	Address             []address      `json:"address"`
	Telecom             []contactPoint `json:"telecom"`
	GeneralPractitioner []reference    `json:"generalPractitioner"`
}

type reference struct {
	Identifier identifier `json:"identifier"`
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type humanName struct {
	Use    string   `json:"use"`
	Period *period  `json:"period"`
	Prefix []string `json:"prefix"`
	Given  []string `json:"given"`
	Family string   `json:"family"`
}

type address struct {
	Use        string  `json:"use"`
	Period     *period `json:"period"`
	PostalCode string  `json:"postalCode"`
}

type contactPoint struct {
	System string  `json:"system"`
	Value  string  `json:"value"`
	Period *period `json:"period"`
}

type extension struct {
	URL string `json:"url"`
}

// restricted reports whether the patient is sensitive: meta.security holds the
// v3 Confidentiality code R, or V, which only tightens R and so must never
// give away more than R does.
func (p *pdsPatient) restricted() bool {
	return slices.ContainsFunc(p.Meta.Security, func(c coding) bool {
		return c.System == confidentialitySystem && (c.Code == restrictedCode || c.Code == veryRestrictedCode)
	})
}

// nhsNumber is the value of the patient's NHS number identifier.
func (p *pdsPatient) nhsNumber() string {
	for _, id := range p.Identifier {
		if id.System == nhsNumberSystem {
			return id.Value
		}
	}
	return ""
}

// A view is which members of a Patient an answer keeps, and how it trims each:
// members it does not name are dropped, so a view is an allowlist and a field
// added to a patient file later is not served where it should not be.
type view map[string]func(json.RawMessage) (json.RawMessage, bool, error)

func keep(v json.RawMessage) (json.RawMessage, bool, error) { return v, true, nil }

func extensionsOnly(urls ...string) func(json.RawMessage) (json.RawMessage, bool, error) {
	return func(v json.RawMessage) (json.RawMessage, bool, error) {
		return filterArray(v, func(e extension) bool { return slices.Contains(urls, e.URL) })
	}
}

func namesOfUse(uses ...string) func(json.RawMessage) (json.RawMessage, bool, error) {
	return func(v json.RawMessage) (json.RawMessage, bool, error) {
		return filterArray(v, func(n humanName) bool { return slices.Contains(uses, n.Use) })
	}
}

func addressesOfUse(uses ...string) func(json.RawMessage) (json.RawMessage, bool, error) {
	return func(v json.RawMessage) (json.RawMessage, bool, error) {
		return filterArray(v, func(a address) bool { return slices.Contains(uses, a.Use) })
	}
}

// The members every view keeps as they are.
var coreMembers = []string{
	"resourceType", "id", "identifier", "meta", "name", "gender", "birthDate",
	"multipleBirthInteger", "multipleBirthBoolean", "deceasedDateTime", "deceasedBoolean",
}

func newView(extra view) view {
	v := view{}
	for _, m := range coreMembers {
		v[m] = keep
	}
	for m, f := range extra {
		v[m] = f
	}
	return v
}

var (
	// restrictedRead is a sensitive patient's retrieval: PDS removes the
	// location-sensitive fields (address, telecom, contact, GP and the
	// pharmacies, which give away where the patient lives), the shape of the
	// published Sensitive_Patient.json.
	restrictedRead = newView(view{
		"extension": extensionsOnly(extDeathNotification, extCommunication, extContactPreference),
	})

	// searchResult is a patient as a search returns them. PDS's search answers
	// carry usual, nickname and temporary names, the home address, contact
	// details, the registered GP and death information, and leave out the place
	// of birth, other names and addresses, pharmacies, communication and contact
	// preferences (as in the published PatientSearch.json).
	searchResult = newView(view{
		"name":                namesOfUse("usual", "nickname", "temp"),
		"address":             addressesOfUse("home"),
		"telecom":             keep,
		"contact":             keep,
		"generalPractitioner": keep,
		"extension":           extensionsOnly(extDeathNotification),
	})

	// restrictedSearchResult is a sensitive patient as a search returns them.
	restrictedSearchResult = newView(view{
		"name":      namesOfUse("usual", "nickname", "temp"),
		"extension": extensionsOnly(extDeathNotification),
	})
)

// apply encodes the Patient in raw as the view keeps it, compact and in the
// file's member order.
func (v view) apply(raw []byte) ([]byte, error) {
	ms, err := members(raw)
	if err != nil {
		return nil, err
	}
	kept := ms[:0]
	for _, m := range ms {
		trim, ok := v[m.name]
		if !ok {
			continue
		}
		value, ok, err := trim(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		if ok {
			kept = append(kept, member{m.name, value})
		}
	}
	return encodeObject(kept)
}
