package main

import (
	"context"
	"errors"
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
  scr-sandbox audit verify --db PATH          check the audit trail's hash chain
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
	db := fs.String("db", "", "audit database `PATH` (SQLite); empty keeps the audit in memory")
	ttl := fs.Duration("token-ttl", 15*time.Minute, "lifetime of access `tokens`")
	faults := fs.Bool("enable-faults", false, "honour the "+sandbox.FaultHeader+" request header (for tests)")
	verbose := fs.Bool("verbose", false, "log more")
	const about = "Usage: scr-sandbox [serve] [flags]\n\n" +
		"Runs the sandbox: smartcard sign-in (/oauth2), the Personal Demographics Service\n" +
		"and the Summary Care Record, with synthetic patients and users and an audit\n" +
		"trail, until Ctrl-C or SIGTERM.\n\n"
	if code, ok := parseFlags(fs, args, about, stdout, stderr); !ok {
		return code
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	srv, err := sandbox.Start(sandbox.Config{
		Addr: *listen, PlainHTTP: *plain, DBPath: *db, TokenTTL: *ttl, EnableFaults: *faults, Log: log,
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

// auditAbout is what `scr-sandbox audit` does.
const auditAbout = "Usage: scr-sandbox audit verify --db PATH\n\n" +
	"Checks the hash chain of an audit trail the sandbox kept with --db PATH: an\n" +
	"edited, deleted or reordered row is found. Exit status 1 if it is broken.\n\n"

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if wantsHelp(args) {
		fmt.Fprint(stdout, auditAbout)
		return 0
	}
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditAbout)
		return 2
	}
	fs := flag.NewFlagSet("scr-sandbox audit verify", flag.ContinueOnError)
	db := fs.String("db", "", "audit database `PATH`")
	if code, ok := parseFlags(fs, args[1:], auditAbout, stdout, stderr); !ok {
		return code
	}
	if *db == "" {
		fmt.Fprintln(stderr, "scr-sandbox audit verify: --db is required")
		return 2
	}
	if _, err := os.Stat(*db); err != nil {
		fmt.Fprintln(stderr, "scr-sandbox audit verify:", err)
		return 1
	}
	store, err := audit.Open(*db)
	if err != nil {
		fmt.Fprintln(stderr, "scr-sandbox audit verify:", err)
		return 1
	}
	defer store.Close()
	n, err := store.Count(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "scr-sandbox audit verify:", err)
		return 1
	}
	if err := store.Verify(ctx); err != nil {
		var ce *audit.ChainError
		if errors.As(err, &ce) {
			fmt.Fprintf(stdout, "audit trail BROKEN at row %d: %s\n", ce.Seq, ce.Reason)
		} else {
			fmt.Fprintln(stderr, "scr-sandbox audit verify:", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "audit trail intact: %d rows, hash chain verified\n", n)
	return 0
}
