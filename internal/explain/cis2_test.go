package explain

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

// TestExplainCIS2: each error of the NHS's own sign-in (auth = "cis2") has
// its sentence, however deep it is wrapped.
func TestExplainCIS2(t *testing.T) {
	cis2Reply := func(status int, code, text, requestID string) client.ServerReply {
		return client.ServerReply{Service: client.ServiceCIS2, Status: status, Code: code, Text: text, RequestID: requestID}
	}
	platformReply := func(code, text string) client.ServerReply {
		return client.ServerReply{Service: client.ServiceSignIn, Status: 400, Code: code, Text: text, RequestID: "r-9"}
	}
	const (
		discoveryURL = "https://cis2.example/.well-known/openid-configuration"
		unreachable  = "The NHS CIS2 sign-in service could not be reached at the cis2-issuer address, or did not answer as CIS2 does, so the sign-in did not start. Check the cis2-issuer setting and the network, then try again; if it persists, tell IT."
		appCIS2      = "The NHS CIS2 sign-in service refused scr's application credentials (invalid_client): scr's set-up (client-id, signing-key or kid) is wrong, or this computer's clock is. Check the date and time; if they are right, tell IT, quoting request ID c-1."
		appPlatform  = "The NHS API platform refused scr's application credentials, so no role can be used: scr's set-up (api-key, signing-key or kid) is wrong, or this computer's clock is. Check the date and time; if they are right, tell IT, quoting request ID r-9."
	)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrong user", &client.WrongUserError{CardUUID: "555000000101", TokenUUID: "555000000102"},
			"The person who signed in to CIS2 is not the holder of the card in the reader, so scr signed out. Sign in with your own card."},
		{"wrong user, wrapped", fmt.Errorf("sign-in: %w", &client.WrongUserError{}),
			"The person who signed in to CIS2 is not the holder of the card in the reader, so scr signed out. Sign in with your own card."},
		{"discovery unreachable", &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.UnavailableError{Err: syscall.ECONNREFUSED}}, unreachable},
		{"discovery 404", &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.SignInError{ServerReply: cis2Reply(404, "", "", "")}}, unreachable},
		{"discovery timeout", &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.TimeoutError{Service: client.ServiceCIS2}}, unreachable},
		{"discovery TLS", &client.DiscoveryError{URL: discoveryURL, Problem: "cannot be read", Err: &client.TLSError{Reason: client.TLSUnknownAuthority, Err: errors.New("x509")}},
			"The NHS CIS2 sign-in service's certificate was not accepted, so the sign-in did not start and nothing was sent. Check the cis2-issuer setting and --ca; if they are right, tell IT."},
		{"discovery lacks PKCE", &client.DiscoveryError{URL: discoveryURL, Problem: "it does not offer PKCE with S256"},
			"The NHS CIS2 sign-in service at the cis2-issuer address does not offer what scr needs, so the sign-in did not start. Check that cis2-issuer names the right service; if it does, tell IT."},
		{"JWKS empty", &client.DiscoveryError{URL: "https://cis2.example/jwks", Problem: "the JWKS holds no public signing key"},
			"The NHS CIS2 sign-in service at the cis2-issuer address does not offer what scr needs, so the sign-in did not start. Check that cis2-issuer names the right service; if it does, tell IT."},
		{"access denied", &client.AuthorizationError{Code: "access_denied", Description: "the card is refused: revoked"},
			"CIS2 did not sign you in (access_denied): the sign-in was cancelled, or your card or account was refused. Sign in again; if you are refused again, contact your Registration Authority."},
		{"CIS2 server error", &client.AuthorizationError{Code: "server_error"},
			"The NHS CIS2 sign-in service could not sign you in just now (server_error). Try again in a minute; if it persists, tell IT."},
		{"CIS2 unavailable", &client.AuthorizationError{Code: "temporarily_unavailable"},
			"The NHS CIS2 sign-in service could not sign you in just now (temporarily_unavailable). Try again in a minute; if it persists, tell IT."},
		{"bad scope", &client.AuthorizationError{Code: "invalid_scope", Description: "scope must include openid"},
			"The NHS CIS2 sign-in service refused scr's sign-in request (invalid_scope). That is a fault in scr or its set-up, not in anything you did: tell IT."},
		{"state mismatch", &client.StateMismatchError{},
			"The browser came back with an answer that is not for this sign-in, so scr ignored it. Close any old sign-in tabs and sign in again; if it happens again, tell IT."},
		{"timed out", &client.CallbackError{Problem: "no redirect came back from the browser in time", Err: client.ErrSignInTimedOut},
			"The sign-in in the browser was not completed in time, so scr stopped waiting. Sign in again."},
		{"timed out, wrapped", fmt.Errorf("sign-in: %w", &client.CallbackError{Err: client.ErrSignInTimedOut}),
			"The sign-in in the browser was not completed in time, so scr stopped waiting. Sign in again."},
		{"no listener", &client.CallbackError{Problem: "cannot listen on 127.0.0.1 for the browser's redirect", Err: syscall.EADDRINUSE},
			"scr could not listen on this computer for the browser's answer, so the sign-in did not start. Try again; if it happens again, tell IT."},
		{"bad redirect", &client.CallbackError{Problem: "it carries neither a code nor an error"},
			"The browser came back with an answer scr cannot use, so you are not signed in. Sign in again; if it happens again, tell IT."},
		{"ID token expired", &client.IDTokenError{Reason: client.IDTokenExpired},
			"The CIS2 sign-in was refused because its times do not agree with this computer's clock. Check the date and time (or ask IT), then sign in again."},
		{"ID token from the future", &client.IDTokenError{Reason: client.IDTokenNotYet},
			"The CIS2 sign-in was refused because its times do not agree with this computer's clock. Check the date and time (or ask IT), then sign in again."},
		{"ID token nonce", &client.IDTokenError{Reason: client.IDTokenNonce, Detail: "not the nonce this sign-in sent"},
			"The NHS CIS2 sign-in service's answer failed scr's checks (ID token: nonce), so nothing from it was used and you are not signed in. Sign in again; if it happens again, tell IT."},
		{"ID token signature", &client.IDTokenError{Reason: client.IDTokenSignature},
			"The NHS CIS2 sign-in service's answer failed scr's checks (ID token: signature), so nothing from it was used and you are not signed in. Sign in again; if it happens again, tell IT."},
		{"CIS2 refuses the application", &client.CIS2TokenError{ServerReply: cis2Reply(401, "invalid_client", "client_assertion's signature does not verify", "c-1")}, appCIS2},
		{"CIS2 refuses the code", &client.CIS2TokenError{ServerReply: cis2Reply(400, "invalid_grant", "the code has been used already", "c-2")},
			"The NHS CIS2 sign-in service refused the sign-in's one-time code (invalid_grant): it may have expired or been used already. Sign in again; if it happens again, tell IT, quoting request ID c-2."},
		{"platform refuses the kid", &client.ExchangeError{ServerReply: platformReply("invalid_request", "Invalid 'kid' header in client_assertion JWT - no matching public key")}, appPlatform},
		{"platform refuses the key", &client.ExchangeError{ServerReply: platformReply("public_key error", "JWT signature verification failed")}, appPlatform},
		{"platform refuses the ID token", &client.ExchangeError{ServerReply: platformReply("invalid_request", "Invalid 'exp' claim in subject_token JWT - JWT has expired")},
			"The NHS API platform refused your CIS2 sign-in (invalid_request), so no role can be used. Sign in again; if it happens again, tell IT, quoting request ID r-9."},
		{"signing key", &client.SigningKeyError{Problem: "RSA-1024; at least 2048 bits are needed"},
			"The application's signing key (the signing-key setting) cannot be used: it must be an unencrypted RSA private key in PEM, of at least 2048 bits. Tell IT."},
		{"ID token expired in session", &client.SignedOutError{ServerReply: client.ServerReply{Code: "id_token_expired", Text: "the CIS2 ID token has expired: sign in again"}},
			"Your CIS2 sign-in has expired, so the session has ended. Sign in again."},
		{"userinfo 401", &client.SignedOutError{ServerReply: cis2Reply(401, "invalid_token", "", "")},
			"The NHS CIS2 sign-in service no longer accepts this sign-in, so you are not signed in. Sign in again."},
		{"userinfo 403", &client.SignInError{ServerReply: cis2Reply(403, "insufficient_scope", "", "u-1")},
			"The NHS CIS2 sign-in service refused a request scr made (insufficient_scope). That is a fault in scr or its set-up, not in anything you did: tell IT, quoting request ID u-1."},
		{"CIS2 503", &client.UnavailableError{ServerReply: cis2Reply(503, "", "", "")},
			"The NHS CIS2 sign-in service is unavailable. Try again in a minute; if it persists, tell IT."},
		{"CIS2 slow", &client.TimeoutError{Service: client.ServiceCIS2},
			"The NHS CIS2 sign-in service took too long to answer. Check the network and try again."},
		// The demo's browser signs with the card: a wrong passcode is the card's.
		{"wrong passcode in the demo browser", fmt.Errorf("client: opening the sign-in page: %w", fmt.Errorf("cis2: browser: the card did not sign: %w", &smartcard.WrongPINError{TriesLeft: 2})),
			"Wrong passcode. 2 tries left before the card is locked."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Error(tt.err); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestExplainCIS2QuotesOnlyCodes: what CIS2 or the platform said is named
// only when it is a code; their descriptions, the user IDs of a wrong user
// and an error's own text never reach the sentence.
func TestExplainCIS2QuotesOnlyCodes(t *testing.T) {
	const hostile = "\x1b]8;;http://x\x07click here\x1b]8;;\x07"
	for _, err := range []error{
		&client.AuthorizationError{Code: hostile, Description: hostile},
		&client.AuthorizationError{Code: "access_denied", Description: hostile},
		&client.CIS2TokenError{ServerReply: client.ServerReply{Service: client.ServiceCIS2, Code: hostile, Text: hostile, RequestID: "r"}},
		&client.ExchangeError{ServerReply: client.ServerReply{Code: hostile, Text: "client_assertion " + hostile}},
		&client.ExchangeError{ServerReply: client.ServerReply{Code: "see http://x", Text: hostile}},
		&client.IDTokenError{Reason: hostile, Detail: hostile},
		&client.DiscoveryError{URL: hostile, Problem: hostile},
		&client.CallbackError{Problem: hostile},
		&client.SigningKeyError{Problem: hostile},
		&client.SignInError{ServerReply: client.ServerReply{Service: client.ServiceCIS2, Code: hostile, Text: hostile}},
	} {
		got := Error(err)
		if got == "" || strings.ContainsAny(got, "\x1b\x07") || strings.Contains(got, "click") || strings.Contains(got, "http") {
			t.Errorf("%T: %q", err, got)
		}
	}
	if got := Error(&client.WrongUserError{CardUUID: "555000000101", TokenUUID: "555000000102"}); strings.Contains(got, "5550") {
		t.Errorf("a wrong user's sentence names a user ID: %q", got)
	}
}

// TestExplainCIS2NoWrongCause: where an error has several causes, its
// sentence names them all, with "or", rather than pick one.
func TestExplainCIS2NoWrongCause(t *testing.T) {
	for _, tt := range []struct {
		err   error
		words []string
	}{
		{&client.AuthorizationError{Code: "access_denied"}, []string{"cancelled", "card", "account", " or "}},
		{&client.IDTokenError{Reason: client.IDTokenExpired}, []string{"times", "clock"}},
		{&client.CIS2TokenError{ServerReply: client.ServerReply{Code: "invalid_client"}}, []string{"set-up", "clock", " or "}},
		{&client.ExchangeError{ServerReply: client.ServerReply{Text: "Invalid 'exp' claim in client_assertion JWT - JWT has expired"}}, []string{"set-up", "clock", " or "}},
		{&client.CIS2TokenError{ServerReply: client.ServerReply{Code: "invalid_grant"}}, []string{"may have expired", " or "}},
		{&client.DiscoveryError{Err: errors.New("x")}, []string{"could not be reached", " or did not answer"}},
	} {
		got := Error(tt.err)
		for _, w := range tt.words {
			if !strings.Contains(got, w) {
				t.Errorf("%T %+v: %q lacks %q", tt.err, tt.err, got, w)
			}
		}
	}
}
