package smartcard_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

const testPIN = "123456"

var testHolder = pki.Holder{Name: "Test USER", UUID: "555000000001"}

// newIdentity issues a card identity under a throwaway CA.
func newIdentity(t testing.TB, kt pki.KeyType) virtual.Identity {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA("test CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(kt)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(testHolder, key.Public(), now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return virtual.Identity{Key: key, Cert: cert, PIN: []byte(testPIN)}
}

var (
	identityOnce sync.Once
	ecIdentity   virtual.Identity
	rsaIdentity  virtual.Identity
)

// identities are made once: RSA key generation is slow under -race.
func identities(t testing.TB) (ec, rsa virtual.Identity) {
	identityOnce.Do(func() {
		ecIdentity = newIdentity(t, pki.ECDSAP256)
		rsaIdentity = newIdentity(t, pki.RSA2048)
	})
	return ecIdentity, rsaIdentity
}

func newCard(t testing.TB, id virtual.Identity, opts virtual.Options) *virtual.Card {
	t.Helper()
	card, err := virtual.New(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	return card
}

func pin(s string) []byte { return []byte(s) }

func TestCertificateAndHolder(t *testing.T) {
	ec, _ := identities(t)
	for _, tt := range []struct {
		name string
		opts virtual.Options
		piv  []smartcard.PIVOption
	}{
		{"plain", virtual.Options{}, nil},
		{"gzip-compressed", virtual.Options{CompressCert: true}, nil},
		{"extended length", virtual.Options{}, []smartcard.PIVOption{smartcard.WithExtendedLength()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := smartcard.NewPIV(newCard(t, ec, tt.opts), tt.piv...)
			cert, err := p.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			if !cert.Equal(ec.Cert) {
				t.Fatal("certificate read differs from the card's")
			}
			h, err := smartcard.HolderOf(cert)
			if err != nil {
				t.Fatal(err)
			}
			if h.Name != testHolder.Name || h.UUID != testHolder.UUID {
				t.Fatalf("holder = %+v, want %+v", h, testHolder)
			}
		})
	}
}

func TestPINLifecycle(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))

	status := func(want smartcard.PINStatus) {
		t.Helper()
		got, err := p.PINStatus()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("PINStatus() = %+v, want %+v", got, want)
		}
	}
	status(smartcard.PINStatus{TriesLeft: 3})
	status(smartcard.PINStatus{TriesLeft: 3}) // asking spends nothing

	for _, bad := range []string{"12345", "123456789", "12345a", ""} {
		if err := p.VerifyPIN(pin(bad)); !errors.Is(err, smartcard.ErrPINFormat) {
			t.Fatalf("VerifyPIN(%q) = %v, want ErrPINFormat", bad, err)
		}
	}
	status(smartcard.PINStatus{TriesLeft: 3}) // malformed PINs never reach the card

	var wrong *smartcard.WrongPINError
	if err := p.VerifyPIN(pin("000000")); !errors.As(err, &wrong) || wrong.TriesLeft != 2 {
		t.Fatalf("wrong PIN: err = %v, want WrongPINError{2}", err)
	}
	status(smartcard.PINStatus{TriesLeft: 2})

	given := pin(testPIN)
	if err := p.VerifyPIN(given); err != nil {
		t.Fatal(err)
	}
	for _, b := range given {
		if b != 0 {
			t.Fatalf("VerifyPIN left the PIN in the caller's buffer: %q", given)
		}
	}
	status(smartcard.PINStatus{Verified: true})
}

func TestPINBlocks(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))
	var wrong *smartcard.WrongPINError
	for want := 2; want >= 1; want-- {
		if err := p.VerifyPIN(pin("999999")); !errors.As(err, &wrong) || wrong.TriesLeft != want {
			t.Fatalf("wrong PIN: err = %v, want %d tries left", err, want)
		}
	}
	if err := p.VerifyPIN(pin("999999")); !errors.Is(err, smartcard.ErrPINBlocked) {
		t.Fatalf("third wrong PIN: err = %v, want ErrPINBlocked", err)
	}
	if err := p.VerifyPIN(pin(testPIN)); !errors.Is(err, smartcard.ErrPINBlocked) {
		t.Fatalf("right PIN on a blocked card: err = %v, want ErrPINBlocked", err)
	}
	st, err := p.PINStatus()
	if err != nil || !st.Blocked() {
		t.Fatalf("PINStatus() = %+v, %v; want blocked", st, err)
	}
}

func TestSign(t *testing.T) {
	ec, rs := identities(t)
	digest := sha256.Sum256([]byte("challenge"))
	tests := []struct {
		name      string
		id        virtual.Identity
		piv       []smartcard.PIVOption
		wantAPDUs int
	}{
		// SELECT, VERIFY, GENERAL AUTHENTICATE.
		{"ECC P-256", ec, nil, 3},
		// GENERAL AUTHENTICATE's 263 bytes go in two chained APDUs, and its
		// 264-byte answer needs one GET RESPONSE.
		{"RSA-2048 short APDUs", rs, nil, 5},
		{"RSA-2048 extended length", rs, []smartcard.PIVOption{smartcard.WithExtendedLength()}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := smartcard.NewPIV(newCard(t, tt.id, virtual.Options{}), tt.piv...)
			cert, err := p.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			key, err := p.AuthKey(cert)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := key.Sign(nil, digest[:], crypto.SHA256); !errors.Is(err, smartcard.ErrPINRequired) {
				t.Fatalf("Sign before the PIN: err = %v, want ErrPINRequired", err)
			}
			before := p.APDUs()
			sig, err := key.SignWithPIN(pin(testPIN), digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if n := p.APDUs() - before; n != tt.wantAPDUs {
				t.Errorf("SignWithPIN sent %d APDUs, want %d", n, tt.wantAPDUs)
			}
			verify(t, cert.PublicKey, crypto.SHA256, digest[:], sig)

			// The PIN stays verified for the session: a plain Sign works now.
			sig, err = key.Sign(nil, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, cert.PublicKey, crypto.SHA256, digest[:], sig)
		})
	}
}

func TestSignOtherDigests(t *testing.T) {
	ec, rs := identities(t)
	d384 := sha512.Sum384([]byte("x"))
	d512 := sha512.Sum512([]byte("x"))
	for _, tt := range []struct {
		name   string
		id     virtual.Identity
		hash   crypto.Hash
		digest []byte
	}{
		{"ECDSA truncates SHA-512", ec, crypto.SHA512, d512[:]},
		{"RSA SHA-384", rs, crypto.SHA384, d384[:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := smartcard.NewPIV(newCard(t, tt.id, virtual.Options{}))
			key, err := p.AuthKey(tt.id.Cert)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := key.SignWithPIN(pin(testPIN), tt.digest, tt.hash)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, key.Public(), tt.hash, tt.digest, sig)
		})
	}
	p := smartcard.NewPIV(newCard(t, rs, virtual.Options{}))
	key, _ := p.AuthKey(rs.Cert)
	if _, err := key.SignWithPIN(pin(testPIN), d384[:], &rsa.PSSOptions{Hash: crypto.SHA384}); !errors.Is(err, smartcard.ErrUnsupportedKey) {
		t.Fatalf("RSA-PSS: err = %v, want ErrUnsupportedKey", err)
	}
	if _, err := key.SignWithPIN(pin(testPIN), d384[:10], crypto.SHA384); err == nil {
		t.Fatal("a digest of the wrong length was signed")
	}
}

func verify(t *testing.T, pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) {
	t.Helper()
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	default:
		t.Fatalf("unexpected key %T", pub)
	}
}

func TestWrongPINWhileSigning(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))
	key, err := p.AuthKey(ec.Cert)
	if err != nil {
		t.Fatal(err)
	}
	given := pin("654321")
	var wrong *smartcard.WrongPINError
	if _, err := key.SignWithPIN(given, make([]byte, 32), crypto.SHA256); !errors.As(err, &wrong) || wrong.TriesLeft != 2 {
		t.Fatalf("SignWithPIN with a wrong PIN: err = %v", err)
	}
	if string(given) != "\x00\x00\x00\x00\x00\x00" {
		t.Fatal("SignWithPIN left the PIN in the caller's buffer")
	}
}

func TestCardRemoved(t *testing.T) {
	ec, _ := identities(t)
	card := newCard(t, ec, virtual.Options{})
	p := smartcard.NewPIV(card)
	if err := p.VerifyPIN(pin(testPIN)); err != nil {
		t.Fatal(err)
	}
	card.Remove()
	if _, err := p.Certificate(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("Certificate() after removal: err = %v, want ErrCardRemoved", err)
	}
	card.Insert()
	st, err := p.PINStatus()
	if err != nil || st.Verified {
		t.Fatalf("after reinsertion PINStatus() = %+v, %v; want unverified", st, err)
	}
}

func TestConcurrentSigning(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))
	key, err := p.AuthKey(ec.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyPIN(pin(testPIN)); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("many"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			sig, err := key.Sign(nil, digest[:], crypto.SHA256)
			if err != nil {
				t.Error(err)
				return
			}
			if !ecdsa.VerifyASN1(ec.Cert.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
				t.Error("signature does not verify")
			}
		})
	}
	wg.Wait()
}

func TestAuthKeyRejectsUnsupportedKeys(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))
	cert := *ec.Cert
	cert.PublicKey = "not a key"
	if _, err := p.AuthKey(&cert); !errors.Is(err, smartcard.ErrUnsupportedKey) {
		t.Fatalf("AuthKey: err = %v, want ErrUnsupportedKey", err)
	}
}

// A PINSigner signs once, then refuses; Forget wipes a passcode never used.
func TestPINSignerOnce(t *testing.T) {
	ec, _ := identities(t)
	p := smartcard.NewPIV(newCard(t, ec, virtual.Options{}))
	key, err := p.AuthKey(ec.Cert)
	if err != nil {
		t.Fatal(err)
	}
	given := pin(testPIN)
	s := key.WithPIN(given)
	if _, err := s.Sign(nil, make([]byte, 32), crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if string(given) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("the passcode is still in the caller's buffer after signing")
	}
	if _, err := s.Sign(nil, make([]byte, 32), crypto.SHA256); !errors.Is(err, smartcard.ErrPINRequired) {
		t.Errorf("a second signature: %v, want ErrPINRequired", err)
	}
	unused := pin(testPIN)
	key.WithPIN(unused).Forget()
	if string(unused) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("Forget left the passcode")
	}
}
