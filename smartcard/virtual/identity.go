package virtual

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/scrterm/scr/assets"
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
	id.Key, err = parseKey(keyPEM)
	clear(keyPEM)
	if err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(keyFile), err)
	}
	certPEM, err := read(certFile)
	if err != nil {
		return Identity{}, err
	}
	if id.Cert, err = parseCert(certPEM); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(certFile), err)
	}
	pin, err := read(pinFile)
	if err != nil {
		return Identity{}, err
	}
	id.PIN = bytes.Clone(bytes.TrimSpace(pin))
	clear(pin)
	if err := checkPIN(id.PIN); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s: %w", name(pinFile), err)
	}
	if _, err := id.algorithm(); err != nil {
		return Identity{}, fmt.Errorf("virtual: %s, %s: %w", name(keyFile), name(certFile), err)
	}
	return id, nil
}

// parseKey decodes the first private key block of a PEM file. OpenSSL's
// "EC PARAMETERS" block, which `openssl ecparam -genkey` writes before the key,
// is skipped.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key PEM block")
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("the private key is encrypted; store it unencrypted")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "EC PARAMETERS":
			continue
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
		}
		clear(block.Bytes)
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", key)
		}
		return signer, nil
	}
}

// parseCert decodes the first certificate of a PEM file.
func parseCert(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no CERTIFICATE PEM block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// checkPIN enforces the PIV PIN format: 6 to 8 ASCII digits (SP 800-73-4 Part 2
// 2.4.3). The error never quotes the PIN.
func checkPIN(pin []byte) error {
	if len(pin) < 6 || len(pin) > 8 {
		return errors.New("the PIN must be 6 to 8 digits")
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return errors.New("the PIN must be 6 to 8 digits")
		}
	}
	return nil
}

// PIV algorithm identifiers (SP 800-78-4 Table 6-2, used in SP 800-73-4 Part 2).
const (
	algRSA2048 = 0x07
	algECCP256 = 0x11
	algECCP384 = 0x14
)

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
			alg = algECCP256
		case elliptic.P384():
			alg = algECCP384
		default:
			return 0, fmt.Errorf("unsupported curve %s (want P-256 or P-384)", k.Curve.Params().Name)
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() != 2048 {
			return 0, fmt.Errorf("unsupported RSA key size %d (want 2048)", k.N.BitLen())
		}
		alg = algRSA2048
	default:
		return 0, fmt.Errorf("unsupported key type %T (want ECDSA P-256/P-384 or RSA-2048)", id.Key)
	}
	pub, ok := id.Cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(id.Key.Public()) {
		return 0, errors.New("the key does not match the certificate's public key")
	}
	return alg, nil
}
