//go:build ignore

// gen_sandbox makes the sandbox's smartcard CA and the demo card identity.
// Run it with `go generate ./assets`; it leaves existing files alone, so the
// committed identities stay stable. Everything it writes is for the sandbox only.
package main

import (
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/scrterm/scr/internal/pki"
)

func main() {
	caDir := filepath.Join("sandbox", "smartcard-ca")
	cardDir := filepath.Join("sandbox", "demo-card")
	if _, err := os.Stat(filepath.Join(caDir, "ca.pem")); err == nil {
		log.Print("sandbox identities exist; delete assets/sandbox to make new ones")
		return
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ca, err := pki.NewCA("scr sandbox smartcard CA (NOT FOR REAL USE)", start, start.AddDate(30, 0, 0))
	check(err)
	key, err := pki.NewKey(pki.ECDSAP256)
	check(err)
	cert, err := ca.IssueCard(pki.Holder{Name: "Priya SHARMA", UUID: "555000000101"}, key.Public(), start, start.AddDate(20, 0, 0))
	check(err)
	caKey, err := pki.EncodeKey(ca.Key)
	check(err)
	check(os.MkdirAll(caDir, 0o755))
	check(os.WriteFile(filepath.Join(caDir, "ca.pem"), pki.EncodeCert(ca.Cert), 0o644))
	check(os.WriteFile(filepath.Join(caDir, "ca-key.pem"), caKey, 0o644))
	check(pki.WriteCard(cardDir, key, cert, "123456"))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
