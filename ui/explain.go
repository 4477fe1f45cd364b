package ui

import (
	"errors"
	"fmt"

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
	return "The card could not be used: " + err.Error()
}
