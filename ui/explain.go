package ui

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

// Explain turns an error from the card layer into one sentence that says what
// happened and what to do. Lower layers keep the raw facts; the words live here.
func Explain(err error) string {
	var wrongPIN *smartcard.WrongPINError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &wrongPIN):
		if wrongPIN.TriesLeft == 1 {
			return "Wrong passcode. 1 try left before the card is locked."
		}
		return fmt.Sprintf("Wrong passcode. %d tries left before the card is locked.", wrongPIN.TriesLeft)
	case errors.Is(err, smartcard.ErrPINBlocked):
		return "This card is locked after too many wrong passcodes. Contact your Registration Authority to unlock it."
	case errors.Is(err, smartcard.ErrPINFormat):
		return "A passcode is 6 to 8 digits."
	case errors.Is(err, smartcard.ErrPINRequired):
		return "The card needs your passcode again."
	case errors.Is(err, smartcard.ErrNoService):
		return "The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT."
	case errors.Is(err, smartcard.ErrNoReaders):
		return "No card reader is connected. Plug in a reader, or check its cable."
	case errors.Is(err, smartcard.ErrNoCard):
		return "Insert your smartcard."
	case errors.Is(err, smartcard.ErrCardRemoved):
		return "The card was removed."
	case errors.Is(err, smartcard.ErrCardReset):
		return "Another program reset the card. Try again."
	case errors.Is(err, smartcard.ErrNotPIV), errors.Is(err, smartcard.ErrNoCertificate), errors.Is(err, smartcard.ErrNoHolder):
		return "This card is not an NHS smartcard, or it holds no sign-in certificate. Check you inserted the right card, or contact your Registration Authority."
	case errors.Is(err, smartcard.ErrUnsupportedKey):
		return "This card's key type is not supported. Contact your Registration Authority."
	case errors.Is(err, smartcard.ErrCardUnreadable):
		return "The card cannot be read. Take it out, check it is the right way up, and insert it again."
	}
	if msg, ok := explainServer(err); ok {
		return msg
	}
	var card *smartcard.PCSCError
	if errors.As(err, &card) {
		return "The card could not be used: " + err.Error()
	}
	// Anything else may carry the server's words or a record's: say what
	// to do without repeating it.
	return "Something went wrong. Try again; if it happens again, note the time and tell IT."
}

// explainServer says the client's typed errors in words. Each sentence names
// what happened and what the user can do; none repeats a token, a record's
// text or a full NHS number.
func explainServer(err error) (string, bool) {
	var (
		signedOut *client.SignedOutError
		forbidden *client.ForbiddenError
		optedOut  *client.OptedOutError
		notFound  *client.NotFoundError
		badReq    *client.BadRequestError
		limited   *client.RateLimitedError
		down      *client.UnavailableError
		timeout   *client.TimeoutError
		tlsErr    *client.TLSError
		invalid   *client.InvalidResponseError
		signIn    *client.SignInError
		nhs       *client.InvalidNHSNumberError
	)
	switch {
	case errors.As(err, &nhs):
		return "That is not a valid NHS number: " + nhs.Reason.String() + ".", true
	case errors.As(err, &signedOut):
		return "Your session has ended. Enter your passcode to sign in again.", true
	case errors.As(err, &signIn) && signIn.ClockRefused():
		return "This computer's clock is wrong, so the sign-in was refused. Correct the date and time (or ask IT), then try again.", true
	case errors.As(err, &signIn):
		return "The sign-in service refused your card: its certificate may have expired or been revoked. Contact your Registration Authority.", true
	case errors.As(err, &forbidden):
		return "Your role does not allow this. Switch to a role that does (ctrl+r), or ask your Registration Authority.", true
	case errors.As(err, &optedOut):
		return "This patient has opted out of the Summary Care Record. Nothing can be shown.", true
	case errors.As(err, &notFound):
		return "No patient has that NHS number. Check the number with the patient.", true
	case errors.Is(err, client.ErrTooManyMatches):
		return "Too many patients match. Add the date of birth, gender or postcode.", true
	case errors.Is(err, client.ErrNoSCR):
		return "This patient has no Summary Care Record.", true
	case errors.As(err, &badReq):
		return "The service could not read the request. Check what you typed and try again.", true
	case errors.As(err, &limited):
		if limited.RetryAfter > 0 {
			return fmt.Sprintf("The service is busy. Try again in %d seconds.", int(math.Ceil(limited.RetryAfter.Seconds()))), true
		}
		return "The service is busy. Try again in a few seconds.", true
	case errors.As(err, &down):
		return "The Summary Care Record service is unavailable. Try again in a minute; if it persists, tell IT.", true
	case errors.As(err, &timeout), errors.Is(err, context.DeadlineExceeded):
		return "The service took too long to answer. Check the network and try again.", true
	case errors.As(err, &tlsErr):
		return tlsSentence(tlsErr.Reason), true
	case errors.As(err, &invalid), errors.Is(err, client.ErrResponseTooLarge):
		return "The service sent a record that cannot be read safely, so nothing is shown. Try again; if it happens again, tell IT.", true
	case errors.Is(err, client.ErrUnsupportedKey):
		return "This card's key type is not supported. Contact your Registration Authority.", true
	}
	return "", false
}

func tlsSentence(reason string) string {
	switch reason {
	case client.TLSUnknownAuthority:
		return "The server's identity could not be verified (unknown certificate authority), so nothing was sent. Check --ca, or tell IT."
	case client.TLSWrongName:
		return "The server's certificate is for another name, so nothing was sent. Check --server, or tell IT."
	case client.TLSExpired:
		return "The server's certificate has expired or is not yet valid, so nothing was sent. Check this computer's clock, or tell IT."
	case client.TLSNotTLS:
		return "The server did not answer securely, so nothing was sent. Check --server."
	}
	return "A secure connection to the server could not be made, so nothing was sent. Tell IT."
}
