package client

import (
	"encoding/json"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/nhscorpus"
)

// The corpus tests read every payload NHS England publishes
// (internal/nhscorpus) with the parsers the viewer uses. The screens' side
// (every record drawn at every size, no word lost) is ui's corpus test; the
// error bodies are errors_corpus_test.go's, the searchsets
// search_corpus_test.go's (TestSearchCorpus).

// corpusNotParsed are the corpus files no parser of the viewer reads, and
// why. Any other file of a kind the tests below do not cover fails
// TestCorpusEveryFileRead, so a file added to the corpus cannot go untested.
var corpusNotParsed = map[string]string{
	"README.md": "provenance",
	"LICENSE":   "licence",
	// Parts of a record the NHS's converter assembles; the whole records
	// they come from are in the corpus.
	"author_practitioner.json":                        "a record's part",
	"author_practitioner_additional_info_1.json":      "a record's part",
	"author_practitioner_role.json":                   "a record's part",
	"author_practitioner_role_additional_info_1.json": "a record's part",
	"userInfo.json":                                   "CIS2 userinfo: read by the sign-in tests of the sandbox's shape",
	"SetPermission.json":                              "a consent change, which scr never sends",
}

func TestCorpusEveryFileRead(t *testing.T) {
	read := map[nhscorpus.Kind]bool{
		nhscorpus.SCRBundle: true, nhscorpus.Composition: true, nhscorpus.Narrative: true,
		nhscorpus.EmptyBundle: true, nhscorpus.ConsentBundle: true,
		nhscorpus.PDSPatient: true, nhscorpus.PDSSearchset: true,
		nhscorpus.OperationOutcome: true, nhscorpus.AuditEvent: true,
		nhscorpus.RelatedPersons: true,
	}
	for _, f := range nhscorpus.All() {
		k := nhscorpus.Of(f.Path, f.Data)
		base := path.Base(f.Path)
		switch {
		case read[k]:
		case strings.HasSuffix(base, ".yaml"): // specifications: read for facts, not parsed
		case corpusNotParsed[base] != "":
		default:
			t.Errorf("%s (%v) is read by no test", f.Name(), k)
		}
	}
}

func TestCorpusPDSPatients(t *testing.T) {
	files := nhscorpus.OfKind(nhscorpus.PDSPatient)
	if len(files) < 20 {
		t.Fatalf("only %d PDS patients in the corpus", len(files))
	}
	for _, f := range files {
		var head struct {
			ID   string `json:"id"`
			Meta struct {
				Security []struct {
					Code string `json:"code"`
				} `json:"security"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(f.Data, &head); err != nil {
			t.Fatal(err)
		}
		p, err := ParsePatient(f.Data, NHSNumber(head.ID), testNow)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		if string(p.NHSNumber) != head.ID || p.SupersededFrom != "" {
			t.Errorf("%s: NHS number %q (superseded from %q), want %q", f.Name(), p.NHSNumber, p.SupersededFrom, head.ID)
		}
		for _, s := range head.Meta.Security {
			if s.Code != "U" && (!p.Sensitive || !p.Address.IsZero() || p.GP != (GP{})) {
				t.Errorf("%s: security label %q, but sensitive=%v address=%q GP=%q",
					f.Name(), s.Code, p.Sensitive, p.Address, p.GP.ODSCode)
			}
		}
	}
}

// TestCorpusTooManyMatches: PDS's published answer to a search matching too
// many patients is the error the screen asks for more details on.
func TestCorpusTooManyMatches(t *testing.T) {
	data, err := nhscorpus.Read("pds/karate-tests/src/test/java/mocks/stubs/searchResponses/TOO_MANY_MATCHES.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePatientSearch(data, testNow); !errors.Is(err, ErrTooManyMatches) {
		t.Fatalf("got %v, want ErrTooManyMatches", err)
	}
}

func TestCorpusConsentBundles(t *testing.T) {
	for _, f := range nhscorpus.OfKind(nhscorpus.ConsentBundle) {
		c, err := ParseConsent(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		if c.SCRID == "" || c.Permission == "" {
			t.Errorf("%s: %+v", f.Name(), c)
		}
	}
	// An empty DocumentReference search is a patient with no SCR.
	for _, f := range nhscorpus.OfKind(nhscorpus.EmptyBundle) {
		if _, err := ParseConsent(f.Data); !errors.Is(err, ErrNoSCR) {
			t.Errorf("%s: got %v, want ErrNoSCR", f.Name(), err)
		}
	}
}

// TestCorpusSCRBundles: every published record parses with its patient's
// NHS number, its date and every section it was sent with.
func TestCorpusSCRBundles(t *testing.T) {
	files := nhscorpus.OfKind(nhscorpus.SCRBundle)
	if len(files) < 30 {
		t.Fatalf("only %d SCR bundles in the corpus", len(files))
	}
	for _, f := range files {
		var head struct {
			Entry []struct {
				Resource struct {
					ResourceType string            `json:"resourceType"`
					Date         string            `json:"date"`
					Section      []json.RawMessage `json:"section"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(f.Data, &head); err != nil {
			t.Fatal(err)
		}
		s, err := ParseSummary(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		if s.NHSNumber == "" {
			t.Errorf("%s: no NHS number", f.Name())
		}
		for _, e := range head.Entry {
			if e.Resource.ResourceType != "Composition" {
				continue
			}
			if e.Resource.Date != "" && s.Created.IsZero() {
				t.Errorf("%s: Composition date %q read as none", f.Name(), e.Resource.Date)
			}
			if len(s.Sections) != len(e.Resource.Section) {
				t.Errorf("%s: %d sections read of %d", f.Name(), len(s.Sections), len(e.Resource.Section))
			}
			break
		}
	}
}

// TestCorpusCompositions: every bare Composition fixture, wrapped in a Bundle
// as GET /Bundle serves one, parses with every section.
func TestCorpusCompositions(t *testing.T) {
	for _, f := range nhscorpus.OfKind(nhscorpus.Composition) {
		var head struct {
			Section []json.RawMessage `json:"section"`
		}
		if err := json.Unmarshal(f.Data, &head); err != nil {
			t.Fatal(err)
		}
		s, err := ParseSummary(nhscorpus.Wrap(f.Data, "9000000009"))
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		if len(s.Sections) != len(head.Section) {
			t.Errorf("%s: %d sections read of %d", f.Name(), len(s.Sections), len(head.Section))
		}
	}
}
