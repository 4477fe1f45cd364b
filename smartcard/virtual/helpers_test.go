package virtual

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/smartcard"
)

// Key kinds of test identities.
const (
	p256    = "P-256"
	p384    = "P-384"
	rsa2048 = "RSA-2048"
)

const testPIN = "123456"

var (
	keysMu sync.Mutex
	keys   = map[string]crypto.Signer{}
)

// testKey returns a key of the given kind, generated once per test binary.
func testKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if k, ok := keys[kind]; ok {
		return k
	}
	var (
		k   crypto.Signer
		err error
	)
	switch kind {
	case p256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case p384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case rsa2048:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	keys[kind] = k
	return k
}

// testCert issues a self-signed certificate for key, as a card issuer would for
// the PIV Authentication key. extra adds extensions, e.g. to make it large.
func testCert(t testing.TB, key crypto.Signer, extra ...pkix.Extension) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		Subject:         pkix.Name{CommonName: "Test User", SerialNumber: "555000000001"},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		ExtraExtensions: extra,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// testIdentity is an identity with a key of the given kind and PIN 123456.
func testIdentity(t testing.TB, kind string) Identity {
	t.Helper()
	key := testKey(t, kind)
	return Identity{Key: key, Cert: testCert(t, key), PIN: []byte(testPIN)}
}

func newTestCard(t testing.TB, kind string, opts Options) *Card {
	t.Helper()
	c, err := New(testIdentity(t, kind), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// b decodes hex with optional spaces: b("00 A4 04 00").
func b(s string) []byte {
	out, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return out
}

// APDUs used throughout the tests.
var (
	selectPIV       = b("00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00 00")
	verifyStatus    = b("00 20 00 80")
	verifyRight     = b("00 20 00 80 08 31 32 33 34 35 36 FF FF")
	verifyWrong     = b("00 20 00 80 08 39 39 39 39 39 39 FF FF")
	getCert         = b("00 CB 3F FF 05 5C 03 5F C1 05 00")
	getCHUID        = b("00 CB 3F FF 05 5C 03 5F C1 02 00")
	getDiscovery    = b("00 CB 3F FF 03 5C 01 7E 00")
	getCertExtended = b("00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00")
)

// send transmits one APDU and splits the response.
func send(t testing.TB, c *Card, apdu []byte) ([]byte, smartcard.StatusWord) {
	t.Helper()
	resp, err := c.Transmit(apdu)
	if err != nil {
		t.Fatalf("Transmit(% X): %v", apdu, err)
	}
	data, sw, err := smartcard.ParseResponse(resp)
	if err != nil {
		t.Fatalf("Transmit(% X): %v", apdu, err)
	}
	return data, sw
}

// mustSW transmits apdu and fails unless the card answers want.
func mustSW(t testing.TB, c *Card, apdu []byte, want smartcard.StatusWord) []byte {
	t.Helper()
	data, sw := send(t, c, apdu)
	if sw != want {
		t.Fatalf("% X: SW %s, want %s", apdu, sw, want)
	}
	return data
}

// command encodes a command APDU, extended if it must be.
func command(t testing.TB, cmd smartcard.Command) []byte {
	t.Helper()
	ext := len(cmd.Data) > smartcard.MaxShortData || cmd.Ne > smartcard.MaxShortLe
	raw, err := cmd.Encode(ext)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// readAll sends apdu and follows 61xx with GET RESPONSE, as a host does.
func readAll(t testing.TB, c *Card, apdu []byte) ([]byte, smartcard.StatusWord) {
	t.Helper()
	data, sw := send(t, c, apdu)
	out := append([]byte(nil), data...)
	for sw.SW1() == 0x61 {
		le := int(sw.SW2())
		if le == 0 {
			le = 256
		}
		data, sw = send(t, c, command(t, smartcard.Command{INS: insGetResponse, Ne: le}))
		out = append(out, data...)
	}
	return out, sw
}
