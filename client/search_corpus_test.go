package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scrterm/scr/internal/nhscorpus"
)

// searchStandIn serves body as PDS's answer to any search, over real HTTP.
func searchStandIn(t *testing.T, body []byte) *Session {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	c, err := New(Config{Server: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &Session{client: c, roleToken: "role-token", role: &Role{ID: sbxPharmacistRole}}
}

var smithQuery = PatientQuery{Family: "Smith", Given: []string{"Jane"}}

// TestSearchCorpus: every published PDS searchset, through SearchPatients:
// every entry comes back, usable ones first, and an unusable one says why and
// carries no NHS number, address or GP.
func TestSearchCorpus(t *testing.T) {
	files := nhscorpus.OfKind(nhscorpus.PDSSearchset)
	if len(files) != 28 {
		t.Errorf("%d PDS searchsets in the corpus, want 28", len(files))
	}
	for _, f := range files {
		var head struct {
			Entry []struct {
				Resource struct {
					ID string `json:"id"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(f.Data, &head); err != nil {
			t.Fatal(err)
		}
		ms, err := searchStandIn(t, f.Data).SearchPatients(context.Background(), smithQuery)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		if len(ms) != len(head.Entry) {
			t.Errorf("%s: %d matches from %d entries", f.Name(), len(ms), len(head.Entry))
		}
		usable := map[NHSNumber]bool{}
		seenUnusable := false
		for i, m := range ms {
			if m.Unusable == Usable {
				if seenUnusable {
					t.Errorf("%s: match %d is usable after an unusable one", f.Name(), i)
				}
				usable[m.Patient.NHSNumber] = true
				continue
			}
			seenUnusable = true
			if p := m.Patient; p != nil && (p.NHSNumber != "" || !p.Address.IsZero() || p.GP != (GP{})) {
				t.Errorf("%s: unusable match %d (%v) carries %q, %q, %q", f.Name(), i, m.Unusable, p.NHSNumber, p.Address, p.GP.ODSCode)
			}
			t.Logf("%s: match %d unusable: %v", f.Name(), i, m.Unusable)
		}
		for _, e := range head.Entry {
			if _, err := ParseNHSNumber(e.Resource.ID); err == nil && !usable[NHSNumber(e.Resource.ID)] {
				t.Logf("%s: %s, a valid number, is not usable", f.Name(), e.Resource.ID)
			}
		}
	}
}

// TestSearchHostile: one bad entry does not spoil the search; each that
// cannot be used is listed with its reason, the rest stay usable.
func TestSearchHostile(t *testing.T) {
	const hostile = `{"resourceType":"Bundle","type":"searchset","total":8,"entry":[
		{"search":{"score":1},"resource":{"resourceType":"Patient","id":"9000000008","name":[{"use":"usual","family":"Checkdigit","given":["Bad"]}],
			"birthDate":"1990-01-01","address":[{"use":"home","line":["1 Leak Street"],"postalCode":"LS1 1AA"}],
			"generalPractitioner":[{"identifier":{"value":"Y12345"}}]}},
		{"search":{"score":0.99},"resource":{"resourceType":"Patient","name":[{"use":"usual","family":"Noid"}]}},
		{"search":{"score":0.98},"resource":{"resourceType":"Patient","id":"90000000","name":[{"use":"usual","family":"Short"}]}},
		{"search":{"score":0.97},"resource":{"resourceType":"Patient","id":"9000000009"}},
		{"search":{"score":0.96},"resource":{"resourceType":"Observation","id":"x"}},
		{"search":{"score":0.5},"resource":{"resourceType":"Patient","id":"9000000017","name":[{"use":"usual","family":"Hargreaves","given":["Tom"]}]}},
		{"search":{"score":0.9},"resource":{"resourceType":"Patient","id":"9000000025","meta":{"security":[{"code":"V"}]},
			"name":[{"use":"usual","family":"Smythe"}],"address":[{"use":"home","line":["Secret"]}]}},
		{"search":{"score":0.96},"resource":{"resourceType":"Patient","id":"900 000 0033","name":[{"family":"\u001b[31mRed"}]}}]}`
	ms, err := searchStandIn(t, []byte(hostile)).SearchPatients(context.Background(), smithQuery)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		nhs NHSNumber
		why UnusableReason
	}
	var got []row
	for _, m := range ms {
		r := row{why: m.Unusable}
		if m.Patient != nil {
			r.nhs = m.Patient.NHSNumber
		}
		got = append(got, r)
	}
	want := []row{
		{"9000000033", Usable}, // spaces are how numbers are printed; the name is cleaned
		{"9000000025", Usable},
		{"9000000017", Usable},
		{"", UnusableCheckDigit},
		{"", UnusableNoNumber},
		{"", UnusableBadNumber},
		{"", UnusableNoName},
		{"", UnusableNotPatient},
	}
	if len(got) != len(want) {
		t.Fatalf("matches %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("match %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := ms[1].Patient; !p.Sensitive || p.Security != SecurityVeryRestricted || !p.Address.IsZero() {
		t.Errorf("very restricted match: %+v", p)
	}
	if p := ms[3].Patient; p.Name.Family != "Checkdigit" || p.BirthDate.IsZero() || !p.Address.IsZero() || p.GP != (GP{}) {
		t.Errorf("unusable match keeps %+v", p)
	}
	assertInert(t, ms[0].Patient.Name.Family)
	if ms[7].Patient != nil {
		t.Errorf("an Observation became a patient: %+v", ms[7].Patient)
	}
}

// TestSecurityLabels: R, V and REDACTED (the PDS specification's labels) and
// any code not known here withhold the address, telecom and GP; U does not.
func TestSecurityLabels(t *testing.T) {
	for _, tc := range []struct {
		labels string
		want   string
	}{
		{`[{"code":"U"}]`, ""},
		{`[]`, ""},
		{`[{"code":"R"}]`, SecurityRestricted},
		{`[{"code":"V"}]`, SecurityVeryRestricted},
		{`[{"code":"REDACTED"}]`, SecurityRedacted},
		{`[{"code":"U"},{"code":"R"},{"code":"V"}]`, SecurityVeryRestricted},
		{`[{"code":"N"}]`, "N"},
		{`[{"code":"\u001b[2Jsecret-very-long-label"}]`, "secret-very-…"},
	} {
		in := `{"resourceType":"Patient","id":"9000000009","meta":{"security":` + tc.labels + `},
			"name":[{"use":"usual","family":"Smith"}],
			"address":[{"use":"home","line":["1 Home Road"],"postalCode":"LS1 1AA"}],
			"generalPractitioner":[{"identifier":{"value":"Y12345"}}]}`
		p, err := ParsePatient([]byte(in), "9000000009", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if p.Security != tc.want || p.Sensitive != (tc.want != "") {
			t.Errorf("%s: security %q sensitive %v, want %q", tc.labels, p.Security, p.Sensitive, tc.want)
		}
		if withheld := p.Address.IsZero() && p.GP == (GP{}); withheld != p.Sensitive {
			t.Errorf("%s: address %q GP %q shown=%v", tc.labels, p.Address, p.GP.ODSCode, !withheld)
		}
	}
}
