package main

// A peer check that no one here wrote: OpenSC's own PIV driver must read and use
// the card scr-vcard serves through pcscd, so our card is real PIV and our reading
// of the standard is not only our own.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard/virtual"
)

func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }

// opensc is OpenSC's PKCS #11 module, found by needOpenSC.
var opensc string

// needOpenSC finds OpenSC's tools, skipping (or, in CI, failing) when the opensc
// package is not installed.
func needOpenSC(t *testing.T) {
	t.Helper()
	pcsctest.Need(t)
	_, err1 := exec.LookPath("pkcs15-tool")
	_, err2 := exec.LookPath("pkcs11-tool")
	modules, _ := filepath.Glob("/usr/lib/*/opensc-pkcs11.so")
	if err1 == nil && err2 == nil && len(modules) > 0 {
		opensc = modules[0]
		return
	}
	msg := "OpenSC not installed: apt-get install opensc (make deps)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// tool runs an OpenSC command and returns its output; failures are the test's.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestOpenSCReadsAndSignsECC(t *testing.T) {
	needOpenSC(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot) // the built-in demo card
	demo, err := virtual.DemoIdentity()
	if err != nil {
		t.Fatal(err)
	}

	list := tool(t, "pkcs15-tool", "--reader", slot.Reader, "--list-certificates")
	if !strings.Contains(list, "Certificate for PIV Authentication") {
		t.Fatalf("pkcs15-tool does not list the PIV Authentication certificate:\n%s", list)
	}
	certPEM := tool(t, "pkcs15-tool", "--reader", slot.Reader, "--read-certificate", "01")
	cert, err := pki.ParseCert([]byte(certPEM[strings.Index(certPEM, "-----BEGIN"):]))
	if err != nil || !cert.Equal(demo.Cert) {
		t.Fatalf("pkcs15-tool read a different certificate: %v", err)
	}

	dir := t.TempDir()
	digest := make([]byte, 32)
	rand.Read(digest)
	in, sig := filepath.Join(dir, "digest"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, digest, 0o600); err != nil {
		t.Fatal(err)
	}
	tool(t, "pkcs11-tool", "--module", opensc, "--slot-description", slot.Reader,
		"--login", "--pin", "123456", "--sign", "-m", "ECDSA", "--id", "01",
		"--signature-format", "openssl", "-i", in, "-o", sig)
	der, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(demo.Cert.PublicKey.(*ecdsa.PublicKey), digest, der) {
		t.Fatal("OpenSC's ECDSA signature from the card does not verify against its certificate")
	}
}

func TestOpenSCSignsRSAWithCompressedCertificate(t *testing.T) {
	needOpenSC(t)
	now := time.Now()
	ca, err := pki.NewCA("test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueCard(pki.Holder{Name: "Siân EVANS", UUID: "555000000077"}, key.Public(), now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pki.WriteCard(filepath.Join(dir, "card"), key, cert, "24681357"); err != nil {
		t.Fatal(err)
	}
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot, "--identity", filepath.Join(dir, "card"), "--compress-cert")

	msg := []byte("sign me through OpenSC")
	in, sig := filepath.Join(dir, "msg"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--module", opensc, "--slot-description", slot.Reader, "--login", "--sign",
		"-m", "SHA256-RSA-PKCS", "--id", "01", "-i", in, "-o", sig}

	out, err := exec.Command("pkcs11-tool", append(base, "--pin", "13572468")...).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("CKR_PIN_INCORRECT")) {
		t.Fatalf("pkcs11-tool with a wrong PIN: %v\n%s", err, out)
	}
	tool(t, "pkcs11-tool", append(base, "--pin", "24681357")...)
	got, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], got); err != nil {
		t.Fatalf("OpenSC's RSA signature from the card does not verify: %v", err)
	}
}
