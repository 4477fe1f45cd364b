package client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // the hash of ES256 and RS256
	_ "crypto/sha512" // RS512's
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AssertionLifetime is how long a sign-in assertion is valid: API.md allows at
// most 60 s between iat and exp.
const AssertionLifetime = 60 * time.Second

// Assertion is the RFC 7523 client assertion the card signs at sign-in.
type Assertion struct {
	Cert     *x509.Certificate // the card's PIV Authentication certificate, sent in x5c
	UserUUID string            // iss and sub: the 12-digit NHS user ID
	Audience string            // the token endpoint URL
	JTI      string            // the server's challenge
	Now      time.Time
}

// Sign builds the JWT and has signer sign it: ES256 for a P-256 key, RS256 for
// RSA. signer is typically the card's key (smartcard.Key), so the private key
// never leaves the card.
func (a Assertion) Sign(signer crypto.Signer) (string, error) {
	method, err := methodFor(signer.Public())
	if err != nil {
		return "", err
	}
	claims := jwt.RegisteredClaims{
		Issuer:    a.UserUUID,
		Subject:   a.UserUUID,
		Audience:  jwt.ClaimStrings{a.Audience},
		ID:        a.JTI,
		IssuedAt:  jwt.NewNumericDate(a.Now),
		ExpiresAt: jwt.NewNumericDate(a.Now.Add(AssertionLifetime)),
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["x5c"] = []string{base64.StdEncoding.EncodeToString(a.Cert.Raw)}
	return tok.SignedString(signer)
}

// signerMethod is a jwt.SigningMethod that signs with any crypto.Signer: the
// library's own ES256/RS256 methods need the private key in memory.
type signerMethod struct {
	alg  string
	size int         // ES256: bytes of r and of s in the JOSE signature
	hash crypto.Hash // 0 means SHA-256
}

var (
	es256 = &signerMethod{alg: "ES256", size: 32}
	rs256 = &signerMethod{alg: "RS256"}
	rs512 = &signerMethod{alg: "RS512", hash: crypto.SHA512} // the application's client assertions (auth = "cis2")
)

// ErrUnsupportedKey: the card's key is neither P-256 nor RSA.
var ErrUnsupportedKey = errors.New("client: the card's key is neither ECDSA P-256 nor RSA")

func methodFor(pub crypto.PublicKey) (*signerMethod, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve.Params().Name == "P-256" {
			return es256, nil
		}
	case *rsa.PublicKey:
		return rs256, nil
	}
	return nil, ErrUnsupportedKey
}

func (m *signerMethod) Alg() string { return m.alg }

// Verify is not needed by a client: the server verifies.
func (m *signerMethod) Verify(string, []byte, any) error {
	return errors.New("client: signerMethod cannot verify")
}

// Sign hashes the signing input with the method's hash (SHA-256 but for
// RS512) and has the key sign it. ECDSA signatures come back as ASN.1 DER and
// become JOSE's fixed-size r‖s (RFC 7518 section 3.4).
func (m *signerMethod) Sign(signingString string, key any) ([]byte, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("client: %T is not a crypto.Signer", key)
	}
	h := m.hash
	if h == 0 {
		h = crypto.SHA256
	}
	hw := h.New()
	hw.Write([]byte(signingString))
	sig, err := signer.Sign(rand.Reader, hw.Sum(nil), h)
	if err != nil {
		return nil, err
	}
	if m.size == 0 {
		return sig, nil
	}
	return derToJOSE(sig, m.size)
}

func derToJOSE(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) > 0 || rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return nil, errors.New("client: the card returned a malformed ECDSA signature")
	}
	if rs.R.BitLen() > size*8 || rs.S.BitLen() > size*8 {
		return nil, errors.New("client: the card's ECDSA signature is too long for P-256")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
