package demo

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

// cis2Provider is the demo sandbox's CIS2 stand-in, discovered as the viewer
// would with auth = "cis2".
func cis2Provider(t *testing.T, env *Env) (*client.Client, *client.CIS2) {
	t.Helper()
	c, err := client.New(client.Config{Server: env.ServerURL, CAPEM: env.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.CIS2Config()
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.DiscoverCIS2(t.Context(), cfg)
	if err != nil {
		t.Fatalf("DiscoverCIS2: %v", err)
	}
	return c, p
}

func TestCIS2Config(t *testing.T) {
	env := start(t)
	cfg, err := env.CIS2Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != env.ServerURL+"/cis2" || cfg.ClientID != "scr-sandbox-cis2-client" || cfg.APIKey != "scr-sandbox-api-key" || cfg.KID != "scr-sandbox-app-1" {
		t.Errorf("settings %q %q %q %q", cfg.Issuer, cfg.ClientID, cfg.APIKey, cfg.KID)
	}
	if k, ok := cfg.Key.Public().(*rsa.PublicKey); !ok || k.N.BitLen() < client.MinSigningKeyBits {
		t.Errorf("key %T", cfg.Key.Public())
	}
	again, err := env.CIS2Config()
	if err != nil || again.Key != cfg.Key {
		t.Errorf("a second call read the key again: %v", err)
	}
	// The sandbox takes the application: the platform's check of its
	// client assertion, which scr doctor --demo --auth cis2 makes.
	_, p := cis2Provider(t, env)
	if err := p.CheckApplication(t.Context()); err != nil {
		t.Errorf("CheckApplication: %v", err)
	}
}

// TestCIS2BrowserSignsIn: the whole sign-in of scr --demo --auth cis2, with
// the demo card opened as the viewer opens it and the passcode the user
// would type: CIS2's discovery, the browser's part with the card, the code
// redeemed and the ID token checked, the roles, the platform's exchange, a
// record read with the platform's token, the sign-out.
func TestCIS2BrowserSignsIn(t *testing.T) {
	env := start(t)
	_, p := cis2Provider(t, env)
	card, err := env.Cards.Open(Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	uuid := card.Holder().UUID
	pin := []byte(Passcode)
	s, err := p.SignIn(t.Context(), uuid, env.CIS2Browser(t.Context(), card.Signer(pin), card.Certificate(), uuid))
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if string(pin) == Passcode {
		t.Error("the passcode was not wiped")
	}
	if s.UserUUID != DemoUUID || s.UserName != "Priya SHARMA" || len(s.Roles) != 1 {
		t.Fatalf("signed in as %s %q with %d roles", s.UserUUID, s.UserName, len(s.Roles))
	}
	if err := s.SameUser(uuid); err != nil {
		t.Errorf("SameUser(the card's): %v", err)
	}
	if _, err := s.ChooseRole(t.Context(), s.Roles[0].ID); err != nil {
		t.Fatalf("ChooseRole: %v", err)
	}
	nhs, err := client.ParseNHSNumber("9000000017")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Patient(t.Context(), nhs); err != nil {
		t.Errorf("Patient with the platform's token: %v", err)
	}
	if err := s.SignOut(t.Context()); err != nil {
		t.Errorf("SignOut: %v", err)
	}
	if _, err := s.Patient(t.Context(), nhs); err == nil {
		t.Error("a record read after the sign-out")
	}
}

// TestCIS2BrowserWrongPasscode: a wrong passcode is the card's, out of
// SignIn as out of the card sign-in, and nothing is signed in.
func TestCIS2BrowserWrongPasscode(t *testing.T) {
	env := start(t)
	_, p := cis2Provider(t, env)
	card, err := env.Cards.Open(Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	uuid := card.Holder().UUID
	_, err = p.SignIn(t.Context(), uuid, env.CIS2Browser(t.Context(), card.Signer([]byte("246802")), card.Certificate(), uuid))
	var wrong *smartcard.WrongPINError
	if !errors.As(err, &wrong) || wrong.TriesLeft != 2 {
		t.Fatalf("SignIn with a wrong passcode: %v, want a WrongPINError with 2 tries left", err)
	}
}

// TestCIS2BrowserStaysHome: the demo's browser opens the sandbox's pages
// only: the card signs nothing for another address.
func TestCIS2BrowserStaysHome(t *testing.T) {
	env := start(t)
	signed := 0
	signer := countingSigner{n: &signed}
	open := env.CIS2Browser(t.Context(), signer, nil, DemoUUID)
	for _, u := range []string{
		"https://cis2.example/authorize?client_id=x",
		"http://" + strings.TrimPrefix(env.ServerURL, "https://") + "/cis2/authorize",
		"https://127.0.0.1:1/cis2/authorize",
		"::not a url",
	} {
		if err := open(u); err == nil || !strings.HasPrefix(err.Error(), "demo: ") {
			t.Errorf("open(%q) = %v, want the demo's refusal", u, err)
		}
	}
	if signed != 0 {
		t.Errorf("the card signed %d times", signed)
	}
}

// countingSigner counts the signatures asked of it, and gives none.
type countingSigner struct{ n *int }

func (s countingSigner) Public() crypto.PublicKey { return nil }
func (s countingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	*s.n++
	return nil, errors.New("not a card")
}
