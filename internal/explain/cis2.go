package explain

import (
	"errors"
	"slices"
	"strconv"

	"github.com/scrterm/scr/client"
)

// cis2Name is CIS2 Authentication as users know it.
const cis2Name = "the NHS CIS2 sign-in service"

// idTokenReasons are the client's IDTokenError reasons: its own words, so a
// sentence may name one.
var idTokenReasons = []string{
	client.IDTokenMalformed, client.IDTokenAlgorithm, client.IDTokenSignature, client.IDTokenIssuer,
	client.IDTokenAudience, client.IDTokenNonce, client.IDTokenExpired, client.IDTokenNotYet,
	client.IDTokenNoSubject, client.IDTokenOtherError,
}

// explainCIS2 says the errors of the NHS's own sign-in (auth = "cis2") in
// words: CIS2 in the browser, the application's registration, the API
// platform's token exchange. As explainServer's, each sentence says what
// happened and what to do, names several causes where the error has several,
// and repeats of what a server said only a code (and a request ID).
func explainCIS2(err error) (string, bool) {
	var (
		discovery *client.DiscoveryError
		authz     *client.AuthorizationError
		state     *client.StateMismatchError
		callback  *client.CallbackError
		idToken   *client.IDTokenError
		wrongUser *client.WrongUserError
		token     *client.CIS2TokenError
		exchange  *client.ExchangeError
		key       *client.SigningKeyError
		signedOut *client.SignedOutError
		signIn    *client.SignInError
		tlsErr    *client.TLSError
	)
	switch {
	case errors.As(err, &wrongUser):
		return "The person who signed in to CIS2 is not the holder of the card in the reader, so scr signed out. Sign in with your own card.", true
	case errors.As(err, &discovery) && errors.As(discovery.Err, &tlsErr):
		return "The NHS CIS2 sign-in service's certificate was not accepted, so the sign-in did not start and nothing was sent. " +
			"Check the cis2-issuer setting and --ca; if they are right, tell IT.", true
	case errors.As(err, &discovery) && discovery.Err != nil:
		return "The NHS CIS2 sign-in service could not be reached at the cis2-issuer address, or did not answer as CIS2 does, so the sign-in did not start. " +
			"Check the cis2-issuer setting and the network, then try again; if it persists, tell IT.", true
	case errors.As(err, &discovery):
		return "The NHS CIS2 sign-in service at the cis2-issuer address does not offer what scr needs, so the sign-in did not start. " +
			"Check that cis2-issuer names the right service; if it does, tell IT.", true
	case errors.As(err, &key):
		return "The application's signing key (the signing-key setting) cannot be used: it must be an unencrypted RSA private key in PEM, of at least " +
			strconv.Itoa(client.MinSigningKeyBits) + " bits. Tell IT.", true
	case errors.As(err, &authz):
		return authorizationSentence(authz), true
	case errors.As(err, &state):
		return "The browser came back with an answer that is not for this sign-in, so scr ignored it. Close any old sign-in tabs and sign in again; if it happens again, tell IT.", true
	case errors.Is(err, client.ErrSignInTimedOut):
		return "The sign-in in the browser was not completed in time, so scr stopped waiting. Sign in again.", true
	case errors.As(err, &callback) && callback.Err != nil:
		// The loopback listener could not be opened.
		return "scr could not listen on this computer for the browser's answer, so the sign-in did not start. Try again; if it happens again, tell IT.", true
	case errors.As(err, &callback):
		return "The browser came back with an answer scr cannot use, so you are not signed in. Sign in again; if it happens again, tell IT.", true
	case errors.As(err, &idToken) && idToken.ClockRefused():
		// The token's times or this computer's clock: either explains it.
		return "The CIS2 sign-in was refused because its times do not agree with this computer's clock. Check the date and time (or ask IT), then sign in again.", true
	case errors.As(err, &idToken):
		what := ""
		if slices.Contains(idTokenReasons, idToken.Reason) {
			what = " (ID token: " + idToken.Reason + ")"
		}
		return capital(cis2Name) + "'s answer failed scr's checks" + what + ", so nothing from it was used and you are not signed in. " +
			"Sign in again; if it happens again, tell IT.", true
	case errors.As(err, &token) && token.ApplicationRefused():
		return capital(cis2Name) + " refused scr's application credentials" + code(token.Code) +
			": scr's set-up (client-id, signing-key or kid) is wrong, or this computer's clock is. Check the date and time; if they are right, tell IT" +
			quoting(token.RequestID) + ".", true
	case errors.As(err, &token):
		return capital(cis2Name) + " refused the sign-in's one-time code" + code(token.Code) +
			": it may have expired or been used already. Sign in again; if it happens again, tell IT" + quoting(token.RequestID) + ".", true
	case errors.As(err, &exchange) && exchange.ApplicationRefused():
		return "The NHS API platform refused scr's application credentials, so no role can be used: scr's set-up (api-key, signing-key or kid) is wrong, " +
			"or this computer's clock is. Check the date and time; if they are right, tell IT" + quoting(exchange.RequestID) + ".", true
	case errors.As(err, &exchange):
		return "The NHS API platform refused your CIS2 sign-in" + code(exchange.Code) + ", so no role can be used. Sign in again; if it happens again, tell IT" +
			quoting(exchange.RequestID) + ".", true
	case errors.As(err, &signedOut) && signedOut.Code == "id_token_expired":
		// The client's own code: the ID token a role is exchanged from has expired.
		return "Your CIS2 sign-in has expired, so the session has ended. Sign in again.", true
	case errors.As(err, &signedOut) && signedOut.Service == client.ServiceCIS2:
		return capital(cis2Name) + " no longer accepts this sign-in, so you are not signed in. Sign in again.", true
	case errors.As(err, &signIn) && signIn.Service == client.ServiceCIS2:
		return capital(cis2Name) + " refused a request scr made" + code(signIn.Code) +
			". That is a fault in scr or its set-up, not in anything you did: tell IT" + quoting(signIn.RequestID) + ".", true
	}
	return "", false
}

// authorizationSentence says why CIS2 sent the browser back without a code
// (RFC 6749 section 4.1.2.1), by its code only: its description is CIS2's
// words, not repeated.
func authorizationSentence(e *client.AuthorizationError) string {
	switch e.Code {
	case "access_denied":
		// The user cancelled, or CIS2 refused the card or the account: CIS2
		// does not say which.
		return "CIS2 did not sign you in (access_denied): the sign-in was cancelled, or your card or account was refused. " +
			"Sign in again; if you are refused again, contact your Registration Authority."
	case "server_error", "temporarily_unavailable":
		return capital(cis2Name) + " could not sign you in just now" + code(e.Code) + ". Try again in a minute; if it persists, tell IT."
	}
	return capital(cis2Name) + " refused scr's sign-in request" + code(e.Code) +
		". That is a fault in scr or its set-up, not in anything you did: tell IT."
}

// code is " (CODE)" for a code worth quoting, else nothing.
func code(c string) string {
	if !isCodeWord(c) {
		return ""
	}
	return " (" + c + ")"
}
