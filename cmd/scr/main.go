// Command scr is a terminal viewer for the NHS Summary Care Record.
//
//	scr card [--json] [--demo]   the readers, the card, its holder and PIN tries left
//	scr --version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

const usage = `scr: a terminal viewer for the NHS Summary Care Record

Usage:
  scr card [--json] [--demo]
                      show the card readers, the card, its holder and PIN tries left;
                      --demo reads the built-in demo card in-process (sandbox only)
  scr --version       print the version

The record viewer itself is being built; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "card":
		return runCard(ctx, args[1:], stdout, stderr)
	case "--version", "-version", "version":
		fmt.Fprintf(stdout, "scr %s (commit %s, built %s)\n", version, commit, date)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "scr: unknown command %q\n\n%s", args[0], usage)
	return 2
}
