package smartcard

import (
	"crypto/x509"
	"errors"
	"fmt"
)

// Holder is who the card says it belongs to, read from the subject of its PIV
// Authentication certificate, as on NHS smartcards.
type Holder struct {
	Name string // the subject's CN: the display name
	UUID string // the subject's serialNumber: the 12-digit NHS user ID
}

// ErrNoHolder: the certificate's subject does not name an NHS smartcard holder.
var ErrNoHolder = errors.New("smartcard: certificate does not name a holder")

// HolderOf reads the holder from cert's subject.
func HolderOf(cert *x509.Certificate) (Holder, error) {
	h := Holder{Name: cert.Subject.CommonName, UUID: cert.Subject.SerialNumber}
	if h.Name == "" {
		return h, fmt.Errorf("%w: no CN", ErrNoHolder)
	}
	if !isUUID(h.UUID) {
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
