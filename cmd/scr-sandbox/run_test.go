package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/smartcard"
)

func TestServeAndStopOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	caOut := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--ca-out", caOut}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "scr-sandbox listening on https://127.0.0.1:") {
		t.Fatalf("first line %q, %v; stderr %s", line, err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	caPEM, err := os.ReadFile(caOut)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.ParseCert(caPEM); err != nil {
		t.Fatalf("--ca-out wrote no certificate: %v", err)
	}
	cancel() // what SIGINT or SIGTERM does, through signal.NotifyContext
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit status %d after a signal; stderr %s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("scr-sandbox did not stop after a signal")
	}
}

func TestServeRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--listen", "0.0.0.0:0", "--insecure-http"}, io.Discard, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "loopback") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestIssueCard(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		alg  x509.PublicKeyAlgorithm
		who  string
	}{
		{"sandbox user, ECDSA", []string{"--uuid", "555000000105"}, x509.ECDSA, "Daniel OSEI"},
		{"named, RSA", []string{"--uuid", "555000000999", "--name", "Test NEWCOMER", "--rsa", "--pin", "24681357"}, x509.RSA, "Test NEWCOMER"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "card")
			var out, stderr bytes.Buffer
			if code := run(context.Background(), append([]string{"issue-card", "--out", dir}, tt.args...), &out, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			certPEM, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
			cert, err := pki.ParseCert(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			ca, err := pki.LoadCA(assets.SmartcardCA)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Fatalf("card does not chain to the sandbox CA: %v", err)
			}
			h, err := smartcard.HolderOf(cert)
			if err != nil || h.Name != tt.who || cert.PublicKeyAlgorithm != tt.alg {
				t.Fatalf("holder %+v %v, algorithm %v", h, err, cert.PublicKeyAlgorithm)
			}
			pin, _ := os.ReadFile(filepath.Join(dir, "pin"))
			if err := smartcard.CheckPIN(bytes.TrimSpace(pin)); err != nil {
				t.Fatalf("pin file: %v", err)
			}
		})
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"issue-card", "--uuid", "555000000999", "--out", t.TempDir()}, io.Discard, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "give --name") {
		t.Fatalf("unknown user without --name: exit %d, %q", code, stderr.String())
	}
}

func TestPatients(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"patients"}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"900 000 0009  SMITH, Jane (Mrs)", "opted out", "no SCR", "sensitive record", "deceased", "LLYWELYN, Siân (Miss)", "Zoë", "Ó SÚILLEABHÁIN, Seán (Mr)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("scr-sandbox patients lacks %q:\n%s", want, out.String())
		}
	}
}

func TestAuditVerify(t *testing.T) {
	db := filepath.Join(t.TempDir(), "audit.db")
	store, err := audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []audit.Kind{audit.SignIn, audit.RoleExchange, audit.SCRRead} {
		if err := store.Append(context.Background(), audit.Record{Kind: kind, UserUUID: "555000000101", Outcome: audit.Allowed}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	var out bytes.Buffer
	if code := run(context.Background(), []string{"audit", "verify", "--db", db}, &out, io.Discard); code != 0 ||
		out.String() != "audit trail intact: 3 rows, hash chain verified\n" {
		t.Fatalf("intact trail: exit %d, %q", code, out.String())
	}

	// Someone deletes the middle row behind the store's back.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DROP TRIGGER audit_log_no_delete`, `DELETE FROM audit_log WHERE seq = 2`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	out.Reset()
	if code := run(context.Background(), []string{"audit", "verify", "--db", db}, &out, io.Discard); code != 1 ||
		!strings.HasPrefix(out.String(), "audit trail BROKEN at row 2") {
		t.Fatalf("tampered trail: exit %d, %q", code, out.String())
	}
}

// TestHelp: scr-sandbox --help lists the subcommands, and each
// subcommand's --help says what it does; asking for help is status 0, on
// stdout. A mistake is status 2, on stderr.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"scr-sandbox [serve] [flags]", "issue-card --uuid U --out DIR", "patients", "audit verify --db PATH", "Each command's --help"}},
		{[]string{"-h"}, []string{"issue-card", "patients", "audit verify"}},
		{[]string{"help"}, []string{"issue-card", "patients", "audit verify"}},
		{[]string{"serve", "--help"}, []string{"Runs the sandbox", "-listen address", "-ca-out PATH", "-enable-faults"}},
		{[]string{"--listen", "127.0.0.1:0", "--help"}, []string{"Runs the sandbox"}},
		{[]string{"issue-card", "--help"}, []string{"Writes a smartcard identity", "scr-vcard --identity DIR", "-uuid ID", "-rsa"}},
		{[]string{"patients", "--help"}, []string{"Lists the sandbox's synthetic patients"}},
		{[]string{"audit", "--help"}, []string{"Checks the hash chain"}},
		{[]string{"audit", "verify", "--help"}, []string{"Checks the hash chain", "-db PATH"}},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != 0 || errOut.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, errOut.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: no %q in:\n%s", tc.args, w, out.String())
			}
		}
	}
	for _, args := range [][]string{{"--bogus"}, {"patients", "--bogus"}, {"issue-card", "--bogus"}, {"audit", "verify", "--bogus"}, {"audit"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "Usage: scr-sandbox") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
}
