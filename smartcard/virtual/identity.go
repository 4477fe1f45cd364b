package virtual

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
)

// Identity is what a card holds: its slot 9A key, certificate and PIN.
type Identity struct {
	Key  crypto.Signer     // *ecdsa.PrivateKey (P-256 or P-384) or *rsa.PrivateKey (2048)
	Cert *x509.Certificate // PIV Authentication certificate, matches Key
	PIN  []byte            // 6-8 ASCII digits
}

// Files of an identity directory.
const (
	keyFile  = "key.pem"
	certFile = "cert.pem"
	pinFile  = "pin"
)

// LoadIdentity reads an identity from dir: key.pem (PKCS#8 "PRIVATE KEY", or
// "EC PRIVATE KEY" / "RSA PRIVATE KEY"), cert.pem and pin (6 to 8 digits;
// surrounding white space is ignored).
func LoadIdentity(dir string) (Identity, error) {
	return loadIdentity(os.DirFS(dir), dir)
}

// LoadIdentityFS is LoadIdentity reading the same three files from the root of
// fsys, e.g. an embed.FS.
func LoadIdentityFS(fsys fs.FS) (Identity, error) {
	return loadIdentity(fsys, "")
}

// DemoIdentity returns the sandbox demo identity built into the program (PIN
// 123456). It is public test material: it must never stand for a real person.
func DemoIdentity() (Identity, error) {
	return loadIdentity(assets.DemoCard, "demo card")
}

// loadIdentity reads the identity files from fsys; dir only names them in errors.
func loadIdentity(fsys fs.FS, dir string) (Identity, error) {
	name := func(file string) string {
		if dir == "" {
			return file
		}
		return path.Join(dir, file)
	}
	read := func(file string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, file)
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err // the path inside fsys says less than name(file)
		}
		if err != nil {
			return nil, fmt.Errorf("virtual: reading %s: %w", name(file), err)
		}
		return b, nil
	}

	var id Identity
	keyPEM, err := read(keyFile)
	if err != nil {
		return Identity{}, err
	}
	id.Key, err = pki.ParseKey(keyPEM)
	clear(keyPEM)
	if err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(keyFile), err)
	}
	certPEM, err := read(certFile)
	if err != nil {
		return Identity{}, err
	}
	if id.Cert, err = pki.ParseCert(certPEM); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(certFile), err)
	}
	pin, err := read(pinFile)
	if err != nil {
		return Identity{}, err
	}
	id.PIN = bytes.Clone(bytes.TrimSpace(pin))
	clear(pin)
	if err := smartcard.CheckPIN(id.PIN); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(pinFile), err)
	}
	if _, err := id.algorithm(); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s, %s: %w", name(keyFile), name(certFile), err)
	}
	return id, nil
}

// algorithm checks that the identity is one the card can hold and returns the
// PIV algorithm identifier of its key.
func (id Identity) algorithm() (byte, error) {
	if id.Key == nil || id.Cert == nil {
		return 0, errors.New("identity needs a key and a certificate")
	}
	var alg byte
	switch k := id.Key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = smartcard.AlgECCP256
		case elliptic.P384():
			alg = smartcard.AlgECCP384
		default:
			return 0, fmt.Errorf("unsupported curve %s (want P-256 or P-384)", k.Curve.Params().Name)
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() != 2048 {
			return 0, fmt.Errorf("unsupported RSA key size %d (want 2048)", k.N.BitLen())
		}
		alg = smartcard.AlgRSA2048
	default:
		return 0, fmt.Errorf("unsupported key type %T (want ECDSA P-256/P-384 or RSA-2048)", id.Key)
	}
	pub, ok := id.Cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(id.Key.Public()) {
		return 0, errors.New("the key does not match the certificate's public key")
	}
	return alg, nil
}
