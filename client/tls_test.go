package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestTLSFailuresFromRealHandshakes serves certificates that are wrong in one
// way each, signed by a CA the client trusts, and checks the reason the user
// is given comes from a real handshake, not a constructed error.
func TestTLSFailuresFromRealHandshakes(t *testing.T) {
	now := time.Now()
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key
	}
	caCert, caKey := newCA("scr test CA")
	otherCert, otherKey := newCA("scr test CA") // the same name, another key: not trusted
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	var reached atomic.Int32 // requests that got past a handshake
	serve := func(t *testing.T, signer *x509.Certificate, signerKey *ecdsa.PrivateKey, dnsName string, ip net.IP, notBefore, notAfter time.Time) string {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server"},
			NotBefore: notBefore, NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if dnsName != "" {
			tmpl.DNSNames = []string{dnsName}
		}
		if ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			reached.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refusals are expected
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}

	for _, tc := range []struct {
		name     string
		other    bool // signed by a CA the client does not trust
		dnsName  string
		ip       net.IP
		from, to time.Time
		want     string // "": accepted
	}{
		// The control: a certificate right in every way is accepted.
		{"right", false, "", net.IPv4(127, 0, 0, 1), now.Add(-time.Hour), now.Add(time.Hour), ""},
		{"wrong CA", true, "", net.IPv4(127, 0, 0, 1), now.Add(-time.Hour), now.Add(time.Hour), TLSUnknownAuthority},
		{"wrong name", false, "scr.example.org", nil, now.Add(-time.Hour), now.Add(time.Hour), TLSWrongName},
		// A server named by IP address is checked against its address too.
		{"wrong address", false, "", net.IPv4(127, 0, 0, 2), now.Add(-time.Hour), now.Add(time.Hour), TLSWrongName},
		{"expired", false, "", net.IPv4(127, 0, 0, 1), now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), TLSExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signer, signerKey := caCert, caKey
			if tc.other {
				signer, signerKey = otherCert, otherKey
			}
			url := serve(t, signer, signerKey, tc.dnsName, tc.ip, tc.from, tc.to)
			c, err := New(Config{Server: url, CAFile: caFile})
			if err != nil {
				t.Fatal(err)
			}
			before := reached.Load()
			_, err = c.send(context.Background(), apiRequest{method: http.MethodPost, path: oauth2Challenge})
			if tc.want == "" {
				if err != nil || reached.Load() != before+1 {
					t.Fatalf("%v, want the request answered", err)
				}
				return
			}
			var te *TLSError
			if !errors.As(err, &te) || te.Reason != tc.want {
				t.Fatalf("%v, want *TLSError %q", err, tc.want)
			}
			if reached.Load() != before {
				t.Fatal("a request got past a refused handshake")
			}
		})
	}
	if te := tlsFailureOf(io.EOF); te != nil {
		t.Errorf("io.EOF is a TLS failure: %v", te)
	}
}
