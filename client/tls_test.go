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
	"testing"
	"time"
)

// TestTLSFailuresFromRealHandshakes serves certificates that are wrong in one
// way each, signed by a CA the client trusts, and checks the reason the user
// is given comes from a real handshake, not a constructed error.
func TestTLSFailuresFromRealHandshakes(t *testing.T) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "scr test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}

	serve := func(t *testing.T, dnsName string, ip net.IP, notBefore, notAfter time.Time) string {
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
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			t.Error("a request got past a refused handshake")
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refusals are expected
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}

	for _, tc := range []struct {
		name     string
		dnsName  string
		ip       net.IP
		from, to time.Time
		want     string
	}{
		{"wrong name", "scr.example.org", nil, now.Add(-time.Hour), now.Add(time.Hour), TLSWrongName},
		{"expired", "", net.IPv4(127, 0, 0, 1), now.Add(-48 * time.Hour), now.Add(-24 * time.Hour), TLSExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serve(t, tc.dnsName, tc.ip, tc.from, tc.to)
			c, err := New(Config{Server: url, CAFile: caFile})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.send(context.Background(), apiRequest{method: http.MethodPost, path: oauth2Challenge})
			var te *TLSError
			if !errors.As(err, &te) || te.Reason != tc.want {
				t.Fatalf("%v, want *TLSError %q", err, tc.want)
			}
		})
	}
	if te := tlsFailureOf(io.EOF); te != nil {
		t.Errorf("io.EOF is a TLS failure: %v", te)
	}
}
