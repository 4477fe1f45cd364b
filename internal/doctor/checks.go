package doctor

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

// The names of the checks, in the order they run; stable, for tickets and
// scripts reading --json. A role's line is named "role", once per role.
const (
	CheckService     = "service"
	CheckReaders     = "readers"
	CheckCard        = "card"
	CheckPIV         = "piv"
	CheckCertificate = "certificate"
	CheckValidity    = "validity"
	CheckChain       = "chain"
	CheckPIN         = "pin"
	CheckServer      = "server"
	CheckClock       = "clock"
	CheckSignIn      = "sign-in"
	CheckRole        = "role"
	CheckAccess      = "access"
	CheckSignOut     = "sign-out"
)

// Service is the PC/SC service (pcscd, Windows' Smart Card service).
type Service interface {
	Readers() ([]smartcard.ReaderState, error)
	// Open connects to the card in reader and opens it (smartcard.Open). A
	// *smartcard.OpenError names the step of opening that failed; any other
	// error is connecting.
	Open(reader string) (Card, error)
	Close() error
}

// Card is the card in one reader, opened: a *smartcard.Card.
type Card interface {
	// Certificate is the PIV Authentication certificate (slot 9A).
	Certificate() *x509.Certificate
	// Holder is who the certificate names, as far as it does.
	Holder() smartcard.Holder
	// Usable says why the card cannot sign its holder in, if it cannot:
	// no holder named, or a key that cannot sign.
	Usable() error
	// PINStatus asks for the PIN tries left without spending one.
	PINStatus() (smartcard.PINStatus, error)
	// Signer is the card's key, signing once with pin, which the signature
	// wipes.
	Signer(pin []byte) crypto.Signer
	Close() error
}

// Server is the API server, as far as the doctor uses it: never PDS or SCR.
type Server interface {
	URL() string
	// Probe makes one TLS connection and one request, to see that the server
	// answers, who it says it is, and what time it says it is.
	Probe(ctx context.Context) (Probe, error)
	// SignIn signs in with the card and reads the user's roles.
	SignIn(ctx context.Context, signer crypto.Signer, cert *x509.Certificate, uuid string) (*SignedIn, error)
}

// Probe is what one request to the server showed.
type Probe struct {
	TLS      bool   // false for plain HTTP (a loopback sandbox only)
	Version  string // "TLS 1.3"
	Subject  string // the server certificate's subject CN, or its first DNS name
	Issuer   string // its issuer's CN
	Date     time.Time
	Received time.Time // the local time halfway through the request, to compare Date with
}

// SignedIn is a signed-in session: who, and their roles.
type SignedIn struct {
	Name, UUID string
	Roles      []client.Role
	SignOut    func(ctx context.Context) error
}

// Options is what the checks run against.
type Options struct {
	// Service opens the PC/SC service.
	Service func() (Service, error)
	// Reader, if set, is the one reader to check; else the first with a card.
	Reader string
	// SmartcardCA is the CA the card's certificate must chain to, from
	// SmartcardCAFile; nil: the chain is not checked.
	SmartcardCA     []*x509.Certificate
	SmartcardCAFile string
	// Server is nil when no server is configured.
	Server Server
	// Passcode asks for the card's passcode, just before the sign-in; nil,
	// or an empty passcode, means no sign-in, for the reason in NoSignIn.
	Passcode func() ([]byte, error)
	NoSignIn string
	// CIS2 is set for auth = "cis2", the NHS's own sign-in: its checks run
	// after the server's, and the sign-in is CIS2's (CIS2Settings.Browser),
	// or none.
	CIS2 *CIS2Settings
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// Thresholds.
const (
	ExpiryWarning = 30 * 24 * time.Hour // a certificate this close to its end: WARN
	SkewWarn      = time.Minute         // a clock this far from the server's: WARN
	SkewFail      = 5 * time.Minute     // this far: FAIL, as the server refuses the assertion
)

// dateLayout is the NHS Common User Interface date: 22-Oct-2010.
const dateLayout = "02-Jan-2006"

// run is one doctor's visit: the report so far and where each line goes.
type run struct {
	opts   Options
	report Report
	emit   func(Check)
}

// add records c, through the gate: a line's detail holds reader names,
// certificate names, the server's words and error messages, all text from
// outside the program (see Check.gated).
func (r *run) add(c Check) {
	c = c.gated()
	r.report.Checks = append(r.report.Checks, c)
	if r.emit != nil {
		r.emit(c)
	}
}

func (r *run) pass(name, detail string) { r.add(Check{Name: name, Status: Pass, Detail: detail}) }
func (r *run) skip(name, why string)    { r.add(Check{Name: name, Status: Skip, Detail: why}) }
func (r *run) fail(name, detail, advice string) {
	r.add(Check{Name: name, Status: Fail, Detail: detail, Advice: advice})
}
func (r *run) warn(name, detail, advice string) {
	r.add(Check{Name: name, Status: Warn, Detail: detail, Advice: advice})
}

// cardFacts is what the card checks found, for the sign-in.
type cardFacts struct {
	card     Card
	cert     *x509.Certificate
	uuid     string
	noSignIn string // why the card cannot sign in, if it cannot
}

// Run runs every check in order and returns the report. emit, if not nil,
// gets each check as soon as it is known, for a checklist that fills in as
// it runs. Checks that cannot run because an earlier one failed are SKIP.
func Run(ctx context.Context, opts Options, emit func(Check)) Report {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &run{opts: opts, emit: emit}
	svc, facts := r.cardChecks()
	if svc != nil {
		defer svc.Close() // deferred first, so run last: the card lives in the service's context
	}
	if facts.card != nil {
		defer facts.card.Close() // resets the card: the verified passcode goes with it
	}
	serverOK, why := r.serverChecks(ctx)
	if opts.CIS2 != nil {
		// The NHS's own sign-in: CIS2 in the browser, not the card's
		// challenge, so the server is not needed until a role is chosen.
		p, cis2Why := r.cis2Checks(ctx, facts, serverOK, why)
		switch {
		case facts.noSignIn != "":
			r.skip(CheckSignIn, facts.noSignIn)
		case p == nil:
			r.skip(CheckSignIn, cis2Why)
		case opts.CIS2.Browser == nil:
			r.skip(CheckSignIn, opts.NoSignIn)
		default:
			r.signIn(ctx, facts, p)
		}
		r.skipAfterSignIn()
		return r.report
	}
	switch {
	case !serverOK:
		r.skip(CheckSignIn, why)
	case facts.noSignIn != "":
		r.skip(CheckSignIn, facts.noSignIn)
	default:
		r.signIn(ctx, facts, nil)
	}
	r.skipAfterSignIn()
	return r.report
}

// skipAfterSignIn adds SKIP lines for the checks that need a session when
// there was none, so that the list is always complete.
func (r *run) skipAfterSignIn() {
	for _, c := range r.report.Checks {
		if c.Name == CheckSignIn && c.Status == Pass {
			return
		}
	}
	for _, name := range []string{CheckRole, CheckAccess, CheckSignOut} {
		r.skip(name, "no sign-in")
	}
}

// serviceAdvice follows the sentence for a missing PC/SC service.
const serviceAdvice = " On Linux: `sudo systemctl start pcscd`."

// cardChecks runs checks 1 to 6: service, readers, card, PIV, certificate
// (holder, validity, chain), PIN. The service and card it returns are open,
// for the sign-in; the caller closes them.
func (r *run) cardChecks() (Service, cardFacts) {
	skipFrom := func(from string, why string) cardFacts {
		names := []string{CheckService, CheckReaders, CheckCard, CheckPIV, CheckCertificate, CheckValidity, CheckChain, CheckPIN}
		for _, n := range names[slices.Index(names, from):] {
			r.skip(n, why)
		}
		return cardFacts{noSignIn: why}
	}

	svc, err := r.opts.Service()
	var readers []smartcard.ReaderState
	if err == nil {
		readers, err = svc.Readers()
	}
	if svc == nil || errors.Is(err, smartcard.ErrNoService) {
		if svc != nil {
			_ = svc.Close()
		}
		r.fail(CheckService, "not reachable: "+errText(err), explain.Error(smartcard.ErrNoService)+serviceAdvice)
		return nil, skipFrom(CheckReaders, "no PC/SC service")
	}
	about := "the PC/SC service answers"
	if a, ok := svc.(interface{ About() string }); ok {
		about = a.About() // an in-process card (scr doctor --demo)
	}
	r.pass(CheckService, about)

	switch {
	case errors.Is(err, smartcard.ErrNoReaders):
		r.fail(CheckReaders, "none connected", explain.Error(err)+" `pcsc_scan` (Linux) lists the readers the service sees.")
		return svc, skipFrom(CheckCard, "no reader")
	case err != nil:
		r.fail(CheckReaders, "could not be listed: "+errText(err), explain.Error(err))
		return svc, skipFrom(CheckCard, "no reader")
	}
	names := make([]string, len(readers))
	for i, rs := range readers {
		state := "empty"
		if rs.CardPresent {
			state = "card"
		}
		names[i] = fmt.Sprintf("%s (%s)", safetext.Line(rs.Name), state)
	}
	r.pass(CheckReaders, fmt.Sprintf("%d: %s", len(readers), strings.Join(names, "; ")))

	// 3. The card.
	rs, ok := r.chooseReader(readers)
	if !ok {
		return svc, skipFrom(CheckPIV, "no card")
	}
	card, err := svc.Open(rs.Name)
	var openErr *smartcard.OpenError // connected, but the card could not be opened
	if err != nil && !errors.As(err, &openErr) {
		r.fail(CheckCard, fmt.Sprintf("in %s, ATR %s, but it cannot be used: %s", safetext.Line(rs.Name), atrText(rs.ATR), errText(err)), explain.Error(err))
		return svc, skipFrom(CheckPIV, "the card cannot be used")
	}
	r.pass(CheckCard, fmt.Sprintf("in %s, ATR %s", safetext.Line(rs.Name), atrText(rs.ATR)))
	facts := cardFacts{card: card}
	stop := func(from, why string) (Service, cardFacts) {
		f := skipFrom(from, why)
		f.card = card
		return svc, f
	}

	// 4. The PIV application.
	if openErr != nil && openErr.Step == smartcard.StepSelect {
		r.fail(CheckPIV, "cannot be selected: "+errText(err), explain.Error(err))
		return stop(CheckCertificate, "no PIV application")
	}
	r.pass(CheckPIV, "selected (AID "+smartcard.PIVAID()+")")

	// 5. The certificate: holder, validity, chain.
	if openErr != nil {
		r.fail(CheckCertificate, "cannot be read: "+errText(err), explain.Error(err))
		return stop(CheckValidity, "no certificate")
	}
	cert, holder := card.Certificate(), card.Holder()
	facts.cert = cert
	if herr := card.Usable(); errors.Is(herr, smartcard.ErrNoHolder) {
		r.fail(CheckCertificate, fmt.Sprintf("subject %q names no holder: %s", nameOf(cert.Subject), errText(herr)), explain.Error(herr))
		facts.noSignIn = "the certificate names no user ID"
	} else {
		facts.uuid = holder.UUID
		r.pass(CheckCertificate, fmt.Sprintf("%s, user ID %s, serial %X", holder.Name, holder.UUID, cert.SerialNumber))
	}
	r.add(Validity(cert.NotBefore, cert.NotAfter, r.opts.Now()))
	r.add(Chain(cert, r.opts.SmartcardCA, r.opts.SmartcardCAFile, r.opts.Now()))

	// 6. The PIN, without spending a try.
	st, err := card.PINStatus()
	switch {
	case err != nil:
		r.fail(CheckPIN, "the tries left cannot be read: "+errText(err), explain.Error(err))
	case st.Verified:
		r.pass(CheckPIN, "already verified by a program using the card (the tries left are not shown then)")
	case st.Blocked():
		r.fail(CheckPIN, "blocked: no tries left", explain.Error(smartcard.ErrPINBlocked))
		if facts.noSignIn == "" {
			facts.noSignIn = "the PIN is blocked"
		}
	case st.TriesLeft == 1:
		r.warn(CheckPIN, "1 try left",
			"One more wrong passcode locks the card. If the user is not sure of it, contact the Registration Authority rather than guess.")
	default:
		r.pass(CheckPIN, fmt.Sprintf("%d tries left", st.TriesLeft))
	}
	return svc, facts
}

// chooseReader picks the reader to check (--reader, or the first with a card)
// and adds the card line when there is no card to check.
func (r *run) chooseReader(readers []smartcard.ReaderState) (smartcard.ReaderState, bool) {
	if name := r.opts.Reader; name != "" {
		i := slices.IndexFunc(readers, func(rs smartcard.ReaderState) bool { return rs.Name == name })
		switch {
		case i < 0:
			r.fail(CheckCard, fmt.Sprintf("no reader is named %q", safetext.Line(name)),
				"Check --reader (or SCR_READER) against the readers listed above, or leave it out to use the first reader with a card.")
			return smartcard.ReaderState{}, false
		case readers[i].Mute:
			r.fail(CheckCard, fmt.Sprintf("in %s, but it does not answer", safetext.Line(name)), explain.Error(smartcard.ErrCardUnreadable))
			return smartcard.ReaderState{}, false
		case !readers[i].CardPresent:
			r.fail(CheckCard, "none in "+safetext.Line(name), explain.Error(smartcard.ErrNoCard)+" Chip first and chip side up; the reader's light should show it.")
			return smartcard.ReaderState{}, false
		}
		return readers[i], true
	}
	for _, rs := range readers {
		if rs.CardPresent && !rs.Mute {
			return rs, true
		}
	}
	for _, rs := range readers {
		if rs.Mute {
			r.fail(CheckCard, fmt.Sprintf("in %s, but it does not answer", safetext.Line(rs.Name)), explain.Error(smartcard.ErrCardUnreadable))
			return smartcard.ReaderState{}, false
		}
	}
	r.fail(CheckCard, "none in any reader", explain.Error(smartcard.ErrNoCard)+" Chip first and chip side up; the reader's light should show it.")
	return smartcard.ReaderState{}, false
}

// Validity checks a certificate's dates at now: FAIL out of date, WARN
// within ExpiryWarning of its end.
func Validity(notBefore, notAfter, now time.Time) Check {
	c := Check{Name: CheckValidity}
	days := int(notAfter.Sub(now).Hours() / 24)
	switch {
	case now.Before(notBefore):
		c.Status = Fail
		c.Detail = fmt.Sprintf("not valid until %s", notBefore.UTC().Format(dateLayout+" 15:04 MST"))
		c.Advice = "Check this computer's date and time. If they are right, the card is not in use yet: the server refuses it until then. Contact your Registration Authority."
	case !now.Before(notAfter):
		c.Status = Fail
		c.Detail = fmt.Sprintf("expired on %s", notAfter.UTC().Format(dateLayout))
		c.Advice = "The server refuses an expired certificate. Contact your Registration Authority to renew the card's certificate."
	case notAfter.Sub(now) < ExpiryWarning:
		c.Status = Warn
		c.Detail = fmt.Sprintf("expires on %s (%s)", notAfter.UTC().Format(dateLayout), inDays(days))
		c.Advice = "Ask your Registration Authority to renew the card's certificate before then; after it the card will not sign in."
	default:
		c.Status = Pass
		c.Detail = fmt.Sprintf("valid until %s (%s)", notAfter.UTC().Format(dateLayout), inDays(days))
	}
	return c
}

func inDays(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "in 1 day"
	}
	return fmt.Sprintf("in %d days", days)
}

// Chain checks that cert was issued by one of cas (the smartcard CA), at a
// time within cert's own dates: its dates are Validity's business. With no
// CA it is a WARN.
func Chain(cert *x509.Certificate, cas []*x509.Certificate, caFile string, now time.Time) Check {
	c := Check{Name: CheckChain}
	issuer, caFile := nameOf(cert.Issuer), safetext.Line(caFile)
	if len(cas) == 0 {
		c.Status = Warn
		c.Detail = fmt.Sprintf("issued by %q; not checked: no smartcard CA configured", issuer)
		c.Advice = "Give --smartcard-ca FILE (or SCR_SMARTCARD_CA), the PEM certificate of the smartcard CA the server trusts, to check the card was issued by it."
		return c
	}
	roots := x509.NewCertPool()
	for _, ca := range cas {
		roots.AddCert(ca)
	}
	at := now
	if at.Before(cert.NotBefore) {
		at = cert.NotBefore
	}
	if at.After(cert.NotAfter) {
		at = cert.NotAfter
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	var unknown x509.UnknownAuthorityError
	switch {
	case err == nil:
		c.Status = Pass
		c.Detail = fmt.Sprintf("issued by %q, which chains to the smartcard CA in %s", issuer, caFile)
	case errors.As(err, &unknown):
		c.Status = Fail
		c.Detail = fmt.Sprintf("issued by %q, not by the smartcard CA in %s", issuer, caFile)
		c.Advice = "The server will refuse this card. Check --smartcard-ca is the CA of the environment the user signs in to; if it is, the card was issued for another environment: contact your Registration Authority."
	default:
		c.Status = Fail
		c.Detail = fmt.Sprintf("issued by %q, but the chain to the smartcard CA in %s does not verify: %s", issuer, caFile, errText(err))
		c.Advice = "The server will refuse this card. Contact your Registration Authority with this line."
	}
	return c
}

// ClockSkew judges how far this computer's clock is from the server's
// (skew = server - local): FAIL past SkewFail, as the server would refuse
// the sign-in's assertion, WARN past SkewWarn.
func ClockSkew(skew time.Duration) Check {
	c := Check{Name: CheckClock}
	d := skew.Abs().Round(time.Second)
	way := "behind"
	if skew < 0 {
		way = "ahead of"
	}
	off := fmt.Sprintf("this computer's clock is %v %s the server's", d, way)
	if d == 0 {
		off = "this computer's clock agrees with the server's to the second"
	}
	switch {
	case skew.Abs() > SkewFail:
		c.Status = Fail
		c.Detail = off
		c.Advice = "Sign-in tokens would be refused as out of date. Set this computer's date, time and time zone right (Windows: Settings > Time & language > Sync now; Linux: `timedatectl`), or tell IT."
	case skew.Abs() > SkewWarn:
		c.Status = Warn
		c.Detail = off
		c.Advice = "Sign-in still works, but at over 5 minutes it will not. Sync this computer's clock with the network's time."
	default:
		c.Status = Pass
		c.Detail = fmt.Sprintf("%s (within %v)", off, SkewWarn)
	}
	return c
}

// serverChecks runs check 7: the server, its TLS, its clock. It reports
// whether a sign-in can be tried and, if not, why.
func (r *run) serverChecks(ctx context.Context) (bool, string) {
	srv := r.opts.Server
	if srv == nil {
		const why = "no server configured"
		r.skip(CheckServer, why+" (--server or SCR_SERVER)")
		r.skip(CheckClock, why)
		return false, why
	}
	url := safetext.Line(srv.URL())
	p, err := srv.Probe(ctx)
	if err != nil {
		r.fail(CheckServer, fmt.Sprintf("%s: %s", url, strings.TrimPrefix(errText(err), "client: ")), serverAdvice(err))
		r.skip(CheckClock, "server not reachable")
		return false, "server not reachable"
	}
	if p.TLS {
		r.pass(CheckServer, fmt.Sprintf("%s answers over %s; its certificate is for %q, issued by %q", url, safetext.Line(p.Version), safetext.Line(p.Subject), safetext.Line(p.Issuer)))
	} else {
		r.pass(CheckServer, url+" answers over plain HTTP (a sandbox on this computer only)")
	}
	if p.Date.IsZero() {
		r.warn(CheckClock, "not checked: the server sent no Date header", "Check this computer's clock by hand: more than 5 minutes out and sign-in is refused.")
	} else {
		r.add(ClockSkew(p.Date.Sub(p.Received)))
	}
	return true, ""
}

// serverAdvice says what to do when the server cannot be reached.
func serverAdvice(err error) string {
	var tlsErr *client.TLSError
	var timeout *client.TimeoutError
	if errors.As(err, &tlsErr) || errors.As(err, &timeout) {
		return explain.Error(err)
	}
	return "Check the address in --server (or SCR_SERVER), that the service is up, and that this computer can reach it: network, proxy (HTTPS_PROXY), firewall."
}

// signIn runs check 8: the sign-in with the passcode, the roles, the
// sign-out. With cis2 (auth = "cis2") the card signs at CIS2's sign-in,
// through CIS2Settings.Browser; else it signs the server's challenge.
func (r *run) signIn(ctx context.Context, f cardFacts, cis2 CIS2Provider) {
	if r.opts.Passcode == nil {
		r.skip(CheckSignIn, r.opts.NoSignIn)
		return
	}
	pin, err := r.opts.Passcode()
	defer clear(pin)
	switch {
	case ctx.Err() != nil:
		r.skip(CheckSignIn, "interrupted")
		return
	case err != nil:
		r.fail(CheckSignIn, "the passcode could not be read: "+errText(err), "Type the passcode at the prompt, or give it on standard input with --pin-stdin.")
		return
	case len(pin) == 0:
		r.skip(CheckSignIn, r.opts.NoSignIn)
		return
	}
	if err := smartcard.CheckPIN(pin); err != nil {
		r.fail(CheckSignIn, "not tried: the passcode given is not 6 to 8 digits (no try was spent)", explain.Error(err))
		return
	}
	// A card that names no holder got no further: what is left is its key.
	if err := f.card.Usable(); err != nil {
		r.fail(CheckSignIn, "the card's key cannot sign: "+errText(err), explain.Error(err))
		return
	}
	var s *SignedIn
	if cis2 != nil {
		s, err = cis2.SignIn(ctx, f.uuid, r.opts.CIS2.Browser(ctx, f.card.Signer(pin), f.cert, f.uuid))
	} else {
		s, err = r.opts.Server.SignIn(ctx, f.card.Signer(pin), f.cert, f.uuid)
	}
	clear(pin)
	var (
		wrong     *smartcard.WrongPINError
		refused   *client.SignInError
		denied    *client.AuthorizationError
		wrongUser *client.WrongUserError
	)
	switch {
	case errors.As(err, &wrong):
		r.fail(CheckSignIn, fmt.Sprintf("wrong passcode: %s left", explain.Plural(wrong.TriesLeft, "try", "tries")), explain.Error(err))
		return
	case errors.As(err, &denied):
		// CIS2's words for the card, in the redirect: never a patient's.
		words := safetext.Line(denied.Code)
		if d := safetext.Line(denied.Description); d != "" {
			words += ": " + d
		}
		r.fail(CheckSignIn, "refused by CIS2: "+words, explain.Error(err))
		return
	case errors.As(err, &wrongUser):
		r.fail(CheckSignIn, fmt.Sprintf("CIS2 signed in user %s, not the card's %s", safetext.Line(wrongUser.TokenUUID), safetext.Line(wrongUser.CardUUID)), explain.Error(err))
		return
	case errors.As(err, &refused) && cis2 == nil:
		r.fail(CheckSignIn, "refused by the server: "+reply(refused.ServerReply),
			explain.Error(err)+" The doctor checks the certificate's dates and chain here, but only the server knows whether it has been revoked.")
		return
	case err != nil:
		r.fail(CheckSignIn, strings.TrimPrefix(errText(err), "client: "), explain.Error(err))
		return
	}
	to := ""
	if cis2 != nil {
		to = " to CIS2"
	}
	r.pass(CheckSignIn, fmt.Sprintf("signed in%s as %s (%s), %s", to, safetext.Line(s.Name), safetext.Line(s.UUID), explain.Plural(len(s.Roles), "role", "roles")))
	r.roles(s.Roles)
	switch err := s.SignOut(ctx); {
	case err != nil:
		r.warn(CheckSignOut, "the session could not be revoked: "+errText(err), "The session's tokens expire by themselves within their lifetime; nothing else to do.")
	case cis2 != nil:
		// No role was chosen: no platform token was asked for.
		r.pass(CheckSignOut, "signed out: the CIS2 ID token is forgotten")
	default:
		r.pass(CheckSignOut, "signed out: the session's tokens are revoked")
	}
}

// roles adds a line per role, saying what it may do, and the verdict: FAIL
// when no role can view an SCR (WARN if one can at least read audit reports,
// as a privacy officer's does).
func (r *run) roles(roles []client.Role) {
	var view, audit bool
	for _, role := range roles {
		detail := fmt.Sprintf("%s at %s (%s): view SCR %s, emergency access %s, audit reports %s",
			roleWords(safetext.Line(role.Name)), safetext.Line(role.OrgCode), safetext.Line(role.ID),
			yesNo(role.CanView()), yesNo(role.CanEmergency()), yesNo(role.CanAudit()))
		view = view || role.CanView()
		audit = audit || role.CanAudit()
		if role.CanView() || role.CanAudit() {
			r.pass(CheckRole, detail)
		} else {
			r.warn(CheckRole, detail, "This role has no activity that views an SCR (such as B0370 or B0401). The Registration Authority can add one, or the user picks another role.")
		}
	}
	switch {
	case view:
		n := 0
		for _, role := range roles {
			if role.CanView() {
				n++
			}
		}
		r.pass(CheckAccess, fmt.Sprintf("%d of %s can view an SCR", n, explain.Plural(len(roles), "role", "roles")))
	case audit:
		r.warn(CheckAccess, "none of your roles can view an SCR; audit reports only",
			"Right for a privacy officer. To view records, ask the Registration Authority for a role with a viewing activity (such as B0370 or B0401).")
	default:
		r.fail(CheckAccess, "none of your roles can view an SCR",
			"The card works, but no role may view a record: ask the Registration Authority to add a viewing activity (such as B0370, or B0401 in a pharmacy) to the user's role.")
	}
}

// roleWords is a role's own name: CIS2 sends "Job area":"Job role":"Role",
// and the last is what users call it (as the viewer's role screen shows it).
func roleWords(name string) string {
	parts := strings.Split(name, ":")
	if last := strings.Trim(strings.TrimSpace(parts[len(parts)-1]), `"`); last != "" {
		return last
	}
	return "role " + name
}

// nameOf is how a certificate's subject or issuer is named in a line: its
// CN, else the whole name; through the gate, as the certificate is not ours.
func nameOf(n pkix.Name) string {
	if cn := safetext.Line(n.CommonName); cn != "" {
		return cn
	}
	return safetext.Line(n.String())
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func atrText(atr []byte) string {
	if len(atr) == 0 {
		return "not known"
	}
	return fmt.Sprintf("% X", atr)
}

// errText is an error's message, through the gate: errors carry reader
// names, certificate names and the server's words.
func errText(err error) string {
	if err == nil {
		return "no context"
	}
	return safetext.Line(err.Error())
}
