package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/identity"
	"github.com/scrterm/scr/smartcard"
)

// issueCard is `scr-sandbox issue-card`: a card identity signed by the sandbox
// smartcard CA, for scr-vcard --identity.
func issueCard(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scr-sandbox issue-card", flag.ContinueOnError)
	uuid := fs.String("uuid", "", "the holder's 12-digit NHS user `ID` (the certificate's serialNumber)")
	out := fs.String("out", "", "`directory` to write key.pem, cert.pem and pin to")
	name := fs.String("name", "", "the holder's display `name` (default: the sandbox user's name for --uuid)")
	useRSA := fs.Bool("rsa", false, "RSA-2048 key instead of ECDSA P-256")
	pin := fs.String("pin", "", "the card's `PIN`, 6 to 8 digits (default: random)")
	days := fs.Int("days", 365, "validity in `days`")
	const about = "Usage: scr-sandbox issue-card --uuid U --out DIR [flags]\n\n" +
		"Writes a smartcard identity (key.pem, cert.pem, pin) signed by the sandbox\n" +
		"smartcard CA into DIR, for scr-vcard --identity DIR. The identity is for the\n" +
		"sandbox only: its CA key is public.\n\n"
	if code, ok := parseFlags(fs, args, about, stdout, stderr); !ok {
		return code
	}
	if *uuid == "" || *out == "" {
		fs.Usage()
		return 2
	}
	if err := writeCard(*uuid, *name, *out, *pin, *useRSA, *days, stdout); err != nil {
		fmt.Fprintln(stderr, "scr-sandbox issue-card:", err)
		return 1
	}
	return 0
}

func writeCard(uuid, name, dir, pin string, useRSA bool, days int, stdout io.Writer) error {
	holder := pki.Holder{Name: name, UUID: uuid}
	if holder.Name == "" {
		n, ok := sandboxUserName(uuid)
		if !ok {
			return fmt.Errorf("user %s is not a sandbox user: give --name", uuid)
		}
		holder.Name = n
	}
	if pin == "" {
		pin = randomPIN()
	}
	if err := smartcard.CheckPIN([]byte(pin)); err != nil {
		return err
	}
	if days < 1 {
		return fmt.Errorf("--days must be at least 1")
	}
	ca, err := pki.LoadCA(assets.SmartcardCA)
	if err != nil {
		return err
	}
	kt := pki.ECDSAP256
	if useRSA {
		kt = pki.RSA2048
	}
	key, err := pki.NewKey(kt)
	if err != nil {
		return err
	}
	now := time.Now()
	cert, err := ca.IssueCard(holder, key.Public(), now.Add(-time.Hour), now.AddDate(0, 0, days))
	if err != nil {
		return err
	}
	if _, err := smartcard.HolderOf(cert); err != nil {
		return err
	}
	if err := pki.WriteCard(dir, key, cert, pin); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "card for %s (%s) written to %s; its PIN is in %s/pin\nserve it with: scr-vcard --identity %s\n",
		holder.Name, holder.UUID, dir, dir, dir)
	return nil
}

func randomPIN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// sandboxUserName is the display name of a sandbox user, for their card.
func sandboxUserName(uuid string) (string, bool) {
	dir, err := identity.LoadDirectory(assets.Users)
	if err != nil {
		return "", false
	}
	u, ok := dir.User(uuid)
	return u.Name, ok
}
