package smartcard

import (
	"crypto"
	"io"
	"sync"
)

// PINSigner is the card's key as a crypto.Signer that signs once with the
// passcode it was given: the card verifies the passcode and signs in one
// transaction (Key.SignWithPIN), and the passcode is wiped by that
// signature, or by Forget if none was made. A program never keeps a
// passcode this way, even when the signing happens deep inside another
// library (a JWT signer, a TLS handshake).
type PINSigner struct {
	mu  sync.Mutex
	key *Key
	pin []byte
}

// WithPIN returns a signer for one signature with pin. It takes pin over:
// the caller must not use it afterwards.
func (k *Key) WithPIN(pin []byte) *PINSigner { return &PINSigner{key: k, pin: pin} }

// Public is the key's public half, from the certificate.
func (s *PINSigner) Public() crypto.PublicKey { return s.key.Public() }

// Sign verifies the passcode and signs, once; a second call gets
// ErrPINRequired.
func (s *PINSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pin == nil {
		return nil, ErrPINRequired
	}
	pin := s.pin
	s.pin = nil
	return s.key.SignWithPIN(pin, digest, opts) // wipes pin
}

// Forget wipes a passcode that was never used.
func (s *PINSigner) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.pin)
	s.pin = nil
}
