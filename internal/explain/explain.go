// Package explain holds the sentences users read when something goes wrong:
// each error from the card, the client or the server becomes one sentence
// that says what happened and what to do, never guessing one cause where
// there are several, and never repeating a server's or a record's words
// unless they are a code worth quoting. The viewer, scr doctor and scr card
// all say the same thing this way; none of them needs the viewer to do it.
package explain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

// Error turns an error from the card, the client or the server into one
// sentence that says what happened and what to do. Lower layers keep the raw
// facts; the words live here.
func Error(err error) string {
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
	if msg, ok := explainCIS2(err); ok {
		return msg
	}
	if msg, ok := explainServer(err); ok {
		return msg
	}
	var card *smartcard.PCSCError
	if errors.As(err, &card) {
		return "The card could not be used: " + safetext.Line(err.Error())
	}
	// Anything else may carry the server's words or a record's: say what
	// to do without repeating it.
	return "Something went wrong. Try again; if it happens again, note the time and tell IT."
}

// explainServer says the client's typed errors in words. Each sentence says
// what the service said and what the user can do, names the service that
// failed, and never picks one cause where the service's code covers several;
// none repeats a token, a record's text or a full NHS number.
func explainServer(err error) (string, bool) {
	var (
		signedOut *client.SignedOutError
		forbidden *client.ForbiddenError
		optedOut  *client.OptedOutError
		acf       *client.AccessControlError
		denied    *client.AccessDeniedError
		notFound  *client.NotFoundError
		badReq    *client.BadRequestError
		fault     *client.RequestFaultError
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
		return OptedOut("This patient"), true
	case errors.As(err, &acf):
		return "Spine's access control refused this: the patient may have withdrawn consent, or your role may not allow it.", true
	case errors.As(err, &denied):
		return capital(serviceName(denied.Service)) + " refused access and did not say why. Tell IT" + quoting(denied.RequestID) + ".", true
	case errors.As(err, &notFound) && notFound.SpineCode == "INVALIDATED_RESOURCE":
		return "The patient demographics service (PDS) says the record for that NHS number was invalidated, with no number replacing it. Check the number with the patient.", true
	case errors.As(err, &notFound):
		return "No patient has that NHS number. Check the number with the patient.", true
	case errors.Is(err, client.ErrTooManyMatches):
		return "Too many patients match. Add the date of birth, gender or postcode.", true
	case errors.Is(err, client.ErrNoSCR):
		return "This patient has no Summary Care Record.", true
	case errors.Is(err, client.ErrRecordChanged):
		return "The Summary Care Record changed while it was being read, so nothing is shown. Look the patient up again.", true
	case errors.As(err, &badReq):
		return badRequestSentence(badReq), true
	case errors.As(err, &fault):
		what := ""
		if c := cmp.Or(fault.SpineCode, fault.Code); isCodeWord(c) {
			what = " (" + c + ")" // a code support can look up, never free text
		}
		return capital(serviceName(fault.Service)) + " refused a request this viewer made" + what +
			". That is a fault in scr or its set-up, not in anything you typed: tell IT" + quoting(fault.RequestID) + ".", true
	case errors.As(err, &limited):
		if limited.RetryAfter > 0 {
			return fmt.Sprintf("%s is busy. Try again in %d seconds.", capital(serviceName(limited.Service)), int(math.Ceil(limited.RetryAfter.Seconds()))), true
		}
		return capital(serviceName(limited.Service)) + " is busy. Try again in a few seconds.", true
	case errors.As(err, &down) && (down.Status == http.StatusRequestTimeout || down.Status == http.StatusGatewayTimeout):
		// The service's own timeout (PDS's 408: a service behind it did not
		// answer in time), not the network's.
		return capital(serviceName(down.Service)) + " timed out before it could answer. Try again in a minute; if it persists, tell IT.", true
	case errors.As(err, &down):
		return capital(serviceName(down.Service)) + " is unavailable. Try again in a minute; if it persists, tell IT.", true
	case errors.As(err, &timeout):
		return capital(serviceName(timeout.Service)) + " took too long to answer. Check the network and try again.", true
	case errors.Is(err, context.DeadlineExceeded):
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

// OptedOut says that who ("This patient", or the patient and the NHS number
// looked up, so that a mistyped number can be noticed) has opted out of the
// Summary Care Record. The error does not carry the number: the screen that
// looked it up names it.
func OptedOut(who string) string {
	return who + " has opted out of the Summary Care Record. Nothing can be shown."
}

// badRequestSentence says what the service refused of what the user typed.
func badRequestSentence(e *client.BadRequestError) string {
	if e.Service == client.ServiceSCR {
		if e.SpineCode == "TOO_MANY_MATCHES" {
			return "The Summary Care Record service found too many accesses for one report. Narrow the date range and try again."
		}
		return "The Summary Care Record service refused the details typed. Check what you typed and try again."
	}
	const pds = "The patient demographics service (PDS) "
	switch e.SpineCode {
	case "INVALID_RESOURCE_ID":
		return pds + "says that is not a valid NHS number. Check what you typed against the patient's details."
	case "INVALID_SEARCH_DATA":
		return pds + "cannot search on that combination of details. Check what you typed and try again."
	case "TOO_FEW_VALUES_SUBMITTED":
		return pds + "says too few values were given for the search. Check what you typed and try again."
	case "TOO_MANY_VALUES_SUBMITTED":
		return pds + "says too many values were given for the search. Check what you typed and try again."
	case "INVALID_VALUE", "MISSING_VALUE":
		// "Invalid header or query parameter": most likely a detail typed,
		// but it may be the viewer's, so both are said.
		word := "a value in the search is not valid"
		if e.SpineCode == "MISSING_VALUE" {
			word = "a value the search needs is missing"
		}
		return pds + "says " + word + ". Check what you typed; if it is right, tell IT" + quoting(e.RequestID) + "."
	}
	return pds + "refused the details typed. Check what you typed and try again."
}

// isCodeWord reports whether s looks like an error code (INVALID_VALUE,
// invalid, PSIS-30418): short, letters, digits, '_' and '-' only. Anything
// else a server sends is not repeated on screen.
func isCodeWord(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// serviceName is the service a request went to, as the user knows it.
func serviceName(s client.Service) string {
	switch s {
	case client.ServicePDS:
		return "the patient demographics service (PDS)"
	case client.ServiceSCR:
		return "the Summary Care Record service"
	case client.ServiceSignIn:
		return "the sign-in service"
	case client.ServiceCIS2:
		return cis2Name
	}
	return "the service"
}

// quoting is ", quoting request ID …" for support, or nothing without an ID.
func quoting(requestID string) string {
	if requestID == "" {
		return ""
	}
	return ", quoting request ID " + requestID
}

// capital is s with its first letter upper case, to start a sentence.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Unusable says why a search result cannot be chosen.
func Unusable(r client.UnusableReason) string {
	switch r {
	case client.UnusableNotPatient:
		return "cannot be used: it is not a patient record"
	case client.UnusableNoNumber:
		return "cannot be used: PDS sent it without an NHS number"
	case client.UnusableBadNumber:
		return "cannot be used: PDS sent it with a malformed NHS number"
	case client.UnusableCheckDigit:
		return "cannot be used: its NHS number fails the check digit"
	case client.UnusableNoName:
		return "cannot be used: PDS sent it without a name"
	}
	return "cannot be used"
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
