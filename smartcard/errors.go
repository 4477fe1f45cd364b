package smartcard

import (
	"errors"
	"fmt"
)

// Conditions a user can act on. Errors from this package wrap one of them, so the
// user interface can pick its sentence with errors.Is.
var (
	// ErrNoService: the PC/SC service (pcscd, or Windows' Smart Card service) is not
	// running or cannot be reached.
	ErrNoService = errors.New("smartcard: the smart card service is not running")
	// ErrNoReaders: the service runs but no card reader is attached.
	ErrNoReaders = errors.New("smartcard: no card reader is connected")
	// ErrNoCard: the reader is empty.
	ErrNoCard = errors.New("smartcard: no card in the reader")
	// ErrCardRemoved: the card was taken out, before or during an operation.
	ErrCardRemoved = errors.New("smartcard: the card was removed")
	// ErrCardReset: another program reset the card; the connection was re-established
	// but the card's state (selected application, verified PIN) is gone.
	ErrCardReset = errors.New("smartcard: the card was reset by another program")
	// ErrCardUnreadable: the card does not answer as a working card should (mute,
	// unpowered, or speaking nonsense).
	ErrCardUnreadable = errors.New("smartcard: the card cannot be read")
)

// PCSCError is a PC/SC call that failed. It keeps the call, the reader and the
// service's own code, and unwraps to one of the conditions above when it matches one.
type PCSCError struct {
	Op     string // the PC/SC call, e.g. "SCardTransmit"
	Reader string // empty for calls not tied to a reader
	Code   uint32 // the SCARD_E_* / SCARD_W_* value
	Text   string // the service's text for Code
	Kind   error  // one of the Err* conditions, or nil
}

func (e *PCSCError) Error() string {
	where := ""
	if e.Reader != "" {
		where = fmt.Sprintf(" on %q", e.Reader)
	}
	return fmt.Sprintf("smartcard: %s%s: %s (0x%08X)", e.Op, where, e.Text, e.Code)
}

func (e *PCSCError) Unwrap() error { return e.Kind }
