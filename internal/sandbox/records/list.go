package records

import (
	"io/fs"
	"slices"
	"strings"
)

// Patient describes one synthetic patient, for listings such as
// `scr-sandbox patients`.
type Patient struct {
	NHSNumber string
	Name      string // the usual name: "Mrs Zoë Anne Ashworth"
	BirthDate string // YYYY-MM-DD
	Sensitive bool   // restricted on PDS: no address, telecom or GP is served
	Deceased  bool
	Consent   string // their SCR's SCR-ACSPermission (Ask, No or Yes); "" if they have no SCR
	// OutdatedSCR is when the DocumentReference search gives an SCR id whose
	// Bundle is empty: "once" (a session's first search), "always", or "".
	OutdatedSCR string
	// The usual name's parts, for listing in the viewer's order: "Smith",
	// "Jane", "Mrs" (given names and titles joined by spaces).
	Family, Given, Title string
}

// List reads the patients folder (assets.Patients), checked as New checks it,
// and returns its patients by NHS number.
func List(patients fs.FS) ([]Patient, error) {
	s, err := loadStore(patients)
	if err != nil {
		return nil, err
	}
	out := make([]Patient, 0, len(s.sorted))
	for _, p := range s.sorted {
		l := Patient{
			NHSNumber: p.nhs,
			BirthDate: p.pds.BirthDate,
			Sensitive: p.pds.restricted(),
			Deceased:  p.pds.DeceasedDateTime != "",
		}
		var usual *humanName // the latest
		for i, n := range p.pds.Name {
			if n.Use == "usual" && (usual == nil || periodStart(n.Period) > periodStart(usual.Period)) {
				usual = &p.pds.Name[i]
			}
		}
		if usual != nil {
			l.Name = strings.Join(slices.Concat(usual.Prefix, usual.Given, []string{usual.Family}), " ")
			l.Family, l.Given, l.Title = usual.Family, strings.Join(usual.Given, " "), strings.Join(usual.Prefix, " ")
		}
		if p.scr != nil {
			l.Consent, l.OutdatedSCR = p.scr.consent, p.scr.outdated
		}
		out = append(out, l)
	}
	return out, nil
}
