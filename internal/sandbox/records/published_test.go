package records

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// The patients whose SCRs gen_patients.go builds from NHS England's published
// test records, and the record each comes from.
var publishedSources = map[string]string{
	"9000000165": "from/fhir/additionalinfo/treatments-plus-risks-to-patient.json",
	"9000000173": "from/fhir/additionalinfo/no-non-core.json",
	"9000000181": "from/fhir/additionalinfo/withheld-information.json",
	"9000000203": "additional_information_gp_summary_1.json",
	"9000000238": "from/fhir/additionalinfo/withheld-information-and-additional.json",
	"9000000246": "from/fhir/additionalinfo/empty-html-tags.json",
	"9000000254": "from/fhir/additionalinfo/patientcarercorrespondence.json",
}

// madeUp undoes, for comparison with the published record, the renaming of a
// person named in a record's clinical text.
var madeUp = map[string]*strings.Replacer{
	"9000000246": strings.NewReplacer("with Martin", "with Steven"),
}

// fhirBundle is what these tests read of an SCR Bundle.
type fhirBundle struct {
	Type  string `json:"type"`
	Total int    `json:"total"`
	Entry []struct {
		FullURL  string `json:"fullUrl"`
		Resource struct {
			ResourceType string          `json:"resourceType"`
			ID           string          `json:"id"`
			Identifier   json.RawMessage `json:"identifier"`
			Section      []struct {
				Title string           `json:"title"`
				Code  *json.RawMessage `json:"code"`
				Text  struct {
					Div string `json:"div"`
				} `json:"text"`
			} `json:"section"`
		} `json:"resource"`
	} `json:"entry"`
}

func parseBundle(t *testing.T, b []byte) fhirBundle {
	t.Helper()
	var v fhirBundle
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (b fhirBundle) types() []string {
	var out []string
	for _, e := range b.Entry {
		out = append(out, e.Resource.ResourceType)
	}
	slices.Sort(out)
	return out
}

var anyUUID = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)

// Each record built from a published one is served, through the viewer's two
// calls, in the shape of GET /Bundle, with the published clinical content and
// entries whole, and nothing of the published patient or their ids.
func TestPublishedRecordsServed(t *testing.T) {
	h := newHarness(t)
	for nhs, source := range publishedSources {
		t.Run(nhs, func(t *testing.T) {
			raw, err := nhscorpus.Read("scr/docker/service/src/test/resources/gp_summary/" + source)
			if err != nil {
				t.Fatal(err)
			}
			want := parseBundle(t, raw)

			id, consent := scrID(t, h, nhs)
			if consent != consentAsk {
				t.Errorf("consent %s", consent)
			}
			if nhs == "9000000203" { // a first look gets the out-of-date id; the second the current one
				id, _ = scrID(t, h, nhs)
			}
			w := h.get(t, "pharmacist", bundleURL(nhs, id))
			checkFHIR(t, w, http.StatusOK)
			got := parseBundle(t, w.Body.Bytes())
			comp := got.Entry[0].Resource
			switch {
			case got.Type != "searchset" || got.Total != len(got.Entry):
				t.Errorf("type %q, total %d for %d entries: not GET /Bundle's searchset", got.Type, got.Total, len(got.Entry))
			case comp.ResourceType != "Composition" || !strings.Contains(string(comp.Identifier), id):
				t.Errorf("first entry %s %s is not the Composition of SCR %s", comp.ResourceType, comp.Identifier, id)
			case !slices.Equal(got.types(), want.types()):
				t.Errorf("entries %v, published %v", got.types(), want.types())
			}
			for _, e := range got.Entry {
				if e.FullURL != "" && !strings.HasPrefix(e.FullURL, "https://api.service.nhs.uk/summary-care-record/FHIR/R4/") {
					t.Errorf("fullUrl %s is not under the live API", e.FullURL)
				}
			}
			for _, u := range anyUUID.FindAllString(string(raw), -1) {
				if bytes.Contains(w.Body.Bytes(), []byte(u)) {
					t.Errorf("the published id %s is served", u)
				}
			}
			if !bytes.Contains(w.Body.Bytes(), []byte(`"value":"`+nhs+`"`)) {
				t.Error("no Patient with the sandbox NHS number")
			}

			// Every clinical section is the published one (the title section
			// names a made-up author and practice instead).
			published := map[string]string{}
			for _, s := range want.Entry[0].Resource.Section {
				published[s.Title] += s.Text.Div
			}
			served := map[string]string{}
			for _, s := range comp.Section {
				div := s.Text.Div
				if r := madeUp[nhs]; r != nil {
					div = r.Replace(div)
				}
				served[s.Title] += div
			}
			if len(served) != len(published) || len(comp.Section) != len(want.Entry[0].Resource.Section) {
				t.Errorf("%d sections (%d titles), published %d (%d)", len(comp.Section), len(served), len(want.Entry[0].Resource.Section), len(published))
			}
			for title, div := range published {
				if title != "General Practice Summary" && served[title] != div {
					t.Errorf("section %q differs from the published one", title)
				}
			}
			if title := served["General Practice Summary"]; !strings.Contains(title, `<p id="Author">Created by: `) || strings.Contains(title, "RADFORD") {
				t.Errorf("title section: %s", title)
			}
		})
	}
}

// 9000000165: additional information as published, long cells and all.
func TestAdditionalInformationRecord(t *testing.T) {
	p := loadAssets(t).patients["9000000165"]
	b := parseBundle(t, bundleOf(t, p))
	var codes []string
	longest := 0
	for _, s := range b.Entry[0].Resource.Section {
		var c struct{ Coding []struct{ Code string } }
		if s.Code != nil {
			_ = json.Unmarshal(*s.Code, &c)
		}
		codes = append(codes, c.Coding[0].Code)
		for _, cell := range strings.Split(s.Text.Div, "<td>") {
			longest = max(longest, len(cell))
		}
	}
	want := []string{"Title", "AllergiesHeader", "AcuteMedsHeader", "RepeatMedsHeader", "DiscRepeatMedsHeader",
		"TreatmentsHeader", "TreatmentsHeader", "RisksToPatientHeader", "RisksToPatientHeader"}
	if !slices.Equal(codes, want) {
		t.Errorf("sections %v, want %v", codes, want)
	}
	if longest < 5000 {
		t.Errorf("longest cell %d characters: the long supporting information is gone", longest)
	}
	if types := b.types(); !slices.Contains(types, "Procedure") || !slices.Contains(types, "Observation") {
		t.Errorf("entries %v: no structured Procedure and Observation", types)
	}
}

// 9000000173: sections known only by their titles, allergies after the
// medication, dates as Spine writes them in this record.
func TestUncodedRecord(t *testing.T) {
	p := loadAssets(t).patients["9000000173"]
	b := parseBundle(t, bundleOf(t, p))
	var titles []string
	allergies := ""
	for _, s := range b.Entry[0].Resource.Section {
		if s.Code != nil {
			t.Errorf("section %q has a code: %s", s.Title, *s.Code)
		}
		titles = append(titles, s.Title)
		if s.Title == "Allergies and Adverse Reactions" {
			allergies = s.Text.Div
		}
	}
	want := []string{"General Practice Summary", "Acute Medications (For the 12 month period 09 Oct 2016 to 09 Oct 2017)",
		"Current Repeat Medications", "Discontinued Repeat Medications (For the 6 month period 09 Apr 2017 to 09 Oct 2017)",
		"Allergies and Adverse Reactions"}
	if !slices.Equal(titles, want) {
		t.Errorf("sections %q, want %q", titles, want)
	}
	if !strings.Contains(allergies, "<td>10 Feb 2016</td><td>Sensitivity to PENICILLIN VK</td>") {
		t.Errorf("no penicillin allergy row dated 10 Feb 2016: %.300s", allergies)
	}
}

// A very restricted patient (V) is withheld as a restricted one (R) is: the
// reads and searches keep nothing of where they live, and no search by
// postcode finds them.
func TestVeryRestrictedWithholds(t *testing.T) {
	h := newHarness(t)
	w := h.get(t, "pharmacist", pdsPatientPath+"9000000181")
	checkFHIR(t, w, http.StatusOK)
	p := decode(t, w.Body.Bytes())
	for _, field := range []string{"address", "telecom", "generalPractitioner", "contact"} {
		if _, ok := p[field]; ok {
			t.Errorf("very restricted patient served with %s", field)
		}
	}
	if !strings.Contains(w.Body.String(), `"code":"V","display":"very restricted"`) {
		t.Errorf("served without meta.security V: %s", w.Body)
	}
	ss, _ := search(t, h, "family=Marsh&birthdate=eq1988-02-19")
	if len(ss.Entry) != 1 {
		t.Fatalf("search on name and birth date: %d matches, want 1", len(ss.Entry))
	}
	if id, c := scrID(t, h, "9000000181"); c != consentAsk || id == "" {
		t.Error("very restricted patient has no SCR")
	}

	// A V patient whose file holds an address and GP, as PDS's does.
	raw, err := fs.ReadFile(assets.Patients, "9000000009/patient.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"code": "U"`), []byte(`"code": "V"`), 1)
	svc, err := New(Config{Patients: fstest.MapFS{"9000000009/patient.json": &fstest.MapFile{Data: raw}}, Audit: &recorder{}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	svc.Routes(mux, fakeProtect)
	for target, wantMatches := range map[string]int{
		"/personal-demographics/FHIR/R4/Patient/9000000009":                                                     -1,
		"/personal-demographics/FHIR/R4/Patient?family=Smith&birthdate=eq2010-10-22":                            1,
		"/personal-demographics/FHIR/R4/Patient?family=Smith&birthdate=eq2010-10-22&address-postalcode=LS1+6AE": 0,
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set(roleHeader, "pharmacist")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		checkFHIR(t, w, http.StatusOK)
		for _, leak := range []string{"LS1 6AE", "generalPractitioner", "telecom", "NominatedPharmacy"} {
			if strings.Contains(w.Body.String(), leak) {
				t.Errorf("%s: a V patient's %s is served", target, leak)
			}
		}
		if n := strings.Count(w.Body.String(), `"resourceType":"Patient"`); wantMatches >= 0 && n != wantMatches {
			t.Errorf("%s: %d matches, want %d", target, n, wantMatches)
		}
	}
}

// lookUp is the viewer's two calls with one role token: the SCR id the
// DocumentReference search gives, and how many entries its Bundle has.
func lookUp(t *testing.T, mux *http.ServeMux, role, token, nhs string) (id string, entries int) {
	t.Helper()
	get := func(target string) []byte {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set(roleHeader, role)
		req.Header.Set(tokenHeader, token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		checkFHIR(t, w, http.StatusOK)
		return w.Body.Bytes()
	}
	var refs struct {
		Entry []struct {
			Resource struct{ MasterIdentifier struct{ Value string } }
		}
	}
	if err := json.Unmarshal(get(docRefURL(nhs)), &refs); err != nil || len(refs.Entry) == 0 {
		t.Fatalf("%s: no DocumentReference (%v)", nhs, err)
	}
	id = refs.Entry[0].Resource.MasterIdentifier.Value
	return id, len(parseBundle(t, get(bundleURL(nhs, id))).Entry)
}

// 9000000203: the first look of each session (role token) finds an
// out-of-date SCR id, whose Bundle has 0 entries; looking again finds the
// record. Nothing is shared between sessions or between Services.
func TestOutdatedSCRIdRecovers(t *testing.T) {
	const nhs = "9000000203"
	h := newHarness(t)
	mux, rec := h.mux, h.audit
	stale, n := lookUp(t, mux, "pharmacist", "token-a", nhs)
	if n != 0 {
		t.Fatalf("first look: SCR %s has %d entries, want 0 (out of date)", stale, n)
	}
	current, n := lookUp(t, mux, "pharmacist", "token-a", nhs)
	if n == 0 || current == stale {
		t.Fatalf("second look: SCR %s (first %s) has %d entries", current, stale, n)
	}
	if again, n := lookUp(t, mux, "pharmacist", "token-a", nhs); again != current || n == 0 {
		t.Errorf("third look: SCR %s, %d entries", again, n)
	}
	if _, n := lookUp(t, mux, "pharmacist", "token-a", "9000000165"); n == 0 {
		t.Error("another patient's first look is out of date")
	}
	// Another role token of the same user and role, and another user, each
	// start again.
	for _, s := range []struct{ role, token string }{{"pharmacist", "token-b"}, {"emergency", "token-c"}} {
		if id, n := lookUp(t, mux, s.role, s.token, nhs); id != stale || n != 0 {
			t.Errorf("%s with %s: first look SCR %s, %d entries; want the out-of-date %s, 0", s.role, s.token, id, n, stale)
		}
	}
	// A new sandbox remembers nothing.
	fresh := newHarness(t).mux
	if id, _ := lookUp(t, fresh, "pharmacist", "token-a", nhs); id != stale {
		t.Errorf("a new Service gave %s first, want the out-of-date %s", id, stale)
	}

	// The trail says which id was given, and that its Bundle was empty.
	recs := rec.take()
	if len(recs) < 4 || recs[0].Kind != audit.SCRConsent || !strings.Contains(recs[0].Detail, stale) || !strings.Contains(recs[0].Detail, "out of date") ||
		!strings.Contains(recs[1].Detail, "not the current SCR") || !strings.Contains(recs[3].Detail, "viewed SCR "+current) {
		t.Errorf("audit trail %+v", recs[:min(4, len(recs))])
	}
}

// 9000000211: the SCR id is out of date however often the viewer looks again;
// the current record is there, under an id no search gives.
func TestOutdatedSCRIdAlways(t *testing.T) {
	const nhs = "9000000211"
	mux := newHarness(t).mux
	first, _ := lookUp(t, mux, "pharmacist", "token-a", nhs)
	for range 3 {
		if id, n := lookUp(t, mux, "pharmacist", "token-a", nhs); id != first || n != 0 {
			t.Fatalf("SCR %s with %d entries, want the out-of-date %s with 0", id, n, first)
		}
	}
	p := loadAssets(t).patients[nhs]
	if p.scr.outdatedID != first || p.scr.id == first {
		t.Fatalf("given %s; out-of-date %s, current %s", first, p.scr.outdatedID, p.scr.id)
	}
	req := httptest.NewRequest(http.MethodGet, bundleURL(nhs, p.scr.id), nil)
	req.Header.Set(roleHeader, "pharmacist")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if len(parseBundle(t, w.Body.Bytes()).Entry) == 0 {
		t.Error("the current SCR is not served")
	}
}

// The out-of-date DocumentReferences must be what outdated.json says, and
// only those; a mistake stops the sandbox starting.
func TestLoadStoreRefusesOutdated(t *testing.T) {
	good := func() fstest.MapFS {
		fsys := fstest.MapFS{}
		for _, nhs := range []string{"9000000203", "9000000017"} {
			for _, f := range []string{"patient.json", docRefFile, outdatedDocRefFile, scrFile} {
				if b, err := fs.ReadFile(assets.Patients, nhs+"/"+f); err == nil {
					fsys[nhs+"/"+f] = &fstest.MapFile{Data: b}
				}
			}
		}
		fsys[outdatedFile] = &fstest.MapFile{Data: []byte(`{"9000000203": "once"}`)}
		return fsys
	}
	if _, err := loadStore(good()); err != nil {
		t.Fatalf("does not load: %v", err)
	}
	current := func(fsys fstest.MapFS) string {
		var b struct {
			Entry []struct {
				Resource struct{ MasterIdentifier struct{ Value string } }
			}
		}
		_ = json.Unmarshal(fsys["9000000203/"+docRefFile].Data, &b)
		return b.Entry[0].Resource.MasterIdentifier.Value
	}
	for name, change := range map[string]func(fstest.MapFS){
		"no rule":      func(fsys fstest.MapFS) { delete(fsys, outdatedFile) },
		"unknown rule": func(fsys fstest.MapFS) { fsys[outdatedFile].Data = []byte(`{"9000000203": "sometimes"}`) },
		"rule without file": func(fsys fstest.MapFS) {
			fsys[outdatedFile].Data = []byte(`{"9000000203": "once", "9000000017": "always"}`)
		},
		"rule for nobody": func(fsys fstest.MapFS) {
			fsys[outdatedFile].Data = []byte(`{"9000000203": "once", "9000000025": "always"}`)
		},
		"the current id": func(fsys fstest.MapFS) { fsys["9000000203/"+outdatedDocRefFile] = fsys["9000000203/"+docRefFile] },
		"another consent": func(fsys fstest.MapFS) {
			f := fsys["9000000203/"+outdatedDocRefFile]
			f.Data = bytes.Replace(f.Data, []byte(`"code": "Ask"`), []byte(`"code": "Yes"`), 1)
		},
		"another patient": func(fsys fstest.MapFS) {
			f := fsys["9000000203/"+outdatedDocRefFile]
			f.Data = bytes.Replace(f.Data, []byte(`"value": "9000000203"`), []byte(`"value": "9000000017"`), 1)
		},
	} {
		fsys := good()
		change(fsys)
		if _, err := loadChecked(fsys); err == nil {
			t.Errorf("%s: loaded (current id %s)", name, current(fsys))
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// The sandbox's documentation of a patient is the generator's: the README
// names every published source, so that its licence can be honoured.
func TestREADMENamesPublishedSources(t *testing.T) {
	readme, err := fs.ReadFile(assets.Patients, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	for nhs, source := range publishedSources {
		if !strings.Contains(string(readme), "| "+nhs+" | `docker/service/src/test/resources/gp_summary/"+source+"` |") {
			t.Errorf("README.md does not name %s's source %s", nhs, source)
		}
		if _, err := fs.Stat(assets.Patients, nhs+"/LICENSE"); err != nil {
			t.Errorf("%s: no LICENSE beside a record built from a published one: %v", nhs, err)
		}
	}
}
