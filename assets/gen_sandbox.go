//go:build ignore

// gen_sandbox makes the sandbox's smartcard CA, the demo card identity, one card
// identity per other sandbox user (sandbox/cards/<uuid>/), the CA's list of
// revoked certificate serials (sandbox/smartcard-ca/revoked.txt) and the
// sandbox's registered application (sandbox/app/: its key pair, JWKS and IDs).
//
// Run it with `go generate ./assets`. It leaves existing identities alone, so the
// committed ones stay stable: it makes only the cards that are missing, issued by
// the existing CA. Only when the CA itself is missing does it make a new CA and
// every card anew. revoked.txt is rewritten each run from the revoked cards'
// certificates. Everything it writes is for the sandbox only.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/scrterm/scr/internal/pki"
)

var (
	caDir     = filepath.Join("sandbox", "smartcard-ca")
	demoDir   = filepath.Join("sandbox", "demo-card")
	cardsDir  = filepath.Join("sandbox", "cards")
	usersFile = filepath.Join("sandbox", "users.json")
	appDir    = filepath.Join("sandbox", "app")

	start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

const demoUUID = "555000000101" // Priya SHARMA, PIN 123456

// card is one sandbox user's smartcard. The holder's name comes from users.json,
// so the certificate's CN and the directory's name cannot drift apart.
type card struct {
	uuid     string
	pin      string
	key      pki.KeyType
	notAfter time.Time
	revoked  string // why, if the CA has revoked it
}

// cards lists every card but the demo card, which lives in sandbox/demo-card.
var cards = []card{
	{uuid: "555000000102", pin: "102102", key: pki.RSA2048, notAfter: start.AddDate(20, 0, 0)},
	{uuid: "555000000103", pin: "103103", key: pki.ECDSAP256, notAfter: start.AddDate(20, 0, 0)},
	{uuid: "555000000104", pin: "104104", key: pki.ECDSAP256, notAfter: start.AddDate(20, 0, 0)},
	{uuid: "555000000105", pin: "105105", key: pki.ECDSAP256, notAfter: start.AddDate(20, 0, 0)},
	{uuid: "555000000106", pin: "106106", key: pki.ECDSAP256, notAfter: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
	{uuid: "555000000107", pin: "107107", key: pki.ECDSAP256, notAfter: start.AddDate(20, 0, 0), revoked: "card reported lost"},
}

func main() {
	names, err := userNames()
	check(err)
	check(makeApp())

	ca, fresh, err := loadOrMakeCA()
	check(err)
	if fresh || !exists(filepath.Join(demoDir, "cert.pem")) {
		check(issue(ca, demoDir, pki.Holder{Name: names[demoUUID], UUID: demoUUID}, pki.ECDSAP256, start.AddDate(20, 0, 0), "123456"))
	}

	var revoked []string
	for _, c := range cards {
		name, ok := names[c.uuid]
		if !ok {
			log.Fatalf("card %s: no such user in %s", c.uuid, usersFile)
		}
		dir := filepath.Join(cardsDir, c.uuid)
		if fresh || !exists(filepath.Join(dir, "cert.pem")) {
			check(issue(ca, dir, pki.Holder{Name: name, UUID: c.uuid}, c.key, c.notAfter, c.pin))
		}
		if c.revoked != "" {
			data, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
			check(err)
			cert, err := pki.ParseCert(data)
			check(err)
			revoked = append(revoked, fmt.Sprintf("# %s %s: %s\n%s", c.uuid, name, c.revoked, cert.SerialNumber.Text(16)))
		}
	}
	// Comments have lines of their own, so that a reader need not strip them
	// from the end of a serial.
	list := "# Serial numbers (lower-case hex) of card certificates the sandbox smartcard\n" +
		"# CA has revoked, one a line. Written by gen_sandbox.go.\n" +
		strings.Join(revoked, "\n") + "\n"
	check(os.WriteFile(filepath.Join(caDir, "revoked.txt"), []byte(list), 0o644))
}

// loadOrMakeCA reads the CA, or makes and writes a new one (fresh) if there is none.
func loadOrMakeCA() (ca *pki.CA, fresh bool, err error) {
	certPEM, err := os.ReadFile(filepath.Join(caDir, "ca.pem"))
	if errors.Is(err, fs.ErrNotExist) {
		ca, err := pki.NewCA("scr sandbox smartcard CA (NOT FOR REAL USE)", start, start.AddDate(30, 0, 0))
		if err != nil {
			return nil, false, err
		}
		keyPEM, err := pki.EncodeKey(ca.Key)
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(caDir, 0o755); err != nil {
			return nil, false, err
		}
		if err := os.WriteFile(filepath.Join(caDir, "ca.pem"), pki.EncodeCert(ca.Cert), 0o644); err != nil {
			return nil, false, err
		}
		return ca, true, os.WriteFile(filepath.Join(caDir, "ca-key.pem"), keyPEM, 0o644)
	}
	if err != nil {
		return nil, false, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(caDir, "ca-key.pem"))
	if err != nil {
		return nil, false, err
	}
	cert, err := pki.ParseCert(certPEM)
	if err != nil {
		return nil, false, err
	}
	key, err := pki.ParseKey(keyPEM)
	if err != nil {
		return nil, false, err
	}
	return &pki.CA{Cert: cert, Key: key}, false, nil
}

func issue(ca *pki.CA, dir string, h pki.Holder, kt pki.KeyType, notAfter time.Time, pin string) error {
	key, err := pki.NewKey(kt)
	if err != nil {
		return err
	}
	cert, err := ca.IssueCard(h, key.Public(), start, notAfter)
	if err != nil {
		return err
	}
	log.Printf("issued %s for %s (%s)", dir, h.Name, h.UUID)
	return pki.WriteCard(dir, key, cert, pin)
}

// The sandbox application's identifiers: obviously not NHS England's, and the
// same in every checkout.
const (
	appClientID = "scr-sandbox-cis2-client"
	appAPIKey   = "scr-sandbox-api-key"
	appKID      = "scr-sandbox-app-1"
)

// makeApp writes the sandbox's registered application, unless it is there: an
// RSA-4096 key pair (NHS England's instructions for signed JWT authentication
// make one of that size), its public key as a JWKS, and app.json with the
// CIS2 client_id, the API platform's API key and the key's kid.
func makeApp() error {
	if exists(filepath.Join(appDir, "key.pem")) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		return err
	}
	keyPEM, err := pki.EncodeKey(key)
	if err != nil {
		return err
	}
	jwks, err := json.MarshalIndent(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &key.PublicKey, KeyID: appKID, Algorithm: "RS512", Use: "sig",
	}}}, "", "  ")
	if err != nil {
		return err
	}
	app, err := json.MarshalIndent(map[string]string{
		"name": "scr sandbox application (NOT FOR REAL USE)", "client_id": appClientID, "api_key": appAPIKey, "kid": appKID,
	}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"key.pem": keyPEM, "jwks.json": append(jwks, '\n'), "app.json": append(app, '\n')} {
		if err := os.WriteFile(filepath.Join(appDir, name), data, 0o644); err != nil {
			return err
		}
	}
	log.Printf("made the sandbox application in %s", appDir)
	return nil
}

// userNames maps each user ID in users.json to the user's display name.
func userNames() (map[string]string, error) {
	data, err := os.ReadFile(usersFile)
	if err != nil {
		return nil, err
	}
	var file struct {
		Users []struct {
			UUID string `json:"nhsid_useruid"`
			Name string `json:"name"`
		} `json:"users"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", usersFile, err)
	}
	names := make(map[string]string, len(file.Users))
	for _, u := range file.Users {
		names[u.UUID] = u.Name
	}
	return names, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
