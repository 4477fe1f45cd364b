package client

import (
	"errors"
	"fmt"
	"strings"
)

// The errors of the NHS's own sign-in (auth = "cis2", API.md section 1b), one
// per thing someone can act on: the administrator's registration (discovery,
// the application's key, its API key), the user's sign-in in the browser, a
// card that is not the signed-in user's. As errors.go's, each states facts;
// wording for people belongs to the UI.

// DiscoveryError: CIS2's discovery document or its JWKS cannot be used: not
// reachable as JSON (Err then holds the transport's typed error), its issuer
// is not the one configured, or an endpoint or capability the sign-in needs
// is missing. The cis2-issuer setting, or CIS2 itself, is at fault.
type DiscoveryError struct {
	URL     string // what was fetched
	Problem string
	Err     error
}

func (e *DiscoveryError) Error() string {
	s := "client: CIS2 discovery (" + e.URL + "): " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DiscoveryError) Unwrap() error { return e.Err }

// AuthorizationError: CIS2 sent the browser back with an error instead of a
// code (RFC 6749 section 4.1.2.1): access_denied when the user or their card
// was refused or the user cancelled, invalid_scope, server_error, …
// Description is CIS2's own words, if any.
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	s := "client: CIS2 refused the sign-in: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// StateMismatchError: the redirect to the loopback listener carried a state
// other than the one this sign-in sent (or none): it is not the answer to this
// sign-in (an old tab, or a forgery). Nothing was redeemed.
type StateMismatchError struct{}

func (*StateMismatchError) Error() string {
	return "client: the sign-in's redirect carried the wrong state; it was ignored"
}

// CallbackError: the redirect to the loopback listener cannot be used: no
// code and no error, a parameter given twice, an iss that is not CIS2's
// (RFC 9207), or no redirect came in time (ErrSignInTimedOut is wrapped).
type CallbackError struct {
	Problem string
	Err     error
}

func (e *CallbackError) Error() string { return "client: the sign-in's redirect: " + e.Problem }

func (e *CallbackError) Unwrap() error { return e.Err }

// ErrSignInTimedOut is wrapped by the *CallbackError of a sign-in whose
// browser did not come back within CIS2Config.SignInTimeout.
var ErrSignInTimedOut = errors.New("client: no answer from the browser in time")

// ID token failures, IDTokenError.Reason.
const (
	IDTokenMalformed  = "malformed"            // not a JWT, or a required claim is missing
	IDTokenAlgorithm  = "algorithm"            // alg not on the allow-list (RS256, RS384, RS512, PS256, PS384, PS512, ES256)
	IDTokenSignature  = "signature"            // not signed by a key of CIS2's JWKS: another key signed it
	IDTokenIssuer     = "issuer"               // iss is not CIS2's issuer
	IDTokenAudience   = "audience"             // aud (or azp) is not this application's client_id
	IDTokenNonce      = "nonce"                // not the nonce this sign-in sent: replayed, or another sign-in's
	IDTokenExpired    = "expired"              // exp has passed (beyond the allowed clock skew)
	IDTokenNotYet     = "issued in the future" // iat is ahead of this computer's clock beyond the skew
	IDTokenNoSubject  = "no subject"           // no sub
	IDTokenOtherError = "refused"              // any other failure
)

// IDTokenError: CIS2's ID token failed validation (OpenID Connect Core 1.0
// section 3.1.3.7); Reason is one of the IDToken… constants. The sign-in is
// refused: nothing from that token is believed.
type IDTokenError struct {
	Reason string
	Detail string
	Err    error
}

func (e *IDTokenError) Error() string {
	s := "client: the CIS2 ID token is refused (" + e.Reason + ")"
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *IDTokenError) Unwrap() error { return e.Err }

// ClockRefused reports whether the token was refused for its times, which a
// clock that is off explains as well as the token.
func (e *IDTokenError) ClockRefused() bool {
	return e.Reason == IDTokenExpired || e.Reason == IDTokenNotYet
}

// WrongUserError: the user CIS2 signed in (the ID token's sub) is not the user
// of the card in the reader. The session is refused; sign in again with the
// card's owner, or put in the card of the user who signed in.
type WrongUserError struct {
	CardUUID  string // the card certificate's user ID
	TokenUUID string // the signed-in user: the ID token's sub, or the session's user (Session.SameUser)
}

func (e *WrongUserError) Error() string {
	return fmt.Sprintf("client: CIS2 signed in user %s, but the card in the reader is user %s's", e.TokenUUID, e.CardUUID)
}

// CIS2TokenError: CIS2's token endpoint refused the code or the application,
// in its own words (ServerReply): invalid_grant for a code used already,
// expired, or whose code_verifier or redirect_uri does not match;
// invalid_client for the application's client assertion (client_id, key,
// kid).
type CIS2TokenError struct{ ServerReply }

func (e *CIS2TokenError) Error() string { return "client: CIS2 refused the code: " + e.facts() }

// ApplicationRefused reports whether it was the application's credentials
// that CIS2 refused (invalid_client), which its registration explains, not
// the user.
func (e *CIS2TokenError) ApplicationRefused() bool { return e.Code == "invalid_client" }

// ExchangeError: the API platform refused to exchange the ID token for an
// access token, in its own words (ServerReply.Text), e.g. "Missing or invalid
// 'aud' claim in client_assertion JWT" or "Invalid 'exp' claim in
// subject_token JWT - JWT has expired".
type ExchangeError struct{ ServerReply }

func (e *ExchangeError) Error() string {
	return "client: the API platform refused the token exchange: " + e.facts()
}

// ApplicationRefused reports whether it was the application's client
// assertion the platform refused (its API key, key, kid, or this computer's
// clock, for exp), not the user's ID token.
func (e *ExchangeError) ApplicationRefused() bool {
	return e.Code == "public_key error" || strings.Contains(e.Text, "client_assertion")
}

// SigningKeyError: the application's signing key cannot sign client
// assertions: not a PEM private key, encrypted, not RSA, or too small.
type SigningKeyError struct{ Problem string }

func (e *SigningKeyError) Error() string {
	return "client: the application's signing key: " + e.Problem
}
