package doctor

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestValidity(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		name                string
		notBefore, notAfter time.Time
		status              Status
		detail              string
	}{
		{"years left", now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0), Pass, "valid until 25-Nov-2031 (in 1826 days)"},
		{"exactly 30 days", now.AddDate(-1, 0, 0), now.Add(30 * day), Pass, "valid until 25-Dec-2026 (in 30 days)"},
		{"a second under 30 days", now.AddDate(-1, 0, 0), now.Add(30*day - time.Second), Warn, "expires on 25-Dec-2026 (in 29 days)"},
		{"one day", now.AddDate(-1, 0, 0), now.Add(day + time.Hour), Warn, "expires on 26-Nov-2026 (in 1 day)"},
		{"hours", now.AddDate(-1, 0, 0), now.Add(time.Hour), Warn, "expires on 25-Nov-2026 (today)"},
		{"ends now", now.AddDate(-1, 0, 0), now, Fail, "expired on 25-Nov-2026"},
		{"expired", now.AddDate(-1, 0, 0), now.AddDate(0, -5, 0), Fail, "expired on 25-Jun-2026"},
		{"not yet valid", now.Add(time.Hour), now.AddDate(1, 0, 0), Fail, "not valid until 25-Nov-2026 13:00 UTC"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Validity(tt.notBefore, tt.notAfter, now)
			if c.Name != CheckValidity || c.Status != tt.status || c.Detail != tt.detail {
				t.Errorf("Validity = %+v, want %s %q", c, tt.status, tt.detail)
			}
			if (c.Status != Pass) != (c.Advice != "") {
				t.Errorf("advice %q with status %s", c.Advice, c.Status)
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	for _, tt := range []struct {
		skew   time.Duration
		status Status
		detail string
	}{
		{0, Pass, "this computer's clock agrees with the server's to the second (within 1m0s)"},
		{400 * time.Millisecond, Pass, "this computer's clock agrees with the server's to the second (within 1m0s)"},
		{-3 * time.Second, Pass, "this computer's clock is 3s ahead of the server's (within 1m0s)"},
		{time.Minute, Pass, "this computer's clock is 1m0s behind the server's (within 1m0s)"},
		{time.Minute + time.Second, Warn, "this computer's clock is 1m1s behind the server's"},
		{-2 * time.Minute, Warn, "this computer's clock is 2m0s ahead of the server's"},
		{5 * time.Minute, Warn, "this computer's clock is 5m0s behind the server's"},
		{5*time.Minute + time.Second, Fail, "this computer's clock is 5m1s behind the server's"},
		{-10 * time.Minute, Fail, "this computer's clock is 10m0s ahead of the server's"},
		{-26 * time.Hour, Fail, "this computer's clock is 26h0m0s ahead of the server's"},
	} {
		c := ClockSkew(tt.skew)
		if c.Name != CheckClock || c.Status != tt.status || c.Detail != tt.detail {
			t.Errorf("ClockSkew(%v) = %+v, want %s %q", tt.skew, c, tt.status, tt.detail)
		}
		if (c.Status != Pass) != (c.Advice != "") {
			t.Errorf("ClockSkew(%v): advice %q with status %s", tt.skew, c.Advice, c.Status)
		}
	}
}

func TestChain(t *testing.T) {
	ca := newCA(t, "right CA")
	other := newCA(t, "other CA")
	cert := issue(t, ca, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)) // expired: the chain is still judged
	for _, tt := range []struct {
		name   string
		cas    []*x509.Certificate
		status Status
		words  string
	}{
		{"right CA", []*x509.Certificate{ca.Cert}, Pass, `issued by "right CA", which chains to the smartcard CA in ca.pem`},
		{"one of a bundle", []*x509.Certificate{other.Cert, ca.Cert}, Pass, "chains"},
		{"wrong CA", []*x509.Certificate{other.Cert}, Fail, `issued by "right CA", not by the smartcard CA in ca.pem`},
		{"none configured", nil, Warn, "not checked: no smartcard CA configured"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Chain(cert, tt.cas, "ca.pem", now)
			if c.Status != tt.status || !strings.Contains(c.Detail, tt.words) {
				t.Errorf("Chain = %+v, want %s with %q", c, tt.status, tt.words)
			}
		})
	}
}

func newCA(t *testing.T, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name, now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t *testing.T, ca *pki.CA, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	return issueTo(t, ca, pki.Holder{Name: "Test USER", UUID: "555000000999"}, notBefore, notAfter)
}

func issueTo(t *testing.T, ca *pki.CA, holder pki.Holder, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(holder, key.Public(), notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestRenderers(t *testing.T) {
	r := Report{Checks: []Check{
		{Name: CheckService, Status: Pass, Detail: "the PC/SC service answers"},
		{Name: CheckPIN, Status: Warn, Detail: "1 try left", Advice: "Do not guess."},
		{Name: CheckServer, Status: Fail, Detail: "https://x: refused", Advice: "Check --server."},
		{Name: CheckClock, Status: Skip, Detail: "server not reachable"},
	}}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "PASS  service      the PC/SC service answers\n" +
		"WARN  pin          1 try left\n" +
		"                   → Do not guess.\n" +
		"FAIL  server       https://x: refused\n" +
		"                   → Check --server.\n" +
		"SKIP  clock        server not reachable\n" +
		"1 check failed, 1 warning: this is why the card does not get its holder in.\n"
	if text.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", text.String(), want)
	}

	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["ok"] != false {
		t.Errorf("JSON top level: %v", got)
	}
	checks := got["checks"].([]any)
	first := checks[0].(map[string]any)
	if len(checks) != 4 || len(first) != 4 || first["name"] != "service" || first["status"] != "PASS" ||
		first["detail"] != "the PC/SC service answers" || first["advice"] != "" {
		t.Errorf("JSON checks: %v", checks)
	}

	for _, tt := range []struct {
		r    Report
		json string
		sum  string
	}{
		{Report{}, `{"checks":[],"ok":true}`, "Every check passed."},
		{Report{Checks: []Check{{Name: "a", Status: Warn, Detail: "d", Advice: "x"}, {Name: "b", Status: Warn, Detail: "d", Advice: "x"}}},
			`{"checks":[{"name":"a","status":"WARN","detail":"d","advice":"x"},{"name":"b","status":"WARN","detail":"d","advice":"x"}],"ok":true}`,
			"No check failed; 2 warnings."},
		{Report{Checks: []Check{{Name: "a", Status: Pass, Detail: "d"}, {Name: "b", Status: Skip, Detail: "no sign-in"}}},
			`{"checks":[{"name":"a","status":"PASS","detail":"d","advice":""},{"name":"b","status":"SKIP","detail":"no sign-in","advice":""}],"ok":true}`,
			"No check failed; 1 skipped."},
		{Report{Checks: []Check{{Name: "a", Status: Warn, Detail: "d", Advice: "x"}, {Name: "b", Status: Skip, Detail: "no sign-in"}}},
			`{"checks":[{"name":"a","status":"WARN","detail":"d","advice":"x"},{"name":"b","status":"SKIP","detail":"no sign-in","advice":""}],"ok":true}`,
			"No check failed; 1 warning, 1 skipped."},
	} {
		var b bytes.Buffer
		if err := tt.r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b.Bytes()); err != nil {
			t.Fatal(err)
		}
		if compact.String() != tt.json || tt.r.Summary() != tt.sum {
			t.Errorf("JSON %s, summary %q; want %s, %q", compact.String(), tt.r.Summary(), tt.json, tt.sum)
		}
	}
}

// Fakes for Run: a service with readers, a card, a server.

type fakeService struct {
	readers []smartcard.ReaderState
	err     error
	openErr error // from Open, in place of the card
	card    *fakeCard
	closed  bool
}

func (s *fakeService) Readers() ([]smartcard.ReaderState, error) { return s.readers, s.err }
func (s *fakeService) Close() error                              { s.closed = true; return nil }
func (s *fakeService) Open(string) (Card, error) {
	if s.openErr != nil {
		return nil, s.openErr
	}
	return s.card, nil
}

// fakeCard is an opened card holding cert, as smartcard.Open leaves one.
type fakeCard struct {
	cert   *x509.Certificate
	keyErr error // the key cannot sign
	pin    smartcard.PINStatus
	gotPIN []byte // the passcode the signer was given, to see it wiped
	closed bool
}

func (c *fakeCard) Certificate() *x509.Certificate { return c.cert }
func (c *fakeCard) Holder() smartcard.Holder {
	h, _ := smartcard.HolderOf(c.cert)
	return h
}
func (c *fakeCard) Usable() error {
	_, err := smartcard.HolderOf(c.cert)
	return cmp.Or(err, c.keyErr)
}
func (c *fakeCard) PINStatus() (smartcard.PINStatus, error) { return c.pin, nil }
func (c *fakeCard) Close() error                            { c.closed = true; return nil }
func (c *fakeCard) Signer(pin []byte) crypto.Signer {
	c.gotPIN = pin
	return nil
}

type fakeServer struct {
	probeErr  error
	signInErr error
	roles     []client.Role
	signedOut bool
}

func (s *fakeServer) URL() string { return "https://fake" }
func (s *fakeServer) Probe(context.Context) (Probe, error) {
	return Probe{TLS: true, Version: "TLS 1.3", Subject: "fake", Issuer: "CA", Date: now, Received: now}, s.probeErr
}
func (s *fakeServer) SignIn(context.Context, crypto.Signer, *x509.Certificate, string) (*SignedIn, error) {
	if s.signInErr != nil {
		return nil, s.signInErr
	}
	return &SignedIn{Name: "Test USER", UUID: "555000000999", Roles: s.roles,
		SignOut: func(context.Context) error { s.signedOut = true; return nil }}, nil
}

func TestRun(t *testing.T) {
	ca := newCA(t, "right CA")
	cert := issue(t, ca, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	noHolder := issueTo(t, ca, pki.Holder{Name: "Test USER", UUID: "5550"}, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	reader := smartcard.ReaderState{Name: "R1", CardPresent: true, ATR: []byte{0x3B, 0x01}}
	viewer := client.Role{ID: "1", OrgCode: "FA123", Name: `"a":"b":"Pharmacist"`, ActivityCodes: []string{"B0401"}}
	clerk := client.Role{ID: "2", OrgCode: "Y1", Name: "Clerk", ActivityCodes: []string{"B0825"}}
	officer := client.Role{ID: "3", OrgCode: "R9A", Name: "Privacy Officer", ActivityCodes: []string{"B0015"}}

	type want map[string]Status // the first line of each named check
	for _, tt := range []struct {
		name     string
		svcErr   error // from opening the service
		readers  []smartcard.ReaderState
		readErr  error
		openErr  error
		card     fakeCard
		server   *fakeServer
		passcode string
		want     want
		ok       bool
		details  []string
	}{
		{name: "all good", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{roles: []client.Role{viewer}}, passcode: "123456", ok: true,
			want:    want{"service": Pass, "card": Pass, "pin": Pass, "clock": Pass, "sign-in": Pass, "role": Pass, "access": Pass, "sign-out": Pass},
			details: []string{"Pharmacist at FA123 (1): view SCR yes, emergency access no, audit reports no"}},
		{name: "no service", svcErr: smartcard.ErrNoService,
			want: want{"service": Fail, "readers": Skip, "pin": Skip, "server": Skip, "sign-in": Skip}},
		{name: "no readers", readErr: smartcard.ErrNoReaders,
			want: want{"service": Pass, "readers": Fail, "card": Skip, "pin": Skip}},
		{name: "no card", readers: []smartcard.ReaderState{{Name: "R1"}}, server: &fakeServer{}, passcode: "123456",
			want: want{"card": Fail, "piv": Skip, "chain": Skip, "server": Pass, "sign-in": Skip}, details: []string{"none in any reader"}},
		{name: "mute card", readers: []smartcard.ReaderState{{Name: "R1", CardPresent: true, Mute: true}},
			want: want{"card": Fail, "piv": Skip}, details: []string{"does not answer"}},
		{name: "not PIV", readers: []smartcard.ReaderState{reader}, openErr: &smartcard.OpenError{Step: smartcard.StepSelect, Err: smartcard.ErrNotPIV},
			want: want{"card": Pass, "piv": Fail, "certificate": Skip, "pin": Skip}, details: []string{"cannot be selected: smartcard: the card has no PIV application"}},
		{name: "no certificate", readers: []smartcard.ReaderState{reader}, openErr: &smartcard.OpenError{Step: smartcard.StepCertificate, Err: smartcard.ErrNoCertificate},
			want:    want{"card": Pass, "piv": Pass, "certificate": Fail, "validity": Skip, "chain": Skip, "pin": Skip},
			details: []string{"selected (AID A0 00 00 03 08)", "cannot be read: smartcard: the card holds no authentication certificate"}},
		{name: "card cannot be connected", readers: []smartcard.ReaderState{reader}, openErr: smartcard.ErrCardRemoved,
			want: want{"card": Fail, "piv": Skip}, details: []string{"but it cannot be used: smartcard: the card was removed"}},
		{name: "names no holder", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: noHolder, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{}, passcode: "123456",
			want:    want{"certificate": Fail, "validity": Pass, "chain": Pass, "pin": Pass, "sign-in": Skip},
			details: []string{`subject "Test USER" names no holder`, "the certificate names no user ID"}},
		{name: "key cannot sign", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, keyErr: smartcard.ErrUnsupportedKey, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{}, passcode: "123456",
			want:    want{"certificate": Pass, "pin": Pass, "sign-in": Fail},
			details: []string{"the card's key cannot sign: smartcard: unsupported key type"}},
		{name: "blocked", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert}, server: &fakeServer{}, passcode: "123456",
			want: want{"pin": Fail, "sign-in": Skip}, details: []string{"the PIN is blocked", "Registration Authority"}},
		{name: "one try left", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 1}}, ok: true,
			want: want{"pin": Warn, "sign-in": Skip}},
		{name: "no passcode", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{}, ok: true, want: want{"sign-in": Skip}, details: []string{"no passcode given"}},
		{name: "passcode not digits", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{}, passcode: "12ab", want: want{"sign-in": Fail}, details: []string{"no try was spent"}},
		{name: "refused", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server:   &fakeServer{signInErr: &client.SignInError{ServerReply: client.ServerReply{Status: 400, Code: "invalid_grant", Text: "revoked"}}},
			passcode: "123456", want: want{"sign-in": Fail}, details: []string{"refused by the server: invalid_grant: revoked", "only the server knows"}},
		{name: "server down", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{probeErr: &client.UnavailableError{Err: errors.New("connection refused")}}, passcode: "123456",
			want: want{"server": Fail, "clock": Skip, "sign-in": Skip}, details: []string{"server not reachable"}},
		{name: "no viewing role", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{roles: []client.Role{clerk}}, passcode: "123456",
			want: want{"sign-in": Pass, "role": Warn, "access": Fail, "sign-out": Pass}, details: []string{"none of your roles can view an SCR"}},
		{name: "privacy officer", readers: []smartcard.ReaderState{reader}, card: fakeCard{cert: cert, pin: smartcard.PINStatus{TriesLeft: 3}},
			server: &fakeServer{roles: []client.Role{officer}}, passcode: "123456", ok: true,
			want: want{"role": Pass, "access": Warn}, details: []string{"audit reports yes", "audit reports only"}},
		{name: "reader asked for is missing", readers: []smartcard.ReaderState{reader}, want: want{"card": Fail}, details: []string{`no reader is named "Nope"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			card := tt.card
			svc := &fakeService{readers: tt.readers, err: tt.readErr, openErr: tt.openErr, card: &card}
			opts := Options{
				Service: func() (Service, error) {
					if tt.svcErr != nil {
						return nil, tt.svcErr
					}
					return svc, nil
				},
				SmartcardCA: []*x509.Certificate{ca.Cert}, SmartcardCAFile: "ca.pem",
				NoSignIn: "no passcode given",
				Now:      func() time.Time { return now },
			}
			if tt.name == "reader asked for is missing" {
				opts.Reader = "Nope"
			}
			if tt.server != nil {
				opts.Server = tt.server
			}
			var pin []byte
			opts.Passcode = func() ([]byte, error) { pin = []byte(tt.passcode); return pin, nil }
			var emitted []Check
			r := Run(context.Background(), opts, func(c Check) { emitted = append(emitted, c) })

			var text bytes.Buffer
			r.WriteText(&text)
			if len(emitted) != len(r.Checks) {
				t.Errorf("emitted %d checks, reported %d", len(emitted), len(r.Checks))
			}
			for name, status := range tt.want {
				if c, ok := r.Find(name); !ok || c.Status != status {
					t.Errorf("%s: %+v, want %s\n%s", name, c, status, text.String())
				}
			}
			for _, name := range []string{CheckService, CheckReaders, CheckCard, CheckPIV, CheckCertificate, CheckValidity, CheckChain, CheckPIN, CheckServer, CheckClock, CheckSignIn} {
				if _, ok := r.Find(name); !ok {
					t.Errorf("no %s line:\n%s", name, text.String())
				}
			}
			checkLines(t, r, text.String(), tt.details)
			if r.OK() != tt.ok {
				t.Errorf("OK() = %t, want %t\n%s", r.OK(), tt.ok, text.String())
			}
			if tt.passcode != "" && strings.Contains(text.String(), tt.passcode) {
				t.Errorf("the passcode is in the report")
			}
			if len(pin) > 0 && !bytes.Equal(pin, make([]byte, len(pin))) {
				t.Errorf("the passcode %q was not wiped", pin)
			}
			if tt.svcErr == nil && !svc.closed {
				t.Error("the service was not closed")
			}
			if card.cert != nil && !card.closed {
				t.Error("the card was not closed")
			}
			if c, _ := r.Find(CheckSignIn); c.Status == Pass && !tt.server.signedOut {
				t.Error("not signed out")
			}
		})
	}
}

func TestWatch(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 3, 4, 567e6, time.UTC)
	events := make(chan smartcard.Event, 5)
	events <- smartcard.Event{Kind: smartcard.ReaderAdded, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.CardInserted, Reader: "R1", ATR: []byte{0x3B, 0x8D}}
	events <- smartcard.Event{Kind: smartcard.CardRemoved, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.ReaderRemoved, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.ServiceLost, Err: smartcard.ErrNoService}
	close(events)
	var b bytes.Buffer
	if err := Watch(context.Background(), events, &b, func() time.Time { return at }); err != nil {
		t.Fatal(err)
	}
	want := "09:03:04.567  reader added    R1\n" +
		"09:03:04.567  card inserted   R1  ATR 3B 8D\n" +
		"09:03:04.567  card removed    R1\n" +
		"09:03:04.567  reader removed  R1\n" +
		"09:03:04.567  service lost    The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT. (waiting for it to come back)\n"
	if b.String() != want {
		t.Errorf("Watch wrote:\n%s\nwant:\n%s", b.String(), want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Watch(ctx, make(chan smartcard.Event), &b, time.Now); err != nil {
		t.Errorf("Watch after cancel: %v", err)
	}
}

// TestRunInProcess runs the card checks on cards opened by smartcard.Open,
// in process: each step of opening gets its own line.
func TestRunInProcess(t *testing.T) {
	ca := newCA(t, "right CA")
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: "Test USER", UUID: "555000000999"}, key.Public(), now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	good, err := virtual.New(virtual.Identity{Key: key, Cert: cert, PIN: []byte("123456")}, virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		conn  smartcard.Conn
		lines []string
	}{
		{"good card", good, []string{
			"PASS  card         in R1, ATR 3B 01",
			"PASS  piv          selected (AID A0 00 00 03 08)",
			fmt.Sprintf("PASS  certificate  Test USER, user ID 555000000999, serial %X", cert.SerialNumber),
			"PASS  pin          3 tries left",
		}},
		{"not PIV", answering{sel: []byte{0x6A, 0x82}}, []string{
			"PASS  card         in R1, ATR 3B 01",
			"FAIL  piv          cannot be selected: smartcard: the card has no PIV application",
			"SKIP  certificate  no PIV application",
			"SKIP  pin          no PIV application",
		}},
		{"no certificate", answering{sel: []byte{0x90, 0x00}, getData: []byte{0x6A, 0x82}}, []string{
			"PASS  piv          selected (AID A0 00 00 03 08)",
			"FAIL  certificate  cannot be read: smartcard: the card holds no authentication certificate",
			"SKIP  validity     no certificate",
			"SKIP  pin          no certificate",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resets := 0
			r := Run(context.Background(), Options{
				Service: InProcess("R1", []byte{0x3B, 0x01}, tt.conn, func() { resets++ }),
				Now:     func() time.Time { return now },
			}, nil)
			var text bytes.Buffer
			r.WriteText(&text)
			for _, l := range tt.lines {
				if !strings.Contains(text.String(), l+"\n") {
					t.Errorf("no line %q in:\n%s", l, text.String())
				}
			}
			if resets != 1 {
				t.Errorf("the card was reset %d times, want once", resets)
			}
		})
	}
}

// answering is a card that answers SELECT and GET DATA as scripted.
type answering struct{ sel, getData []byte }

func (a answering) Transmit(cmd []byte) ([]byte, error) {
	switch cmd[1] {
	case 0xA4:
		return a.sel, nil
	case 0xCB:
		return a.getData, nil
	}
	return []byte{0x6D, 0x00}, nil
}
func (answering) BeginTransaction() error { return nil }
func (answering) EndTransaction() error   { return nil }

// checkLines holds for a report: every FAIL or WARN carries advice, its
// text shows every one of want, and its plain form reads as a screen
// reader needs (assertPlain).
func checkLines(t *testing.T, r Report, text string, want []string) {
	t.Helper()
	for _, c := range r.Checks {
		if (c.Status == Fail || c.Status == Warn) && c.Advice == "" {
			t.Errorf("%s %s carries no advice", c.Status, c.Name)
		}
	}
	assertPlain(t, r)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("no %q in:\n%s", w, text)
		}
	}
}
