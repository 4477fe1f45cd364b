package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
)

const usage = `scr-sandbox: a local stand-in for the NHS smartcard sign-in, PDS and SCR APIs.
Everything it holds is synthetic; its keys are public. Never point it at real data.

Usage:
  scr-sandbox [serve] [flags]                 run the server
  scr-sandbox issue-card --uuid U --out DIR   write key.pem, cert.pem and pin for scr-vcard --identity DIR
  scr-sandbox patients                        list the synthetic patients
  scr-sandbox audit verify --db PATH          check the audit trail, read-only (see its --help)
  scr-sandbox audit head --db PATH            print the trail's head, to keep elsewhere
  scr-sandbox help                            print this

Each command's --help says what it does and lists its flags.
`

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if wantsHelp(args) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "issue-card":
		return issueCard(args, stdout, stderr)
	case "patients":
		return listPatients(args, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "scr-sandbox: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scr-sandbox serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "`address` to listen on")
	caOut := fs.String("ca-out", "", "write the local TLS CA certificate to `PATH`, for clients to trust (scr --ca PATH)")
	plain := fs.Bool("insecure-http", false, "serve plain HTTP instead of HTTPS (loopback addresses only)")
	db := fs.String("db", "", "audit database `PATH` (SQLite, created 0600); empty keeps the audit in memory")
	key := fs.String("audit-key", "", "the audit chain's key `FILE` (default: PATH.key beside --db; created 0600 with a new database)")
	ttl := fs.Duration("token-ttl", 15*time.Minute, "lifetime of access `tokens`")
	faults := fs.Bool("enable-faults", false, "honour the "+sandbox.FaultHeader+" request header (for tests)")
	appJWKS := fs.String("app-jwks", "", "also trust the public keys of the JWKS `FILE` for the sandbox application's client assertions (auth = cis2)")
	verbose := fs.Bool("verbose", false, "log more")
	const about = "Usage: scr-sandbox [serve] [flags]\n\n" +
		"Runs the sandbox: smartcard sign-in (/oauth2), a stand-in for CIS2 (/cis2) with\n" +
		"the API platform's token exchange, the Personal Demographics Service and the\n" +
		"Summary Care Record, with synthetic patients and users and an audit trail,\n" +
		"until Ctrl-C or SIGTERM.\n\n"
	if code, ok := parseFlags(fs, args, about, stdout, stderr); !ok {
		return code
	}
	if *key != "" && *db == "" {
		fmt.Fprintln(stderr, "scr-sandbox: --audit-key needs --db: an audit trail in memory has a key of its own")
		return 2
	}
	var jwks []byte
	if *appJWKS != "" {
		var err error
		if jwks, err = os.ReadFile(*appJWKS); err != nil {
			fmt.Fprintln(stderr, "scr-sandbox: --app-jwks:", err)
			return 2
		}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	srv, err := sandbox.Start(sandbox.Config{
		Addr: *listen, PlainHTTP: *plain, DBPath: *db, AuditKey: *key, TokenTTL: *ttl, EnableFaults: *faults, Log: log,
		AppJWKS: jwks,
	})
	if err != nil {
		fmt.Fprintln(stderr, "scr-sandbox:", err)
		return 1
	}
	if *caOut != "" {
		if pem := srv.CACertPEM(); pem != nil {
			if err := os.WriteFile(*caOut, pem, 0o644); err != nil {
				fmt.Fprintln(stderr, "scr-sandbox:", err)
				shutdown(srv, log)
				return 1
			}
		}
	}
	fmt.Fprintf(stdout, "scr-sandbox listening on %s\n", srv.URL())
	if *caOut != "" && !*plain {
		fmt.Fprintf(stdout, "TLS CA certificate written to %s\n", *caOut)
	}
	if *db != "" {
		keyFile := *key
		if keyFile == "" {
			keyFile = audit.DefaultKeyFile(*db)
		}
		fmt.Fprintf(stdout, "audit trail in %s, keyed by %s: keep a copy of the key, "+
			"and heads from `scr-sandbox audit head`, where the database's writers cannot reach\n", *db, keyFile)
	}
	fmt.Fprintf(stdout, "CIS2 stand-in (auth = cis2): issuer %s\n", srv.CIS2Issuer())
	<-ctx.Done()
	log.Info("shutting down: finishing requests in flight")
	if err := shutdown(srv, log); err != nil {
		return 1
	}
	return 0
}

// shutdownGrace bounds how long requests in flight may take after a signal.
const shutdownGrace = 10 * time.Second

func shutdown(srv *sandbox.Server, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		log.Error("shutdown", "err", err)
	}
	return err
}
