package records

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

const pdsSearchPath = "/personal-demographics/FHIR/R4/Patient?"

type searchHit struct {
	FullURL string `json:"fullUrl"`
	Search  struct {
		Score float64 `json:"score"`
	} `json:"search"`
	Resource json.RawMessage `json:"resource"`
}

type searchset struct {
	ResourceType string      `json:"resourceType"`
	Type         string      `json:"type"`
	Timestamp    string      `json:"timestamp"`
	Total        int         `json:"total"`
	Entry        []searchHit `json:"entry"`
}

func search(t *testing.T, h *harness, query string) (searchset, []byte) {
	t.Helper()
	w := h.get(t, "receptionist", pdsSearchPath+query)
	checkFHIR(t, w, http.StatusOK)
	var b searchset
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	return b, w.Body.Bytes()
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		found  []string
		scores []float64
	}{
		// Jane Smith's only name ended on 2025-12-31; a patient whose names have
		// all lapsed is still found by the latest usual one.
		{"published example", "family=Smith&gender=female&birthdate=eq2010-10-22", []string{"9000000009"}, []float64{1}},
		{"case does not matter", "family=SMITH&birthdate=2010-10-22", []string{"9000000009"}, []float64{1}},
		{"given names", "family=Hargreaves&given=robert&given=Alan&birthdate=eq1958-03-14", []string{"9000000017"}, []float64{1}},
		{"compound given name", "family=Hargreaves&given=Robert+Alan&birthdate=eq1958-03-14", []string{"9000000017"}, []float64{1}},
		{"wrong gender", "family=Hargreaves&gender=female&birthdate=eq1958-03-14", nil, nil},
		{"wrong birthday", "family=Hargreaves&birthdate=eq1958-03-15", nil, nil},
		{"wildcard", "family=Har*&birthdate=eq1958-03-14", []string{"9000000017"}, []float64{0.9}},
		{"wildcards inside", "family=Ha*gr*s&birthdate=eq1958-03-14", []string{"9000000017"}, []float64{0.9}},
		{"birthday range", "family=Taylor&birthdate=ge2015-01-01&birthdate=le2015-12-31", []string{"9000000149", "9000000157"}, []float64{1, 1}},
		{"range excludes", "family=Taylor&birthdate=ge2015-03-15", nil, nil},
		{"postcode without space", "family=Taylor&birthdate=eq2015-03-14&address-postalcode=m202ls", []string{"9000000149", "9000000157"}, []float64{1, 1}},
		{"postcode wildcard", "family=Taylor&birthdate=eq2015-03-14&address-postcode=M20*", []string{"9000000149", "9000000157"}, []float64{0.9, 0.9}},
		{"phone", "family=Taylor&given=Isla&birthdate=eq2015-03-14&phone=01632960149", []string{"9000000157"}, []float64{1}},
		{"email any case", "family=Kowalski&birthdate=eq1979-04-27&email=Daniel.Kowalski@example.com", []string{"9000000114"}, []float64{1}},
		{"death date", "family=Ó+Súilleabháin&birthdate=eq1936-01-08&death-date=ge2026-01-01", []string{"9000000084"}, []float64{1}},

		// Unicode: exact searches are case-insensitive but keep accents.
		{"accent kept", "family=Llywelyn&given=Sian&birthdate=eq1999-02-11", nil, nil},
		{"accent typed", "family=LLYWELYN&given=SIÂN&birthdate=eq1999-02-11", []string{"9000000068"}, []float64{1}},
		{"Irish exact", "family=ó+súilleabháin&birthdate=eq1936-01-08", []string{"9000000084"}, []float64{1}},
		// Fuzzy searches fold accents, punctuation and spaces.
		{"fuzzy Sian", "family=Llywelyn&given=Sian&birthdate=eq1999-02-11&_fuzzy-match=true", []string{"9000000068"}, []float64{0.95}},
		{"fuzzy Zoe", "family=Ashworth&given=Zoe&birthdate=eq1948-09-23&_fuzzy-match=true", []string{"9000000076"}, []float64{0.95}},
		{"fuzzy O Suilleabhain", "family=O+Suilleabhain&given=Sean&birthdate=eq1936-01-08&_fuzzy-match=true", []string{"9000000084"}, []float64{0.9025}},
		{"fuzzy exact-match", "family=Llywelyn&given=Sian&birthdate=eq1999-02-11&_fuzzy-match=true&_exact-match=true", nil, nil},
		{"fuzzy homophone", "family=Hargraves&given=Robert&birthdate=eq1958-03-14&_fuzzy-match=true", []string{"9000000017"}, []float64{0.8}},
		{"fuzzy transposed", "family=Robert&given=Hargreaves&birthdate=eq1958-03-14&_fuzzy-match=true", []string{"9000000017"}, []float64{0.75}},
		{"fuzzy by postcode", "given=Isla&birthdate=eq2015-03-14&gender=female&address-postalcode=M20+2LS&_fuzzy-match=true", []string{"9000000157"}, []float64{1}},

		// History: a previous name is found only when asked for, scoring less.
		{"previous name not searched", "family=Brontë&birthdate=eq1948-09-23", nil, nil},
		{"previous name with history", "family=Brontë&birthdate=eq1948-09-23&_history=true", []string{"9000000076"}, []float64{0.9}},
		{"previous name fuzzy", "family=Bronte&given=Zoe&birthdate=eq1948-09-23&_fuzzy-match=true", []string{"9000000076"}, []float64{0.8123}},
		{"previous postcode with history", "family=Ashworth&birthdate=eq1948-09-23&address-postalcode=BD18+2JL&_history=true", []string{"9000000076"}, []float64{0.9}},
		{"previous postcode without", "family=Ashworth&birthdate=eq1948-09-23&address-postalcode=BD18+2JL", nil, nil},

		// A sensitive patient is found by name, never by where they live.
		{"sensitive by name", "family=Stone&birthdate=eq1991-07-02", []string{"9000000025"}, []float64{1}},
		{"sensitive by postcode", "family=Stone&birthdate=eq1991-07-02&address-postalcode=LS1*", nil, nil},
		{"sensitive by practice", "family=Stone&birthdate=eq1991-07-02&general-practitioner=Y90025", nil, nil},
		{"by practice", "family=Brennan&birthdate=eq1985-11-30&general-practitioner=y90033", []string{"9000000033"}, []float64{1}},

		{"max results enough", "family=Taylor&birthdate=eq2015-03-14&_max-results=2", []string{"9000000149", "9000000157"}, []float64{1, 1}},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, body := search(t, h, tt.query)
			if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total != len(b.Entry) || b.Timestamp != "2026-11-25T12:00:00+00:00" {
				t.Errorf("not a searchset: %s", body)
			}
			var found []string
			var scores []float64
			for _, e := range b.Entry {
				var p struct{ ID string }
				if err := json.Unmarshal(e.Resource, &p); err != nil {
					t.Fatal(err)
				}
				if e.FullURL != "https://api.service.nhs.uk/personal-demographics/FHIR/R4/Patient/"+p.ID {
					t.Errorf("fullUrl %s", e.FullURL)
				}
				found = append(found, p.ID)
				scores = append(scores, e.Search.Score)
			}
			if !reflect.DeepEqual(found, tt.found) || !reflect.DeepEqual(scores, tt.scores) {
				t.Errorf("found %v scores %v, want %v %v", found, scores, tt.found, tt.scores)
			}
			if tt.found == nil && strings.Contains(string(body), `"entry"`) {
				t.Errorf("empty searchset has an entry member: %s", body)
			}
			recs := h.audit.take()
			if want := max(1, len(tt.found)); len(recs) != want {
				t.Fatalf("%d audit records, want %d (one per patient found)", len(recs), want)
			}
			for i, r := range recs {
				if r.Kind != audit.PDSSearch || r.Outcome != audit.Allowed || r.UserUUID != receptionist.UserUUID || r.RequestID == "" {
					t.Errorf("audit %+v", r)
				}
				if tt.found != nil && r.Patient != tt.found[i] {
					t.Errorf("audit record %d names %s, want %s", i, r.Patient, tt.found[i])
				}
			}
		})
	}
}

// A search entry is the published PatientSearch.json's: the patient without
// their temporary address, pharmacies, place of birth and preferences.
func TestSearchEntryIsPublishedShape(t *testing.T) {
	h := newHarness(t)
	b, _ := search(t, h, "family=Smith&gender=female&birthdate=eq2010-10-22")
	var want searchset
	if err := json.Unmarshal(readTestdata(t, "PatientSearch.json"), &want); err != nil {
		t.Fatal(err)
	}
	if len(b.Entry) != 1 || !jsonEqual(t, b.Entry[0].Resource, want.Entry[0].Resource) {
		t.Errorf("search entry is not PatientSearch.json's:\n got %s\nwant %s", b.Entry[0].Resource, want.Entry[0].Resource)
	}
	if b.Entry[0].FullURL != want.Entry[0].FullURL {
		t.Errorf("fullUrl %s, want %s", b.Entry[0].FullURL, want.Entry[0].FullURL)
	}

	b, _ = search(t, h, "family=Stone&birthdate=eq1991-07-02")
	var p map[string]any
	if err := json.Unmarshal(b.Entry[0].Resource, &p); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"address", "telecom", "contact", "generalPractitioner"} {
		if _, ok := p[field]; ok {
			t.Errorf("sensitive search entry has %s", field)
		}
	}

	b, _ = search(t, h, "family=Ashworth&birthdate=eq1948-09-23")
	if s := string(b.Entry[0].Resource); strings.Contains(s, "Brontë") || strings.Contains(s, "Large print") || strings.Contains(s, "FX076") {
		t.Errorf("search entry carries a previous name, contact preferences or pharmacy: %s", s)
	}
	if s := string(b.Entry[0].Resource); !strings.Contains(s, "BD22 8QJ") || !strings.Contains(s, "BD18 2JL") {
		t.Errorf("search entry lacks the home addresses (with their periods): %s", s)
	}
}

func TestSearchTooManyMatches(t *testing.T) {
	h := newHarness(t)
	// PDS answers 200 with an OperationOutcome, not an error status.
	w := h.get(t, "pharmacist", pdsSearchPath+"family=Taylor&birthdate=eq2015-03-14&_max-results=1")
	checkFHIR(t, w, http.StatusOK)
	code, spine, _ := issue(t, w.Body.Bytes())
	if code != "multiple-matches" || spine != "TOO_MANY_MATCHES" {
		t.Errorf("issue %q %q, want multiple-matches TOO_MANY_MATCHES", code, spine)
	}
	if strings.Contains(w.Body.String(), "Taylor") || strings.Contains(w.Body.String(), "9000000149") {
		t.Error("too many matches disclosed a patient")
	}
	recs := h.audit.take()
	if len(recs) != 1 || recs[0].Patient != "" || !strings.Contains(recs[0].Detail, "2 matches") {
		t.Errorf("audit %+v", recs)
	}
}

func TestSearchRefused(t *testing.T) {
	tests := []struct {
		query, code, spine string
	}{
		{"", "value", "UNSUPPORTED_SERVICE"},
		{"family=Smith", "value", "INVALID_SEARCH_DATA"},
		{"birthdate=eq2010-10-22", "value", "INVALID_SEARCH_DATA"},
		{"given=Jane&birthdate=eq2010-10-22", "value", "INVALID_SEARCH_DATA"},
		{"family=Smith&birthdate=eq2010-10-22&_fuzzy-match=true", "value", "INVALID_SEARCH_DATA"},
		{"family=Smith&given=Jane&birthdate=eq2010-10-22&gender=mal", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=2010-13-45", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=gt2010-10-22", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=22/10/2010", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=ge2010-01-01&birthdate=le2010-12-31&birthdate=eq2010-10-22", "value", "INVALID_SEARCH_DATA"},
		{"family=Smith&birthdate=eq2010-10-22&_max-results=0", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=eq2010-10-22&_max-results=51", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=eq2010-10-22&_max-results=ten", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=eq2010-10-22&_fuzzy-match=yes", "value", "INVALID_VALUE"},
		{"family=Smith&birthdate=eq2010-10-22&family=Jones", "value", "INVALID_SEARCH_DATA"},
		{"family=&birthdate=eq2010-10-22", "value", "INVALID_VALUE"},
		{"family=S*&birthdate=eq2010-10-22", "value", "INVALID_SEARCH_DATA"},
		{"family=Sm*&given=Jane&birthdate=eq2010-10-22&_fuzzy-match=true", "value", "INVALID_SEARCH_DATA"},
		{"family=Smith&birthdate=eq2010-10-22&address-postcode=LS1&address-postalcode=LS1", "value", "INVALID_SEARCH_DATA"},
		{"family=Smith&birthdate=eq2010-10-22&nhs-number=9000000009", "structure", "ADDITIONAL_PROPERTIES"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		w := h.get(t, "pharmacist", pdsSearchPath+tt.query)
		checkFHIR(t, w, http.StatusBadRequest)
		if code, spine, _ := issue(t, w.Body.Bytes()); code != tt.code || spine != tt.spine {
			t.Errorf("%q: issue %q %q, want %q %q", tt.query, code, spine, tt.code, tt.spine)
		}
		if recs := h.audit.take(); len(recs) != 1 || recs[0].Outcome != audit.Failed {
			t.Errorf("%q: audit %+v", tt.query, recs)
		}
	}
}

func TestFoldAndSoundex(t *testing.T) {
	for in, want := range map[string]string{
		"Ó Súilleabháin": "osuilleabhain", "Siân": "sian", "Zoë": "zoe", "O'Reilly": "oreilly",
		"Kociński": "kocinski", "Smith-Jones": "smithjones", "Łukasz": "lukasz", "Straße": "strasse",
	} {
		if got := foldName(in); got != want {
			t.Errorf("foldName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"robert": "R163", "rupert": "R163", "smith": "S530", "smythe": "S530", "tymczak": "T522",
		"pfister": "P236", "ashcraft": "A261", "hargreaves": "H626", "hargraves": "H626", "": "",
	} {
		if got := soundex(in); got != want {
			t.Errorf("soundex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"sm*", "smith", true}, {"sm*t*", "smythe", true}, {"sm*t*", "smith", true}, {"br*w*", "brower", true},
		{"sm*", "jones", false}, {"sm*h", "smythe", false}, {"smith", "smith", true}, {"ls1*", "ls16ae", true},
	} {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %t", tt.pattern, tt.s, got)
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFuzzySearchOverHTTP: PDS's _fuzzy-match as the specification describes
// it (patient-search.yaml: homophones by Soundex, transposed names, history
// always, no wildcards, its own minimum parameters), plus accents, case and
// one typing slip, asked over a real HTTP connection.
func TestFuzzySearchOverHTTP(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(h.mux)
	t.Cleanup(srv.Close)
	get := func(t *testing.T, query string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+pdsSearchPath+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(roleHeader, "pharmacist")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}
	for _, tc := range []struct {
		name, query string
		found       []string
		scores      []float64
	}{
		{"exact search keeps accents", "family=Llywelyn&given=Sian&birthdate=eq1999-02-11", nil, nil},
		{"accents and case ignored", "family=LLYWELYN&given=sian&birthdate=eq1999-02-11&_fuzzy-match=true", []string{"9000000068"}, []float64{0.95}},
		{"the accent typed is exact", "family=Llywelyn&given=Siân&birthdate=eq1999-02-11&_fuzzy-match=true", []string{"9000000068"}, []float64{1}},
		{"homophone", "family=Hargraves&given=Robert&birthdate=eq1958-03-14&_fuzzy-match=true", []string{"9000000017"}, []float64{0.8}},
		{"first letter mistyped", "family=Jargreaves&given=Robert&birthdate=eq1958-03-14&_fuzzy-match=true", []string{"9000000017"}, []float64{0.7}},
		{"first letters swapped", "family=Ahrgreaves&given=Robert&birthdate=eq1958-03-14&_fuzzy-match=true", []string{"9000000017"}, []float64{0.7}},
		{"two slips are another name", "family=Jargreavse&given=Robert&birthdate=eq1958-03-14&_fuzzy-match=true", nil, nil},
		{"a slip is not searched exactly", "family=Jargreaves&given=Robert&birthdate=eq1958-03-14", nil, nil},
		{"transposed names", "family=Siân&given=Llywelyn&birthdate=eq1999-02-11&_fuzzy-match=true", []string{"9000000068"}, []float64{0.75}},
		{"previous name, always", "family=Bronte&given=Zoe&birthdate=eq1948-09-23&_fuzzy-match=true", []string{"9000000076"}, []float64{0.8123}},
		{"the date of birth still holds", "family=Llywelyn&given=Sian&birthdate=eq1999-02-12&_fuzzy-match=true", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, tc.query)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var b searchset
			if err := json.Unmarshal(body, &b); err != nil {
				t.Fatal(err)
			}
			var found []string
			var scores []float64
			for _, e := range b.Entry {
				var p struct{ ID string }
				if err := json.Unmarshal(e.Resource, &p); err != nil {
					t.Fatal(err)
				}
				found, scores = append(found, p.ID), append(scores, e.Search.Score)
			}
			if !reflect.DeepEqual(found, tc.found) || !reflect.DeepEqual(scores, tc.scores) {
				t.Errorf("found %v scores %v, want %v %v", found, scores, tc.found, tc.scores)
			}
		})
	}
	for _, tc := range []struct{ name, query, says string }{
		{"no wildcards", "family=Lly*&given=Sian&birthdate=eq1999-02-11&_fuzzy-match=true", "wildcards cannot be used with a fuzzy search"},
		{"given name needed", "family=Llywelyn&birthdate=eq1999-02-11&_fuzzy-match=true", "a fuzzy search needs given name, family name and date of birth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, tc.query)
			if status != http.StatusBadRequest || !strings.Contains(string(body), tc.says) || !strings.Contains(string(body), spineInvalidSearchData) {
				t.Errorf("status %d: %s", status, body)
			}
		})
	}
}

func TestOneSlipApart(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"hargreaves", "jargreaves", true},  // changed
		{"hargreaves", "hagreaves", true},   // missed
		{"hargreaves", "harggreaves", true}, // added
		{"hargreaves", "hargreavess", true}, // added at the end
		{"hargreaves", "ahrgreaves", true},  // swapped
		{"hargreaves", "hargreavse", true},  // swapped at the end
		{"hargreaves", "hargreaves", false}, // the same is not a slip
		{"hargreaves", "jargreavse", false},
		{"hargreaves", "hargrea", false},
		{"ab", "ba", true},
	} {
		if got := oneSlipApart(tc.a, tc.b); got != tc.want {
			t.Errorf("oneSlipApart(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := oneSlipApart(tc.b, tc.a); got != tc.want {
			t.Errorf("oneSlipApart(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}
