package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/demo"
	"github.com/scrterm/scr/ui"
)

// The environment variables of the viewer's settings, as internal/config
// names them (TestEnvNames checks).
const (
	envServer   = "SCR_SERVER"
	envCA       = "SCR_CA"
	envReader   = "SCR_READER"
	envIdleLock = "SCR_IDLE_LOCK"
)

// viewerConfig is the viewer's configuration, from flags, the environment
// and the configuration file (internal/config).
type viewerConfig struct {
	server   string
	ca       string
	reader   string
	idleLock time.Duration
	plain    bool // --plain: the plain mode, for screen readers
	demo     bool
	card     string // --card: the sandbox card the demo inserts, or "list"
	// cis2: auth = "cis2", with the application's settings (with demo:
	// none, as the demo brings its own application); nil for auth = "card".
	cis2 *config.Settings
}

// usageError is a mistake in the command line or the environment: exit
// status 2, with the message on one line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseViewer reads the viewer's flags, then for each setting not given
// the environment, then the configuration file (at SCR_CONFIG, else the
// system-wide one). It returns flag.ErrHelp for -h and --help, and a
// *usageError for anything wrong.
func parseViewer(args []string, getenv func(string) string) (viewerConfig, error) {
	var cfg viewerConfig
	fs := flag.NewFlagSet("scr", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, on one line
	for _, name := range append([]string{config.Server, config.CA, config.Reader, config.IdleLock, config.Auth}, cis2Keys...) {
		fs.String(name, "", "")
	}
	// --plain is a yes or no; its text ("true", "false") goes to config
	// as the other settings' do.
	fs.Bool(config.Plain, false, "")
	fs.BoolVar(&cfg.demo, "demo", false, "")
	fs.StringVar(&cfg.card, "card", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usagef("scr: %v", err)
	}
	if fs.NArg() > 0 {
		return cfg, usagef("scr: unexpected argument %q", fs.Arg(0))
	}
	flags := setFlags(fs, "demo", "card")
	if _, ok := setFlags(fs)["card"]; ok && !cfg.demo {
		return cfg, usagef("scr: --card picks a sandbox card for the demo: use it with --demo")
	}

	if cfg.demo {
		// The demo runs its own sandbox and card: a server, CA or reader
		// given with it is a mistake, while one in the environment or the
		// configuration file is simply not for the demo.
		for _, name := range []string{config.Server, config.CA, config.Reader} {
			if _, ok := flags[name]; ok {
				return cfg, usagef("scr: --demo runs its own sandbox and demo card; it cannot be used with --%s", name)
			}
		}
		for _, name := range cis2Keys {
			if _, ok := flags[name]; ok {
				return cfg, usagef("scr: --demo --auth cis2 signs in as the sandbox's own application; it cannot be used with --%s", name)
			}
		}
	}
	res, err := config.Load(flags, getenv)
	if err != nil {
		return cfg, usagef("scr: %v", err)
	}
	cfg.idleLock, cfg.plain = res.IdleLock, res.Plain
	if res.Auth == config.AuthCIS2 {
		cfg.cis2 = &config.Settings{Auth: res.Auth}
		if !cfg.demo {
			*cfg.cis2 = res.Settings
		}
	}
	if cfg.demo {
		return cfg, nil
	}
	cfg.server, cfg.ca, cfg.reader = res.Server, res.CA, res.Reader
	if cfg.server == "" {
		return cfg, usagef("scr: no server: give --server URL, set %s, or set server in %s (or try scr --demo)",
			config.Env(config.Server), res.File)
	}
	if err := checkCIS2Settings(res); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// setFlags returns the flags given on the command line, by name, with their
// text, leaving out those named in except.
func setFlags(fs *flag.FlagSet, except ...string) map[string]string {
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(except, f.Name) {
			set[f.Name] = f.Value.String()
		}
	})
	return set
}

// runViewer runs the record viewer on the terminal.
func runViewer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseViewer(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, errLine(err))
		return 2
	}
	var (
		cis2App *client.CIS2Config // auth cis2: the application, its key read
		api     *client.Client     // the viewer's, made before the terminal outside the demo
	)
	if cfg.demo {
		// Checked before the terminal, so that the list can be printed
		// anywhere and a wrong card is reported however scr was started.
		// With no --card, the card screen offers every sandbox card.
		if cfg.card != "" {
			if code := checkDemoCard(cfg.card, stdout, stderr); code >= 0 {
				return code
			}
		}
	} else {
		// Checked before the terminal, so that a wrong URL or CA file is
		// reported however scr was started.
		if api, err = newClient(cfg, nil); err != nil {
			fmt.Fprintln(stderr, "scr:", errLine(err))
			return 2
		}
		if cis2App, err = cis2Application(cfg.cis2); err != nil {
			fmt.Fprintln(stderr, "scr:", errLine(err))
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
		env, err := demo.StartCard(ctx, cfg.card)
		if err != nil {
			fmt.Fprintln(stderr, "scr: the demo could not start:", errLine(err))
			return 1
		}
		defer env.Close()
		cfg.server = env.ServerURL
		opts.Cards, opts.Demo = env.Cards, env.Info
		if opts.Client, err = newClient(cfg, env.CAPEM); err != nil {
			fmt.Fprintln(stderr, "scr:", errLine(err))
			return 1
		}
		if cfg.cis2 != nil {
			if opts.CIS2, err = demoCIS2(env, opts.Client); err != nil {
				fmt.Fprintln(stderr, "scr: the demo could not start:", errLine(err))
				return 1
			}
		}
	} else {
		opts.Cards, opts.Client = ui.PCSC(), api
		opts.CIS2 = viewerCIS2(opts.Client, cis2App)
	}

	if cfg.plain {
		// Lines in order for a screen reader: the same viewer, another
		// front end (ui.RunPlain).
		err = ui.RunPlain(ctx, opts, os.Stdin, out)
	} else {
		err = ui.Run(ctx, opts, os.Stdin, out)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ui.ErrInternal):
		fmt.Fprintln(stderr, ui.ErrInternal.Error())
	default:
		fmt.Fprintln(stderr, "scr:", errLine(err))
	}
	return 1
}

// checkDemoCard handles --card list and a --card that names no sandbox card
// by printing the cards; it returns the exit status then, or -1 to go on.
func checkDemoCard(card string, stdout, stderr io.Writer) int {
	cards, err := demo.SandboxCards()
	if err != nil {
		fmt.Fprintln(stderr, "scr: the demo could not start:", errLine(err))
		return 1
	}
	if card == "list" {
		fmt.Fprintf(stdout, "The sandbox cards scr --demo --card UUID can insert:\n%s", demo.CardList(cards))
		return 0
	}
	if slices.ContainsFunc(cards, func(c demo.SandboxCard) bool { return c.UUID == card }) {
		return -1
	}
	fmt.Fprintf(stderr, "scr: --card %q: no sandbox card has that user ID. The cards are:\n%s", card, demo.CardList(cards))
	return 2
}

// newClient makes the API client; caPEM is the demo sandbox's CA, held in
// memory only. No logger: the viewer writes no log.
func newClient(cfg viewerConfig, caPEM []byte) (*client.Client, error) {
	// The demo trusts its sandbox's CA alone.
	return client.New(client.Config{Server: cfg.server, CAFile: cfg.ca, CAPEM: caPEM, OnlyGivenCAs: caPEM != nil})
}
