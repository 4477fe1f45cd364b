package explain

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
)

func pdsReply(status int, requestID, spine string) client.ServerReply {
	return client.ServerReply{Service: client.ServicePDS, Status: status, RequestID: requestID, SpineCode: spine}
}

func scrReply(status int, requestID, spine string) client.ServerReply {
	return client.ServerReply{Service: client.ServiceSCR, Status: status, RequestID: requestID, SpineCode: spine}
}

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
		{"PDS rate limited", &client.RateLimitedError{ServerReply: pdsReply(429, "", "")}, "The patient demographics service (PDS) is busy. Try again in a few seconds."},
		{"unavailable", &client.UnavailableError{}, "The service is unavailable. Try again in a minute; if it persists, tell IT."},
		{"SCR unavailable", &client.UnavailableError{ServerReply: scrReply(503, "", "")}, "The Summary Care Record service is unavailable. Try again in a minute; if it persists, tell IT."},
		// A PDS 5xx names PDS, not the SCR.
		{"PDS unavailable", &client.UnavailableError{ServerReply: pdsReply(500, "", "")}, "The patient demographics service (PDS) is unavailable. Try again in a minute; if it persists, tell IT."},
		{"sign-in unavailable", &client.UnavailableError{ServerReply: client.ServerReply{Service: client.ServiceSignIn, Status: 502}}, "The sign-in service is unavailable. Try again in a minute; if it persists, tell IT."},
		// PDS's 408 UNABLE_TO_CALL_SERVICE: PDS timed out, nothing was mistyped.
		{"PDS 408", &client.UnavailableError{ServerReply: pdsReply(408, "", "")}, "The patient demographics service (PDS) timed out before it could answer. Try again in a minute; if it persists, tell IT."},
		{"SCR 504", &client.UnavailableError{ServerReply: scrReply(504, "", "")}, "The Summary Care Record service timed out before it could answer. Try again in a minute; if it persists, tell IT."},
		{"timeout", &client.TimeoutError{}, "The service took too long to answer. Check the network and try again."},
		{"SCR timeout", &client.TimeoutError{Service: client.ServiceSCR}, "The Summary Care Record service took too long to answer. Check the network and try again."},
		{"ACF", &client.AccessControlError{ServerReply: scrReply(420, "", "PSIS-30418")}, "Spine's access control refused this: the patient may have withdrawn consent, or your role may not allow it."},
		{"PDS denied", &client.AccessDeniedError{ServerReply: pdsReply(403, "r-1", "ACCESS_DENIED")}, "The patient demographics service (PDS) refused access and did not say why. Tell IT, quoting request ID r-1."},
		{"invalidated", &client.NotFoundError{ServerReply: pdsReply(404, "", "INVALIDATED_RESOURCE")}, "The patient demographics service (PDS) says the record for that NHS number was invalidated, with no number replacing it. Check the number with the patient."},
		{"bad NHS number", &client.BadRequestError{ServerReply: pdsReply(400, "", "INVALID_RESOURCE_ID")}, "The patient demographics service (PDS) says that is not a valid NHS number. Check what you typed against the patient's details."},
		{"bad search", &client.BadRequestError{ServerReply: pdsReply(400, "", "INVALID_SEARCH_DATA")}, "The patient demographics service (PDS) cannot search on that combination of details. Check what you typed and try again."},
		{"our fault", &client.RequestFaultError{ServerReply: scrReply(400, "r-2", "")}, "The Summary Care Record service refused a request this viewer made. That is a fault in scr or its set-up, not in anything you typed: tell IT, quoting request ID r-2."},
		{"our fault, PDS", &client.RequestFaultError{ServerReply: pdsReply(400, "r-3", "ADDITIONAL_PROPERTIES")}, "The patient demographics service (PDS) refused a request this viewer made (ADDITIONAL_PROPERTIES). That is a fault in scr or its set-up, not in anything you typed: tell IT, quoting request ID r-3."},
		{"audit report too long", &client.BadRequestError{ServerReply: scrReply(400, "", "TOO_MANY_MATCHES")}, "The Summary Care Record service found too many accesses for one report. Narrow the date range and try again."},
		{"record changed", fmt.Errorf("summary: %w", client.ErrRecordChanged), "The Summary Care Record changed while it was being read, so nothing is shown. Look the patient up again."},
		{"tls name", &client.TLSError{Reason: client.TLSWrongName}, "The server's certificate is for another name, so nothing was sent. Check --server, or tell IT."},
		{"invalid", &client.InvalidResponseError{Problem: "x"}, "The service sent a record that cannot be read safely, so nothing is shown. Try again; if it happens again, tell IT."},
		{"too many", client.ErrTooManyMatches, "Too many patients match. Add the date of birth, gender or postcode."},
		{"nhs number", &client.InvalidNHSNumberError{Reason: client.NHSNumberCheckDigit}, "That is not a valid NHS number: the check digit does not match: a digit is probably mistyped."},
		{"not PIV", smartcard.ErrNotPIV, "This card is not an NHS smartcard, or it holds no sign-in certificate. Check you inserted the right card, or contact your Registration Authority."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Error(tt.err); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	// An error nobody named is not repeated: it may hold a record's text.
	if got := Error(fmt.Errorf("SMITH 9000000009")); strings.Contains(got, "SMITH") || strings.Contains(got, "9000000009") || got == "" {
		t.Errorf("unknown error explained as %q", got)
	}
}

// TestExplainNoWrongCause: no sentence for a refusal whose cause Spine does not
// name picks one, and only what the user typed is blamed on them.
func TestExplainNoWrongCause(t *testing.T) {
	acf := Error(&client.AccessControlError{ServerReply: scrReply(403, "", "PSIS-30418")})
	if !strings.Contains(acf, "consent") || !strings.Contains(acf, "role") || !strings.Contains(acf, "may") {
		t.Errorf("an ACF refusal names one cause: %q", acf)
	}
	for _, err := range []error{
		&client.RequestFaultError{ServerReply: scrReply(400, "id", "")},
		&client.RequestFaultError{ServerReply: pdsReply(400, "id", "MISSING_VALUE")},
		&client.AccessDeniedError{ServerReply: pdsReply(403, "id", "ACCESS_DENIED")},
		&client.UnavailableError{ServerReply: pdsReply(408, "id", "")},
	} {
		if got := Error(err); strings.Contains(got, "what you typed") && !strings.Contains(got, "not in anything you typed") {
			t.Errorf("%T %+v blames the user: %q", err, err, got)
		}
	}
}

// TestExplainOptedOut: the sentence names whom the screen names (the
// error carries no number), and Error's is the same sentence.
func TestExplainOptedOut(t *testing.T) {
	for who, want := range map[string]string{
		"NHS No. 900 000 0041":                        "NHS No. 900 000 0041 has opted out of the Summary Care Record. Nothing can be shown.",
		"OKAFOR, Grace Adaeze (NHS No. 900 000 0041)": "OKAFOR, Grace Adaeze (NHS No. 900 000 0041) has opted out of the Summary Care Record. Nothing can be shown.",
	} {
		if got := OptedOut(who); got != want {
			t.Errorf("OptedOut(%q) = %q; want %q", who, got, want)
		}
	}
	if got, want := Error(&client.OptedOutError{}), OptedOut("This patient"); got != want {
		t.Errorf("Error = %q; want %q", got, want)
	}
}

func TestExplainUnusable(t *testing.T) {
	seen := map[string]bool{}
	for r := client.UnusableNotPatient; r <= client.UnusableNoName; r++ {
		s := Unusable(r)
		if !strings.HasPrefix(s, "cannot be used: ") || seen[s] {
			t.Errorf("%v: %q", r, s)
		}
		seen[s] = true
	}
}

// TestExplainFaultRepeatsOnlyACode: the code of a refused request is named
// for support only when it looks like one; any other text the server sent
// is not repeated on screen.
func TestExplainFaultRepeatsOnlyACode(t *testing.T) {
	for code, want := range map[string]bool{
		"INVALID_VALUE": true, "PSIS-30418": true, "invalid": true,
		"\x1b]8;;http://x\x07click\x1b]8;;\x07": false, "see http://example.com": false, "": false,
	} {
		got := Error(&client.RequestFaultError{ServerReply: client.ServerReply{Service: client.ServiceSCR, Code: code, Status: 400}})
		if strings.Contains(got, "("+code+")") != want || strings.ContainsAny(got, "\x1b\x07") {
			t.Errorf("code %q: %q", code, got)
		}
	}
}
