package doctor

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
)

// The checks of the NHS's own sign-in (auth = "cis2", API.md section 1b),
// after the server's clock and before the sign-in, in this order.
const (
	CheckAuth       = "auth"        // the settings auth = "cis2" needs are set
	CheckSigningKey = "signing-key" // the application's key loads
	CheckCIS2       = "cis2"        // CIS2's discovery document
	CheckJWKS       = "jwks"        // CIS2's signing keys
	CheckPlatform   = "platform"    // the API platform takes the application's client assertion
	CheckUserID     = "user-id"     // the card's user ID, which CIS2's user must be
)

// CIS2Settings is the NHS's own sign-in as configured, for its checks
// (Options.CIS2): CIS2 in the browser, then the API platform's token
// exchange, for the application registered with NHS England.
type CIS2Settings struct {
	// The settings, "" when unset: cis2-issuer, client-id, api-key, kid.
	Issuer, ClientID, APIKey, KID string
	// SigningKey names the application's private key for the lines: the
	// signing-key setting's path, or where the demo's is built in; ""
	// when unset.
	SigningKey string
	// LoadKey reads and parses the key (config.ReadSigningKey, then
	// client.ParseSigningKey). It is called only when SigningKey is set.
	LoadKey func() (crypto.Signer, error)
	// Discover reads CIS2's discovery document and JWKS for the
	// application (HTTPServer.DiscoverCIS2). nil when no server is
	// configured: the client reaches CIS2 only with one.
	Discover func(ctx context.Context, cfg client.CIS2Config) (CIS2Provider, error)
	// CheckIssuer reads CIS2's discovery document and JWKS for the issuer
	// alone (HTTPServer.CheckCIS2Issuer), for the cis2 and jwks lines when
	// the application cannot be discovered in full: a setting other than
	// cis2-issuer unset, or the key unusable. nil when no server is
	// configured, as Discover.
	CheckIssuer func(ctx context.Context, issuer string) error
	// Browser, if set, makes the function that plays the browser for a
	// sign-in with the card in the reader, its key unlocked by the passcode
	// (scr doctor --demo: demo.Env.CIS2Browser). nil for CIS2 itself,
	// where the user signs in in the system browser, which the doctor does
	// not open: no sign-in then, for the reason in Options.NoSignIn.
	Browser func(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) func(url string) error
}

// CIS2Provider is CIS2 as discovered, for the application: a *client.CIS2.
type CIS2Provider interface {
	// CheckApplication asks the API platform whether it takes the
	// application's client assertion.
	CheckApplication(ctx context.Context) error
	// SignIn signs the user in to CIS2 with open playing the browser, and
	// reads their roles; cardUUID is the card's user ID, which CIS2's user
	// must be.
	SignIn(ctx context.Context, cardUUID string, open func(url string) error) (*SignedIn, error)
}

// cis2Advice follows a missing setting of auth = "cis2".
const cis2Advice = "Set each as a flag, in the environment or in the configuration file (scr help config), to what NHS England registered for the application."

// cis2Checks runs the checks of auth = "cis2": the settings, the signing
// key, CIS2's discovery and JWKS, the platform's token endpoint and the
// card's user ID. It returns CIS2 as discovered, for the sign-in, or nil
// and why there is none.
func (r *run) cis2Checks(ctx context.Context, f cardFacts, serverOK bool, serverWhy string) (CIS2Provider, string) {
	c := r.opts.CIS2
	missing := c.missing()
	if len(missing) > 0 {
		r.fail(CheckAuth, "cis2 (the NHS's own sign-in), but not set: "+strings.Join(missing, ", "), cis2Advice)
	} else {
		r.pass(CheckAuth, fmt.Sprintf("cis2 (the NHS's own sign-in): client-id %q, api-key %q", safetext.Line(c.ClientID), safetext.Line(c.APIKey)))
	}

	key, keyWhy := r.signingKey()

	// CIS2's discovery and JWKS: for the application, when it has every
	// setting and a key that loads; else for the issuer alone, as they need
	// nothing more, while the platform's line waits for the application.
	why := ""
	switch {
	case c.Discover == nil:
		why = "no server configured (--server or SCR_SERVER)"
	case len(missing) > 0:
		why = "not set: " + strings.Join(missing, ", ")
	case key == nil:
		why = keyWhy
	}
	var p CIS2Provider
	switch {
	case why == "":
		p, why = r.discover(ctx, key)
	case c.Discover != nil && c.CheckIssuer != nil && strings.TrimSpace(c.Issuer) != "":
		r.discovered(c.CheckIssuer(ctx, c.Issuer))
	default:
		r.skip(CheckCIS2, why)
		r.skip(CheckJWKS, why)
	}

	// The platform's token endpoint, for the application.
	switch {
	case !serverOK:
		r.skip(CheckPlatform, serverWhy)
	case p == nil:
		r.skip(CheckPlatform, why)
	default:
		r.platform(ctx, p)
	}
	r.userID(f)
	return p, why
}

// missing lists the settings auth = "cis2" needs that are not set, as
// config.Settings.MissingForCIS2 does.
func (c *CIS2Settings) missing() []string {
	var m []string
	for _, s := range []struct{ name, value string }{
		{"cis2-issuer", c.Issuer}, {"client-id", c.ClientID}, {"api-key", c.APIKey}, {"signing-key", c.SigningKey}, {"kid", c.KID},
	} {
		if strings.TrimSpace(s.value) == "" {
			m = append(m, s.name)
		}
	}
	return m
}

// signingKey checks the application's key loads, and returns it, or nil and
// why not.
func (r *run) signingKey() (crypto.Signer, string) {
	c := r.opts.CIS2
	if c.SigningKey == "" {
		r.skip(CheckSigningKey, "signing-key is not set")
		return nil, "signing-key is not set"
	}
	file := safetext.Line(c.SigningKey)
	key, err := c.LoadKey()
	var bad *client.SigningKeyError
	switch {
	case errors.As(err, &bad):
		r.fail(CheckSigningKey, file+": "+safetext.Line(bad.Problem), explain.Error(err))
		return nil, "the signing key cannot be used"
	case err != nil:
		// config.ReadSigningKey's refusal names the file and its fix.
		r.fail(CheckSigningKey, errText(err),
			"The key must be a PEM file that only its owner can read, in folders only its owner can change: put it right as the line says (scr help config).")
		return nil, "the signing key cannot be used"
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		err := &client.SigningKeyError{Problem: "not an RSA key (client assertions are RS512)"}
		r.fail(CheckSigningKey, file+": "+err.Problem, explain.Error(err))
		return nil, "the signing key cannot be used"
	}
	detail := fmt.Sprintf("RSA-%d private key in %s", pub.N.BitLen(), file)
	if c.KID != "" {
		detail += fmt.Sprintf(", kid %q", safetext.Line(c.KID))
	}
	// The thumbprint lets support compare the key with the JWKS registered
	// for the application; the platform line checks the registration itself.
	if tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256); err == nil {
		detail += "; its public key's thumbprint (RFC 7638) is " + base64.RawURLEncoding.EncodeToString(tp)
	}
	r.pass(CheckSigningKey, detail)
	return key, ""
}

// discover reads CIS2's discovery document and JWKS for the application: a
// line for each.
func (r *run) discover(ctx context.Context, key crypto.Signer) (CIS2Provider, string) {
	c := r.opts.CIS2
	p, err := c.Discover(ctx, client.CIS2Config{Issuer: c.Issuer, ClientID: c.ClientID, APIKey: c.APIKey, Key: key, KID: c.KID})
	if why := r.discovered(err); why != "" {
		return nil, why
	}
	return p, ""
}

// discovered reports the cis2 and jwks lines of reading CIS2's discovery
// document and JWKS, for the application or for the issuer alone, from
// what that gave: nil when both are read and offer what the sign-in needs.
// It returns why CIS2 cannot be used, or "".
func (r *run) discovered(err error) string {
	c := r.opts.CIS2
	issuer := safetext.Line(c.Issuer)
	var d *client.DiscoveryError
	switch {
	case err == nil:
		r.pass(CheckCIS2, issuer+": its discovery document is read and offers what the sign-in needs: the Authorization Code flow with PKCE, and private_key_jwt")
		r.pass(CheckJWKS, "CIS2's signing keys are read, from the jwks_uri its discovery document names")
		return ""
	case errors.As(err, &d) && d.URL != discoveryURL(c.Issuer):
		// The discovery document was read; its JWKS was not.
		r.pass(CheckCIS2, issuer+": its discovery document is read and offers what the sign-in needs: the Authorization Code flow with PKCE, and private_key_jwt")
		r.fail(CheckJWKS, cis2Words(err), explain.Error(err))
		return "CIS2's JWKS cannot be used"
	}
	r.fail(CheckCIS2, cis2Words(err), explain.Error(err))
	r.skip(CheckJWKS, "no discovery document")
	return "CIS2's discovery failed"
}

// discoveryURL is where OpenID Connect Discovery puts issuer's document, as
// the client reads it.
func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// cis2Words is an error of the NHS's sign-in as a line's detail: its
// message without the package's prefix, through the gate.
func cis2Words(err error) string {
	return strings.TrimPrefix(errText(err), "client: ")
}

// platform asks the API platform's token endpoint whether it takes the
// application's client assertion: its API key, and the key registered under
// its kid.
func (r *run) platform(ctx context.Context, p CIS2Provider) {
	c := r.opts.CIS2
	endpoint := safetext.Line(r.opts.Server.URL()) + "/oauth2/token"
	err := p.CheckApplication(ctx)
	var refused *client.ExchangeError
	switch {
	case err == nil:
		r.pass(CheckPlatform, fmt.Sprintf("%s takes the application's client assertion: api-key %q, signed by the key registered under kid %q",
			endpoint, safetext.Line(c.APIKey), safetext.Line(c.KID)))
	case errors.As(err, &refused):
		r.fail(CheckPlatform, endpoint+" refused the application's client assertion: "+reply(refused.ServerReply),
			explain.Error(err)+" The signing-key line's thumbprint is the key scr signs with: compare it with the JWKS registered under kid.")
	default:
		r.fail(CheckPlatform, endpoint+": "+cis2Words(err), explain.Error(err))
	}
}

// reply is a server's own words for a refusal: a code and its text, never a
// patient's; through the gate.
func reply(rep client.ServerReply) string {
	s := safetext.Line(rep.Code)
	if t := safetext.Line(rep.Text); t != "" {
		if s != "" {
			s += ": "
		}
		s += t
	}
	if s == "" {
		s = fmt.Sprintf("HTTP %d", rep.Status)
	}
	return s
}

// userID says which user CIS2 must sign in: the one the card's certificate
// names, as SignIn compares.
func (r *run) userID(f cardFacts) {
	switch {
	case f.uuid != "":
		r.pass(CheckUserID, f.uuid+", from the card's certificate: CIS2 must sign in this user")
	case f.cert != nil:
		r.fail(CheckUserID, "the card's certificate names no user ID, so no CIS2 sign-in can be matched to the card",
			"scr refuses a CIS2 sign-in it cannot match to the card in the reader. The Registration Authority re-issues the card's certificate.")
	default:
		r.skip(CheckUserID, cmp.Or(f.noSignIn, "no certificate"))
	}
}
