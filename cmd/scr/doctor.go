package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/demo"
	"github.com/scrterm/scr/internal/doctor"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
	"github.com/scrterm/scr/smartcard"
)

const doctorUsage = `Usage: scr doctor [--server URL] [--ca FILE] [--reader NAME] [--smartcard-ca FILE]
                  [--auth card|cis2] [--cis2-issuer URL] [--client-id ID] [--api-key KEY]
                  [--signing-key FILE] [--kid KID] [--plain] [--json]
                  [--pin-stdin | --no-signin]
       scr doctor --demo [--auth card|cis2] [--card UUID] [--plain] [--json]
                  [--pin-stdin | --no-signin]
       scr doctor --watch [--reader NAME] [--plain]

Checks, step by step, why a smartcard does or does not get its holder into the
Summary Care Record: the PC/SC service, the readers, the card, its PIV
application, its certificate (holder, dates, chain to the smartcard CA), the PIN
tries left, the server (TLS, clock) and, given the passcode, the sign-in and what
each role may do. No patient data is read. Exit status 1 if a check FAILs.

With auth cis2, the NHS's own sign-in, it checks its settings, the application's
signing key, CIS2's discovery document and JWKS, the API platform's token
endpoint and the card's user ID too. The sign-in itself is then CIS2's, in the
browser, which scr doctor does not open; with --demo it signs in at the
sandbox's CIS2 stand-in with the demo card.

  --server URL          SCR_SERVER        the API server (without it the server checks are skipped)
  --ca FILE             SCR_CA            PEM CA certificates to trust besides the system's
  --reader NAME         SCR_READER        check the card in this reader (default: the first with a card)
  --smartcard-ca FILE   SCR_SMARTCARD_CA  PEM certificate of the CA that issues the cards
  --auth card|cis2      SCR_AUTH          how scr signs in; cis2 adds the NHS sign-in's checks
  --cis2-issuer URL     SCR_CIS2_ISSUER   auth cis2: CIS2's issuer URL
  --client-id ID        SCR_CLIENT_ID     auth cis2: the application's CIS2 client_id
  --api-key KEY         SCR_API_KEY       auth cis2: the application's API key on the API platform
  --signing-key FILE    SCR_SIGNING_KEY   auth cis2: PEM file of the application's private key
  --kid KID             SCR_KID           auth cis2: the kid of its registered public key
  --plain               SCR_PLAIN         for a screen reader, as scr --plain: a sentence a check,
                                          no columns or arrows, dates in words (JSON is the same)
  --json                print JSON, for a support ticket
  --pin-stdin           read the passcode from standard input, for the sign-in check
  --no-signin           do not ask for the passcode: no sign-in check
  --watch               print each reader and card event as it happens, until Ctrl-C
  --demo                check the in-process sandbox and demo card instead: no reader,
                        no pcscd, no network; signs in with the card's passcode (with
                        --auth cis2, as the sandbox's registered application)
  --card UUID           with --demo, another sandbox user's card (scr --demo --card list)
`

// doctorConfig is `scr doctor`'s configuration, from flags and environment.
type doctorConfig struct {
	server, ca, reader, smartcardCA string
	json, watch, pinStdin, noSignIn bool
	demo                            bool
	card                            string // with demo: the sandbox card
	// plain is the plain form, for a screen reader: the viewer's setting
	// (--plain, SCR_PLAIN, plain in the configuration file), with demo
	// too.
	plain bool
	// settings are the resolved settings, for auth and, with auth =
	// "cis2", the application's (with demo: auth only).
	settings config.Settings
}

// cis2Keys are the settings of the application auth = "cis2" signs in as,
// which --demo brings its own of.
var cis2Keys = []string{config.CIS2Issuer, config.ClientID, config.APIKey, config.SigningKey, config.KID}

// doctorOnly are scr doctor's flags that are not settings.
var doctorOnly = []string{"json", "watch", "pin-stdin", "no-signin", "demo", "card"}

// parseDoctor reads the flags, then the environment for each flag not given.
func parseDoctor(args []string, getenv func(string) string) (doctorConfig, error) {
	var cfg doctorConfig
	fs := flag.NewFlagSet("scr doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.server, "server", "", "")
	fs.StringVar(&cfg.ca, "ca", "", "")
	fs.StringVar(&cfg.reader, "reader", "", "")
	fs.StringVar(&cfg.smartcardCA, "smartcard-ca", "", "")
	fs.BoolVar(&cfg.json, "json", false, "")
	fs.BoolVar(&cfg.watch, "watch", false, "")
	fs.BoolVar(&cfg.pinStdin, "pin-stdin", false, "")
	fs.BoolVar(&cfg.noSignIn, "no-signin", false, "")
	fs.BoolVar(&cfg.demo, "demo", false, "")
	fs.StringVar(&cfg.card, "card", "", "")
	for _, name := range append([]string{config.Auth}, cis2Keys...) {
		fs.String(name, "", "")
	}
	// --plain is the viewer's setting, a yes or no: its text goes to config
	// as the viewer's does.
	fs.Bool(config.Plain, false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usagef("scr doctor: %v", err)
	}
	if fs.NArg() > 0 {
		return cfg, usagef("scr doctor: unexpected argument %q", fs.Arg(0))
	}
	given := setFlags(fs)
	if _, ok := given["card"]; ok && !cfg.demo {
		return cfg, usagef("scr doctor: --card picks a sandbox card for --demo: use it with --demo")
	}
	if cfg.demo {
		// The demo brings its own sandbox, card, CAs and, for auth =
		// "cis2", application, as scr --demo does.
		for _, name := range append([]string{config.Server, config.CA, config.Reader, config.SmartcardCA, "watch"}, cis2Keys...) {
			if _, ok := given[name]; ok {
				return cfg, usagef("scr doctor: --demo checks its own sandbox and demo card; it cannot be used with --%s", name)
			}
		}
		if cfg.card == "" {
			cfg.card = demo.DemoUUID
		}
	}
	// The settings as the viewer resolves them: flag, then environment,
	// then the system-wide configuration file. The demo takes auth and
	// plain only.
	res, err := config.Load(setFlags(fs, doctorOnly...), getenv)
	if err != nil {
		return cfg, usagef("scr doctor: %v", err)
	}
	cfg.plain = res.Plain
	if cfg.demo {
		cfg.settings = config.Settings{Auth: res.Auth}
		return cfg, nil
	}
	cfg.settings = res.Settings
	cfg.server, cfg.ca, cfg.reader, cfg.smartcardCA = res.Server, res.CA, res.Reader, res.SmartcardCA
	switch {
	case cfg.pinStdin && cfg.noSignIn:
		return cfg, usagef("scr doctor: --pin-stdin and --no-signin cannot be used together")
	case cfg.watch && (cfg.json || cfg.pinStdin || cfg.noSignIn):
		return cfg, usagef("scr doctor: --watch prints events as they happen; it takes --reader and --plain only")
	}
	return cfg, nil
}

// runDoctor is `scr doctor`: exit status 0 if no check failed, 1 if one did,
// 2 for a mistake in the command line.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseDoctor(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, doctorUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, errLine(err)) // it may quote a setting's value
		return 2
	}
	if cfg.watch {
		return watchCards(ctx, cfg.reader, cfg.plain, stdout, stderr)
	}

	opts := doctor.Options{Service: doctor.PCSC, Reader: cfg.reader}
	if cfg.demo {
		if code := checkDemoCard(cfg.card, stdout, stderr); code >= 0 {
			return code
		}
		env, err := demo.StartCard(ctx, cfg.card)
		if err != nil {
			fmt.Fprintln(stderr, "scr doctor: the demo could not start:", errLine(err))
			return 1
		}
		defer env.Close()
		if opts, err = demoDoctorOptions(env, cfg.settings.Auth); err != nil {
			fmt.Fprintln(stderr, "scr doctor: the demo could not start:", errLine(err))
			return 1
		}
		switch {
		case cfg.noSignIn:
			opts.NoSignIn = "not asked for (--no-signin)"
		case cfg.pinStdin:
			opts.Passcode = func() ([]byte, error) { return readPINLine(os.Stdin) }
			opts.NoSignIn = "no passcode on standard input"
		default:
			opts.Passcode = func() ([]byte, error) { return []byte(env.Card.Passcode), nil }
		}
		return doctorReport(ctx, cfg, opts, stdout)
	}
	if cfg.smartcardCA != "" {
		if opts.SmartcardCA, err = readCerts(cfg.smartcardCA); err != nil {
			fmt.Fprintln(stderr, "scr doctor: --smartcard-ca:", errLine(err))
			return 2
		}
		opts.SmartcardCAFile = cfg.smartcardCA
	}
	var srv *doctor.HTTPServer
	if cfg.server != "" {
		if srv, err = doctor.NewServer(cfg.server, cfg.ca); err != nil {
			fmt.Fprintln(stderr, "scr doctor:", errLine(err))
			return 2
		}
		opts.Server = srv
	}
	if cfg.settings.Auth == config.AuthCIS2 {
		// The passcode is the user's to type at CIS2's page, in the
		// browser: scr doctor neither asks for it nor opens one.
		opts.CIS2 = cis2Settings(cfg.settings, srv)
		opts.NoSignIn = "auth cis2: the sign-in is CIS2's, in the browser, which scr doctor does not open (the lines above check its parts)"
		return doctorReport(ctx, cfg, opts, stdout)
	}
	opts.Passcode, opts.NoSignIn = passcodeSource(ctx, cfg, os.Stdin, stderr)
	return doctorReport(ctx, cfg, opts, stdout)
}

// cis2Settings is the application of auth = "cis2" for the checks: its
// settings, its key read from the signing-key file only if nobody else can
// read it (config.ReadSigningKey), and CIS2 reached through srv's client (nil:
// no server configured).
func cis2Settings(s config.Settings, srv *doctor.HTTPServer) *doctor.CIS2Settings {
	c := &doctor.CIS2Settings{
		Issuer: s.CIS2Issuer, ClientID: s.ClientID, APIKey: s.APIKey, KID: s.KID,
		SigningKey: s.SigningKey,
		LoadKey: func() (crypto.Signer, error) {
			data, err := config.ReadSigningKey(s.SigningKey)
			if err != nil {
				return nil, err
			}
			defer clear(data)
			return client.ParseSigningKey(data)
		},
	}
	if srv != nil {
		c.Discover, c.CheckIssuer = srv.DiscoverCIS2, srv.CheckCIS2Issuer
	}
	return c
}

// demoDoctorOptions points the checks at the demo's in-process card, in its
// own reader, its sandbox, and the sandbox smartcard CA built into scr; with
// auth = "cis2", at the sandbox's CIS2 stand-in too, as the sandbox's
// registered application, with the demo card signing in at its page.
func demoDoctorOptions(env *demo.Env, auth string) (doctor.Options, error) {
	srv, err := doctor.NewServerCAPEM(env.ServerURL, env.CAPEM)
	if err != nil {
		return doctor.Options{}, err
	}
	caPEM, err := fs.ReadFile(assets.SmartcardCA, "ca.pem")
	if err != nil {
		return doctor.Options{}, err
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return doctor.Options{}, errors.New("the sandbox smartcard CA holds no PEM certificate")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return doctor.Options{}, err
	}
	opts := doctor.Options{
		Service:         doctor.InProcess(demo.Reader, env.Virtual.ATR(), env.Virtual, env.Virtual.Reset),
		SmartcardCA:     []*x509.Certificate{ca},
		SmartcardCAFile: "assets/sandbox/smartcard-ca/ca.pem (built in)",
		Server:          srv,
	}
	if auth == config.AuthCIS2 {
		app, err := env.CIS2Config()
		if err != nil {
			return doctor.Options{}, err
		}
		opts.CIS2 = &doctor.CIS2Settings{
			Issuer: app.Issuer, ClientID: app.ClientID, APIKey: app.APIKey, KID: app.KID,
			SigningKey:  demo.AppKey,
			LoadKey:     func() (crypto.Signer, error) { return app.Key, nil },
			Discover:    srv.DiscoverCIS2,
			CheckIssuer: srv.CheckCIS2Issuer,
			Browser:     env.CIS2Browser,
		}
	}
	return opts, nil
}

// errLine is an error's message as scr doctor, scr card and scr config
// print it: through the gate, as it may quote a setting from the
// environment or a file, a certificate or a reader.
func errLine(err error) string { return safetext.Line(err.Error()) }

// doctorReport runs the checks and prints them, every line through the gate
// (doctor.Check.Line, or PlainLine in the plain form, and
// doctor.Report.WriteJSON); it returns the exit status. JSON is the same
// in the plain form.
func doctorReport(ctx context.Context, cfg doctorConfig, opts doctor.Options, stdout io.Writer) int {
	line, summary := doctor.Check.Line, doctor.Report.Summary
	if cfg.plain {
		line, summary = doctor.Check.PlainLine, doctor.Report.PlainSummary
	}
	emit := func(c doctor.Check) { fmt.Fprint(stdout, line(c)) }
	if cfg.json {
		emit = nil
	}
	report := doctor.Run(ctx, opts, emit)
	if cfg.json {
		_ = report.WriteJSON(stdout)
	} else {
		fmt.Fprintln(stdout, summary(report))
	}
	if !report.OK() {
		return 1
	}
	return 0
}

// passcodeSource says where the sign-in's passcode comes from: standard
// input with --pin-stdin, else a prompt when standard input is a terminal.
// The passcode is read only when the sign-in is about to run.
func passcodeSource(ctx context.Context, cfg doctorConfig, stdin *os.File, prompt io.Writer) (func() ([]byte, error), string) {
	switch {
	case cfg.noSignIn:
		return nil, "not asked for (--no-signin)"
	case cfg.pinStdin:
		return func() ([]byte, error) { return readPINLine(stdin) }, "no passcode on standard input"
	case term.IsTerminal(stdin.Fd()):
		return func() ([]byte, error) { return promptPIN(ctx, stdin, prompt) }, "no passcode typed"
	}
	return nil, "no passcode: standard input is not a terminal (give it with --pin-stdin)"
}

// promptPIN asks for the passcode on the terminal, without echo. Ctrl-C
// (ctx ending) gives up at once and puts the terminal's echo back.
func promptPIN(ctx context.Context, tty *os.File, prompt io.Writer) ([]byte, error) {
	state, err := term.GetState(tty.Fd())
	if err != nil {
		return nil, err
	}
	fmt.Fprint(prompt, "Passcode, to check the sign-in (not shown; Enter to skip): ")
	type read struct {
		pin []byte
		err error
	}
	got := make(chan read, 1)
	go func() {
		pin, err := term.ReadPassword(tty.Fd())
		got <- read{pin, err}
	}()
	select {
	case r := <-got:
		fmt.Fprintln(prompt)
		return r.pin, r.err
	case <-ctx.Done():
		_ = term.Restore(tty.Fd(), state)
		fmt.Fprintln(prompt)
		return nil, ctx.Err()
	}
}

// maxPINLine bounds what is read for the passcode: a PIN is 8 digits at most.
const maxPINLine = 64

// readPINLine reads the first line of r, without its line end.
func readPINLine(r io.Reader) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxPINLine), maxPINLine)
	line, err := br.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		clear(line)
		return nil, err
	}
	pin := []byte(strings.TrimRight(string(line), "\r\n"))
	clear(line)
	return pin, nil
}

// readCerts reads every PEM certificate in path (a CA bundle may hold
// several).
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return certs, nil
}

// watchCards is `scr doctor --watch`: a line per reader and card event until
// ctx ends (Ctrl-C), in the plain form with plain.
func watchCards(ctx context.Context, reader string, plain bool, stdout, stderr io.Writer) int {
	events, err := smartcard.Watch(ctx)
	if err != nil {
		fmt.Fprintln(stderr, safetext.Line(explain.Error(err)))
		return 1
	}
	fmt.Fprintln(stderr, "Watching the card readers: insert and remove cards, plug readers in and out. Ctrl-C stops.")
	only := make(chan smartcard.Event)
	go func() {
		defer close(only)
		for ev := range events {
			if reader != "" && ev.Reader != "" && ev.Reader != reader {
				continue
			}
			select {
			case only <- ev:
			case <-ctx.Done():
			}
		}
	}()
	watch := doctor.Watch
	if plain {
		watch = doctor.WatchPlain
	}
	if err := watch(ctx, only, stdout, time.Now); err != nil {
		fmt.Fprintln(stderr, "scr doctor:", errLine(err))
		return 1
	}
	return 0
}
