package doctor

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
	"github.com/scrterm/scr/smartcard"
)

// appKey is an application key for the checks: made once, RSA-2048.
var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeCIS2 is CIS2 and the platform as the checks see them.
type fakeCIS2 struct {
	discoverErr error // from Discover, and CheckIssuer: the same CIS2
	checkErr    error
	signInErr   error
	roles       []client.Role

	cfg          client.CIS2Config // what Discover was given
	discovers    int               // Discover's calls
	issuer       string            // what CheckIssuer was given
	issuerChecks int               // CheckIssuer's calls
	cardUUID     string            // what SignIn was given
	signedOut    bool
}

func (f *fakeCIS2) Discover(_ context.Context, cfg client.CIS2Config) (CIS2Provider, error) {
	f.cfg = cfg
	f.discovers++
	if f.discoverErr != nil {
		return nil, f.discoverErr
	}
	return f, nil
}

func (f *fakeCIS2) CheckIssuer(_ context.Context, issuer string) error {
	f.issuer = issuer
	f.issuerChecks++
	return f.discoverErr
}

func (f *fakeCIS2) CheckApplication(context.Context) error { return f.checkErr }

func (f *fakeCIS2) SignIn(_ context.Context, cardUUID string, open func(string) error) (*SignedIn, error) {
	f.cardUUID = cardUUID
	if err := open("https://cis2.example/authorize?client_id=app"); err != nil {
		return nil, err
	}
	if f.signInErr != nil {
		return nil, f.signInErr
	}
	return &SignedIn{Name: "Test USER", UUID: cardUUID, Roles: f.roles,
		SignOut: func(context.Context) error { f.signedOut = true; return nil }}, nil
}

// browser records what the sign-in's browser was given.
type browser struct {
	uuid string
	cert *x509.Certificate
	url  string
}

func (b *browser) make(_ context.Context, _ crypto.Signer, cert *x509.Certificate, uuid string) func(string) error {
	b.cert, b.uuid = cert, uuid
	return func(u string) error { b.url = u; return nil }
}

// onlyIssuer leaves only cis2-issuer set of the application's settings.
func onlyIssuer(c *CIS2Settings) {
	c.ClientID, c.APIKey, c.SigningKey, c.KID = "", "", "", ""
}

func TestRunCIS2(t *testing.T) {
	ca := newCA(t, "right CA")
	cert := issue(t, ca, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	noHolder := issueTo(t, ca, pki.Holder{Name: "Test USER", UUID: "5550"}, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))
	reader := smartcard.ReaderState{Name: "R1", CardPresent: true, ATR: []byte{0x3B, 0x01}}
	viewer := client.Role{ID: "1", OrgCode: "FA123", Name: "Pharmacist", ActivityCodes: []string{"B0401"}}
	const discoveryURL = "https://cis2.example/.well-known/openid-configuration"

	type want map[string]Status
	for _, tt := range []struct {
		name     string
		settings func(*CIS2Settings)
		cis2     fakeCIS2
		card     *x509.Certificate // nil: no card in the reader
		server   *fakeServer       // nil: no server configured
		noBrowse bool              // CIS2 itself: no browser to play
		want     want
		details  []string
		ok       bool
	}{
		{name: "all good", cis2: fakeCIS2{roles: []client.Role{viewer}}, card: cert, server: &fakeServer{}, ok: true,
			want: want{"clock": Pass, "auth": Pass, "signing-key": Pass, "cis2": Pass, "jwks": Pass, "platform": Pass, "user-id": Pass,
				"sign-in": Pass, "role": Pass, "access": Pass, "sign-out": Pass},
			details: []string{
				`PASS  auth         cis2 (the NHS's own sign-in): client-id "app", api-key "key"` + "\n",
				`PASS  signing-key  RSA-2048 private key in /etc/scr/app.pem, kid "k1"; its public key's thumbprint (RFC 7638) is `,
				"PASS  cis2         https://cis2.example: its discovery document is read",
				"PASS  platform     https://fake/oauth2/token takes the application's client assertion: api-key \"key\", signed by the key registered under kid \"k1\"\n",
				"PASS  user-id      555000000999, from the card's certificate: CIS2 must sign in this user\n",
				"PASS  sign-in      signed in to CIS2 as Test USER (555000000999), 1 role\n",
				"PASS  sign-out     signed out: the CIS2 ID token is forgotten\n",
			}},
		{name: "CIS2 itself: no browser", cis2: fakeCIS2{}, card: cert, server: &fakeServer{}, noBrowse: true, ok: true,
			want:    want{"platform": Pass, "user-id": Pass, "sign-in": Skip, "role": Skip, "access": Skip, "sign-out": Skip},
			details: []string{"SKIP  sign-in      auth cis2: the sign-in is CIS2's, in the browser"}},
		{name: "settings missing", settings: func(c *CIS2Settings) { c.ClientID, c.KID = "", "" }, card: cert, server: &fakeServer{},
			want: want{"auth": Fail, "signing-key": Pass, "cis2": Pass, "jwks": Pass, "platform": Skip, "user-id": Pass, "sign-in": Skip},
			details: []string{
				"FAIL  auth         cis2 (the NHS's own sign-in), but not set: client-id, kid\n",
				"PASS  signing-key  RSA-2048 private key in /etc/scr/app.pem; its public key's thumbprint",
				"PASS  cis2         https://cis2.example: its discovery document is read",
				"SKIP  platform     not set: client-id, kid\n",
				"SKIP  sign-in      not set: client-id, kid\n",
			}},
		{name: "no signing key set", settings: func(c *CIS2Settings) { c.SigningKey = "" }, card: cert, server: &fakeServer{},
			want:    want{"auth": Fail, "signing-key": Skip, "cis2": Pass, "jwks": Pass, "platform": Skip},
			details: []string{"but not set: signing-key\n", "SKIP  signing-key  signing-key is not set\n", "SKIP  platform     not set: signing-key\n"}},
		{name: "only the issuer set", settings: onlyIssuer, card: cert, server: &fakeServer{},
			want: want{"auth": Fail, "signing-key": Skip, "cis2": Pass, "jwks": Pass, "platform": Skip, "user-id": Pass, "sign-in": Skip},
			details: []string{
				"FAIL  auth         cis2 (the NHS's own sign-in), but not set: client-id, api-key, signing-key, kid\n",
				"PASS  cis2         https://cis2.example: its discovery document is read and offers what the sign-in needs: the Authorization Code flow with PKCE, and private_key_jwt\n",
				"PASS  jwks         CIS2's signing keys are read, from the jwks_uri its discovery document names\n",
				"SKIP  platform     not set: client-id, api-key, signing-key, kid\n",
			}},
		{name: "only the issuer set, JWKS fails", settings: onlyIssuer, card: cert, server: &fakeServer{},
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: "https://cis2.example/jwks", Problem: "the JWKS holds no public signing key"}},
			want: want{"auth": Fail, "cis2": Pass, "jwks": Fail, "platform": Skip, "sign-in": Skip},
			details: []string{
				"PASS  cis2         https://cis2.example: its discovery document is read",
				"FAIL  jwks         CIS2 discovery (https://cis2.example/jwks): the JWKS holds no public signing key\n",
				"SKIP  platform     not set: client-id, api-key, signing-key, kid\n",
			}},
		{name: "only the issuer set, discovery fails", settings: onlyIssuer, card: cert, server: &fakeServer{},
			cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.UnavailableError{Err: errors.New("connection refused")}}},
			want: want{"cis2": Fail, "jwks": Skip, "platform": Skip},
			details: []string{"FAIL  cis2         CIS2 discovery (" + discoveryURL + "): cannot be read: client: server unavailable: connection refused\n",
				"could not be reached at the cis2-issuer address", "SKIP  jwks         no discovery document\n",
				"SKIP  platform     not set: client-id, api-key, signing-key, kid\n"}},
		{name: "issuer not set", settings: func(c *CIS2Settings) { c.Issuer = "" }, card: cert, server: &fakeServer{},
			want:    want{"auth": Fail, "signing-key": Pass, "cis2": Skip, "jwks": Skip, "platform": Skip},
			details: []string{"SKIP  cis2         not set: cis2-issuer\n", "SKIP  jwks         not set: cis2-issuer\n"}},
		{name: "only the issuer set, no server", settings: onlyIssuer, card: cert,
			want:    want{"server": Skip, "cis2": Skip, "jwks": Skip, "platform": Skip},
			details: []string{"SKIP  cis2         no server configured (--server or SCR_SERVER)\n"}},
		{name: "key readable by others", settings: func(c *CIS2Settings) {
			c.LoadKey = func() (crypto.Signer, error) {
				return nil, errors.New("the signing key /etc/scr/app.pem can be read or changed by others than its owner (-rw-r--r--), so scr does not use it: chmod 600 /etc/scr/app.pem")
			}
		}, card: cert, server: &fakeServer{},
			want: want{"auth": Pass, "signing-key": Fail, "cis2": Pass, "jwks": Pass, "platform": Skip, "sign-in": Skip},
			details: []string{"FAIL  signing-key  the signing key /etc/scr/app.pem can be read or changed by others than its owner (-rw-r--r--), so scr does not use it: chmod 600 /etc/scr/app.pem\n",
				"PASS  cis2         https://cis2.example: its discovery document is read",
				"SKIP  platform     the signing key cannot be used\n"}},
		{name: "key too small", settings: func(c *CIS2Settings) {
			c.LoadKey = func() (crypto.Signer, error) {
				return nil, &client.SigningKeyError{Problem: "RSA-1024; at least 2048 bits are needed"}
			}
		}, card: cert, server: &fakeServer{},
			want: want{"signing-key": Fail, "cis2": Pass, "jwks": Pass, "platform": Skip},
			details: []string{"FAIL  signing-key  /etc/scr/app.pem: RSA-1024; at least 2048 bits are needed\n", "unencrypted RSA private key",
				"SKIP  platform     the signing key cannot be used\n"}},
		{name: "no server", cis2: fakeCIS2{}, card: cert, ok: true,
			want:    want{"server": Skip, "auth": Pass, "signing-key": Pass, "cis2": Skip, "jwks": Skip, "platform": Skip, "user-id": Pass, "sign-in": Skip},
			details: []string{"SKIP  cis2         no server configured (--server or SCR_SERVER)\n", "SKIP  platform     no server configured\n"}},
		{name: "server down", cis2: fakeCIS2{roles: []client.Role{viewer}}, card: cert,
			server:  &fakeServer{probeErr: &client.UnavailableError{Err: errors.New("connection refused")}},
			want:    want{"server": Fail, "cis2": Pass, "jwks": Pass, "platform": Skip, "sign-in": Pass},
			details: []string{"SKIP  platform     server not reachable\n"}},
		{name: "discovery fails", cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.UnavailableError{Err: errors.New("connection refused")}}},
			card: cert, server: &fakeServer{},
			want: want{"cis2": Fail, "jwks": Skip, "platform": Skip, "user-id": Pass, "sign-in": Skip},
			details: []string{"FAIL  cis2         CIS2 discovery (" + discoveryURL + "): cannot be read: client: server unavailable: connection refused\n",
				"could not be reached at the cis2-issuer address", "SKIP  jwks         no discovery document\n", "SKIP  sign-in      CIS2's discovery failed\n"}},
		{name: "issuer not https", cis2: fakeCIS2{discoverErr: errors.New(`client: cis2-issuer "http://cis2.example": must be https (http for a loopback address only)`)},
			card: cert, server: &fakeServer{},
			want:    want{"cis2": Fail, "jwks": Skip},
			details: []string{`FAIL  cis2         cis2-issuer "http://cis2.example": must be https`}},
		{name: "JWKS fails", cis2: fakeCIS2{discoverErr: &client.DiscoveryError{URL: "https://cis2.example/jwks", Problem: "the JWKS holds no public signing key"}},
			card: cert, server: &fakeServer{},
			want: want{"cis2": Pass, "jwks": Fail, "platform": Skip, "sign-in": Skip},
			details: []string{"FAIL  jwks         CIS2 discovery (https://cis2.example/jwks): the JWKS holds no public signing key\n",
				"SKIP  platform     CIS2's JWKS cannot be used\n"}},
		{name: "platform refuses the kid", cis2: fakeCIS2{roles: []client.Role{viewer}, checkErr: &client.ExchangeError{ServerReply: client.ServerReply{Service: client.ServiceSignIn, Status: 401,
			Code: "invalid_request", Text: "Invalid 'kid' header in client_assertion JWT - no matching public key", RequestID: "r-1"}}},
			card: cert, server: &fakeServer{},
			want: want{"platform": Fail, "sign-in": Pass},
			details: []string{"FAIL  platform     https://fake/oauth2/token refused the application's client assertion: invalid_request: Invalid 'kid' header in client_assertion JWT - no matching public key\n",
				"scr's set-up (api-key, signing-key or kid) is wrong, or this computer's clock is", "quoting request ID r-1", "thumbprint"}},
		{name: "platform unavailable", cis2: fakeCIS2{roles: []client.Role{viewer}, checkErr: &client.UnavailableError{ServerReply: client.ServerReply{Service: client.ServiceSignIn, Status: 503}}},
			card: cert, server: &fakeServer{},
			want:    want{"platform": Fail},
			details: []string{"FAIL  platform     https://fake/oauth2/token: server unavailable: sign-in HTTP 503\n", "The sign-in service is unavailable."}},
		{name: "CIS2 refuses the card", cis2: fakeCIS2{signInErr: &client.AuthorizationError{Code: "access_denied", Description: "the card is refused: revoked"}},
			card: cert, server: &fakeServer{},
			want: want{"sign-in": Fail, "role": Skip, "sign-out": Skip},
			details: []string{"FAIL  sign-in      refused by CIS2: access_denied: the card is refused: revoked\n",
				"the sign-in was cancelled, or your card or account was refused"}},
		{name: "another user signed in", cis2: fakeCIS2{signInErr: &client.WrongUserError{CardUUID: "555000000999", TokenUUID: "555000000102"}},
			card: cert, server: &fakeServer{},
			want: want{"sign-in": Fail},
			details: []string{"FAIL  sign-in      CIS2 signed in user 555000000102, not the card's 555000000999\n",
				"not the holder of the card in the reader"}},
		{name: "ID token refused", cis2: fakeCIS2{signInErr: &client.IDTokenError{Reason: client.IDTokenNonce, Detail: "not the nonce this sign-in sent"}},
			card: cert, server: &fakeServer{},
			want:    want{"sign-in": Fail},
			details: []string{"FAIL  sign-in      the CIS2 ID token is refused (nonce): not the nonce this sign-in sent\n", "(ID token: nonce)"}},
		{name: "certificate names no holder", cis2: fakeCIS2{}, card: noHolder, server: &fakeServer{},
			want: want{"certificate": Fail, "platform": Pass, "user-id": Fail, "sign-in": Skip},
			details: []string{"FAIL  user-id      the card's certificate names no user ID, so no CIS2 sign-in can be matched to the card\n",
				"SKIP  sign-in      the certificate names no user ID\n"}},
		{name: "no card", cis2: fakeCIS2{}, server: &fakeServer{},
			want:    want{"card": Fail, "platform": Pass, "user-id": Skip, "sign-in": Skip},
			details: []string{"SKIP  user-id      no card\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			readers := []smartcard.ReaderState{{Name: "R1"}}
			if tt.card != nil {
				readers = []smartcard.ReaderState{reader}
			}
			card := &fakeCard{cert: tt.card, pin: smartcard.PINStatus{TriesLeft: 3}}
			svc := &fakeService{readers: readers, card: card}
			fake := tt.cis2
			b := &browser{}
			settings := &CIS2Settings{
				Issuer: "https://cis2.example", ClientID: "app", APIKey: "key", KID: "k1",
				SigningKey: "/etc/scr/app.pem",
				LoadKey:    func() (crypto.Signer, error) { return appKey(), nil },
				Browser:    b.make,
			}
			opts := Options{
				Service:     func() (Service, error) { return svc, nil },
				SmartcardCA: []*x509.Certificate{ca.Cert}, SmartcardCAFile: "ca.pem",
				Passcode: func() ([]byte, error) { return []byte("123456"), nil },
				NoSignIn: "auth cis2: the sign-in is CIS2's, in the browser, which scr doctor does not open",
				CIS2:     settings,
				Now:      func() time.Time { return now },
			}
			if tt.server != nil {
				opts.Server = tt.server
				settings.Discover, settings.CheckIssuer = fake.Discover, fake.CheckIssuer
			}
			if tt.noBrowse {
				settings.Browser, opts.Passcode = nil, nil
			}
			if tt.settings != nil {
				tt.settings(settings)
			}
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
			// Every check has its line, in order: the card's, the server's,
			// CIS2's, then the sign-in's.
			var names []string
			for _, c := range r.Checks {
				if len(names) == 0 || names[len(names)-1] != c.Name {
					names = append(names, c.Name)
				}
			}
			order := []string{CheckService, CheckReaders, CheckCard, CheckPIV, CheckCertificate, CheckValidity, CheckChain, CheckPIN,
				CheckServer, CheckClock, CheckAuth, CheckSigningKey, CheckCIS2, CheckJWKS, CheckPlatform, CheckUserID,
				CheckSignIn, CheckRole, CheckAccess, CheckSignOut}
			if !slices.Equal(names, order) {
				t.Errorf("the checks ran in the order\n%v, want\n%v", names, order)
			}
			checkLines(t, r, text.String(), tt.details)
			if r.OK() != tt.ok {
				t.Errorf("OK() = %t, want %t\n%s", r.OK(), tt.ok, text.String())
			}
			if strings.Contains(text.String(), "123456") {
				t.Error("the passcode is in the report")
			}

			// What the checks handed on: the application to discover, and
			// the card to sign in with.
			if fake.cfg.Issuer != "" && (fake.cfg.Issuer != settings.Issuer || fake.cfg.ClientID != "app" || fake.cfg.APIKey != "key" ||
				fake.cfg.KID != settings.KID || fake.cfg.Key != appKey()) {
				t.Errorf("discovered with %+v", fake.cfg)
			}
			// CIS2 is read once: for the whole application when it can be,
			// else for the issuer alone when that is set.
			signingKey, _ := r.Find(CheckSigningKey)
			whole := tt.server != nil && len(settings.missing()) == 0 && signingKey.Status == Pass
			alone := tt.server != nil && !whole && settings.Issuer != ""
			if want := map[bool]int{true: 1}; fake.discovers != want[whole] || fake.issuerChecks != want[alone] {
				t.Errorf("discovered %d times, the issuer alone checked %d times; want %d and %d", fake.discovers, fake.issuerChecks, want[whole], want[alone])
			}
			if alone && fake.issuer != settings.Issuer {
				t.Errorf("the issuer alone checked for %q, want %q", fake.issuer, settings.Issuer)
			}
			if c, _ := r.Find(CheckSignIn); c.Status == Pass {
				if fake.cardUUID != "555000000999" || b.uuid != "555000000999" || b.cert != tt.card || b.url == "" {
					t.Errorf("signed in for %q, browser for %q with %v at %q", fake.cardUUID, b.uuid, b.cert != nil, b.url)
				}
				if !fake.signedOut {
					t.Error("not signed out")
				}
			}
			if card.cert != nil && !card.closed {
				t.Error("the card was not closed")
			}
		})
	}
}

// TestCIS2NoPasscode: with a browser to play but no passcode given, the
// sign-in is skipped as the card's is.
func TestCIS2NoPasscode(t *testing.T) {
	ca := newCA(t, "right CA")
	card := &fakeCard{cert: issue(t, ca, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0)), pin: smartcard.PINStatus{TriesLeft: 3}}
	fake := &fakeCIS2{}
	b := &browser{}
	r := Run(context.Background(), Options{
		Service: func() (Service, error) {
			return &fakeService{readers: []smartcard.ReaderState{{Name: "R1", CardPresent: true}}, card: card}, nil
		},
		Server:   &fakeServer{},
		NoSignIn: "not asked for (--no-signin)",
		CIS2: &CIS2Settings{Issuer: "https://cis2.example", ClientID: "app", APIKey: "key", KID: "k1", SigningKey: "k.pem",
			LoadKey: func() (crypto.Signer, error) { return appKey(), nil }, Discover: fake.Discover, Browser: b.make},
		Now: func() time.Time { return now },
	}, nil)
	if c, _ := r.Find(CheckSignIn); c.Status != Skip || c.Detail != "not asked for (--no-signin)" || b.url != "" {
		t.Errorf("sign-in %+v, browser at %q", c, b.url)
	}
}

// TestCIS2IssuerAlone: with only cis2-issuer set, the checks read CIS2's
// discovery document and JWKS through HTTPServer and the client, for the
// issuer alone: the sandbox's CIS2 stand-in passes both; a CIS2 whose JWKS
// holds no key fails jwks. The platform's line waits for the application.
func TestCIS2IssuerAlone(t *testing.T) {
	sb := sandboxtest.Start(t, sandbox.Config{})
	srv, err := NewServerCAPEM(sb.URL(), sb.CACertPEM())
	if err != nil {
		t.Fatal(err)
	}
	// A CIS2 on loopback whose discovery document is in order and whose
	// JWKS holds no key.
	mux := http.NewServeMux()
	noKeys := httptest.NewServer(mux)
	t.Cleanup(noKeys.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer": noKeys.URL, "authorization_endpoint": noKeys.URL + "/authorize", "token_endpoint": noKeys.URL + "/token",
			"userinfo_endpoint": noKeys.URL + "/userinfo", "jwks_uri": noKeys.URL + "/jwks",
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	})

	for _, tt := range []struct {
		name, issuer string
		want         map[string]Status
		lines        []string
	}{
		{name: "the sandbox's CIS2", issuer: sb.CIS2Issuer(),
			want: map[string]Status{"server": Pass, "auth": Fail, "signing-key": Skip, "cis2": Pass, "jwks": Pass, "platform": Skip},
			lines: []string{
				"PASS  cis2         " + sb.CIS2Issuer() + ": its discovery document is read and offers what the sign-in needs: the Authorization Code flow with PKCE, and private_key_jwt\n",
				"PASS  jwks         CIS2's signing keys are read, from the jwks_uri its discovery document names\n",
				"SKIP  platform     not set: client-id, api-key, signing-key, kid\n",
			}},
		{name: "a JWKS without a key", issuer: noKeys.URL,
			want: map[string]Status{"cis2": Pass, "jwks": Fail, "platform": Skip},
			lines: []string{
				"PASS  cis2         " + noKeys.URL + ": its discovery document is read",
				"FAIL  jwks         CIS2 discovery (" + noKeys.URL + "/jwks): the JWKS holds no public signing key\n",
				"SKIP  platform     not set: client-id, api-key, signing-key, kid\n",
			}},
		{name: "no CIS2 there", issuer: sb.URL() + "/nothing-here",
			want: map[string]Status{"cis2": Fail, "jwks": Skip, "platform": Skip},
			lines: []string{
				"FAIL  cis2         CIS2 discovery (" + sb.URL() + "/nothing-here/.well-known/openid-configuration): cannot be read",
				"SKIP  jwks         no discovery document\n",
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := Run(context.Background(), Options{
				Service: func() (Service, error) { return &fakeService{readers: []smartcard.ReaderState{{Name: "R1"}}}, nil },
				Server:  srv,
				CIS2: &CIS2Settings{
					Issuer:   tt.issuer,
					LoadKey:  func() (crypto.Signer, error) { t.Error("a key loaded that is not set"); return nil, nil },
					Discover: srv.DiscoverCIS2, CheckIssuer: srv.CheckCIS2Issuer,
				},
			}, nil)
			var text bytes.Buffer
			r.WriteText(&text)
			for name, status := range tt.want {
				if c, ok := r.Find(name); !ok || c.Status != status {
					t.Errorf("%s: %+v, want %s\n%s", name, c, status, text.String())
				}
			}
			checkLines(t, r, text.String(), tt.lines)
		})
	}
}
