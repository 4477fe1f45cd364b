package smartcard

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// PIV algorithm identifiers (SP 800-78-4 Table 6-2).
const (
	AlgRSA2048 = 0x07
	AlgECCP256 = 0x11
	AlgECCP384 = 0x14
)

// Key is the card's PIV Authentication key (slot 9A) as a crypto.Signer. The
// private key never leaves the card; Public comes from the certificate.
type Key struct {
	piv  *PIV
	pub  crypto.PublicKey
	alg  byte
	size int // bytes the card takes as input: the curve size, or the RSA modulus
}

// ErrUnsupportedKey: the certificate's key is not one PIV slot 9A can hold here.
var ErrUnsupportedKey = errors.New("smartcard: unsupported key type")

// AuthKey returns the slot 9A key whose certificate is cert (from Certificate).
func (p *PIV) AuthKey(cert *x509.Certificate) (*Key, error) {
	k := &Key{piv: p, pub: cert.PublicKey}
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			k.alg, k.size = AlgECCP256, 32
		case elliptic.P384():
			k.alg, k.size = AlgECCP384, 48
		default:
			return nil, fmt.Errorf("%w: curve %s", ErrUnsupportedKey, pub.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		if pub.Size() != 256 {
			return nil, fmt.Errorf("%w: RSA-%d", ErrUnsupportedKey, pub.N.BitLen())
		}
		k.alg, k.size = AlgRSA2048, 256
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, cert.PublicKey)
	}
	return k, nil
}

// Public returns the certificate's public key.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest with the card. The PIN must have been verified in this card
// session (VerifyPIN); otherwise it returns ErrPINRequired. ECDSA signatures are
// ASN.1 DER, as crypto/ecdsa's; RSA uses PKCS #1 v1.5, padded here on the host.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.sign(nil, digest, opts)
}

// SignWithPIN verifies pin and signs digest in one transaction: SELECT, VERIFY,
// GENERAL AUTHENTICATE, and no other program in between. It overwrites pin with
// zeros before it returns.
func (k *Key) SignWithPIN(pin, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	defer clear(pin)
	if err := CheckPIN(pin); err != nil {
		return nil, err
	}
	return k.sign(pin, digest, opts)
}

func (k *Key) sign(pin, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	input, err := k.signingInput(digest, opts)
	if err != nil {
		return nil, err
	}
	var sig []byte
	err = k.piv.transact(func() error {
		if pin != nil {
			if err := k.piv.verify(pin); err != nil {
				return err
			}
		}
		var gaErr error
		sig, gaErr = k.piv.generalAuthenticate(k.alg, input)
		return gaErr
	})
	if err != nil {
		return nil, err
	}
	return sig, nil
}

// signingInput is what the card's raw key operation takes: for ECDSA the digest
// fitted to the curve size (FIPS 186-4 6.4 uses its leftmost bits), for RSA the
// digest in a PKCS #1 v1.5 signature block (RFC 8017 9.2).
func (k *Key) signingInput(digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fmt.Errorf("%w: RSA-PSS is not supported", ErrUnsupportedKey)
	}
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("smartcard: digest of %d bytes for %v", len(digest), h)
	}
	if k.alg != AlgRSA2048 {
		in := make([]byte, k.size)
		if len(digest) >= k.size {
			copy(in, digest[:k.size])
		} else {
			copy(in[k.size-len(digest):], digest) // same integer, left-padded
		}
		return in, nil
	}
	prefix, ok := digestInfoPrefix[h]
	if !ok {
		return nil, fmt.Errorf("%w: PKCS #1 v1.5 with %v", ErrUnsupportedKey, h)
	}
	// EM = 00 01 FF..FF 00 DigestInfo, with at least 8 bytes of FF.
	tLen := len(prefix) + len(digest)
	if tLen+11 > k.size {
		return nil, fmt.Errorf("smartcard: digest too long for RSA-%d", k.size*8)
	}
	em := make([]byte, k.size)
	em[1] = 0x01
	for i := 2; i < k.size-tLen-1; i++ {
		em[i] = 0xFF
	}
	copy(em[k.size-tLen:], prefix)
	copy(em[k.size-len(digest):], digest)
	return em, nil
}

// digestInfoPrefix is the DER of DigestInfo up to the digest itself, per hash
// (RFC 8017 9.2 note 1). Hash 0 signs a raw digest with no prefix, as TLS 1.1 did.
var digestInfoPrefix = map[crypto.Hash][]byte{
	0:             {},
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}
