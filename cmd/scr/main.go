// Command scr is a terminal viewer for the NHS Summary Care Record.
//
//	scr [--server URL] [--ca FILE] [--reader NAME] [--idle-lock DURATION]   the viewer
//	scr --demo [--card UUID|list] the viewer against an in-process sandbox and a sandbox card
//	scr card [--json] [--demo]   the readers, the card, its holder and PIN tries left
//	scr config [--json]          the effective settings and where each came from
//	scr help [TOPIC]             the help topics; docs/scr.1 is made from the same text
//	scr --version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/scrterm/scr/internal/harden"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

const usage = `scr: a terminal viewer for the NHS Summary Care Record

Usage:
  scr [--server URL] [--ca FILE] [--reader NAME] [--idle-lock DURATION] [--plain]
      [--auth card|cis2] [--cis2-issuer URL] [--client-id ID] [--api-key KEY]
      [--signing-key FILE] [--kid KID]
                      view Summary Care Records: insert your smartcard, type your
                      passcode (with --auth cis2: sign in at NHS CIS2 in the
                      browser), find the patient
  scr --demo [--card UUID] [--idle-lock DURATION] [--plain]
                      the same against a sandbox and a demo card, both in-process:
                      no reader, no pcscd (passcode 123456; F2 pulls the card out);
                      --card UUID inserts another sandbox user's card instead
                      (the A&E doctor, the privacy officer, …): --card list lists them
  scr card [--json] [--demo]
                      show the card readers, the card, its holder and PIN tries left;
                      --demo reads the built-in demo card in-process (sandbox only)
  scr doctor [--json] [--pin-stdin | --no-signin] [--watch] [--smartcard-ca FILE] …
                      check, step by step, why a card does not sign in (scr doctor --help);
                      --demo checks against the in-process sandbox and demo card
  scr config [--json]
                      print the effective settings and where each came from
  scr help [TOPIC]    print a help topic: viewer, card, doctor, config, demo, keys,
                      environment
  scr --version       print the version

Viewer flags, each also read from the environment and then the configuration
file, /etc/scr/config.toml or %ProgramData%\scr\config.toml (a flag wins):
  --server URL          SCR_SERVER     the API server, such as https://int.api.service.nhs.uk
  --ca FILE             SCR_CA         PEM CA certificates to trust besides the system's
  --reader NAME         SCR_READER     use this card reader only (default: the first with a card)
  --idle-lock DURATION  SCR_IDLE_LOCK  lock the screen after this long without a key (default 5m)
  --plain               SCR_PLAIN=1    lines in order for a screen reader: no redraws, boxes or colour
  --auth card|cis2      SCR_AUTH       how to sign in: card (the default) or cis2, NHS CIS2 in
                                       the browser, with the application's settings
                                       (scr help viewer, scr help config)

Nothing is written to disk: no settings, history, cache or log.
`

func main() {
	// First, before anything of the record or the session is in memory, so
	// that no core or crash dump can keep a copy of it (internal/harden).
	if err := harden.NoCoreDumps(); err != nil {
		fmt.Fprintln(os.Stderr, "scr: core dumps cannot be turned off, so scr does not start:", err)
		os.Exit(1)
	}
	// SIGHUP too: a closed terminal window must sign the user out. And
	// SIGQUIT: Go's default would print goroutine stacks and die in the
	// alternate screen, leaving the record on it; scr clears it and signs
	// out instead. (Tests that want the stacks send SIGABRT.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isTopLevel(args[0]) {
		return runViewer(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "card":
		return runCard(ctx, args[1:], stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr)
	case "config":
		return runConfigCommand(args[1:], stdout, stderr)
	case "help":
		return runHelp(args[1:], stdout, stderr)
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo))
		return 0
	case "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "scr: unknown command %q; scr --help lists the commands\n", args[0])
	return 2
}

// versionLine is what scr --version prints. Values set with -ldflags (make
// build, make dist) win; otherwise the commit and its time come from what
// the go command stamped in from version control, so that a plain go build
// or go install says which source it was built from.
func versionLine(readBuildInfo func() (*debug.BuildInfo, bool)) string {
	v, c, d := version, commit, date
	if info, ok := readBuildInfo(); ok {
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if c == "none" && settings["vcs.revision"] != "" {
			c = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				c += " with uncommitted changes"
			}
		}
		if d == "unknown" && settings["vcs.time"] != "" {
			d = settings["vcs.time"] + " (the commit's time)"
		}
		if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version // go install …@version
		}
	}
	return fmt.Sprintf("scr %s (commit %s, built %s)", v, c, d)
}

// isTopLevel reports whether arg is one of the flags that stand for a command
// of their own rather than a viewer flag.
func isTopLevel(arg string) bool {
	switch arg {
	case "--version", "-version", "-h", "--help", "-help":
		return true
	}
	return false
}
