package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scrterm/scr/internal/doctor"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/safetext/safetexttest"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// The gate's tests of scr doctor, scr card and scr config: what each prints,
// as text or JSON, of a card, a reader, a server or a setting holds nothing a
// terminal would act on or hide.

// verdict is what a hostile reply would have the support engineer read: the
// screen cleared, and a line of its own that passes the check.
const verdict = "\x1b[2J\x1b[H\rPASS  sign-in      everything fine\n"

// hostileTLS is a certificate for 127.0.0.1 whose subject and issuer are
// hostile, and its PEM for the client to trust.
func hostileTLS(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	name := pkix.Name{CommonName: safetexttest.Inject("scr test server") + verdict}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: name, Issuer: name,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// hostileSignIn is a sign-in service that says everything with the hostile
// set in it: refusing the card (refuse), or giving a user and a role, then
// refusing the sign-out.
func hostileSignIn(t *testing.T, refuse bool) (url string, caPEM []byte) {
	t.Helper()
	in := safetexttest.Inject
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	mux.HandleFunc("POST /oauth2/challenge", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]string{"challenge": "c1"})
	})
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, _ *http.Request) {
		if refuse {
			reply(w, http.StatusBadRequest, map[string]string{"error": in("invalid_grant"), "error_description": in("the card certificate has been revoked") + verdict})
			return
		}
		reply(w, http.StatusOK, map[string]any{"access_token": "t", "token_type": in("Bearer"), "expires_in": 900})
	})
	mux.HandleFunc("GET /oauth2/userinfo", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]any{
			"nhsid_useruid": in("555000000999"), "name": in("Test USER") + verdict,
			"nhsid_nrbac_roles": []any{map[string]any{
				"person_roleid": in("555000000201"), "org_code": in("FA123") + verdict, "role_code": in("S0030:G0100:R0570"),
				"role_name": in(`"Clinical":"Pharmacy":"Pharmacist"`) + verdict, "activity_codes": []string{in("B0401")},
			}},
		})
	})
	mux.HandleFunc("POST /oauth2/revoke", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusBadRequest, map[string]string{"error": in("invalid_request"), "error_description": in("no") + verdict})
	})
	cert, caPEM := hostileTLS(t)
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, caPEM
}

// hostileCard is an in-process card whose certificate names its holder and
// its issuer with the hostile set, in a reader whose name holds it too.
func hostileCard(t *testing.T, readerName string) (doctor.Options, *pki.CA) {
	t.Helper()
	ca, err := pki.NewCA(safetexttest.Inject("scr test smartcard CA")+verdict, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: safetexttest.Inject("Test USER") + verdict, UUID: "555000000999"}, key.Public(),
		time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	card, err := virtual.New(virtual.Identity{Key: key, Cert: cert, PIN: []byte("123456")}, virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doctor.Options{
		Service:         doctor.InProcess(readerName, card.ATR(), card, card.Reset),
		SmartcardCA:     []*x509.Certificate{ca.Cert},
		SmartcardCAFile: safetexttest.Inject("/etc/scr/smartcard-ca.pem"),
		Passcode:        func() ([]byte, error) { return []byte("123456"), nil },
	}, ca
}

// checkOutput fails if out holds anything foreign, or a line that is not a
// check's, its advice, or the verdict.
func checkDoctorText(t *testing.T, out string) {
	t.Helper()
	if f := safetexttest.Foreign([]byte(out)); len(f) > 0 {
		t.Errorf("foreign: %v", f)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		status, _, _ := strings.Cut(l, "  ")
		switch {
		case status == "PASS" || status == "WARN" || status == "FAIL" || status == "SKIP":
		case strings.HasPrefix(l, strings.Repeat(" ", 19)+"→ "):
		case i == len(lines)-1:
		default:
			t.Errorf("line %d is no check's: %q", i+1, l)
		}
	}
}

// TestDoctorGatesOutsideText runs scr doctor's report (text, then --json)
// against a card and a server that put the hostile set into everything they
// say: the reader's name, the card's holder and issuer, the smartcard CA's
// file, the server certificate's names, the sign-in's refusal, the user's
// name and roles, the sign-out's error.
func TestDoctorGatesOutsideText(t *testing.T) {
	for _, refuse := range []bool{true, false} {
		t.Run(fmt.Sprintf("refused %v", refuse), func(t *testing.T) {
			url, caPEM := hostileSignIn(t, refuse)
			opts, _ := hostileCard(t, safetexttest.Inject("Reader 01")+verdict)
			srv, err := doctor.NewServerCAPEM(url, caPEM)
			if err != nil {
				t.Fatal(err)
			}
			opts.Server = srv

			var text bytes.Buffer
			code := doctorReport(context.Background(), doctorConfig{}, opts, &text)
			t.Logf("exit %d\n%s", code, text.String())
			checkDoctorText(t, text.String())
			for _, want := range []string{"Reader 01 PASS sign-in everything fine", "Test USER PASS sign-in everything fine",
				`issued by "scr test smartcard CA PASS sign-in everything fine"`, `its certificate is for "scr test server PASS sign-in everything fine"`} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("no %q", want)
				}
			}
			if refuse {
				if code != 1 || !strings.Contains(text.String(), "FAIL  sign-in      refused by the server: invalid_grant: the card certificate has been revoked PASS sign-in everything fine") {
					t.Errorf("exit %d; the refusal is not one FAIL line", code)
				}
			} else if !strings.Contains(text.String(), "PASS  role         Pharmacist\" PASS sign-in everything fine at FA123 PASS sign-in everything fine (555000000201)") ||
				!strings.Contains(text.String(), "WARN  sign-out") {
				t.Error("the role or the sign-out is not as the gate leaves them")
			}

			opts, _ = hostileCard(t, safetexttest.Inject("Reader 01")+verdict)
			opts.Server = srv
			var js bytes.Buffer
			doctorReport(context.Background(), doctorConfig{json: true}, opts, &js)
			if f := safetexttest.Foreign(js.Bytes()); len(f) > 0 {
				t.Errorf("JSON: foreign %v", f)
			}
			if !utf8.Valid(js.Bytes()) || bytes.ContainsAny(js.Bytes(), "\r\u202e\u200b\u009b") {
				t.Error("the JSON holds a raw control or invisible character")
			}
			var got struct {
				Checks []doctor.Check `json:"checks"`
			}
			if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got.Checks) < 14 {
				t.Fatalf("JSON: %v, %d checks\n%s", err, len(got.Checks), js.String())
			}
			for _, c := range got.Checks {
				for _, s := range []string{c.Name, c.Detail, c.Advice} {
					if strings.ContainsAny(s, "\x1b\r\n\u202e\u200b") {
						t.Errorf("JSON %s: %q", c.Name, s)
					}
				}
			}
		})
	}
}

// TestCardGatesOutsideText: scr card's text and JSON show a reader's name,
// the holder and the issuer as the gate leaves them.
func TestCardGatesOutsideText(t *testing.T) {
	opts, ca := hostileCard(t, "")
	_ = opts
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: safetexttest.Inject("Test USER") + verdict, UUID: safetexttest.Inject("555000000999")}, key.Public(),
		time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	holder, herr := smartcard.HolderOf(cert)
	reports := []smartcard.CardReport{{
		Reader: safetexttest.Inject("Reader 01") + verdict, CardPresent: true, ATR: []byte{0x3B}, Certificate: cert,
		Holder: holder, PIN: smartcard.PINStatus{TriesLeft: 3}, Err: herr,
	}, {Reader: safetexttest.Inject("Reader 02") + verdict}}
	var text bytes.Buffer
	printCards(&text, reports, nil, time.Now())
	if f := safetexttest.Foreign(text.Bytes()); len(f) > 0 || bytes.ContainsRune(text.Bytes(), '\r') {
		t.Errorf("text: foreign %v\n%s", f, text.String())
	}
	for _, want := range []string{"Reader    Reader 01 PASS sign-in everything fine\n", "Holder    Test USER PASS sign-in everything fine\n",
		"User ID   555000000999\n", "Issuer    scr test smartcard CA PASS sign-in everything fine\n", "Reader    Reader 02 PASS sign-in everything fine\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("no %q in\n%s", want, text.String())
		}
	}
	b, err := json.Marshal(cardJSON(reports, nil, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if f := safetexttest.Foreign(b); len(f) > 0 || bytes.Contains(b, []byte(`\u001b`)) || bytes.Contains(b, []byte(`\r`)) {
		t.Errorf("JSON: foreign %v\n%s", f, b)
	}
	printCards(&text, nil, errors.New(safetexttest.Inject("boom")), time.Now())
	if f := safetexttest.Foreign(text.Bytes()); len(f) > 0 {
		t.Errorf("an error: foreign %v", f)
	}
}

// tomlString is s as a TOML basic string, every character that is not
// printable ASCII written as an escape.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r >= 0x20 && r < 0x7F:
			b.WriteRune(r)
		case r > 0xFFFF:
			fmt.Fprintf(&b, `\U%08X`, r)
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestConfigGatesValues: scr config shows a setting holding escape
// sequences, controls and invisible characters quoted and escaped, says so,
// and writes nothing a terminal acts on; --json keeps the exact value, every
// such character a \u escape; a value the configuration refuses is quoted
// in the one line that says so.
func TestConfigGatesValues(t *testing.T) {
	reader := safetexttest.Inject("File Reader 00") + verdict
	ca := "/etc/scr/ca" + safetexttest.Hostile + ".pem"
	envReader := "Env\x1b[2J Reader\u202e 01"
	file := configFile(t, "reader = "+tomlString(reader)+"\nca = "+tomlString(ca)+"\n")
	t.Setenv("SCR_CONFIG", file)
	for _, k := range []string{"SCR_SERVER", "SCR_CA", "SCR_READER", "SCR_IDLE_LOCK", "SCR_SMARTCARD_CA"} {
		t.Setenv(k, "")
	}

	code, out, stderr := runScr(t, "config")
	t.Logf("%d\n%s%s", code, out, stderr)
	if code != 0 || stderr != "" {
		t.Fatalf("scr config = %d, %q", code, stderr)
	}
	if f := safetexttest.ForeignQuoted([]byte(out)); len(f) > 0 {
		t.Errorf("foreign: %v", f)
	}
	for _, want := range []string{strconv.QuoteToASCII(reader), "it holds characters a terminal would not show as they are"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines != 14 {
		t.Errorf("%d lines, want 14", lines)
	}

	t.Setenv("SCR_READER", envReader)
	code, out, _ = runScr(t, "config", "--json")
	if f := safetexttest.ForeignQuoted([]byte(out)); code != 0 || len(f) > 0 || strings.ContainsAny(out, "\u202e\u200b\u009b\x7f") {
		t.Errorf("--json = %d, foreign %v:\n%s", code, f, out)
	}
	var got configJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Settings["reader"].Value != envReader || !strings.HasSuffix(got.Settings["ca"].Value, ca) {
		t.Errorf("--json changed the values: %q, %q", got.Settings["reader"].Value, got.Settings["ca"].Value)
	}

	// Refused: the error quotes the value, through the gate.
	t.Setenv("SCR_CONFIG", configFile(t, "idle-lock = "+tomlString(safetexttest.Inject("5m")+verdict)+"\n"))
	code, out, stderr = runScr(t, "config")
	if code != 2 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "scr config: ") {
		t.Errorf("= %d, %q, %q; want 2 and one line", code, out, stderr)
	}
	if f := safetexttest.ForeignQuoted([]byte(stderr)); len(f) > 0 {
		t.Errorf("the error: foreign %v", f)
	}
}
