package smartcard_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// closeCounter is a closer that counts its calls.
type closeCounter int

func (n *closeCounter) close() error { *n++; return nil }

func TestOpen(t *testing.T) {
	ec, _ := identities(t)
	var closed closeCounter
	card, err := smartcard.Open("Reader 01", newCard(t, ec, virtual.Options{}), closed.close)
	if err != nil {
		t.Fatal(err)
	}
	if card.Reader() != "Reader 01" || !card.Certificate().Equal(ec.Cert) || card.Usable() != nil {
		t.Fatalf("opened %q, certificate read %t, usable %v", card.Reader(), card.Certificate().Equal(ec.Cert), card.Usable())
	}
	if h := card.Holder(); h.Name != testHolder.Name || h.UUID != testHolder.UUID {
		t.Fatalf("holder %+v, want %+v", h, testHolder)
	}
	if n := card.APDUs(); n != 2 {
		t.Errorf("opening sent %d APDUs, want 2: SELECT and GET DATA", n)
	}

	var wrong *smartcard.WrongPINError
	given := pin("000000")
	if err := card.VerifyPIN(given); !errors.As(err, &wrong) || wrong.TriesLeft != 2 {
		t.Fatalf("wrong PIN: %v", err)
	}
	if string(given) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("VerifyPIN left the PIN")
	}
	if st, err := card.PINStatus(); err != nil || st.TriesLeft != 2 {
		t.Fatalf("PINStatus() = %+v, %v", st, err)
	}
	given = pin(testPIN)
	signer := card.Signer(given)
	digest := sha256.Sum256([]byte("challenge"))
	sig, err := signer.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, signer.Public(), crypto.SHA256, digest[:], sig)
	if string(given) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("the signer left the PIN")
	}
	if _, err := signer.Sign(nil, digest[:], crypto.SHA256); !errors.Is(err, smartcard.ErrPINRequired) {
		t.Errorf("a second signature: %v, want ErrPINRequired", err)
	}

	for range 2 {
		if err := card.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if closed != 1 {
		t.Errorf("closer called %d times by two Close", closed)
	}
}

// Open says which step failed, with the card's own error, and closes.
func TestOpenFails(t *testing.T) {
	ec, _ := identities(t)
	removed := newCard(t, ec, virtual.Options{})
	removed.Remove()
	for _, tt := range []struct {
		name string
		conn smartcard.Conn
		step smartcard.OpenStep
		is   error
	}{
		{"no PIV application", answering{sel: []byte{0x6A, 0x82}}, smartcard.StepSelect, smartcard.ErrNotPIV},
		{"no transaction", answering{beginErr: smartcard.ErrCardRemoved}, smartcard.StepSelect, smartcard.ErrCardRemoved},
		{"card removed", removed, smartcard.StepSelect, smartcard.ErrCardRemoved},
		{"no certificate", answering{sel: []byte{0x90, 0x00}, getData: []byte{0x6A, 0x82}}, smartcard.StepCertificate, smartcard.ErrNoCertificate},
		{"card removed while reading", newCard(t, ec, virtual.Options{RemoveAfter: 2}), smartcard.StepCertificate, smartcard.ErrCardRemoved},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var closed closeCounter
			card, err := smartcard.Open("R", tt.conn, closed.close)
			var oe *smartcard.OpenError
			if card != nil || !errors.As(err, &oe) || oe.Step != tt.step || !errors.Is(err, tt.is) {
				t.Fatalf("Open = %v, %#v; want an OpenError at step %d, %v", card, err, tt.step, tt.is)
			}
			if err.Error() != oe.Err.Error() {
				t.Errorf("message %q, not the step's own %q", err, oe.Err)
			}
			if closed != 1 {
				t.Errorf("closer called %d times", closed)
			}
		})
	}
}

// A certificate that names no holder, or certifies a key that cannot sign
// here, opens: the card is not Usable, and says why.
func TestOpenNotUsable(t *testing.T) {
	card, err := smartcard.Open("R", noHolderCard(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := card.Usable(); !errors.Is(err, smartcard.ErrNoHolder) || card.Holder().Name != "Test USER" {
		t.Errorf("no holder: usable %v, holder %+v", err, card.Holder())
	}
	if st, err := card.PINStatus(); err != nil || st.TriesLeft != 3 {
		t.Errorf("PINStatus() = %+v, %v", st, err)
	}

	p521 := selfSigned(t, elliptic.P521())
	card, err = smartcard.Open("R", answering{sel: []byte{0x90, 0x00}, getData: certObject(p521.Raw)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := card.Usable(); !errors.Is(err, smartcard.ErrUnsupportedKey) || card.Holder().UUID != testHolder.UUID {
		t.Errorf("P-521: usable %v, holder %+v", err, card.Holder())
	}
	given := pin(testPIN)
	if _, err := card.Signer(given).Sign(nil, make([]byte, 32), crypto.SHA256); !errors.Is(err, smartcard.ErrUnsupportedKey) {
		t.Errorf("P-521 signer: %v, want ErrUnsupportedKey", err)
	}
	if string(given) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("an unusable signer left the PIN")
	}
}

// answering is a card that answers SELECT and GET DATA as scripted.
type answering struct {
	sel, getData []byte
	beginErr     error
}

func (a answering) Transmit(cmd []byte) ([]byte, error) {
	switch cmd[1] {
	case 0xA4:
		return a.sel, nil
	case 0xCB:
		return a.getData, nil
	}
	return []byte{0x6D, 0x00}, nil
}
func (a answering) BeginTransaction() error { return a.beginErr }
func (a answering) EndTransaction() error   { return nil }

// certObject is GET DATA's answer holding der: 53 { 70 der, 71 00 }, 9000.
func certObject(der []byte) []byte {
	inner := smartcard.AppendTLV(nil, 0x70, der)
	inner = smartcard.AppendTLV(inner, 0x71, []byte{0})
	return append(smartcard.AppendTLV(nil, 0x53, inner), 0x90, 0x00)
}

func selfSigned(t *testing.T, curve elliptic.Curve) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: testHolder.Name, SerialNumber: testHolder.UUID},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
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

// noHolderCard is a card whose certificate, issued as a real one is, names
// "Test USER" with a user ID that is not 12 digits: no holder.
func noHolderCard(t *testing.T) *virtual.Card {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA("test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: "Test USER", UUID: "5550"}, key.Public(), now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return newCard(t, virtual.Identity{Key: key, Cert: cert, PIN: pin(testPIN)}, virtual.Options{})
}
