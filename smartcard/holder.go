package smartcard

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/scrterm/scr/internal/safetext"
)

// Holder is who the card says it belongs to, read from the subject of its PIV
// Authentication certificate, as on NHS smartcards. Both are text from
// outside the program, through the gate (safetext.Line) already: whoever
// shows them ("Card of …", the lock screen, scr card, scr doctor) shows
// them as they are.
type Holder struct {
	Name string // the subject's CN: the display name
	UUID string // the subject's serialNumber: the 12-digit NHS user ID
}

// ErrNoHolder: the certificate's subject does not name an NHS smartcard holder.
var ErrNoHolder = errors.New("smartcard: certificate does not name a holder")

// HolderOf reads the holder from cert's subject, through the gate. The
// holder it returns with an error is as much as could be read, gated too.
func HolderOf(cert *x509.Certificate) (Holder, error) {
	h := Holder{Name: safetext.Line(cert.Subject.CommonName), UUID: safetext.Line(cert.Subject.SerialNumber)}
	if h.Name == "" {
		return h, fmt.Errorf("%w: no CN", ErrNoHolder)
	}
	// The ID as the certificate has it, not as the gate left it: one with
	// anything but 12 digits in it names no one.
	switch {
	case isUUID(cert.Subject.SerialNumber):
	case h.UUID != cert.Subject.SerialNumber:
		return h, fmt.Errorf("%w: serialNumber %q, with control or invisible characters in it, is not a 12-digit user ID", ErrNoHolder, h.UUID)
	default:
		return h, fmt.Errorf("%w: serialNumber %q is not a 12-digit user ID", ErrNoHolder, h.UUID)
	}
	return h, nil
}

func isUUID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
