package records

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/scrterm/scr/assets"
)

// Every file of the patients folder is JSON (or the LICENSE and README), and
// every folder is a patient named by a valid NHS number.
func TestPatientFilesParse(t *testing.T) {
	err := fs.WalkDir(assets.Patients, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && name != ".":
			if !ValidNHSNumber(path.Base(name)) {
				t.Errorf("%s: folder is not named by a valid NHS number", name)
			}
		case path.Ext(name) == ".json":
			b, err := fs.ReadFile(assets.Patients, name)
			if err != nil {
				return err
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case d.Type().IsRegular() && !strings.HasSuffix(name, "LICENSE") && name != "README.md":
			t.Errorf("%s: unexpected file", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// loadAssets is the embedded patients' store, every Bundle read and checked.
func loadAssets(t testing.TB) *store {
	t.Helper()
	s, err := loadChecked(assets.Patients)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loadChecked is loadStore, then every Bundle read and checked, as the
// server does on each first look.
func loadChecked(fsys fs.FS) (*store, error) {
	s, err := loadStore(fsys)
	if err != nil {
		return nil, err
	}
	for _, p := range s.sorted {
		if p.scr != nil && p.scr.bundle != nil {
			if _, err := p.scr.bundle(); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// bundleOf is the Bundle served for p.
func bundleOf(t testing.TB, p *patient) []byte {
	t.Helper()
	b, err := p.scr.bundle()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEveryBundleReads: every embedded record the server reads on first use
// reads and checks.
func TestEveryBundleReads(t *testing.T) {
	s := loadAssets(t)
	n := 0
	for _, p := range s.sorted {
		if p.scr != nil && p.scr.bundle != nil {
			if len(bundleOf(t, p)) == 0 {
				t.Errorf("%s: an empty Bundle", p.nhs)
			}
			n++
		}
	}
	if n < 15 {
		t.Errorf("only %d records", n)
	}
}

func TestEveryNHSNumberIsValid(t *testing.T) {
	s := loadAssets(t)
	var all []string
	for nhs, p := range s.patients {
		all = append(all, nhs, p.pds.ID, p.pds.nhsNumber())
	}
	for old, current := range s.superseded {
		all = append(all, old, current)
	}
	for nhs := range s.invalidated {
		all = append(all, nhs)
	}
	for _, nhs := range all {
		if !ValidNHSNumber(nhs) {
			t.Errorf("%s is not a valid NHS number", nhs)
		}
	}
	if len(s.superseded) == 0 || len(s.invalidated) == 0 {
		t.Error("no superseded or no invalidated NHS number")
	}
}

// The 9000000009 files are the NHS's published examples, unchanged.
func TestPublishedExampleCopies(t *testing.T) {
	for file, ref := range map[string]string{
		"9000000009/patient.json":           "pds/Patient.json",
		"9000000009/documentreference.json": "scr/DocumentReferenceBundle.json",
		"9000000009/bundle.json":            "scr/GetScrBundle.json",
		"9000000009/LICENSE":                "scr/LICENSE",
	} {
		want := referenceFile(t, ref)
		got, err := fs.ReadFile(assets.Patients, file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the published %s", file, ref)
		}
	}
}

// scrSections maps a patient's SCR section codes to their XHTML.
func scrSections(t *testing.T, p *patient) map[string]string {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource struct {
				Section []struct {
					Code struct {
						Coding []struct{ Code string }
					}
					Text struct{ Div string }
				}
			}
		}
	}
	if err := json.Unmarshal(bundleOf(t, p), &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range b.Entry[0].Resource.Section {
		out[s.Code.Coding[0].Code] = s.Text.Div
	}
	return out
}

// The patients cover every case the viewer must handle (see README.md).
func TestScenariosArePresent(t *testing.T) {
	s := loadAssets(t)
	pt := func(nhs string) *patient {
		p := s.patients[nhs]
		if p == nil {
			t.Fatalf("no patient %s", nhs)
		}
		return p
	}
	consents := map[string]string{}
	for nhs, p := range s.patients {
		if p.scr != nil {
			consents[p.scr.consent] = nhs
		}
	}
	for _, c := range []string{consentAsk, consentNo, consentYes} {
		if consents[c] == "" {
			t.Errorf("no patient with consent %s", c)
		}
	}
	if pt("9000000033").scr != nil {
		t.Error("9000000033 should have no SCR")
	}
	if sc := pt("9000000041").scr; sc == nil || sc.consent != consentNo || sc.bundle != nil {
		t.Error("9000000041 should be opted out, with no record kept")
	}

	sensitive := pt("9000000025")
	if !sensitive.pds.restricted() || len(sensitive.pds.Address)+len(sensitive.pds.Telecom)+len(sensitive.pds.GeneralPractitioner) > 0 {
		t.Error("9000000025 should be restricted, with no address, telecom or GP in its file")
	}
	if pt("9000000084").pds.DeceasedDateTime == "" {
		t.Error("9000000084 should be deceased")
	}

	names := map[string]string{"9000000068": "Siân", "9000000076": "Zoë", "9000000084": "Ó Súilleabháin"}
	for nhs, want := range names {
		n := pt(nhs).pds.Name[0]
		if n.Family != want && !strings.Contains(strings.Join(n.Given, " "), want) {
			t.Errorf("%s: name %v does not hold %q", nhs, n, want)
		}
	}
	zoe := pt("9000000076").pds
	if len(zoe.Name) < 2 || zoe.Name[1].Use != "old" || zoe.Name[1].Period == nil || zoe.Name[1].Period.End == "" {
		t.Error("9000000076 should have a previous name whose period ended")
	}
	if len(zoe.Address) < 2 || zoe.Address[1].Period == nil || zoe.Address[1].Period.End == "" {
		t.Error("9000000076 should have a previous address whose period ended")
	}

	if div := scrSections(t, pt("9000000068"))["AllergiesHeader"]; !strings.Contains(div, "<td>No known allergies</td>") {
		t.Errorf("9000000068: allergies do not say No known allergies: %s", div)
	}
	meds := scrSections(t, pt("9000000017"))
	for _, code := range []string{"AllergiesHeader", "AcuteMedsHeader", "RepeatMedsHeader", "DiscRepeatMedsHeader"} {
		if div := meds[code]; !strings.Contains(div, `<tr class="oddRow">`) {
			t.Errorf("9000000017: %s has no rows", code)
		}
	}
	extra := scrSections(t, pt("9000000076"))
	for _, code := range []string{"DiagnosesHeader", "CircumstancesHeader", "PreferencesHeader", "ServicesHeader"} {
		if extra[code] == "" {
			t.Errorf("9000000076: no %s section", code)
		}
	}
	withheld := scrSections(t, pt("9000000092"))
	if !strings.Contains(withheld["Title"], withheldStatement) || !strings.Contains(withheld["ProblemsHeader"], withheldStatement) {
		t.Error("9000000092: no withheld statement under the title and in a section")
	}
	if !strings.Contains(withheld["RepeatMedsHeader"], "No relevant information available for this category.") {
		t.Error("9000000092: no 'No relevant information' row")
	}

	large := scrSections(t, pt("9000000130"))
	if n := strings.Count(large["AllergiesHeader"], `<tr class=`); n != 50 {
		t.Errorf("9000000130: %d allergy rows, want 50", n)
	}
	medRows := 0
	for _, code := range []string{"AcuteMedsHeader", "RepeatMedsHeader", "DiscRepeatMedsHeader"} {
		medRows += strings.Count(large[code], "<td>Acute Medication</td>") + strings.Count(large[code], "<td>Repeat Medication</td>")
	}
	if medRows != 300 {
		t.Errorf("9000000130: %d medication rows, want 300", medRows)
	}

	types := map[string]bool{}
	for _, p := range s.patients {
		if p.scr == nil || p.scr.bundle == nil {
			continue
		}
		var b struct {
			Entry []struct{ Resource struct{ ResourceType string } }
		}
		if err := json.Unmarshal(bundleOf(t, p), &b); err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Entry {
			types[e.Resource.ResourceType] = true
		}
	}
	for _, rt := range []string{"Composition", "Condition", "Observation", "Procedure", "Patient"} {
		if !types[rt] {
			t.Errorf("no SCR has a %s entry", rt)
		}
	}
}

const withheldStatement = "One or more entries have been deliberately withheld"

// loadStore refuses patients that would make the sandbox answer unlike PDS or SCR.
func TestLoadStoreRefuses(t *testing.T) {
	good := func() fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, f := range []string{"patient.json", "documentreference.json", "bundle.json"} {
			b, err := fs.ReadFile(assets.Patients, "9000000009/"+f)
			if err != nil {
				t.Fatal(err)
			}
			fsys["9000000009/"+f] = &fstest.MapFile{Data: b}
		}
		return fsys
	}
	if _, err := loadStore(good()); err != nil {
		t.Fatalf("the published example does not load: %v", err)
	}
	edit := func(name, old, new string) func(fstest.MapFS) {
		return func(fsys fstest.MapFS) {
			f := fsys[name]
			if !bytes.Contains(f.Data, []byte(old)) {
				t.Fatalf("%s has no %q", name, old)
			}
			f.Data = bytes.Replace(f.Data, []byte(old), []byte(new), 1)
		}
	}
	tests := []struct {
		name   string
		change func(fstest.MapFS)
	}{
		{"folder with a bad check digit", func(fsys fstest.MapFS) {
			for _, f := range []string{"patient.json", "documentreference.json", "bundle.json"} {
				fsys["9000000001/"+f] = fsys["9000000009/"+f]
				delete(fsys, "9000000009/"+f)
			}
		}},
		{"patient id not the folder", edit("9000000009/patient.json", `"id": "9000000009"`, `"id": "9000000017"`)},
		{"unknown consent", edit("9000000009/documentreference.json", `"code": "Ask"`, `"code": "Maybe"`)},
		{"SCR UUID not a UUID", edit("9000000009/documentreference.json", "FA60BE64-1F34-11EB-A2A8-000C29A364EB\"", "not-a-uuid\"")},
		{"SCR of another patient", edit("9000000009/bundle.json", `"value": "9000000009"`, `"value": "9000000017"`)},
		{"SCR total wrong", edit("9000000009/bundle.json", `"total": 48`, `"total": 47`)},
		{"SCR without DocumentReference", func(fsys fstest.MapFS) { delete(fsys, "9000000009/documentreference.json") }},
		{"consent Ask without SCR", func(fsys fstest.MapFS) { delete(fsys, "9000000009/bundle.json") }},
		{"superseded by nobody", func(fsys fstest.MapFS) {
			fsys["superseded.json"] = &fstest.MapFile{Data: []byte(`{"9000000017": "9000000025"}`)}
		}},
		{"superseded number still has a record", func(fsys fstest.MapFS) {
			fsys["superseded.json"] = &fstest.MapFile{Data: []byte(`{"9000000009": "9000000009"}`)}
		}},
		{"invalidated number not valid", func(fsys fstest.MapFS) {
			fsys["invalidated.json"] = &fstest.MapFile{Data: []byte(`["9000000000"]`)}
		}},
		{"no patients", func(fsys fstest.MapFS) {
			for name := range fsys {
				delete(fsys, name)
			}
			fsys["README.md"] = &fstest.MapFile{Data: []byte("nobody")}
		}},
	}
	for _, tt := range tests {
		fsys := good()
		tt.change(fsys)
		if _, err := loadChecked(fsys); err == nil {
			t.Errorf("%s: loaded", tt.name)
		} else {
			t.Logf("%s: %v", tt.name, err)
		}
	}
}

// A restricted patient's file may hold where they live (PDS does); the views
// never serve it.
func TestRestrictedViewsDropLocation(t *testing.T) {
	raw, err := fs.ReadFile(assets.Patients, "9000000009/patient.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"code": "U"`), []byte(`"code": "R"`), 1)
	fsys := fstest.MapFS{"9000000009/patient.json": &fstest.MapFile{Data: raw}}
	s, err := loadStore(fsys)
	if err != nil {
		t.Fatal(err)
	}
	p := s.patients["9000000009"]
	for name, body := range map[string][]byte{"read": p.read, "search": p.searchHit} {
		var got map[string]json.RawMessage
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"address", "telecom", "contact", "generalPractitioner", "managingOrganization"} {
			if _, ok := got[field]; ok {
				t.Errorf("%s view of a restricted patient has %s", name, field)
			}
		}
		if bytes.Contains(body, []byte("NominatedPharmacy")) || bytes.Contains(body, []byte("birthPlace")) {
			t.Errorf("%s view of a restricted patient names a pharmacy or birthplace", name)
		}
		if _, ok := got["name"]; !ok {
			t.Errorf("%s view has lost the name", name)
		}
	}
}

func TestList(t *testing.T) {
	list, err := List(assets.Patients)
	if err != nil {
		t.Fatal(err)
	}
	byNHS := map[string]Patient{}
	for i, p := range list {
		byNHS[p.NHSNumber] = p
		if i > 0 && list[i-1].NHSNumber >= p.NHSNumber {
			t.Error("not in NHS number order")
		}
	}
	for nhs, want := range map[string]Patient{
		"9000000009": {"9000000009", "Mrs Jane Smith", "2010-10-22", false, true, "Ask", "", "Smith", "Jane", "Mrs"},
		"9000000025": {"9000000025", "Ms Rebecca Stone", "1991-07-02", true, false, "Ask", "", "Stone", "Rebecca", "Ms"},
		"9000000033": {"9000000033", "Mr Thomas Brennan", "1985-11-30", false, false, "", "", "Brennan", "Thomas", "Mr"},
		"9000000076": {"9000000076", "Mrs Zoë Anne Ashworth", "1948-09-23", false, false, "Ask", "", "Ashworth", "Zoë Anne", "Mrs"},
		"9000000041": {"9000000041", "Mrs Grace Adaeze Okafor", "1972-05-19", false, false, "No", "", "Okafor", "Grace Adaeze", "Mrs"},
	} {
		if got := byNHS[nhs]; got != want {
			t.Errorf("%s: %+v, want %+v", nhs, got, want)
		}
	}
}
