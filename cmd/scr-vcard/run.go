package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

const usageText = `usage: scr-vcard [flags]

Serves one virtual PIV smartcard to vsmartcard's vpcd reader driver in pcscd:
port 35963 is reader "Virtual PCD 00 00", 35964 is "Virtual PCD 00 01".
It waits for vpcd while pcscd is down and reconnects when pcscd restarts.

Without --identity the card holds the built-in demo identity, PIN 123456. That
identity is for the sandbox only: its key is public and must never be trusted
with real patient data.

SIGUSR1 inserts the card, SIGUSR2 removes it; SIGINT or SIGTERM exits.

Flags:
`

// Redial backoff while vpcd is not listening.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = time.Second
)

type config struct {
	addr     string
	identity string // directory; empty for the demo identity
	removed  bool
	verbose  bool
	opts     virtual.Options
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var (
		cfg  config
		host string
		port int
	)
	fs := flag.NewFlagSet("scr-vcard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&host, "host", "127.0.0.1", "`address` vpcd listens on")
	fs.IntVar(&port, "port", virtual.DefaultVPCDPort, "`port` vpcd listens on, one per reader slot")
	fs.StringVar(&cfg.identity, "identity", "", "`directory` holding key.pem, cert.pem and pin (default: the sandbox demo identity)")
	fs.BoolVar(&cfg.opts.CompressCert, "compress-cert", false, "serve the certificate gzip-compressed, as some issuers do")
	fs.BoolVar(&cfg.removed, "removed", false, "start with the card out of the reader (SIGUSR1 inserts it)")
	fs.IntVar(&cfg.opts.RemoveAfter, "remove-after", 0, "pull the card when the `N`-th APDU arrives, before answering it (fault drills)")
	fs.BoolVar(&cfg.verbose, "verbose", false, "log each APDU's instruction, lengths and status word (never its data)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	switch {
	case fs.NArg() > 0:
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return cfg, err
	case port < 1 || port > 65535:
		err := fmt.Errorf("--port %d is not a TCP port", port)
		fmt.Fprintln(stderr, err)
		return cfg, err
	case cfg.opts.RemoveAfter < 0:
		err := fmt.Errorf("--remove-after %d is negative", cfg.opts.RemoveAfter)
		fmt.Fprintln(stderr, err)
		return cfg, err
	}
	cfg.addr = net.JoinHostPort(host, strconv.Itoa(port))
	return cfg, nil
}

// run is the whole program but for process signals that end it: ctx ends it.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	// Catch SIGUSR1 and SIGUSR2 before anything slow: until then they are lost.
	cmds, stop := userSignals()
	defer stop()
	logger := log.New(stderr, "scr-vcard: ", log.Ltime|log.Lmicroseconds)

	var id virtual.Identity
	if cfg.identity == "" {
		id, err = virtual.DemoIdentity()
	} else {
		id, err = virtual.LoadIdentity(cfg.identity)
	}
	if err != nil {
		logger.Print(err)
		return 1
	}
	if cfg.verbose {
		cfg.opts.Trace = func(ex virtual.Exchange) {
			logger.Printf("APDU INS %02X Lc %d Le %d -> %04X, %d bytes", ex.INS, ex.Lc, ex.Ne, uint16(ex.SW), ex.Len)
		}
	}
	card, err := virtual.New(id, cfg.opts)
	if err != nil {
		logger.Print(err)
		return 1
	}
	who := "demo identity (sandbox only)"
	if cfg.identity != "" {
		who = "identity from " + cfg.identity
	}
	logger.Printf("card holds %s: %s", who, id.Cert.Subject.CommonName)

	r := &runner{addr: cfg.addr, card: card, log: logger, cmds: cmds, removeAfter: cfg.opts.RemoveAfter}
	r.loop(ctx, !cfg.removed)
	logger.Print("stopped")
	return 0
}

// command is what the user asks of the card while scr-vcard runs.
type command int

const (
	insertCard command = iota + 1
	removeCard
)

// userSignals turns SIGUSR1 and SIGUSR2 into commands.
func userSignals() (<-chan command, func()) {
	cmds := make(chan command)
	if insertSignal == nil {
		return cmds, func() {}
	}
	sigs := make(chan os.Signal, 4)
	done := make(chan struct{})
	signal.Notify(sigs, insertSignal, removeSignal)
	go func() {
		for {
			var s os.Signal
			select {
			case s = <-sigs:
			case <-done:
				return
			}
			c := insertCard
			if s == removeSignal {
				c = removeCard
			}
			select {
			case cmds <- c:
			case <-done:
				return
			}
		}
	}()
	return cmds, func() {
		signal.Stop(sigs)
		close(done)
	}
}

// runner keeps the card in vpcd's reader while the user wants it there. The
// card's presence (Card.Present) is that wish; only the loop's goroutine changes
// it, but for --remove-after, where the card takes itself out.
type runner struct {
	addr        string
	card        *virtual.Card
	log         *log.Logger
	cmds        <-chan command
	removeAfter int
}

// loop runs until ctx ends. inserted is whether the card starts in the reader.
func (r *runner) loop(ctx context.Context, inserted bool) {
	if !inserted {
		r.card.Remove()
		r.log.Print("card removed; SIGUSR1 inserts it")
	}
	for ctx.Err() == nil {
		if !r.card.Present() {
			select {
			case <-ctx.Done():
			case c := <-r.cmds:
				if c == insertCard {
					r.card.Insert()
				}
			}
			continue
		}
		if conn, ok := r.dial(ctx); ok {
			r.serve(ctx, conn)
		}
	}
}

// dial connects to vpcd, retrying with backoff while it is not listening. It
// gives up, returning false, when ctx ends or the user removes the card.
func (r *runner) dial(ctx context.Context) (net.Conn, bool) {
	r.log.Printf("dialling vpcd at %s", r.addr)
	var (
		d       net.Dialer
		backoff = minBackoff
		lastErr string
	)
	for {
		conn, err := d.DialContext(ctx, "tcp", r.addr)
		if err == nil {
			return conn, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		if msg := err.Error(); msg != lastErr { // say it once, not every retry
			r.log.Printf("waiting for vpcd: %v", err)
			lastErr = msg
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false
		case c := <-r.cmds:
			t.Stop()
			if c == removeCard {
				r.card.Remove()
				r.log.Print("removed")
				return nil, false
			}
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// serve serves the card on conn until the connection ends.
func (r *runner) serve(ctx context.Context, conn net.Conn) {
	r.log.Printf("inserted (connected to vpcd at %s)", r.addr)
	done := make(chan error, 1)
	go func() { done <- virtual.Serve(ctx, conn, r.card) }()
	for {
		select {
		case err := <-done:
			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, smartcard.ErrCardRemoved):
				r.log.Printf("removed on APDU %d (--remove-after); SIGUSR1 inserts it", r.removeAfter)
				return
			case err == nil:
				r.log.Print("vpcd closed the connection (pcscd stopped?); redialling")
			default:
				r.log.Printf("connection to vpcd failed: %v; redialling", err)
			}
			pause(ctx, minBackoff) // do not spin if vpcd keeps dropping us
			return
		case c := <-r.cmds:
			if c == removeCard {
				r.card.Remove() // Serve closes the connection
				<-done
				r.log.Print("removed")
				return
			}
		}
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
