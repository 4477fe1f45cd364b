package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/demo"
	"github.com/scrterm/scr/ui"
)

// The environment variables the viewer reads; a flag wins over each.
const (
	envServer   = "SCR_SERVER"
	envCA       = "SCR_CA"
	envReader   = "SCR_READER"
	envIdleLock = "SCR_IDLE_LOCK"
)

// viewerConfig is the viewer's configuration, from flags and environment.
type viewerConfig struct {
	server   string
	ca       string
	reader   string
	idleLock time.Duration
	demo     bool
}

// usageError is a mistake in the command line or the environment: exit
// status 2, with the message on one line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseViewer reads the viewer's flags, then the environment for each flag
// not given. It returns flag.ErrHelp for -h and --help, and a *usageError
// for anything wrong.
func parseViewer(args []string, getenv func(string) string) (viewerConfig, error) {
	var cfg viewerConfig
	fs := flag.NewFlagSet("scr", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, on one line
	fs.StringVar(&cfg.server, "server", "", "")
	fs.StringVar(&cfg.ca, "ca", "", "")
	fs.StringVar(&cfg.reader, "reader", "", "")
	idle := fs.String("idle-lock", "", "")
	fs.BoolVar(&cfg.demo, "demo", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usagef("scr: %v", err)
	}
	if fs.NArg() > 0 {
		return cfg, usagef("scr: unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if cfg.demo {
		// The demo runs its own sandbox and card: a server, CA or reader
		// given with it is a mistake, while one in the environment is
		// simply not for the demo.
		for _, name := range []string{"server", "ca", "reader"} {
			if set[name] {
				return cfg, usagef("scr: --demo runs its own sandbox and demo card; it cannot be used with --%s", name)
			}
		}
	} else {
		if !set["server"] {
			cfg.server = getenv(envServer)
		}
		if !set["ca"] {
			cfg.ca = getenv(envCA)
		}
		if !set["reader"] {
			cfg.reader = getenv(envReader)
		}
	}

	source := "--idle-lock"
	if !set["idle-lock"] {
		*idle, source = getenv(envIdleLock), envIdleLock
	}
	cfg.idleLock = ui.DefaultIdleLock
	if *idle != "" {
		d, err := time.ParseDuration(strings.TrimSpace(*idle))
		if err != nil || d <= 0 {
			return cfg, usagef("scr: %s %q is not a duration such as 5m or 90s", source, *idle)
		}
		cfg.idleLock = d
	}

	if !cfg.demo && cfg.server == "" {
		return cfg, usagef("scr: no server: give --server URL or set %s (or try scr --demo)", envServer)
	}
	return cfg, nil
}

// runViewer runs the record viewer on the terminal.
func runViewer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseViewer(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if !cfg.demo {
		// Checked before the terminal, so that a wrong URL or CA file is
		// reported however scr was started.
		if _, err := newClient(cfg, nil); err != nil {
			fmt.Fprintln(stderr, "scr:", err)
			return 2
		}
	}
	out, ok := stdout.(*os.File)
	if !term.IsTerminal(os.Stdin.Fd()) || !ok || !term.IsTerminal(out.Fd()) {
		fmt.Fprintln(stderr, "scr: the viewer needs a terminal: run it in a terminal window, with neither input nor output redirected")
		return 2
	}

	opts := ui.Options{Reader: cfg.reader, IdleLock: cfg.idleLock}
	if cfg.demo {
		env, err := demo.Start(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "scr: the demo could not start:", err)
			return 1
		}
		defer env.Close()
		cfg.server = env.ServerURL
		opts.Cards, opts.Demo = env.Cards, env.Info
		if opts.Client, err = newClient(cfg, env.CAPEM); err != nil {
			fmt.Fprintln(stderr, "scr:", err)
			return 1
		}
	} else {
		opts.Cards = ui.PCSC()
		if opts.Client, err = newClient(cfg, nil); err != nil {
			fmt.Fprintln(stderr, "scr:", err)
			return 2
		}
	}

	err = ui.Run(ctx, opts, os.Stdin, out)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ui.ErrInternal):
		fmt.Fprintln(stderr, ui.ErrInternal.Error())
	default:
		fmt.Fprintln(stderr, "scr:", err)
	}
	return 1
}

// newClient makes the API client; caPEM is the demo sandbox's CA, held in
// memory only. No logger: the viewer writes no log.
func newClient(cfg viewerConfig, caPEM []byte) (*client.Client, error) {
	return client.New(client.Config{Server: cfg.server, CAFile: cfg.ca, CAPEM: caPEM})
}
