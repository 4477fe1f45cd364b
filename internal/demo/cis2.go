package demo

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/cis2"
)

// What scr --demo --auth cis2 (and scr doctor --demo --auth cis2) need of
// the demo: the NHS's own sign-in (API.md section 1b) against the in-process
// sandbox's CIS2 stand-in, as the sandbox's registered application
// (assets/sandbox/app), with the card in the demo reader standing in for the
// user's sign-in at CIS2's page. The journey, for the viewer:
//
//	cfg, err := env.CIS2Config()                       // the sandbox application
//	p, err := c.DiscoverCIS2(ctx, cfg)                 // c: client.New with env.ServerURL and env.CAPEM
//	card := …                                          // opened from env.Cards; the user types the passcode
//	uuid := card.Holder().UUID
//	open := env.CIS2Browser(ctx, card.Signer(pin), card.Certificate(), uuid)
//	s, err := p.SignIn(ctx, uuid, open)                // then s.ChooseRole, as for auth = "card"

// AppKey names where the sandbox application's private key comes from, for
// scr doctor's lines: it is built into scr, not a file.
const AppKey = "assets/sandbox/app/key.pem (built in)"

// browserTimeout bounds each request of the demo's browser: the sandbox and
// the application's listener are both in this process.
const browserTimeout = 30 * time.Second

// cis2App is the sandbox application's settings and parsed key, read once:
// parsing an RSA-4096 key is work that only auth = "cis2" should pay for.
type cis2App struct {
	once sync.Once
	cfg  client.CIS2Config
	err  error
}

// CIS2Config is the sandbox's registered application as an administrator
// would configure NHS England's (scr help config): the issuer of the
// sandbox's CIS2 stand-in ({ServerURL}/cis2, the cis2-issuer setting), the
// application's client_id, API key and kid, and its private key, all from
// assets/sandbox/app, built in. The key is public on purpose: only the
// sandbox trusts it. Pass the result to client.Client.DiscoverCIS2, with a
// client of ServerURL that trusts CAPEM.
func (e *Env) CIS2Config() (client.CIS2Config, error) {
	e.app.once.Do(func() {
		creds, err := apps.SandboxCredentials()
		if err != nil {
			e.app.err = fmt.Errorf("the sandbox application: %w", err)
			return
		}
		key, err := client.ParseSigningKey(creds.KeyPEM)
		if err != nil {
			e.app.err = fmt.Errorf("the sandbox application's key: %w", err)
			return
		}
		e.app.cfg = client.CIS2Config{
			Issuer:   e.srv.CIS2Issuer(),
			ClientID: creds.ClientID,
			APIKey:   creds.APIKey,
			Key:      key,
			KID:      creds.KID,
		}
	})
	return e.app.cfg, e.app.err
}

// CIS2Browser returns the open function client.CIS2.SignIn takes, for scr
// --demo --auth cis2: in place of the system browser, where the user would
// sign in to CIS2 with their card and passcode, it signs in at the sandbox's
// authorise step with the card in the demo reader, and follows the redirect
// back to the sign-in's loopback listener, all in this process.
//
// signer is the card's key unlocked by the passcode the user typed, as for
// the card sign-in: Card.Signer(pin), from the card opened from Env.Cards,
// which verifies the passcode in the same transaction as its one signature.
// The demo never sees the passcode: a wrong one is the card's
// *smartcard.WrongPINError, out of SignIn, as it would be from client.SignIn.
// cert and uuid are that card's certificate and its holder's user ID (the
// uuid given to SignIn too). Such a signer signs once, so make a new open
// function for each sign-in.
//
// The function opens only the demo sandbox's pages: any other URL is refused
// before the card signs anything. ctx bounds its requests.
func (e *Env) CIS2Browser(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) func(url string) error {
	return func(raw string) error {
		if err := e.ownPage(raw); err != nil {
			return err
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(e.CAPEM)
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}} // no proxy: all on loopback
		defer tr.CloseIdleConnections()
		b := cis2.Browser{
			HTTP: &http.Client{Transport: tr, Timeout: browserTimeout},
			Sign: func(_ context.Context, challenge, audience string) (string, error) {
				return client.Assertion{Cert: cert, UserUUID: uuid, Audience: audience, JTI: challenge, Now: time.Now()}.Sign(signer)
			},
		}
		return b.Open(ctx, raw)
	}
}

// ownPage refuses a sign-in page that is not the demo sandbox's CIS2
// stand-in's: the demo card signs for the sandbox only.
func (e *Env) ownPage(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("demo: the sign-in page's address is not a URL")
	}
	issuer, err := url.Parse(e.srv.CIS2Issuer())
	if err != nil || u.Scheme != issuer.Scheme || u.Host != issuer.Host {
		return fmt.Errorf("demo: the sign-in page %s://%s is not the demo sandbox's, %s", u.Scheme, u.Host, e.ServerURL)
	}
	return nil
}
