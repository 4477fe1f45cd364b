package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The NHS's published examples, in the project's copy of NHS England's
// payloads (internal/nhscorpus): the PDS sandbox's mocks and the SCR
// specification's examples. They are the contract.
const (
	publishedPDS = "../internal/nhscorpus/published/pds/sandbox/mocks"
	publishedSCR = "../internal/nhscorpus/published/scr/specification/components/examples"
)

// sandboxPatients holds the sandbox's synthetic patients.
const sandboxPatients = "../assets/sandbox/patients"

// testNow is a fixed "today" inside every sandbox patient's current periods
// and after the end of 9000000009's name period (2025-12-31).
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func readTestFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustParsePatient(t *testing.T, path string, asked NHSNumber) *Patient {
	t.Helper()
	p, err := ParsePatient(readTestFile(t, path), asked, testNow)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

func TestParsePatientReference(t *testing.T) {
	p := mustParsePatient(t, filepath.Join(publishedPDS, "Patient.json"), "9000000009")
	if p.NHSNumber != "9000000009" || p.SupersededFrom != "" {
		t.Errorf("number %q superseded from %q", p.NHSNumber, p.SupersededFrom)
	}
	// The only name's period ended 2025-12-31: fall back to it, and say so.
	if got := p.Name.String(); got != "Mrs Jane Smith" || p.NameInForce {
		t.Errorf("name %q in force %v", got, p.NameInForce)
	}
	if p.BirthDate.String() != "22-Oct-2010" || p.Gender != "female" {
		t.Errorf("born %v gender %q", p.BirthDate, p.Gender)
	}
	if !p.Deceased || p.DeceasedDate.String() != "22-Oct-2010 00:00" {
		t.Errorf("deceased %v %v", p.Deceased, p.DeceasedDate)
	}
	if p.Sensitive {
		t.Error("unrestricted patient read as sensitive")
	}

	// On a day inside the periods the name, address and GP are in force.
	p, err := ParsePatient(readTestFile(t, filepath.Join(publishedPDS, "Patient.json")), "9000000009",
		time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !p.NameInForce || p.Address.String() != "1 Trevelyan Square, Boar Lane, City Centre, Leeds, West Yorkshire, LS1 6AE" || p.GP.ODSCode != "Y12345" {
		t.Errorf("in force %v address %q GP %+v", p.NameInForce, p.Address, p.GP)
	}
}

func TestParsePatientSensitiveAndMinimal(t *testing.T) {
	p := mustParsePatient(t, filepath.Join(publishedPDS, "Sensitive_Patient.json"), "")
	if !p.Sensitive || !p.Address.IsZero() || p.GP != (GP{}) {
		t.Errorf("sensitive %v address %q GP %+v", p.Sensitive, p.Address, p.GP)
	}
	p = mustParsePatient(t, filepath.Join(publishedPDS, "Minimal_Patient.json"), "")
	if p.NHSNumber != "9000000033" || p.Name.String() != "" {
		t.Errorf("minimal: %+v", p)
	}
}

func TestParsePatientSandbox(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(sandboxPatients, "9*"))
	if err != nil || len(dirs) < 13 {
		t.Fatalf("sandbox patients: %d, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		asked := NHSNumber(filepath.Base(dir))
		p := mustParsePatient(t, filepath.Join(dir, "patient.json"), asked)
		if p.NHSNumber != asked || p.Name.Family == "" {
			t.Errorf("%s: %q %q", dir, p.NHSNumber, p.Name)
		}
	}

	p := mustParsePatient(t, filepath.Join(sandboxPatients, "9000000025/patient.json"), "9000000025")
	if !p.Sensitive || !p.Address.IsZero() {
		t.Errorf("9000000025 not sensitive: %+v", p)
	}
	p = mustParsePatient(t, filepath.Join(sandboxPatients, "9000000084/patient.json"), "9000000084")
	if !p.Deceased || p.DeceasedDate.Time.Format("2006-01-02") != "2026-10-02" || p.Name.String() != "Mr Seán Ó Súilleabháin" {
		t.Errorf("9000000084: %+v", p)
	}
	// A previous name and address whose periods ended are not shown.
	p = mustParsePatient(t, filepath.Join(sandboxPatients, "9000000076/patient.json"), "9000000076")
	if p.Name.String() != "Mrs Zoë Anne Ashworth" || p.Address.PostalCode != "BD22 8QJ" || p.GP.ODSCode != "Y90076" {
		t.Errorf("9000000076: %+v", p)
	}
	// PDS answers 9000000106 with its successor's record.
	p = mustParsePatient(t, filepath.Join(sandboxPatients, "9000000114/patient.json"), "9000000106")
	if p.NHSNumber != "9000000114" || p.SupersededFrom != "9000000106" {
		t.Errorf("superseded: %q from %q", p.NHSNumber, p.SupersededFrom)
	}
}

func TestParsePatientRejects(t *testing.T) {
	for _, in := range []string{
		`{"resourceType":"OperationOutcome"}`,
		`{"resourceType":"Patient","id":"9000000008"}`,
		`{"resourceType":"Patient"}`,
		`[`,
		// A name given twice could be read two ways by two programs.
		`{"resourceType":"Patient","id":"9000000009","id":"9000000017"}`,
	} {
		if p, err := ParsePatient([]byte(in), "", testNow); err == nil {
			t.Errorf("ParsePatient(%s) = %+v, want an error", in, p)
		}
	}
}

// Invalid UTF-8 in a name costs that character, not the patient.
func TestParsePatientInvalidUTF8(t *testing.T) {
	in := "{\"resourceType\":\"Patient\",\"id\":\"9000000009\",\"name\":[{\"use\":\"usual\",\"family\":\"Sm\xffith\",\"given\":[\"Jane\"]}]}"
	p, err := ParsePatient([]byte(in), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Name.String(); got != "Jane Sm\uFFFDith" {
		t.Errorf("name %q", got)
	}
}

func TestParsePatientCleansText(t *testing.T) {
	in := `{"resourceType":"Patient","id":"9000000009","name":[{"use":"usual","family":"Smith\u001b[2J","given":["\u202eJane"]}]}`
	p, err := ParsePatient([]byte(in), "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name.String() != "Jane Smith" {
		t.Errorf("name %q", p.Name)
	}
}

func TestParsePatientSearch(t *testing.T) {
	m, err := ParsePatientSearch(readTestFile(t, filepath.Join(publishedPDS, "PatientSearch.json")), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Score != 0.75 || m[0].Patient.NHSNumber != "9000000009" {
		t.Errorf("matches %+v", m)
	}

	// The sandbox's answer, verbatim (internal/sandbox/records/outcome.go).
	tooMany := `{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"multiple-matches",` +
		`"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1",` +
		`"code":"TOO_MANY_MATCHES","display":"Too Many Matches"}]}}]}`
	if _, err := ParsePatientSearch([]byte(tooMany), testNow); !errors.Is(err, ErrTooManyMatches) {
		t.Errorf("too many matches: %v", err)
	}

	empty := `{"resourceType":"Bundle","type":"searchset","total":0}`
	if m, err := ParsePatientSearch([]byte(empty), testNow); err != nil || len(m) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}

	two := `{"resourceType":"Bundle","entry":[
		{"search":{"score":0.8},"resource":{"resourceType":"Patient","id":"9000000149","name":[{"family":"A"}]}},
		{"search":{"score":1},"resource":{"resourceType":"Patient","id":"9000000157","name":[{"family":"B"}]}}]}`
	m, err = ParsePatientSearch([]byte(two), testNow)
	if err != nil || len(m) != 2 || m[0].Patient.NHSNumber != "9000000157" {
		t.Errorf("not best first: %+v %v", m, err)
	}
}

func FuzzParsePatient(f *testing.F) {
	for _, name := range []string{"Patient.json", "Minimal_Patient.json", "Sensitive_Patient.json"} {
		f.Add(readTestFile(f, filepath.Join(publishedPDS, name)))
	}
	f.Add(readTestFile(f, filepath.Join(sandboxPatients, "9000000076/patient.json")))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePatient(data, "9000000009", testNow)
		if err != nil {
			return
		}
		for _, s := range append([]string{p.Name.String(), p.Address.String(), p.GP.ODSCode, p.GP.Name, p.Gender}, p.Address.Lines...) {
			assertInert(t, s)
		}
		_, _ = ParsePatientSearch(data, testNow)
	})
}

func TestParsePatientSensitiveWithholdsEvenIfSent(t *testing.T) {
	in := `{"resourceType":"Patient","id":"9000000025","meta":{"security":[{"code":"R"}]},
		"address":[{"use":"home","line":["1 Secret Road"]}],
		"generalPractitioner":[{"identifier":{"value":"Y90025"}}],
		"deceasedDateTime":"not a date"}`
	p, err := ParsePatient([]byte(in), "9000000025", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Sensitive || !p.Address.IsZero() || p.GP != (GP{}) {
		t.Errorf("sensitive patient disclosed: %+v", p)
	}
	if !p.Deceased || !p.DeceasedDate.IsZero() {
		t.Errorf("unreadable date of death: deceased %v %v", p.Deceased, p.DeceasedDate)
	}
}
