package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
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

// auditTrail writes a trail of n rows at dir/audit.db, its key beside it.
func auditTrail(t *testing.T, dir string, n int) string {
	t.Helper()
	db := filepath.Join(dir, "audit.db")
	store, err := audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range n {
		kind := []audit.Kind{audit.SignIn, audit.RoleExchange, audit.SCRRead}[i%3]
		if err := store.Append(context.Background(), audit.Record{Kind: kind, UserUUID: "555000000101", Outcome: audit.Allowed}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// scrSandbox runs scr-sandbox with args, returning its exit status and output.
func scrSandbox(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// tamperDB runs stmts on the database behind the store's back, its triggers
// dropped first, as someone who can write the file would.
func tamperDB(t *testing.T, db string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range append([]string{
		`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_head_no_delete`,
	}, stmts...) {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	db := auditTrail(t, t.TempDir(), 3)
	code, out, _ := scrSandbox("audit", "verify", "--db", db)
	if first, rest, _ := strings.Cut(out, "\n"); code != 0 ||
		!strings.HasPrefix(first, "audit trail intact: 3 rows, keyed hash chain verified (last row ") ||
		!strings.HasPrefix(rest, "not checked without --head: rows cut off the end") {
		t.Fatalf("intact trail: exit %d, %q", code, out)
	}

	// Someone deletes the middle row behind the store's back.
	tamperDB(t, db, `DELETE FROM audit_log WHERE seq = 2`)
	if code, out, _ := scrSandbox("audit", "verify", "--db", db); code != 1 || !strings.HasPrefix(out, "audit trail BROKEN at row 2") {
		t.Fatalf("tampered trail: exit %d, %q", code, out)
	}
}

// Cutting rows off the end and moving the head back takes the key: without
// it, verify finds the cut even with no exported head.
func TestAuditVerifyTailCut(t *testing.T) {
	db := auditTrail(t, t.TempDir(), 5)
	tamperDB(t, db, `DELETE FROM audit_log WHERE seq > 3`,
		`UPDATE audit_head SET count = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
	if code, out, _ := scrSandbox("audit", "verify", "--db", db); code != 1 ||
		!strings.HasPrefix(out, "audit trail BROKEN at row 4: the head's MAC is wrong") {
		t.Fatalf("exit %d, %q", code, out)
	}
}

// A head exported with `audit head` and given to `audit verify --head` finds
// what a copy of the file allows: the tail cut with the head moved back by
// putting back an older copy, and the file wiped and started again.
func TestAuditHeadDetectsRollbackAndWipe(t *testing.T) {
	dir := t.TempDir()
	db := auditTrail(t, dir, 3)
	older, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	store, err := audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.Append(context.Background(), audit.Record{Kind: audit.SCRRead, Outcome: audit.Allowed}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	code, head, errOut := scrSandbox("audit", "head", "--db", db)
	if code != 0 || !strings.HasPrefix(head, `{"format":"scr-audit-head-v1","seq":5,"hash":"`) || strings.Count(head, "\n") != 1 {
		t.Fatalf("audit head: exit %d, %q, %q", code, head, errOut)
	}
	headFile := filepath.Join(t.TempDir(), "head.json")
	if err := os.WriteFile(headFile, []byte(head), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := scrSandbox("audit", "verify", "--db", db, "--head", headFile); code != 0 ||
		!strings.Contains(out, "it holds the exported head, row 5") {
		t.Fatalf("verify --head on the trail it came from: exit %d, %q", code, out)
	}

	// The tail cut and the head moved back: the older copy put back.
	if err := os.WriteFile(db, older, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := scrSandbox("audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "not checked without --head") {
		t.Fatalf("without --head the rollback cannot be seen, and verify must say so: exit %d, %q", code, out)
	}
	if code, out, _ := scrSandbox("audit", "verify", "--db", db, "--head", headFile); code != 1 ||
		!strings.HasPrefix(out, "audit trail BROKEN at row 4: missing: the exported head is row 5 but the log ends at row 3") {
		t.Fatalf("rolled back, with --head: exit %d, %q", code, out)
	}

	// A full wipe: the file deleted; first nothing, then a new trail with the
	// same key.
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := scrSandbox("audit", "verify", "--db", db, "--head", headFile); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("wiped: exit %d, %q", code, errOut)
	}
	store, err = audit.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	if code, out, _ := scrSandbox("audit", "verify", "--db", db); code != 1 || !strings.HasPrefix(out, "audit trail EMPTY") {
		t.Fatalf("wiped, a new empty trail: exit %d, %q", code, out)
	}
	if code, out, _ := scrSandbox("audit", "verify", "--db", db, "--head", headFile); code != 1 || !strings.HasPrefix(out, "audit trail BROKEN at row 1: missing") {
		t.Fatalf("wiped, a new empty trail, with --head: exit %d, %q", code, out)
	}
	os.Remove(db)
	auditTrail(t, dir, 6)
	if code, out, _ := scrSandbox("audit", "verify", "--db", db, "--head", headFile); code != 1 ||
		!strings.HasPrefix(out, "audit trail BROKEN at row 5: not the row of the exported head") {
		t.Fatalf("wiped and started again, with --head: exit %d, %q", code, out)
	}
	if code, _, errOut := scrSandbox("audit", "verify", "--db", db, "--head", db); code != 1 || !strings.Contains(errOut, "not an exported audit head") {
		t.Fatalf("--head of a file that is not a head: exit %d, %q", code, errOut)
	}
}

// verify and head fail, with one line saying why, on what is not a trail
// they can vouch for, and leave it exactly as it was: no schema written into
// an empty file, no file made beside it.
func TestAuditVerifyRefuses(t *testing.T) {
	sqliteFile := func(t *testing.T, db string, stmts ...string) {
		raw, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, s := range stmts {
			if _, err := raw.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name      string
		make      func(t *testing.T, db string)
		verify    string // in verify's one line on stderr, or on stdout if onStdout
		onStdout  bool
		extraArgs []string
		head      string // in head's one line on stderr, if not verify
	}{
		{"0-byte file", func(t *testing.T, db string) { os.WriteFile(db, nil, 0o600) }, "the file is empty (0 bytes): not an audit database (remove it to start a new trail)", false, nil, ""},
		{"not SQLite", func(t *testing.T, db string) {
			os.WriteFile(db, bytes.Repeat([]byte("not a database\n"), 100), 0o600)
		}, "not an SQLite database", false, nil, ""},
		{"another program's database", func(t *testing.T, db string) {
			sqliteFile(t, db, `CREATE TABLE notes (x TEXT)`)
		}, "not an audit database (no audit schema in it)", false, nil, ""},
		{"an unkeyed trail of version 1", func(t *testing.T, db string) {
			sqliteFile(t, db, `CREATE TABLE audit_log (seq INTEGER PRIMARY KEY)`, `PRAGMA user_version = 1`)
		}, "move it aside and start a new trail", false, nil, ""},
		{"a trail with no rows", func(t *testing.T, db string) { auditTrail(t, filepath.Dir(db), 0) }, "audit trail EMPTY", true, nil,
			"the audit trail has no rows yet: no head to print"},
		{"another key", func(t *testing.T, db string) {
			auditTrail(t, filepath.Dir(db), 2)
			other := filepath.Join(filepath.Dir(db), "other.key")
			if _, err := audit.WriteKeyFile(other); err != nil {
				t.Fatal(err)
			}
		}, "the key does not fit this database", false, []string{"--audit-key", "other.key"}, ""},
		{"no key", func(t *testing.T, db string) {
			auditTrail(t, filepath.Dir(db), 2)
			os.Remove(db + ".key")
		}, "no audit key at", false, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "audit.db")
			tt.make(t, db)
			before := dirBytes(t, dir)
			var extra []string
			for _, a := range tt.extraArgs {
				if strings.HasSuffix(a, ".key") {
					a = filepath.Join(dir, a)
				}
				extra = append(extra, a)
			}
			code, out, errOut := scrSandbox(append([]string{"audit", "verify", "--db", db}, extra...)...)
			got := errOut
			if tt.onStdout {
				got = out
			}
			if code != 1 || !strings.Contains(got, tt.verify) || strings.Count(got, "\n") != 1 {
				t.Errorf("audit verify: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tt.verify)
			}
			want := tt.head
			if want == "" {
				want = tt.verify
			}
			code, out, errOut = scrSandbox(append([]string{"audit", "head", "--db", db}, extra...)...)
			if code != 1 || out != "" || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("audit head: exit %d, stdout %q, stderr %q; want %q on stderr and no head", code, out, errOut, want)
			}
			if after := dirBytes(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("the directory changed: %v before, %v after", keys(before), keys(after))
			}
		})
	}
}

// verify reads a database it cannot write, and writes nothing: not a byte of
// the file, and no file beside it.
func TestAuditVerifyReadOnly(t *testing.T) {
	dir := t.TempDir()
	db := auditTrail(t, dir, 4)
	for _, f := range []string{db, db + ".key"} {
		if err := os.Chmod(f, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	before := dirBytes(t, dir)
	if code, out, errOut := scrSandbox("audit", "verify", "--db", db); code != 0 || !strings.HasPrefix(out, "audit trail intact: 4 rows") {
		t.Fatalf("exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut := scrSandbox("audit", "head", "--db", db); code != 0 {
		t.Fatalf("head: exit %d, %q", code, errOut)
	}
	if after := dirBytes(t, dir); !reflect.DeepEqual(after, before) {
		t.Errorf("the directory changed: %v before, %v after", keys(before), keys(after))
	}
}

// dirBytes is every file in dir with its contents.
func dirBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func keys(m map[string]string) []string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s (%d bytes)", k, len(v)))
	}
	sort.Strings(ks)
	return ks
}

// serve --db creates the database, its key and SQLite's files beside it
// readable by their owner only; --audit-key puts the key elsewhere.
func TestServeDBIsPrivate(t *testing.T) {
	for _, keyElsewhere := range []bool{false, true} {
		dir := t.TempDir()
		db, key := filepath.Join(dir, "audit.db"), filepath.Join(dir, "audit.db.key")
		args := []string{"serve", "--listen", "127.0.0.1:0", "--insecure-http", "--db", db}
		if keyElsewhere {
			key = filepath.Join(t.TempDir(), "sandbox-audit.key")
			args = append(args, "--audit-key", key)
		}
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		code := make(chan int, 1)
		go func() {
			code <- run(ctx, args, pw, io.Discard)
			pw.Close()
		}()
		lines := bufio.NewReader(pr)
		var out string
		for range 2 {
			line, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("stdout %q: %v", out, err)
			}
			out += line
		}
		go io.Copy(io.Discard, pr)
		if !strings.Contains(out, "audit trail in "+db+", keyed by "+key) {
			t.Errorf("stdout %q does not say where the trail and its key are", out)
		}
		for _, f := range []string{db, key, db + "-wal", db + "-shm"} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Error(err)
				continue
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: mode %v, want 0600", f, m)
			}
		}
		cancel()
		if c := <-code; c != 0 {
			t.Fatalf("exit %d", c)
		}
		if keyElsewhere {
			if _, err := os.Stat(db + ".key"); err == nil {
				t.Error("a key beside the database too")
			}
		}
	}
	if code, _, errOut := scrSandbox("serve", "--audit-key", "k"); code != 2 || !strings.Contains(errOut, "--audit-key needs --db") {
		t.Errorf("--audit-key without --db: exit %d, %q", code, errOut)
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
		{[]string{"--help"}, []string{"scr-sandbox [serve] [flags]", "issue-card --uuid U --out DIR", "patients", "audit verify --db PATH", "audit head --db PATH", "Each command's --help"}},
		{[]string{"-h"}, []string{"issue-card", "patients", "audit verify"}},
		{[]string{"help"}, []string{"issue-card", "patients", "audit verify"}},
		{[]string{"serve", "--help"}, []string{"Runs the sandbox", "-listen address", "-ca-out PATH", "-enable-faults", "-audit-key FILE"}},
		{[]string{"--listen", "127.0.0.1:0", "--help"}, []string{"Runs the sandbox"}},
		{[]string{"issue-card", "--help"}, []string{"Writes a smartcard identity", "scr-vcard --identity DIR", "-uuid ID", "-rsa"}},
		{[]string{"patients", "--help"}, []string{"Lists the sandbox's synthetic patients"}},
		{[]string{"audit", "--help"}, []string{"verify checks the audit trail", "head checks the trail"}},
		{[]string{"audit", "verify", "--help"}, []string{"verify checks the audit trail", "-db PATH", "-head FILE", "-audit-key FILE"}},
		{[]string{"audit", "head", "--help"}, []string{"head checks the trail", "-db PATH"}},
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
	for _, args := range [][]string{{"--bogus"}, {"patients", "--bogus"}, {"issue-card", "--bogus"}, {"audit", "verify", "--bogus"}, {"audit"}, {"audit", "verify"}, {"audit", "head", "--db", "x", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), "Usage: scr-sandbox") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
}

// serve --app-jwks trusts another key for the sandbox application; a file
// that is missing or not a JWKS of RSA public keys is refused.
func TestServeAppJWKS(t *testing.T) {
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "test-app-2", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "app.jwks")
	if err := os.WriteFile(good, jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jwks")
	if err := os.WriteFile(bad, []byte(`{"keys":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file   string
		code   int
		stderr string
	}{
		{filepath.Join(dir, "missing.jwks"), 2, "--app-jwks"},
		{bad, 1, "holds no keys"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--app-jwks", tt.file}, io.Discard, &stderr); code != tt.code ||
			!strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%s: exit %d, stderr %q", tt.file, code, stderr.String())
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--insecure-http", "--app-jwks", good}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	var out string
	for range 2 {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("stdout %q: %v", out, err)
		}
		out += line
	}
	go io.Copy(io.Discard, pr)
	if !strings.Contains(out, "CIS2 stand-in (auth = cis2): issuer http://127.0.0.1:") {
		t.Errorf("stdout %q does not name the CIS2 issuer", out)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d", c)
	}
}
