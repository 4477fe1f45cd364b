package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

func TestExplain(t *testing.T) {
	pcscErr := func(kind error) error {
		return fmt.Errorf("reading the card: %w", &smartcard.PCSCError{Op: "SCardTransmit", Code: 0x80100069, Text: "x", Kind: kind})
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"two tries", &smartcard.WrongPINError{TriesLeft: 2}, "Wrong passcode. 2 tries left before the card is locked."},
		{"one try", fmt.Errorf("sign in: %w", &smartcard.WrongPINError{TriesLeft: 1}), "Wrong passcode. 1 try left before the card is locked."},
		{"blocked", smartcard.ErrPINBlocked, "This card is locked after too many wrong passcodes. Contact your Registration Authority to unlock it."},
		{"no pcscd", pcscErr(smartcard.ErrNoService), "The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT."},
		{"no reader", smartcard.ErrNoReaders, "No card reader is connected. Plug in a reader, or check its cable."},
		{"removed", pcscErr(smartcard.ErrCardRemoved), "The card was removed."},
		{"unreadable", pcscErr(smartcard.ErrCardUnreadable), "The card cannot be read. Take it out, check it is the right way up, and insert it again."},
		{"signed out", &client.SignedOutError{}, "Your session has ended. Enter your passcode to sign in again."},
		{"role", fmt.Errorf("lookup: %w", &client.ForbiddenError{}), "Your role does not allow this. Switch to a role that does (ctrl+r), or ask your Registration Authority."},
		{"clock", &client.SignInError{ServerReply: client.ServerReply{Status: 400, Code: "invalid_grant", Text: "the assertion's iat is in the future"}}, "This computer's clock is wrong, so the sign-in was refused. Correct the date and time (or ask IT), then try again."},
		{"certificate", &client.SignInError{ServerReply: client.ServerReply{Status: 400, Code: "invalid_grant", Text: "the card certificate expired on 2026-06-01T00:00:00Z"}}, "The sign-in service refused your card: its certificate may have expired or been revoked. Contact your Registration Authority."},
		{"opted out", &client.OptedOutError{}, "This patient has opted out of the Summary Care Record. Nothing can be shown."},
		{"no SCR", client.ErrNoSCR, "This patient has no Summary Care Record."},
		{"not found", &client.NotFoundError{}, "No patient has that NHS number. Check the number with the patient."},
		{"rate limited", &client.RateLimitedError{RetryAfter: 1500 * time.Millisecond}, "The service is busy. Try again in 2 seconds."},
		{"unavailable", &client.UnavailableError{}, "The Summary Care Record service is unavailable. Try again in a minute; if it persists, tell IT."},
		{"timeout", &client.TimeoutError{}, "The service took too long to answer. Check the network and try again."},
		{"tls name", &client.TLSError{Reason: client.TLSWrongName}, "The server's certificate is for another name, so nothing was sent. Check --server, or tell IT."},
		{"invalid", &client.InvalidResponseError{Problem: "x"}, "The service sent a record that cannot be read safely, so nothing is shown. Try again; if it happens again, tell IT."},
		{"too many", client.ErrTooManyMatches, "Too many patients match. Add the date of birth, gender or postcode."},
		{"nhs number", &client.InvalidNHSNumberError{Reason: client.NHSNumberCheckDigit}, "That is not a valid NHS number: the check digit does not match: a digit is probably mistyped."},
		{"not PIV", smartcard.ErrNotPIV, "This card is not an NHS smartcard, or it holds no sign-in certificate. Check you inserted the right card, or contact your Registration Authority."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.err); got != tt.want {
				t.Errorf("Explain() = %q, want %q", got, tt.want)
			}
		})
	}
	// An error nobody named is not repeated: it may hold a record's text.
	if got := Explain(fmt.Errorf("SMITH 9000000009")); strings.Contains(got, "SMITH") || strings.Contains(got, "9000000009") || got == "" {
		t.Errorf("unknown error explained as %q", got)
	}
}
