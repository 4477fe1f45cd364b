package virtual

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/scrterm/scr/smartcard"
)

func pemBlock(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

// identityFiles returns the files of an identity directory for id.
func identityFiles(t *testing.T, id Identity, keyPEM []byte) map[string][]byte {
	t.Helper()
	if keyPEM == nil {
		der, err := x509.MarshalPKCS8PrivateKey(id.Key)
		if err != nil {
			t.Fatal(err)
		}
		keyPEM = pemBlock("PRIVATE KEY", der, nil)
	}
	return map[string][]byte{
		keyFile:  keyPEM,
		certFile: pemBlock("CERTIFICATE", id.Cert.Raw, nil),
		pinFile:  append([]byte(nil), id.PIN...),
	}
}

func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if data == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadIdentity(t *testing.T) {
	ec := testIdentity(t, p256)
	ecDER, err := x509.MarshalECPrivateKey(ec.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	rsaID := testIdentity(t, rsa2048)
	p384ID := testIdentity(t, p384)

	tests := []struct {
		name   string
		id     Identity
		key    []byte // key.pem; nil for PKCS#8
		pin    string // pin file; empty for the identity's PIN
		wantID bool
	}{
		{name: "PKCS#8 P-256", id: ec, wantID: true},
		{name: "PKCS#8 P-384", id: p384ID, wantID: true},
		{name: "PKCS#8 RSA", id: rsaID, wantID: true},
		{name: "SEC 1 EC key", id: ec, key: pemBlock("EC PRIVATE KEY", ecDER, nil), wantID: true},
		{name: "SEC 1 after EC PARAMETERS (openssl ecparam -genkey)", id: ec,
			key: append(pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}, nil), pemBlock("EC PRIVATE KEY", ecDER, nil)...), wantID: true},
		{name: "PKCS#1 RSA key", id: rsaID, key: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaID.Key.(*rsa.PrivateKey)), nil), wantID: true},
		{name: "PIN with a newline and spaces", id: ec, pin: " 123456\r\n", wantID: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := identityFiles(t, tt.id, tt.key)
			if tt.pin != "" {
				files[pinFile] = []byte(tt.pin)
			}
			got, err := LoadIdentity(writeFiles(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if string(got.PIN) != testPIN || !got.Cert.Equal(tt.id.Cert) {
				t.Errorf("loaded PIN of %d bytes and certificate %v", len(got.PIN), got.Cert.Subject)
			}
			if _, err := New(got, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadIdentityErrors(t *testing.T) {
	ec := testIdentity(t, p256)
	other := testIdentity(t, p384)
	ecDER, err := x509.MarshalECPrivateKey(ec.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(files map[string][]byte)
		want   string // in the error
	}{
		{"no key file", func(f map[string][]byte) { f[keyFile] = nil }, keyFile},
		{"no certificate file", func(f map[string][]byte) { f[certFile] = nil }, certFile},
		{"no PIN file", func(f map[string][]byte) { f[pinFile] = nil }, pinFile},
		{"key not PEM", func(f map[string][]byte) { f[keyFile] = []byte("not a key") }, keyFile},
		{"key is a certificate", func(f map[string][]byte) { f[keyFile] = f[certFile] }, keyFile},
		{"encrypted key", func(f map[string][]byte) {
			f[keyFile] = pemBlock("EC PRIVATE KEY", ecDER, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"})
		}, "encrypted"},
		{"PKCS#8 encrypted key", func(f map[string][]byte) { f[keyFile] = pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}, nil) }, "encrypted"},
		{"corrupt key", func(f map[string][]byte) { f[keyFile] = pemBlock("PRIVATE KEY", []byte{0x30, 0x00}, nil) }, keyFile},
		{"certificate not PEM", func(f map[string][]byte) { f[certFile] = []byte("junk") }, certFile},
		{"corrupt certificate", func(f map[string][]byte) { f[certFile] = pemBlock("CERTIFICATE", []byte{0x30, 0x00}, nil) }, certFile},
		{"key of another certificate", func(f map[string][]byte) { f[certFile] = pemBlock("CERTIFICATE", other.Cert.Raw, nil) }, "does not match"},
		{"PIN too short", func(f map[string][]byte) { f[pinFile] = []byte("12345") }, pinFile},
		{"PIN too long", func(f map[string][]byte) { f[pinFile] = []byte("123456789") }, pinFile},
		{"PIN not digits", func(f map[string][]byte) { f[pinFile] = []byte("12345x") }, pinFile},
		{"PIN empty", func(f map[string][]byte) { f[pinFile] = []byte("\n") }, pinFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := identityFiles(t, ec, nil)
			tt.change(files)
			dir := writeFiles(t, files)
			_, err := LoadIdentity(dir)
			if err == nil {
				t.Fatal("LoadIdentity succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
			if !strings.Contains(msg, dir) {
				t.Errorf("error %q does not name the directory", msg)
			}
			for _, pin := range []string{"12345", "123456789", "12345x"} {
				if strings.Contains(msg, pin) {
					t.Errorf("error %q quotes the PIN", msg)
				}
			}
		})
	}
}

func TestLoadIdentityFS(t *testing.T) {
	id := testIdentity(t, p256)
	fsys := fstest.MapFS{}
	for name, data := range identityFiles(t, id, nil) {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	got, err := LoadIdentityFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cert.Equal(id.Cert) {
		t.Error("certificate differs")
	}
}

func TestDemoIdentity(t *testing.T) {
	id, err := DemoIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if string(id.PIN) != "123456" {
		t.Error("the demo PIN is not 123456")
	}
	c, err := New(id, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c, selectPIV, smartcard.SWSuccess)
	mustSW(t, c, verifyRight, smartcard.SWSuccess)
}
