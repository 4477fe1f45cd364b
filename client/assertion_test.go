package client

import (
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// TestAssertionSignedByCard signs with the virtual card through the smartcard
// package, exactly as sign-in does, and verifies with the library's own methods.
func TestAssertionSignedByCard(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		kt   pki.KeyType
		alg  string
	}{{"P-256", pki.ECDSAP256, "ES256"}, {"RSA-2048", pki.RSA2048, "RS256"}} {
		t.Run(tt.name, func(t *testing.T) {
			key, err := pki.NewKey(tt.kt)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := ca.IssueCard(pki.Holder{Name: "Test USER", UUID: "555000000001"}, key.Public(), now.Add(-time.Hour), now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			card, err := virtual.New(virtual.Identity{Key: key, Cert: cert, PIN: []byte("123456")}, virtual.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := smartcard.NewPIV(card)
			if err := p.VerifyPIN([]byte("123456")); err != nil {
				t.Fatal(err)
			}
			cardKey, err := p.AuthKey(cert)
			if err != nil {
				t.Fatal(err)
			}
			a := Assertion{Cert: cert, UserUUID: "555000000001", Audience: "https://sandbox/oauth2/token", JTI: "challenge-1", Now: now}
			signed, err := a.Sign(cardKey)
			if err != nil {
				t.Fatal(err)
			}
			var claims jwt.RegisteredClaims
			tok, err := jwt.ParseWithClaims(signed, &claims, func(tok *jwt.Token) (any, error) {
				x5c := tok.Header["x5c"].([]any)
				der, _ := base64.StdEncoding.DecodeString(x5c[0].(string))
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, err
				}
				return c.PublicKey, nil
			}, jwt.WithValidMethods([]string{tt.alg}), jwt.WithAudience("https://sandbox/oauth2/token"), jwt.WithTimeFunc(func() time.Time { return now }))
			if err != nil || !tok.Valid {
				t.Fatalf("assertion does not verify: %v", err)
			}
			if claims.Subject != "555000000001" || claims.Issuer != "555000000001" || claims.ID != "challenge-1" ||
				claims.ExpiresAt.Sub(claims.IssuedAt.Time) != AssertionLifetime {
				t.Fatalf("claims = %+v", claims)
			}
		})
	}
}

func TestDERToJOSERejectsGarbage(t *testing.T) {
	if _, err := derToJOSE([]byte{0x30, 0x00}, 32); err == nil {
		t.Error("empty SEQUENCE accepted")
	}
	if _, err := derToJOSE([]byte("not DER"), 32); err == nil {
		t.Error("garbage accepted")
	}
}
