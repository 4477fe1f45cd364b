package identity

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

// The endpoints of API.md section 1.
const (
	PathChallenge = "/oauth2/challenge"
	PathToken     = "/oauth2/token"
	PathUserinfo  = "/oauth2/userinfo"
	PathRevoke    = "/oauth2/revoke"
)

// Defaults for Config's zero values.
const (
	DefaultTokenTTL     = 15 * time.Minute
	DefaultChallengeTTL = 60 * time.Second
)

// Config is what the service trusts and whom it knows.
type Config struct {
	CA           *x509.Certificate // smartcard CA the card certificates must chain to
	Revoked      map[string]bool   // revoked certificate serials in hex (ParseRevoked reads revoked.txt; New normalises case, colons and leading zeros)
	Users        Directory         // from users.json, see LoadDirectory
	TokenTTL     time.Duration     // lifetime of card and role tokens; 0 means DefaultTokenTTL
	ChallengeTTL time.Duration     // lifetime of a challenge; 0 means DefaultChallengeTTL
	// ChallengesPerAddress is how many unused challenges one client address
	// (ClientAddress) may hold at once; 0 means DefaultChallengesPerAddress.
	ChallengesPerAddress int
	// Issuer is the server's base URL (e.g. https://127.0.0.1:8443). An
	// assertion's aud must be Issuer+PathToken or the token endpoint's URL as the
	// request reached it (scheme and Host), so that a client that dialled
	// localhost rather than 127.0.0.1 is not refused.
	Issuer string
	Audit  audit.Recorder   // every sign-in, role exchange and sign-out goes here
	Now    func() time.Time // the clock; nil means time.Now

	// Apps are the applications the API platform's token exchange (API.md
	// section 1b) knows, by API key; nil refuses every such exchange.
	Apps *apps.Registry
	// IDTokens is the CIS2 provider whose ID tokens that exchange takes as
	// its subject_token; nil refuses them.
	IDTokens IDTokenIssuer
}

// IDTokenIssuer is an OpenID provider whose ID tokens the platform's token
// exchange accepts: the sandbox's CIS2 (package cis2).
type IDTokenIssuer interface {
	// Issuer is its issuer identifier, the ID tokens' iss.
	Issuer() string
	// IDTokenKey returns its public key with the given kid.
	IDTokenKey(kid string) (*rsa.PublicKey, bool)
}

// Service is the smartcard sign-in. It is safe for concurrent use.
type Service struct {
	users      Directory
	roots      *x509.CertPool
	revoked    map[string]bool
	tokenURL   string // Issuer + PathToken, or "" without an Issuer
	audit      audit.Recorder
	now        func() time.Time
	challenges *challengeStore
	tokens     *tokenStore
	failures   *failureLog

	apps        *apps.Registry
	idTokens    IDTokenIssuer
	jtis        *apps.JTICache // client assertions' jti, each accepted once
	platformTTL time.Duration  // lifetime of a platform token
}

// New checks cfg and returns a service with no challenges or tokens yet.
func New(cfg Config) (*Service, error) {
	if cfg.CA == nil {
		return nil, errors.New("identity: Config.CA is required")
	}
	if cfg.Audit == nil {
		return nil, errors.New("identity: Config.Audit is required: nothing may happen unrecorded")
	}
	if len(cfg.Users.users) == 0 {
		return nil, errors.New("identity: Config.Users has no users")
	}
	if cfg.TokenTTL < 0 || cfg.ChallengeTTL < 0 || cfg.ChallengesPerAddress < 0 {
		return nil, errors.New("identity: negative TokenTTL, ChallengeTTL or ChallengesPerAddress")
	}
	s := &Service{
		users:    cfg.Users,
		roots:    x509.NewCertPool(),
		revoked:  make(map[string]bool, len(cfg.Revoked)),
		audit:    cfg.Audit,
		now:      cfg.Now,
		failures: newFailureLog(),
		apps:     cfg.Apps,
		idTokens: cfg.IDTokens,
		jtis:     apps.NewJTICache(0),
	}
	s.roots.AddCert(cfg.CA)
	for serial, revoked := range cfg.Revoked {
		key, err := normaliseSerial(serial)
		if err != nil {
			return nil, err
		}
		s.revoked[key] = revoked
	}
	if cfg.Issuer != "" {
		u, err := url.Parse(cfg.Issuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("identity: Config.Issuer %q is not an http(s) base URL", cfg.Issuer)
		}
		s.tokenURL = strings.TrimSuffix(cfg.Issuer, "/") + PathToken
	}
	if s.now == nil {
		s.now = time.Now
	}
	tokenTTL, challengeTTL := cfg.TokenTTL, cfg.ChallengeTTL
	if tokenTTL == 0 {
		tokenTTL = DefaultTokenTTL
	}
	if challengeTTL == 0 {
		challengeTTL = DefaultChallengeTTL
	}
	perAddr := cfg.ChallengesPerAddress
	if perAddr == 0 {
		perAddr = DefaultChallengesPerAddress
	}
	s.platformTTL = min(tokenTTL, PlatformTokenLifetime)
	s.challenges = newChallengeStore(challengeTTL, maxChallenges, perAddr)
	s.tokens = newTokenStore(tokenTTL)
	return s, nil
}
