package pki

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIssueCardChainsAndRoundTrips(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		kt   KeyType
	}{{"P-256", ECDSAP256}, {"RSA-2048", RSA2048}} {
		t.Run(tt.name, func(t *testing.T) {
			key, err := NewKey(tt.kt)
			if err != nil {
				t.Fatal(err)
			}
			h := Holder{Name: "Zoë Ó SÚILLEABHÁIN", UUID: "555000000042"}
			cert, err := ca.IssueCard(h, key.Public(), now.Add(-time.Minute), now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if cert.Subject.CommonName != h.Name || cert.Subject.SerialNumber != h.UUID {
				t.Fatalf("subject = %v", cert.Subject)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Fatalf("card certificate does not chain to its CA: %v", err)
			}

			dir := filepath.Join(t.TempDir(), "card")
			if err := WriteCard(dir, key, cert, "123456"); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"key.pem", "cert.pem", "pin"} {
				fi, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
				}
			}
			keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
			back, err := ParseKey(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			switch k := back.(type) {
			case *ecdsa.PrivateKey:
				if !k.Equal(key) {
					t.Fatal("key changed on the way through PEM")
				}
			case *rsa.PrivateKey:
				if !k.Equal(key) {
					t.Fatal("key changed on the way through PEM")
				}
			}
			certPEM, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
			if c, err := ParseCert(certPEM); err != nil || !c.Equal(cert) {
				t.Fatalf("certificate changed on the way through PEM: %v", err)
			}
		})
	}
}

func TestParseRejectsOtherPEM(t *testing.T) {
	if _, err := ParseCert([]byte("not PEM")); err == nil {
		t.Error("ParseCert accepted garbage")
	}
	if _, err := ParseKey(EncodeCert(&x509.Certificate{Raw: []byte{1}})); err == nil {
		t.Error("ParseKey accepted a certificate")
	}
}
