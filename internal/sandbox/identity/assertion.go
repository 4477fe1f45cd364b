package identity

import (
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/pki"
)

const (
	grantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer" // RFC 7523 section 2.1

	// The JWS algorithms a PIV card's authentication key can make (RFC 7518
	// section 3.1): ES256 for P-256 keys, RS256 for RSA-2048 keys.
	algES256 = "ES256"
	algRS256 = "RS256"

	// maxAssertionLifetime is how long after iat an assertion may expire (API.md).
	maxAssertionLifetime = 60 * time.Second

	// clockSkew is the leeway on exp and iat for a client clock that is off
	// (RFC 7523 section 3 allows "some small leeway"). Five minutes, the
	// skew `scr doctor` fails at: a counter PC's clock drifts, and replay is
	// bounded by the single-use, server-timed challenge, not by iat.
	clockSkew = 5 * time.Minute
)

// audiences are the aud values accepted for a request: the token endpoint's URL
// under Config.Issuer, and its URL as this request reached it (scheme and Host),
// so that a client that dialled https://localhost:8443 rather than the
// configured https://127.0.0.1:8443 is not refused. Trusting the request's Host
// here does not let an assertion made for another server be replayed to this
// one: its jti must be a challenge that this server issued, once.
func (s *Service) audiences(r *http.Request) []string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	reached := scheme + "://" + r.Host + PathToken
	if s.tokenURL == "" || s.tokenURL == reached {
		return []string{reached}
	}
	return []string{s.tokenURL, reached}
}

// verifyAssertion checks a client assertion as RFC 7523 section 3 and API.md
// section 1 require, and returns the user it authenticates. The holder the card
// certificate names is returned as soon as the certificate is known to come
// from the smartcard CA, so that a refusal can be recorded against that card's
// user; before then it is empty, and the error names the certificate's
// fingerprint instead. Every error is an *oauthError.
func (s *Service) verifyAssertion(raw string, audiences []string, now time.Time) (*User, pki.Holder, error) {
	var holder pki.Holder

	// Read the jti before anything else can fail, and spend its challenge: a
	// challenge buys one attempt, right or wrong, so a refused assertion cannot be
	// retried and an accepted one cannot be replayed (RFC 7523 section 3, item 7).
	// ParseUnverified has decoded the claims even if it then fails on alg or
	// signature encoding.
	var unverified jwt.RegisteredClaims
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &unverified)
	challengeErr := s.challenges.consume(unverified.ID, now)
	if err != nil {
		return nil, holder, invalidGrant("the assertion is not a well-formed JWT: %v", err)
	}

	if alg := tok.Method.Alg(); alg != algES256 && alg != algRS256 {
		return nil, holder, invalidGrant("alg %s is not accepted: sign with ES256 (P-256 card key) or RS256 (RSA-2048 card key)", alg)
	}
	// RFC 7515 section 4.1.11: extensions named in crit must be understood, and
	// none are here.
	if _, ok := tok.Header["crit"]; ok {
		return nil, holder, invalidGrant("the crit header is not supported")
	}
	cert, intermediates, err := x5cChain(tok.Header)
	if err != nil {
		return nil, holder, err
	}
	// Who the certificate names is believed only once the smartcard CA is
	// known to have issued it; until then the refusal names its fingerprint.
	if err := s.checkIssuer(cert, intermediates, now); err != nil {
		return nil, holder, err
	}
	if holder, err = holderOf(cert); err != nil {
		return nil, holder, err
	}
	if u, ok := s.users.users[holder.UUID]; ok {
		holder.Name = u.Name // the directory's spelling, as a granted sign-in records it
	}
	if err := s.checkCard(cert, intermediates, now); err != nil {
		return nil, holder, err
	}

	// golang-jwt enforces these too, but its error would not say which is missing.
	switch {
	case unverified.ExpiresAt == nil:
		return nil, holder, invalidGrant("the assertion has no exp")
	case unverified.IssuedAt == nil:
		return nil, holder, invalidGrant("the assertion has no iat")
	case len(unverified.Audience) == 0:
		return nil, holder, invalidGrant("the assertion has no aud: it must be the token endpoint URL, %s", audiences[0])
	}

	// Now verify for real: the signature with the certificate's key, then the
	// registered claims.
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{algES256, algRS256}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(clockSkew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithAudience(audiences...),
	)
	var claims jwt.RegisteredClaims
	_, err = parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		return verificationKey(t.Method.Alg(), cert)
	})
	if err != nil {
		return nil, holder, describeJWTError(err, audiences)
	}
	if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life > maxAssertionLifetime {
		return nil, holder, invalidGrant("exp is %v after iat; at most %v is allowed", life, maxAssertionLifetime)
	}
	if challengeErr != nil {
		return nil, holder, challengeErr
	}
	// RFC 7523 section 3, items 1 and 2: here the client is the card holder,
	// so iss and sub are both the user ID the card certificate carries.
	if claims.Subject != holder.UUID {
		return nil, holder, invalidGrant("sub %q is not the card certificate's user ID %s", claims.Subject, holder.UUID)
	}
	if claims.Issuer != claims.Subject {
		return nil, holder, invalidGrant("iss %q must equal sub %q", claims.Issuer, claims.Subject)
	}
	user, ok := s.users.users[holder.UUID]
	if !ok {
		return nil, holder, invalidGrant("user %s is not known to this server", holder.UUID)
	}
	return user, holder, nil
}

// describeJWTError turns golang-jwt's verdict into an invalid_grant a client
// developer can act on.
func describeJWTError(err error, audiences []string) error {
	var e *oauthError
	switch {
	case errors.As(err, &e): // from verificationKey
		return e
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidGrant("the assertion's signature does not verify with the card certificate's key")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalidGrant("the assertion lacks a required claim (%v)", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return invalidGrant("the assertion has expired")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalidGrant("the assertion's iat is in the future")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalidGrant("the assertion's nbf is in the future")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return invalidGrant("aud must be the token endpoint URL, %s", audiences[0])
	}
	return invalidGrant("the assertion is refused: %v", err)
}
