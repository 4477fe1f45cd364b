package doctor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/safetext/safetexttest"
	"github.com/scrterm/scr/smartcard"
)

// hostileServer says everything a server can say with the hostile set in it:
// its certificate's names, the user's name and roles (as if the client had
// not gated them), a refusal whose text clears the screen and writes a
// verdict of its own, errors whose messages do the same.
type hostileServer struct {
	probeErr, signInErr, signOutErr error
}

// verdict is what a hostile reply would have the support engineer read.
const verdict = "\x1b[2J\x1b[H\rPASS  sign-in      everything fine\n"

func (s *hostileServer) URL() string { return "https://fake" }
func (s *hostileServer) Probe(context.Context) (Probe, error) {
	return Probe{TLS: true, Version: safetexttest.Inject("TLS 1.3"), Subject: safetexttest.Inject("fake"),
		Issuer: safetexttest.Inject("CA"), Date: now, Received: now}, s.probeErr
}
func (s *hostileServer) SignIn(context.Context, crypto.Signer, *x509.Certificate, string) (*SignedIn, error) {
	if s.signInErr != nil {
		return nil, s.signInErr
	}
	role := client.Role{ID: safetexttest.Inject("1"), OrgCode: safetexttest.Inject("FA123"),
		Name: safetexttest.Inject(`"a":"b":"Pharmacist"`) + verdict, ActivityCodes: []string{"B0401"}}
	return &SignedIn{Name: safetexttest.Inject("Test USER") + verdict, UUID: safetexttest.Inject("555000000999"), Roles: []client.Role{role},
		SignOut: func(context.Context) error { return s.signOutErr }}, nil
}

// TestReportGatesOutsideText: whatever the card, the readers and the server
// say, the checklist written (text and JSON) holds no escape sequence, no
// control but its own line ends, no bidi control or invisible character, and
// no line that is not one check's own; a refusal cannot overwrite its FAIL
// with a PASS.
func TestReportGatesOutsideText(t *testing.T) {
	ca, err := pki.NewCA(safetexttest.Inject("hostile CA"), now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	good, err := ca.IssueCard(pki.Holder{Name: safetexttest.Inject("Test USER"), UUID: "555000000999"}, key.Public(), now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	noHolder, err := ca.IssueCard(pki.Holder{Name: safetexttest.Inject("Test USER"), UUID: safetexttest.Inject("5550")}, key.Public(), now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	hostileErr := errors.New(safetexttest.Inject("no") + verdict)
	refusal := &client.SignInError{ServerReply: client.ServerReply{Status: 400, Code: safetexttest.Inject("invalid_grant"), Text: safetexttest.Inject("revoked") + verdict}}
	reader := safetexttest.Inject("Reader 01") + verdict

	for _, tt := range []struct {
		name    string
		cert    *x509.Certificate
		readErr error
		server  *hostileServer
		reader  string // --reader
		failing string // a check that must FAIL
	}{
		{name: "signed in", cert: good, server: &hostileServer{signOutErr: hostileErr}},
		{name: "refused", cert: good, server: &hostileServer{signInErr: refusal}, failing: CheckSignIn},
		{name: "sign-in error", cert: good, server: &hostileServer{signInErr: hostileErr}, failing: CheckSignIn},
		{name: "server down", cert: good, server: &hostileServer{probeErr: &client.UnavailableError{Err: hostileErr}}, failing: CheckServer},
		{name: "no holder", cert: noHolder, server: &hostileServer{}, failing: CheckCertificate},
		{name: "readers unreadable", readErr: hostileErr, failing: CheckReaders},
		{name: "reader asked for", reader: reader + "x", failing: CheckCard},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{
				readers: []smartcard.ReaderState{{Name: reader, CardPresent: true, ATR: []byte{0x3B}}},
				err:     tt.readErr,
				card:    &fakeCard{cert: tt.cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			}
			opts := Options{
				Service:     func() (Service, error) { return svc, nil },
				Reader:      tt.reader,
				SmartcardCA: []*x509.Certificate{ca.Cert}, SmartcardCAFile: safetexttest.Inject("ca.pem"),
				Passcode: func() ([]byte, error) { return []byte("123456"), nil },
				NoSignIn: "no passcode given",
				Now:      func() time.Time { return now },
			}
			if tt.server != nil {
				opts.Server = tt.server
			}
			var live bytes.Buffer // the lines as scr doctor prints them while it runs
			r := Run(context.Background(), opts, func(c Check) { live.WriteString(c.Line()) })
			text := assertGated(t, r, live.Bytes())
			if tt.failing != "" {
				if c, _ := r.Find(tt.failing); c.Status != Fail {
					t.Errorf("%s: %+v, want FAIL", tt.failing, c)
				}
			}
			if testing.Verbose() {
				t.Log("\n" + text)
			}
		})
	}
}

// assertGated checks the checklist r, as written live, as text and as JSON:
// no escape sequence, no control but its own line ends, no bidi control or
// invisible character, and no line that is not one check's own, its advice,
// or the verdict; and the same of its plain form (assertPlain). It returns
// the text form.
func assertGated(t *testing.T, r Report, live []byte) string {
	t.Helper()
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string][]byte{"live": live, "text": text.Bytes(), "JSON": js.Bytes()} {
		if f := safetexttest.Foreign(out); len(f) > 0 {
			t.Errorf("%s: %v", what, f)
		}
		if bytes.ContainsAny(out, "\r\u202e\u200b") {
			t.Errorf("%s holds a carriage return or an invisible character", what)
		}
	}
	// Every line is a check's, its advice, or the verdict: nothing the
	// server said begins a line.
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	checks := 0
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, strings.Repeat(" ", 6+nameWidth+1)+"→ ") {
			continue
		}
		if checks >= len(r.Checks) {
			t.Errorf("line %q is no check's", l)
			continue
		}
		c := r.Checks[checks]
		if !strings.HasPrefix(l, string(c.Status)+"  "+c.Name+" ") {
			t.Errorf("line %q is not the %s %s check's", l, c.Status, c.Name)
		}
		checks++
	}
	if checks != len(r.Checks) || lines[len(lines)-1] != r.Summary() {
		t.Errorf("%d check lines for %d checks, then %q:\n%s", checks, len(r.Checks), lines[len(lines)-1], text.String())
	}
	var got reportJSON
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got.Checks) != len(r.Checks) {
		t.Errorf("JSON: %v, %d checks", err, len(got.Checks))
	}
	if plain := assertPlain(t, r); bytes.ContainsAny([]byte(plain), "\u202e\u200b") {
		t.Error("plain holds an invisible character")
	}
	return text.String()
}

// TestWatchGatesReaderNames: --watch prints a reader's name as the gate
// leaves it.
func TestWatchGatesReaderNames(t *testing.T) {
	events := make(chan smartcard.Event, 2)
	events <- smartcard.Event{Kind: smartcard.CardInserted, Reader: safetexttest.Inject("R1") + verdict, ATR: []byte{0x3B}}
	events <- smartcard.Event{Kind: smartcard.EventKind(99), Reader: safetexttest.Inject("R1")}
	close(events)
	var b bytes.Buffer
	if err := Watch(context.Background(), events, &b, func() time.Time { return now }); err != nil {
		t.Fatal(err)
	}
	if f := safetexttest.Foreign(b.Bytes()); len(f) > 0 || strings.Count(b.String(), "\n") != 2 || bytes.ContainsRune(b.Bytes(), '\r') {
		t.Errorf("foreign %v in:\n%q", f, b.String())
	}
}

// TestCIS2ReportGatesOutsideText: with auth = "cis2", the settings (from
// the environment or a file), CIS2's and the platform's refusals, the
// signed-in user and their roles reach the checklist only through the gate.
func TestCIS2ReportGatesOutsideText(t *testing.T) {
	ca, err := pki.NewCA("CA", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: "Test USER", UUID: "555000000999"}, key.Public(), now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	hostile := func(s string) string { return safetexttest.Inject(s) + verdict }
	role := client.Role{ID: hostile("1"), OrgCode: hostile("FA123"), Name: hostile("Pharmacist"), ActivityCodes: []string{"B0401"}}
	for _, tt := range []struct {
		name    string
		cis2    fakeCIS2
		loadErr error
		failing string
	}{
		{name: "signed in", cis2: fakeCIS2{roles: []client.Role{role}}},
		{name: "discovery refused", failing: CheckCIS2,
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: discoveryURL(hostile("https://cis2")), Problem: hostile("cannot be read"), Err: errors.New(hostile("no"))}}},
		{name: "JWKS refused", failing: CheckJWKS,
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: hostile("https://cis2/jwks"), Problem: hostile("the JWKS cannot be read")}}},
		{name: "platform refused", failing: CheckPlatform,
			cis2: fakeCIS2{roles: []client.Role{role}, checkErr: &client.ExchangeError{ServerReply: client.ServerReply{Status: 401,
				Code: hostile("invalid_request"), Text: hostile("client_assertion"), RequestID: hostile("r-1")}}}},
		{name: "CIS2 refused the card", failing: CheckSignIn,
			cis2: fakeCIS2{signInErr: &client.AuthorizationError{Code: hostile("access_denied"), Description: hostile("refused")}}},
		{name: "another user", failing: CheckSignIn,
			cis2: fakeCIS2{signInErr: &client.WrongUserError{CardUUID: "555000000999", TokenUUID: hostile("555000000102")}}},
		{name: "key refused", failing: CheckSigningKey, loadErr: errors.New(hostile("the signing key is refused"))},
		{name: "key unusable", failing: CheckSigningKey, loadErr: &client.SigningKeyError{Problem: hostile("encrypted")}},
		// The key unusable, CIS2 is read for the issuer alone.
		{name: "key refused, discovery refused", failing: CheckCIS2, loadErr: errors.New(hostile("the signing key is refused")),
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: discoveryURL(hostile("https://cis2")), Problem: hostile("cannot be read"), Err: errors.New(hostile("no"))}}},
		{name: "key refused, JWKS refused", failing: CheckJWKS, loadErr: errors.New(hostile("the signing key is refused")),
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: hostile("https://cis2/jwks"), Problem: hostile("the JWKS cannot be read")}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := tt.cis2
			b := &browser{}
			opts := Options{
				Service: func() (Service, error) {
					return &fakeService{readers: []smartcard.ReaderState{{Name: "R1", CardPresent: true}},
						card: &fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}}}, nil
				},
				Server:   &fakeServer{},
				Passcode: func() ([]byte, error) { return []byte("123456"), nil },
				CIS2: &CIS2Settings{
					Issuer: hostile("https://cis2"), ClientID: hostile("app"), APIKey: hostile("key"), KID: hostile("k1"),
					SigningKey: hostile("/etc/scr/app.pem"),
					LoadKey: func() (crypto.Signer, error) {
						if tt.loadErr != nil {
							return nil, tt.loadErr
						}
						return appKey(), nil
					},
					Discover: fake.Discover, CheckIssuer: fake.CheckIssuer, Browser: b.make,
				},
				Now: func() time.Time { return now },
			}
			var live bytes.Buffer
			r := Run(context.Background(), opts, func(c Check) { live.WriteString(c.Line()) })
			text := assertGated(t, r, live.Bytes())
			if tt.failing != "" {
				if c, _ := r.Find(tt.failing); c.Status != Fail {
					t.Errorf("%s: %+v, want FAIL", tt.failing, c)
				}
			}
			if testing.Verbose() {
				t.Log("\n" + text)
			}
		})
	}
}
