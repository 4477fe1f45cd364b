// Package nhscorpus is the NHS's published API payloads, embedded for tests:
// SCR records, GP summary test records, HTML-parser fixtures, privacy alerts,
// the SCR specification with its error table, PDS patients, searches and
// error bodies. The files are copied unchanged from NHS England's public
// repositories (MIT, Crown copyright); published/README.md names the
// repositories and commits, and each folder keeps its LICENSE and the
// source repository's paths.
//
// Only tests import this package, so none of it reaches a binary. Files are
// sorted into kinds by what they hold (resourceType, Bundle type), not by
// where they sit, so a file added to the corpus is tested as what it is.
package nhscorpus

import (
	"embed"
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed published
var published embed.FS

// Root is the folder of the corpus in FS.
const Root = "published"

// FS is the corpus: published/scr/… and published/pds/…, as in the source
// repositories.
func FS() fs.FS { return published }

// File is one file of the corpus.
type File struct {
	Path string // e.g. published/scr/specification/components/examples/GetScrBundle.json
	Data []byte
}

// Name is the path below published/, for test names.
func (f File) Name() string { return strings.TrimPrefix(f.Path, Root+"/") }

// Kind is what a file holds.
type Kind int

const (
	Other            Kind = iota
	SCRBundle             // a Bundle holding a Composition: an SCR as GET /Bundle serves it (or as uploaded)
	EmptyBundle           // a Bundle with no entries: an out-of-date SCR id, or no SCR
	Composition           // a bare Composition (a fixture); Wrap makes it a Bundle
	ConsentBundle         // a Bundle of DocumentReferences: GET /DocumentReference
	PDSPatient            // a PDS Patient
	PDSSearchset          // a searchset Bundle of Patients
	OperationOutcome      // an error body
	AuditEvent            // a privacy alert as sent
	Narrative             // an .html file: section text as Spine renders it
	RelatedPersons        // a Bundle of RelatedPerson (PDS)
)

var kindNames = [...]string{"other", "SCR bundle", "empty bundle", "composition", "consent bundle",
	"PDS patient", "PDS searchset", "OperationOutcome", "AuditEvent", "narrative", "related persons"}

func (k Kind) String() string { return kindNames[k] }

// Of sorts one file's content into a Kind.
func Of(name string, data []byte) Kind {
	if strings.HasSuffix(name, ".html") {
		return Narrative
	}
	if !strings.HasSuffix(name, ".json") {
		return Other
	}
	var head struct {
		ResourceType string          `json:"resourceType"`
		Type         json.RawMessage `json:"type"` // a string on a Bundle, an object elsewhere
		Entry        []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if json.Unmarshal(data, &head) != nil {
		return Other
	}
	switch head.ResourceType {
	case "Composition":
		return Composition
	case "Patient":
		return PDSPatient
	case "OperationOutcome":
		return OperationOutcome
	case "AuditEvent":
		return AuditEvent
	case "Bundle":
	default:
		return Other
	}
	if len(head.Entry) == 0 {
		return EmptyBundle
	}
	types := map[string]bool{}
	for _, e := range head.Entry {
		types[e.Resource.ResourceType] = true
	}
	switch {
	case types["Composition"]:
		return SCRBundle
	case types["DocumentReference"]:
		return ConsentBundle
	case types["RelatedPerson"]:
		return RelatedPersons
	case string(head.Type) == `"searchset"` && types["Patient"]:
		return PDSSearchset
	}
	return Other
}

// All is every file of the corpus, by path.
func All() []File {
	var out []File
	err := fs.WalkDir(published, Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := published.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: p, Data: data})
		return nil
	})
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	return out
}

// OfKind is every file of kind k, by path.
func OfKind(k Kind) []File {
	var out []File
	for _, f := range All() {
		if Of(f.Path, f.Data) == k {
			out = append(out, f)
		}
	}
	return out
}

// Read is one file, by its path below published/ (or with it).
func Read(name string) ([]byte, error) {
	if !strings.HasPrefix(name, Root+"/") {
		name = path.Join(Root, name)
	}
	return published.ReadFile(name)
}

// Wrap makes a bare Composition into the Bundle GET /Bundle would serve,
// with a Patient carrying nhs (which may be empty).
func Wrap(composition []byte, nhs string) []byte {
	patient := map[string]any{"resourceType": "Patient", "id": "corpus-patient"}
	if nhs != "" {
		patient["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}}
	}
	b, err := json.Marshal(map[string]any{
		"resourceType": "Bundle",
		"type":         "searchset",
		"entry": []any{
			map[string]any{"resource": json.RawMessage(composition)},
			map[string]any{"resource": patient},
		},
	})
	if err != nil {
		panic(err) // composition came from the corpus and is valid JSON
	}
	return b
}

// Kinds is every kind that has files, for a test that every file is used.
func Kinds() []Kind {
	var ks []Kind
	for _, f := range All() {
		if k := Of(f.Path, f.Data); !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}
