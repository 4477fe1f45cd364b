//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/sandbox/apps"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/internal/sandbox/cis2"
	"github.com/scrterm/scr/ui"
)

// auth = "cis2" end to end: the real scr binary in tmux, signing in at CIS2
// (the sandbox's stand-in) rather than with the card's own signature, the
// card still in charge.

// TestCIS2DemoEndToEnd is scr --demo --auth cis2 from the card to the
// allergies of 9000000017: the passcode, then the demo's stand-in for the
// browser signs in at the sandbox's CIS2 page with the card; F2 pulls the
// card and the record goes; nothing is left on disk or in the terminal.
func TestCIS2DemoEndToEnd(t *testing.T) {
	needTmux(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, scr, "--demo", "--auth", "cis2", "--card", demoPharmacist)

	signIn(t, tm, pharmacist, pharmacistPIN)
	tm.waitFor(t, "the pharmacist's one role, chosen for her", pharmacist, "FA123")
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the allergies", "Known allergies", "Penicillin allergy", "Codeine adverse", "Latex allergy")

	tm.keys(t, "F2")
	tm.waitClean(t, "the screen after F2 pulled the demo card", time.Now().Add(wipeWithin), forbiddenDemo...)
	tm.keys(t, "q")
	tm.waitExit(t)
	tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
	assertEmpty(t, home, tmp)
}

// TestCIS2ViewerEndToEnd is scr --auth cis2 against scr-sandbox, with the
// card read through a real pcscd from scr-vcard: the card goes in, scr opens
// "the browser" (an xdg-open that hands the page to the test), and the test
// signs in there as NHS Credential Management would, with the same card
// through pcscd while scr holds it in shared mode; then the record, the card
// pulled, and nothing left.
func TestCIS2ViewerEndToEnd(t *testing.T) {
	needTmux(t)
	pcsctest.Need(t)
	scr := pcsctest.Build(t, "github.com/scrterm/scr/cmd/scr")
	sb := startSandbox(t)
	slot := pcsctest.TakeSlot(t)
	card := pcsctest.StartVCard(t, slot) // the demo identity: Priya SHARMA
	dir := t.TempDir()                   // the browser's and the application's: not scr's HOME or TMPDIR

	// The sandbox's registered application, its key readable by its owner only.
	creds, err := apps.SandboxCredentials()
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(key, creds.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// The system browser: an xdg-open that writes down the page.
	bin, pages := filepath.Join(dir, "bin"), filepath.Join(dir, "pages")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >>\"$SCR_TEST_PAGES\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	home, tmp := t.TempDir(), t.TempDir()
	tm := startTmux(t, home, tmp, "env",
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "DISPLAY=:97", "SCR_TEST_PAGES="+pages,
		scr, "--server", sb.url, "--ca", sb.caFile, "--reader", slot.Reader,
		"--auth", "cis2", "--cis2-issuer", sb.url+cis2.PathPrefix, "--client-id", creds.ClientID,
		"--api-key", creds.APIKey, "--signing-key", key, "--kid", creds.KID)

	tm.waitFor(t, "the CIS2 sign-in", "Sign in with NHS CIS2", pharmacist, "Your browser has been opened", "Keep your card in the reader")
	page := waitPage(t, pages)
	if !strings.HasPrefix(page, sb.url+cis2.PathPrefix+"/") {
		t.Fatalf("scr opened %q; want the sandbox CIS2's authorisation page", page)
	}
	browserSignIn(t, sb.caFile, slot.Reader, page)

	tm.waitFor(t, "the patient search", "NHS number", "FA123")
	findPatient(t, tm)
	tm.waitFor(t, "the permission screen", "Patient gave permission")
	tm.keys(t, "p")
	tm.waitFor(t, "the allergies", "Known allergies", "Penicillin allergy", "Codeine adverse", "Latex allergy")

	pulled := time.Now()
	card.Remove()
	deadline := pulled.Add(wipeWithin)
	if seen := time.Now(); seen.After(deadline) {
		deadline = seen.Add(wipeWithin)
	}
	tm.waitClean(t, "the screen after the card was pulled", deadline, forbidden...)
	tm.waitFor(t, "why the session ended", "The card was removed")

	tm.keys(t, "q")
	tm.waitExit(t)
	tm.assertClean(t, "the whole terminal history after scr quit", tm.history(t))
	assertNoRecordOnDisk(t, home, tmp)
	assertEmpty(t, home, tmp)

	// The sandbox's audit trail: the sign-in was CIS2's, at its authorise
	// step, and the role came from the API platform's token exchange.
	sb.stop(t)
	store, err := audit.Open(sb.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for kind, detail := range map[audit.Kind]string{audit.SignIn: "CIS2 authorise", audit.RoleExchange: "API platform token exchange"} {
		rows, err := store.Query(context.Background(), audit.Filter{UserUUID: demoPharmacist, Kinds: []audit.Kind{kind}, Outcome: audit.Allowed})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || !strings.Contains(rows[0].Detail, detail) {
			t.Errorf("audit rows of %v: %+v; want one by %q", kind, rows, detail)
		}
	}
}

// waitPage is the first page scr opened in "the browser".
func waitPage(t testing.TB, pages string) string {
	t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		if b, err := os.ReadFile(pages); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.SplitN(string(b), "\n", 2)[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("scr opened no page in the browser within %v", screenWait)
		}
		time.Sleep(pollEvery)
	}
}

// browserSignIn signs in at CIS2's page as NHS Credential Management would:
// with the card in reader, through pcscd, its passcode verified on the card,
// while scr has the same card open.
func browserSignIn(t testing.TB, caFile, reader, page string) {
	t.Helper()
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	defer tr.CloseIdleConnections()
	c, err := ui.PCSC().Open(reader)
	if err != nil {
		t.Fatalf("the browser could not use the card scr holds: %v", err)
	}
	defer c.Close()
	signer := c.Signer([]byte(pharmacistPIN))
	b := cis2.Browser{
		HTTP: &http.Client{Transport: tr, Timeout: screenWait},
		Sign: func(_ context.Context, challenge, aud string) (string, error) {
			return client.Assertion{Cert: c.Certificate(), UserUUID: c.Holder().UUID, Audience: aud, JTI: challenge, Now: time.Now()}.Sign(signer)
		},
	}
	if err := b.Open(context.Background(), page); err != nil {
		t.Fatalf("the browser: %v", err)
	}
}
