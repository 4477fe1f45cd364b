package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/nhscorpus"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/internal/safetext/safetexttest"
)

// The gate's tests in this package: every string of every source passes
// safetext.Line as it is decoded (json.go), whatever field it is in.

// assertInert fails if s, or any line of it (the narrative's blocks keep
// their own line breaks), is not gated text.
func assertInert(t testing.TB, s string) {
	t.Helper()
	for line := range strings.SplitSeq(s, "\n") {
		if got := safetext.Line(line); got != line {
			t.Fatalf("%q is not gated: the gate makes it %q", line, got)
		}
	}
	if f := safetexttest.Foreign([]byte(s)); len(f) > 0 {
		t.Fatalf("%q holds %v", s, f)
	}
}

// assertAllInert walks v, exported fields and not, and checks every string
// in it (and the message of every error) with assertInert.
func assertAllInert(t testing.TB, v any) {
	t.Helper()
	n := 0
	walkStrings(reflect.ValueOf(v), "", func(path, s string) {
		t.Helper()
		n++
		if !utf8Lines(s) {
			t.Errorf("%s: %q", path, s)
			return
		}
		assertInert(t, s)
	})
	if n == 0 {
		t.Fatalf("no string in %T", v)
	}
}

func utf8Lines(s string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		if safetext.Line(line) != line {
			return false
		}
	}
	return true
}

var errorType = reflect.TypeFor[error]()

// walkStrings calls f with every string reachable from v, and the message of
// every error, each with its path.
func walkStrings(v reflect.Value, path string, f func(path, s string)) {
	if !v.IsValid() {
		return
	}
	if v.Type().Implements(errorType) && v.CanInterface() && (v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface || !v.IsNil()) {
		f(path+".Error()", v.Interface().(error).Error())
	}
	switch v.Kind() {
	case reflect.String:
		f(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), path+"["+strconv.Itoa(i)+"]", f)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkStrings(it.Value(), path+"["+fmt.Sprint(it.Key())+"]", f)
		}
	}
}

// injector is a transport that injects the hostile set into every JSON
// answer (see safetexttest.InjectJSON).
type injector struct {
	next    http.RoundTripper
	strings atomic.Int64
}

func (in *injector) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := in.next.RoundTrip(req)
	if err != nil || !isJSONContentType(res.Header.Get("Content-Type")) {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		injected, n, err := safetexttest.InjectJSON(body)
		if err != nil {
			return nil, fmt.Errorf("injecting into %s: %w", req.URL.Path, err)
		}
		body = injected
		in.strings.Add(int64(n))
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return res, nil
}

// gateOutcome is everything the viewer is given by the sources a journey
// meets: the user and roles (userinfo), a patient's PDS record and consent,
// the SCR, a PDS search, the audit trail, and the errors of a patient PDS
// does not know, of a role Spine refuses, and of a revoked card.
type gateOutcome struct {
	UserUUID, UserName string
	Roles              []Role
	Lookup             *Lookup
	Summary            *Summary
	Matches            []PatientMatch
	Trail              []Access
	Errors             []string
}

// requestID is an X-Request-ID in an error's message: each request has its own.
var requestID = regexp.MustCompile(`request [0-9a-f-]{36}`)

func gateJourney(t *testing.T, c *Client, until time.Time) gateOutcome {
	t.Helper()
	ctx := context.Background()
	var out gateOutcome
	fail := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		out.Errors = append(out.Errors, requestID.ReplaceAllString(err.Error(), "request …"))
	}
	s := sbxSignIn(t, c, sbxPharmacist)
	defer s.SignOut(ctx)
	out.UserUUID, out.UserName, out.Roles = s.UserUUID, s.UserName, s.Roles
	if _, err := s.ChooseRole(ctx, sbxPharmacistRole); err != nil {
		t.Fatal(err)
	}
	var err error
	if out.Lookup, err = s.Lookup(ctx, "9000000017"); err != nil {
		t.Fatal(err)
	}
	if out.Summary, err = s.Summary(ctx, "9000000017", out.Lookup.Consent.SCRID); err != nil {
		t.Fatal(err)
	}
	if out.Matches, err = s.SearchPatients(ctx, PatientQuery{Family: "Hargreaves", BirthDate: time.Date(1958, 3, 14, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Lookup(ctx, "9000000122") // invalidated: PDS's OperationOutcome
	fail(err)

	r := sbxSignIn(t, c, sbxReceptionist)
	defer r.SignOut(ctx)
	if _, err := r.ChooseRole(ctx, sbxReceptionistRole); err != nil {
		t.Fatal(err)
	}
	_, err = r.Consent(ctx, "9000000017") // Spine's access control refuses the role
	fail(err)

	key, cert := sbxCard(t, sbxRevokedCard)
	_, err = c.SignIn(ctx, key, cert, sbxRevokedCard) // the sign-in service's RFC 6749 error
	fail(err)

	o := sbxSignIn(t, c, sbxPrivacyOfficer)
	defer o.SignOut(ctx)
	if _, err := o.ChooseRole(ctx, sbxPrivacyOfficerRole); err != nil {
		t.Fatal(err)
	}
	if out.Trail, err = o.AccessReport(ctx, "9000000017", time.Time{}, until); err != nil {
		t.Fatal(err)
	}
	if len(out.Trail) == 0 {
		t.Fatal("an empty audit trail")
	}
	return out
}

// TestGateEverySource: the sandbox's answers with the hostile set put into
// every string of every one of them (safetexttest.Inject: userinfo, the PDS
// Patient and searchset, the DocumentReference search, the SCR Bundle and
// its narrative, the OperationOutcomes and the sign-in's error, the audit
// rows) give the viewer exactly what the plain answers do, and not one string
// of it holds anything the gate would remove.
func TestGateEverySource(t *testing.T) {
	srv, ca := sbxServer(t)
	plain := newSBXClient(t, srv, ca, 0)
	hostile := newSBXClient(t, srv, ca, 0)
	in := &injector{next: hostile.rc.GetClient().Transport}
	hostile.rc.SetTransport(in)

	// Both journeys first, then both reports up to the same moment, so each
	// reads the same trail.
	want := gateJourney(t, plain.Client, time.Time{})
	got := gateJourney(t, hostile.Client, time.Time{})
	// The reports are asked to the second: asked in the next second, the
	// first report's own entry is in neither.
	until := time.Now()
	time.Sleep(time.Until(until.Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	o1, o2 := sbxSignIn(t, plain.Client, sbxPrivacyOfficer), sbxSignIn(t, hostile.Client, sbxPrivacyOfficer)
	for _, o := range []*Session{o1, o2} {
		if _, err := o.ChooseRole(context.Background(), sbxPrivacyOfficerRole); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if want.Trail, err = o1.AccessReport(context.Background(), "9000000017", time.Time{}, until); err != nil {
		t.Fatal(err)
	}
	if got.Trail, err = o2.AccessReport(context.Background(), "9000000017", time.Time{}, until); err != nil {
		t.Fatal(err)
	}
	if n := in.strings.Load(); n < 500 {
		t.Fatalf("only %d strings injected", n)
	}
	if !reflect.DeepEqual(got, want) {
		walkDiff(t, reflect.ValueOf(got), reflect.ValueOf(want), "outcome")
		t.Fatal("the hostile answers gave the viewer something else")
	}
	assertAllInert(t, got)
	if !slices.ContainsFunc(got.Summary.Sections, func(s Section) bool { return len(s.Blocks) > 0 }) {
		t.Fatal("no narrative")
	}
}

// walkDiff reports where got and want first differ.
func walkDiff(t *testing.T, got, want reflect.Value, path string) {
	t.Helper()
	if !got.IsValid() || !want.IsValid() || got.Type() != want.Type() {
		t.Errorf("%s: %v ≠ %v", path, got, want)
		return
	}
	switch got.Kind() {
	case reflect.Pointer, reflect.Interface:
		if got.IsNil() != want.IsNil() {
			t.Errorf("%s: nil %v ≠ %v", path, got.IsNil(), want.IsNil())
			return
		}
		if !got.IsNil() {
			walkDiff(t, got.Elem(), want.Elem(), path)
		}
	case reflect.Struct:
		for i := range got.NumField() {
			walkDiff(t, got.Field(i), want.Field(i), path+"."+got.Type().Field(i).Name)
		}
	case reflect.Slice, reflect.Array:
		if got.Len() != want.Len() {
			t.Errorf("%s: %d ≠ %d elements", path, got.Len(), want.Len())
			return
		}
		for i := range got.Len() {
			walkDiff(t, got.Index(i), want.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if got.String() != want.String() {
			t.Errorf("%s: %q ≠ %q", path, got.String(), want.String())
		}
	default:
		if got.CanInterface() && !reflect.DeepEqual(got.Interface(), want.Interface()) {
			t.Errorf("%s: %v ≠ %v", path, got, want)
		}
	}
}

// TestGateCorpus: every published PDS record and searchset, consent search,
// SCR (as a Bundle, or a Composition wrapped in one) and OperationOutcome,
// with the hostile set put into every string, parses to what it parses to
// without it. The corpus holds fields the sandbox's records do not.
func TestGateCorpus(t *testing.T) {
	parsers := map[nhscorpus.Kind]func([]byte) (any, error){
		nhscorpus.PDSPatient: func(b []byte) (any, error) { return ParsePatient(b, "", testNow) },
		nhscorpus.PDSSearchset: func(b []byte) (any, error) {
			return ParsePatientSearch(b, testNow)
		},
		nhscorpus.ConsentBundle: func(b []byte) (any, error) { return ParseConsent(b) },
		nhscorpus.SCRBundle:     func(b []byte) (any, error) { return ParseSummary(b) },
		nhscorpus.Composition:   func(b []byte) (any, error) { return ParseSummary(nhscorpus.Wrap(b, "9000000009")) },
		nhscorpus.OperationOutcome: func(b []byte) (any, error) {
			a := httpAttempt{status: http.StatusForbidden, header: http.Header{"Content-Type": {"application/fhir+json"}}, body: b}
			return errorForStatus(apiRequest{method: http.MethodGet, path: scrBundlePath}, a, "r"), nil
		},
	}
	n := 0
	for _, f := range nhscorpus.All() {
		parse := parsers[nhscorpus.Of(f.Path, f.Data)]
		if parse == nil {
			continue
		}
		injected, strs, err := safetexttest.InjectJSON(f.Data)
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		want, wantErr := parse(f.Data)
		got, gotErr := parse(injected)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v with the hostile set, %v without", f.Name(), gotErr, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			walkDiff(t, reflect.ValueOf(got), reflect.ValueOf(want), f.Name())
			continue
		}
		if gotErr == nil && strs > 0 {
			assertAllInert(t, got)
		}
		n++
	}
	if n < 80 {
		t.Errorf("only %d corpus files read", n)
	}
}

// TestWithheldThroughInvisibleCharacters: the statement that entries were
// deliberately withheld is found however its words are split by characters
// that do not show, or spaced, or encoded; and a section is known by its
// title the same way.
func TestWithheldThroughInvisibleCharacters(t *testing.T) {
	for _, words := range []string{
		"One or more entries have been deliberately with\u200bheld from this GP Summary.",
		"deliberately with&#8203;held",
		"deliberately with&shy;held",
		"deliberately\u00a0withheld",
		"deliberately&nbsp;withheld",
		"DELIBERATELY WITH\u2060HELD",
		"deliberately with\u034fheld",
		"deliberately with\x1b[8m\x1b[28mheld",
		"deliberately with\U000E0020held",
	} {
		div, _ := json.Marshal(`<div xmlns="http://www.w3.org/1999/xhtml"><p>` + words + `</p></div>`)
		bundle := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","section":[` +
			`{"title":"Aller\u200bgies and Adverse Re\u00adactions","text":{"div":` + string(div) + `}}]}}]}`
		s, err := ParseSummary([]byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		if !s.Withheld || !s.Sections[0].Withheld {
			t.Errorf("%q: withheld not found", words)
		}
		if k := s.Sections[0].Kind; k != SectionAllergies {
			t.Errorf("%q: section kind %q", words, k)
		}
		assertAllInert(t, s)
	}
}

// TestEveryWireStringIsGated keeps the gate structural: the decoder gates
// fields of type string (and markup, the narrative, the parser does), so
// no struct the client decodes may hold a field of a named string type, an
// interface or a map, which the decoder would fill ungated.
func TestEveryWireStringIsGated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	named := map[string]bool{} // the package's types whose underlying type is string
	var structs []*ast.StructType
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "string" {
					named[n.Name.Name] = true
				}
			case *ast.StructType:
				structs = append(structs, n)
			}
			return true
		})
	}
	if !named["markup"] || !named["NHSNumber"] {
		t.Fatalf("the named string types found: %v", named)
	}
	wire := 0
	for _, st := range structs {
		isWire := false
		for _, fld := range st.Fields.List {
			if fld.Tag != nil && strings.Contains(fld.Tag.Value, `json:"`) {
				isWire = true
			}
		}
		if !isWire {
			continue
		}
		wire++
		for _, fld := range st.Fields.List {
			var bad string
			ast.Inspect(fld.Type, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					if named[n.Name] && n.Name != "markup" || n.Name == "any" {
						bad = n.Name
					}
				case *ast.InterfaceType, *ast.MapType:
					bad = "an interface or a map"
				case *ast.StructType:
					return false // checked as a struct of its own
				}
				return true
			})
			if bad != "" {
				t.Errorf("%s: a wire field of type %s, which the decoder does not gate", fset.Position(fld.Pos()), bad)
			}
		}
	}
	if wire < 15 {
		t.Errorf("only %d wire structs found", wire)
	}
	// And the one decoder: no JSON is read but through decodeJSON.
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "json.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"json.Unmarshal(", "json.UnmarshalRead(", "json.UnmarshalDecode(", "json.NewDecoder("} {
			if bytes.Contains(src, []byte(call)) {
				t.Errorf("%s calls %s: decode with decodeJSON, which gates", name, call)
			}
		}
	}
}
