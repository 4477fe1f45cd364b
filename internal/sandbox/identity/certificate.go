package identity

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/pki"
)

// maxChain bounds the x5c header: the card certificate and perhaps an
// intermediate; anything longer is not a card.
const maxChain = 4

// x5cChain decodes a JWS x5c header (RFC 7515 section 4.1.6): an array of
// standard base64 (not base64url) DER certificates, the one holding the signing
// key first. The rest, if any, are offered as intermediates; only the smartcard
// CA is trusted as a root.
func x5cChain(header map[string]any) (*x509.Certificate, *x509.CertPool, error) {
	list, ok := header["x5c"].([]any)
	if !ok || len(list) == 0 {
		return nil, nil, invalidGrant("the x5c header must carry the card certificate (an array of base64 DER certificates)")
	}
	if len(list) > maxChain {
		return nil, nil, invalidGrant("the x5c header holds %d certificates; at most %d are accepted", len(list), maxChain)
	}
	var (
		leaf          *x509.Certificate
		intermediates = x509.NewCertPool()
	)
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, nil, invalidGrant("x5c[%d] is not a string", i)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, nil, invalidGrant("x5c[%d] is not standard base64 (RFC 7515 section 4.1.6): %v", i, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, invalidGrant("x5c[%d] is not an X.509 certificate: %v", i, err)
		}
		if i == 0 {
			leaf = cert
		} else {
			intermediates.AddCert(cert)
		}
	}
	return leaf, intermediates, nil
}

// fingerprint is the SHA-256 of a certificate's DER, in hex: what names a
// certificate the server does not trust, since its subject may be anything.
func fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// checkIssuer verifies that the sandbox smartcard CA issued cert: the chain's
// signatures, whatever the card's dates and key usage, which checkCard judges
// after. Until this passes, nothing the certificate says is believed: anyone
// can make a certificate naming any user, so a refusal is recorded against the
// certificate's fingerprint, not the user it names.
func (s *Service) checkIssuer(cert *x509.Certificate, intermediates *x509.CertPool, now time.Time) error {
	// Verify as at now, or the nearest moment inside the card's validity, so
	// that an expired card still counts as issued by the CA; checkCard
	// refuses it for its dates.
	at := now
	if at.Before(cert.NotBefore) {
		at = cert.NotBefore
	}
	if at.After(cert.NotAfter) {
		at = cert.NotAfter
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:         s.roots,
		Intermediates: intermediates,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return invalidGrant("the card certificate (SHA-256 %s) is not issued by the sandbox smartcard CA", fingerprint(cert))
	}
	return invalidGrant("the card certificate (SHA-256 %s) does not verify: %v", fingerprint(cert), err)
}

// holderOf reads who a card certificate names: the display name in CN and the
// 12-digit NHS user ID in the subject's serialNumber attribute, as pki.IssueCard
// writes them.
func holderOf(cert *x509.Certificate) (pki.Holder, error) {
	h := pki.Holder{Name: cert.Subject.CommonName, UUID: cert.Subject.SerialNumber}
	if !nhsID.MatchString(h.UUID) {
		return h, invalidGrant("the card certificate's subject serialNumber %q is not a 12-digit NHS user ID", h.UUID)
	}
	return h, nil
}

// checkCard verifies that cert is a card certificate the sandbox smartcard CA
// issued for client authentication, in date at now and not revoked.
func (s *Service) checkCard(cert *x509.Certificate, intermediates *x509.CertPool, now time.Time) error {
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:         s.roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	var (
		invalid   x509.CertificateInvalidError
		authority x509.UnknownAuthorityError
	)
	switch {
	case err == nil:
	case errors.As(err, &authority):
		return invalidGrant("the card certificate is not issued by the sandbox smartcard CA")
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		if now.Before(cert.NotBefore) {
			return invalidGrant("the card certificate is not valid before %s", cert.NotBefore.UTC().Format(time.RFC3339))
		}
		if now.After(cert.NotAfter) {
			return invalidGrant("the card certificate expired on %s", cert.NotAfter.UTC().Format(time.RFC3339))
		}
		return invalidGrant("the smartcard CA's certificate is not in date")
	case errors.As(err, &invalid) && invalid.Reason == x509.IncompatibleUsage:
		return invalidGrant("the card certificate is not for client authentication")
	default:
		return invalidGrant("the card certificate does not verify: %v", err)
	}
	// The PIV Authentication certificate's key signs (SP 800-73-4 Part 1, 3.2.1).
	if cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return invalidGrant("the card certificate's key is not for digital signatures")
	}
	if s.revoked[serialKey(cert.SerialNumber)] {
		return invalidGrant("the card certificate (serial %s) has been revoked", serialKey(cert.SerialNumber))
	}
	return nil
}

// verificationKey returns the certificate's public key if it fits alg: ES256
// is ECDSA over P-256 and RS256 is RSA PKCS #1 v1.5 (RFC 7518 section 3.1), and
// the PIV keys the cards hold are P-256 and RSA-2048.
func verificationKey(alg string, cert *x509.Certificate) (any, error) {
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if alg == algES256 && k.Curve == elliptic.P256() {
			return k, nil
		}
		return nil, invalidGrant("alg %s does not fit the card's ECDSA %s key: use ES256 with a P-256 key", alg, k.Curve.Params().Name)
	case *rsa.PublicKey:
		if alg == algRS256 && k.N.BitLen() >= 2048 {
			return k, nil
		}
		return nil, invalidGrant("alg %s does not fit the card's RSA-%d key: use RS256 with an RSA key of at least 2048 bits", alg, k.N.BitLen())
	}
	return nil, invalidGrant("the card certificate's %T key is neither P-256 nor RSA", cert.PublicKey)
}

// serialKey is the form Config.Revoked uses: lower-case hex, no leading zeros.
func serialKey(n *big.Int) string { return n.Text(16) }

// normaliseSerial turns a hex serial as people write it ("0A:1B", "0a1b") into
// serialKey's form.
func normaliseSerial(s string) (string, error) {
	n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimSpace(s), ":", ""), 16)
	if !ok || n.Sign() < 0 {
		return "", fmt.Errorf("identity: %q is not a hex certificate serial number", s)
	}
	return serialKey(n), nil
}

// ParseRevoked reads a revocation list as assets/sandbox/smartcard-ca/revoked.txt
// holds it: one hex serial number a line; '#' starts a comment. The result is
// what Config.Revoked wants.
func ParseRevoked(data []byte) (map[string]bool, error) {
	revoked := make(map[string]bool)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		serial, err := normaliseSerial(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		revoked[serial] = true
	}
	return revoked, sc.Err()
}
