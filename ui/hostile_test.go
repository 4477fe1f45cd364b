package ui

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/recordview"
	"github.com/scrterm/scr/internal/safetext/safetexttest"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// hostileBundle is an SCR Bundle made to hurt: escape sequences that would
// clear the screen, retitle the window and write the clipboard, a bidi
// override, a 9 600-character paragraph, a 5 000-row table of 1 400-character drug names (most of the
// client's 8 MiB cap), and XHTML nested 10 000 deep.
func hostileBundle(t testing.TB) []byte {
	t.Helper()
	long := strings.Repeat("Co-codamol 8mg/500mg effervescent tablets ", 33) // ~1 400 characters
	var rows strings.Builder
	for range 5000 {
		rows.WriteString("<tr><td>12-May-2020</td><td>" + long + "</td><td>One tablet</td></tr>")
	}
	meds := `<div xmlns="http://www.w3.org/1999/xhtml"><table><thead><tr><th>Date</th><th>Medication Item</th><th>Dosage</th></tr></thead><tbody>` + rows.String() + `</tbody></table></div>`
	deep := `<div xmlns="http://www.w3.org/1999/xhtml">` + strings.Repeat("<div>", 10000) + "deep" + strings.Repeat("</div>", 10000) + "</div>"
	section := func(code, title, div string) map[string]any {
		return map[string]any{
			"title": title,
			"code":  map[string]any{"coding": []any{map[string]any{"code": code}}},
			"text":  map[string]any{"status": "generated", "div": div},
		}
	}
	bundle := map[string]any{
		"resourceType": "Bundle",
		"entry": []any{
			map[string]any{"resource": map[string]any{
				"resourceType": "Composition", "id": "c1", "date": "2020-05-14",
				"section": []any{
					section("AllergiesHeader", "Allergies\x1b[2J\x1b]0;pwned\x07", `<div xmlns="http://www.w3.org/1999/xhtml"><p>Toxic reaction to wasp sting`+"\x1b]52;c;SGVsbG8=\x07\u202e"+`</p><p>`+strings.Repeat("Amoxicillin ", 800)+`</p></div>`),
					section("AcuteMedsHeader", "Acute Medications", meds),
					section("UnknownHeader", "Deep", deep),
				},
			}},
			map[string]any{"resource": map[string]any{
				"resourceType": "Patient", "id": "9000000009",
				"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}},
			}},
		},
	}
	data, err := json.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > client.MaxResponseBytes {
		t.Fatalf("the hostile bundle is %d bytes, over the client's cap", len(data))
	}
	return data
}

// TestHostileRecordRendersInert: what reaches the screen moves no cursor,
// sets no title and writes no clipboard; the layout is bounded in lines and
// memory, and says what it left out.
func TestHostileRecordRendersInert(t *testing.T) {
	s, err := client.ParseSummary(hostileBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	p := summaryTestPatient(t, "9000000009", "")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	m := newSummaryScreen(summaryTestCommon(80, 24), p, s, "Viewed as Pharmacist at FA123 · access recorded")
	_ = m.drawn()
	runtime.ReadMemStats(&ms)
	if mb := (ms.TotalAlloc - before) >> 20; mb > 200 {
		t.Errorf("laying the record out allocated %d MB", mb)
	}
	lay := m.layout()
	if n := len(lay.body.Lines); n > recordview.MaxLines {
		t.Errorf("%d lines laid out", n)
	}
	// Wrapped text joined back, without the allergies bar.
	body := strings.Join(strings.Fields(strings.ReplaceAll(ansi.Strip(strings.Join(lay.body.Lines, "\n")), recordview.AllergyBar, " ")), " ")
	// The deep section parsed (its text survives) but comes after the cut.
	if last := s.Sections[len(s.Sections)-1]; len(last.Blocks) == 0 {
		t.Error("the deeply nested section lost its text")
	}
	for _, want := range []string{"Toxic reaction to wasp sting", "too long to show in full"} {
		if !strings.Contains(body, want) {
			t.Errorf("the body lacks %q", want)
		}
	}
	// Our own styling is SGR only (ESC [ … m); anything else came from the record.
	all := strings.Join(lay.body.Lines, "\n") + m.drawn()
	sgr := ansi.Strip(all)
	for _, bad := range []string{"\x1b[2J", "\x1b]", "\x07", "\u202e", "pwned\x07"} {
		if strings.Contains(all, bad) || strings.Contains(sgr, bad) {
			t.Errorf("%q reached the screen", bad)
		}
	}
	for _, l := range strings.Split(m.drawn(), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("a line %d wide", w)
		}
	}
}

func BenchmarkHostileRecordLayout(b *testing.B) {
	s, err := client.ParseSummary(hostileBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	p := summaryTestPatient(b, "9000000009", "")
	c := summaryTestCommon(80, 24)
	b.ReportAllocs()
	for b.Loop() {
		_ = newSummaryScreen(c, p, s, "x").drawn()
	}
}

// hostileFront puts a proxy in front of srv that puts the hostile set into
// every string of every JSON answer (safetexttest.InjectJSON: userinfo, PDS,
// the consent search, the SCR and its narrative, OperationOutcomes, the
// audit rows), and returns a client of it.
func hostileFront(t *testing.T, srv *sandbox.Server) *client.Client {
	t.Helper()
	return rewritingFront(t, srv, func(res *http.Response) error {
		if !strings.Contains(res.Header.Get("Content-Type"), "json") {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		if len(body) > 0 {
			if body, _, err = safetexttest.InjectJSON(body); err != nil {
				return err
			}
		}
		replaceBody(res, body)
		return nil
	})
}

// rewritingFront puts a proxy in front of srv that passes each answer
// through modify, and returns a client of it.
func rewritingFront(t *testing.T, srv *sandbox.Server, modify func(*http.Response) error) *client.Client {
	t.Helper()
	upstream, _ := url.Parse(srv.URL())
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	proxy.ModifyResponse = modify
	// HTTPS in front too, with the Host kept, so that the assertion's aud
	// (the token URL as the viewer reaches it) is one the sandbox accepts.
	front := httptest.NewTLSServer(proxy)
	t.Cleanup(front.Close)
	frontCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
	cl, err := client.New(client.Config{Server: front.URL, CAPEM: frontCA, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// hostileCards is a reader holding a card of user whose certificate, issued
// by the sandbox smartcard CA as the real one is, names its holder with the
// hostile set in the name.
func hostileCards(t *testing.T, user, name string) *testCards {
	t.Helper()
	ca, err := pki.LoadCA(assets.SmartcardCA)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	from := fixedNow
	if time.Now().Before(from) {
		from = time.Now()
	}
	from = from.AddDate(0, 0, -1)
	cert, err := ca.IssueCard(pki.Holder{Name: safetexttest.Inject(name), UUID: user}, key.Public(), from, from.AddDate(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	card, err := virtual.New(virtual.Identity{Key: key, Cert: cert, PIN: []byte(userPIN[user])}, virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &testCards{card: card, events: make(chan smartcard.Event, 16)}
}

// programSequences are the strings the viewer itself sends: its window's
// title, and a query of the terminal's background colour.
var programSequences = []string{"\x1b]2;scr\a", "\x1b]11;?\a"}

// assertNoForeignOutput fails if what the program wrote holds anything it
// did not make (safetexttest.Foreign).
func assertNoForeignOutput(t *testing.T, what string, out []byte) {
	t.Helper()
	if f := safetexttest.Foreign(out, programSequences...); len(f) > 0 {
		t.Errorf("%s: %d bytes written hold %v", what, len(out), f)
	}
}

// TestHostileSourcesReachNoTerminal drives the viewer, as a user would,
// through every screen that shows text from outside, with the hostile set in
// every field of every source: the card's holder ("Card of …", the lock
// screen), userinfo (the role list, the header), the PDS record and a
// search's matches, the consent, the SCR (a record with the withheld
// statement among them), an OperationOutcome; then the privacy officer's
// audit rows and their export, as CSV and JSON. The bytes written to the
// terminal, and to the files, hold no escape sequence, control or invisible
// character the program did not make, and the screen reads as it would
// without the hostile set.
func TestHostileSourcesReachNoTerminal(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	cl := hostileFront(t, srv)
	clock := newTestClock(fixedNow)

	s := newScreen(t, Options{Client: cl, Cards: hostileCards(t, userLocum, "Daniel OSEI"), IdleLock: time.Minute, Now: clock.now}, 100, 30)
	s.waitFor("Card of Daniel OSEI", "Enter your passcode")
	signIn(t, s, userLocum)
	s.waitFor("Choose your role", "Health Professional Access Role", "FA123", "FK456")
	s.press("enter")
	s.waitFor("Find a patient", "FA123")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required", "HARGREAVES, Robert Alan (Mr)")
	s.typeText("p")
	s.waitFor("Penicillin allergy", "Clarithromycin")
	clock.advance(2 * time.Minute)
	s.waitFor("scr is locked", "Locked for Daniel OSEI")
	s.typeText(userPIN[userLocum])
	s.press("enter")
	s.waitFor("Penicillin allergy")
	s.typeText("n")
	s.waitFor("Find a patient")
	s.typeText("9000000092")
	s.press("enter")
	s.waitFor("Permission to view is required", "PENNINGTON")
	s.typeText("p")
	s.waitFor("Entries withheld")
	s.typeText("n")
	s.waitFor("Find a patient")
	s.press("ctrl+f")
	s.waitFor("Family name", "Date of birth")
	s.typeText("Hargreaves")
	s.press("tab")
	s.press("tab")
	s.typeText("14-03-1958")
	s.press("enter")
	s.waitFor("1 matching patient.", "HARGREAVES, Robert Alan (Mr)", "NHS No. 900 000 0017")
	s.press("esc")
	s.waitFor("Find a patient")
	s.press("esc")
	s.press("ctrl+u")
	s.typeText("9000000122") // invalidated: PDS answers with an OperationOutcome
	s.press("enter")
	s.waitFor("invalidated")
	s.mu.Lock()
	out := bytes.Clone(s.out)
	s.mu.Unlock()
	assertNoForeignOutput(t, "the viewer", out)

	// The privacy officer: the audit rows, on screen and exported.
	o := newScreen(t, Options{Client: cl, Cards: hostileCards(t, userOfficer, "Helen WOODS"), Now: time.Now}, 120, 40)
	o.waitFor("Card of Helen WOODS")
	signIn(t, o, userOfficer)
	o.waitFor("Audit: who accessed a patient's record")
	o.typeText("9000000017")
	o.waitFor("✓ valid NHS number")
	o.press("enter")
	o.waitFor("accesses, newest first", "Daniel OSEI", "FA123")
	dir := t.TempDir()
	for _, name := range []string{"sar.csv", "sar.json"} {
		path := filepath.Join(dir, name)
		o.typeText("x")
		o.waitFor("Export to")
		o.typeText(path)
		o.press("enter")
		o.waitFor(exportWarning)
		o.typeText("y")
		o.waitFor("rows to " + path + ".")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		assertNoForeignOutput(t, name, data)
		if !bytes.Contains(data, []byte("Daniel OSEI")) || bytes.ContainsRune(data, '\r') {
			t.Errorf("%s:\n%s", name, data)
		}
	}
	o.text()
	o.mu.Lock()
	out = bytes.Clone(o.out)
	o.mu.Unlock()
	assertNoForeignOutput(t, "the audit screen", out)
}

// TestHostileWithheldBanner: the statement that entries were withheld raises
// the banner's flag however its words are split by characters that do not
// show, or by a character reference for one.
func TestHostileWithheldBanner(t *testing.T) {
	for _, words := range []string{
		"One or more entries have been deliberately with\u200bheld from this GP Summary.",
		"deliberately with&#8203;held",
		"deliberately with\u00adheld",
		"deliberately&nbsp;with\u2060held",
	} {
		div, _ := json.Marshal(`<div xmlns="http://www.w3.org/1999/xhtml"><p>` + words + `</p></div>`)
		bundle := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Composition","date":"2020-05-14","section":[` +
			`{"title":"Problems and Issues","code":{"coding":[{"code":"ProblemsHeader"}]},"text":{"div":` + string(div) + `}}]}},` +
			`{"resource":{"resourceType":"Patient","id":"9000000009","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]}}]}`
		sum, err := client.ParseSummary([]byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		m := newSummaryScreen(summaryTestCommon(100, 30), summaryTestPatient(t, "9000000009", ""), sum, "x")
		if txt := ansi.Strip(m.drawn()); !strings.Contains(txt, "Entries withheld") {
			t.Errorf("%q: no withheld flag:\n%s", words, txt)
		}
	}
}

// replaceBody makes body the answer's, its length said to match.
func replaceBody(res *http.Response, body []byte) {
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
}
