// Package demo is what `scr --demo` runs besides the viewer: the sandbox
// server on loopback and the built-in demo smartcard, both in this process,
// so that the whole journey works with no reader, no pcscd and no network.
// Nothing is written to disk: the sandbox keeps its audit trail in memory and
// its TLS CA is handed to the client as PEM bytes. For the NHS's own sign-in
// (scr --demo --auth cis2), Env.CIS2Config is the sandbox's registered
// application and Env.CIS2Browser plays the browser at its CIS2 stand-in
// with the card in the demo reader.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
	"github.com/scrterm/scr/ui"
)

// Reader is the name the in-process demo card's reader goes by, the same as
// in `scr card --demo`.
const Reader = "scr demo card (in-process, sandbox only)"

// Passcode is the demo card's PIN (assets/sandbox/demo-card/pin).
const Passcode = "123456"

// Patients are the sandbox patients worth trying with the demo card, a
// community pharmacist's: see assets/sandbox/patients/README.md.
// The list is what fits the passcode screen at 80×24, the ones a clinician
// would try first; README.md's demo table has every sandbox patient.
var Patients = []ui.DemoPatient{
	{NHSNumber: "9000000009", What: "NHS's published example; deceased: emergency or legal access only"},
	{NHSNumber: "9000000017", What: "allergies and medication"},
	{NHSNumber: "9000000076", What: "a resuscitation decision (DNACPR), additional information"},
	{NHSNumber: "9000000130", What: "a very large record: 50 allergies"},
	{NHSNumber: "9000000068", What: "no known allergies"},
	{NHSNumber: "9000000025", What: "sensitive record"},
	{NHSNumber: "9000000041", What: "opted out"},
	{NHSNumber: "9000000033", What: "no Summary Care Record"},
	{NHSNumber: "9000000092", What: "entries withheld"},
	{NHSNumber: "9000000106", What: "a superseded number, now 9000000114"},
	// Records built from NHS England's published ones.
	{NHSNumber: "9000000165", What: "additional information, very long entries"},
	{NHSNumber: "9000000203", What: "SCR id out of date at the first look"},
}

// shutdownGrace bounds how long Close lets requests in flight finish.
const shutdownGrace = 5 * time.Second

// Env is a running demo: a sandbox server and the demo card.
type Env struct {
	// ServerURL is the sandbox's base URL, https://127.0.0.1:<port>.
	ServerURL string
	// CAPEM is the certificate of the sandbox's TLS CA, made afresh at
	// Start, for client.Config.CAPEM.
	CAPEM []byte
	// Cards is the demo card in its one reader, for ui.Options.Cards.
	Cards ui.Cards
	// Info is the passcode, the patients and the card toggle, for
	// ui.Options.Demo.
	Info *ui.Demo
	// Card is the sandbox card inserted, and Virtual the card itself, for
	// scr doctor --demo.
	Card    SandboxCard
	Virtual *virtual.Card

	srv *sandbox.Server
	app cis2App // CIS2Config's, read on first use
}

// Start starts the sandbox on 127.0.0.1 at a free port, over HTTPS with its
// audit trail in memory, and makes the demo card, inserted. ctx bounds the
// start only; Close stops the sandbox.
func Start(ctx context.Context) (*Env, error) { return StartCard(ctx, DemoUUID) }

// StartCard is Start with the sandbox card of user ID uuid inserted instead
// of the demo card (SandboxCards lists them); an unknown uuid is an
// *UnknownCardError. With uuid "", no card is inserted: the viewer's card
// screen offers every sandbox card to put in (Demo.Insert). Whichever card
// starts in the reader, every other can be put in later, as at a counter
// where colleagues share the terminal.
func StartCard(ctx context.Context, uuid string) (*Env, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := SandboxCards()
	if err != nil {
		return nil, err
	}
	var info SandboxCard
	if uuid != "" {
		i := slices.IndexFunc(all, func(c SandboxCard) bool { return c.UUID == uuid })
		if i < 0 {
			return nil, &UnknownCardError{UUID: uuid}
		}
		info = all[i]
	}
	cards := NewCards(Reader, nil)
	picks := make([]ui.DemoCard, 0, len(all))
	var first *virtual.Card
	for _, c := range all {
		id, err := virtual.LoadIdentityFS(cardFiles(c.UUID))
		if err != nil {
			return nil, fmt.Errorf("the card of %s: %w", c.UUID, err)
		}
		vc, err := virtual.New(id, virtual.Options{})
		if err != nil {
			return nil, fmt.Errorf("the card of %s: %w", c.UUID, err)
		}
		vc.Remove()
		cards.add(c.UUID, vc)
		picks = append(picks, ui.DemoCard{UUID: c.UUID, Name: c.Name, What: c.What, Passcode: c.Passcode})
		if c.UUID == uuid {
			first = vc
		}
	}
	if first != nil {
		cards.Insert(uuid)
	}
	srv, err := sandbox.Start(sandbox.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	return &Env{
		ServerURL: srv.URL(),
		CAPEM:     srv.CACertPEM(),
		Cards:     cards,
		Info: &ui.Demo{
			Passcode:   info.Passcode,
			Patients:   append([]ui.DemoPatient(nil), Patients...),
			Cards:      picks,
			Insert:     cards.Insert,
			ToggleCard: cards.Toggle,
		},
		Card:    info,
		Virtual: first,
		srv:     srv,
	}, nil
}

// Close stops the sandbox, letting requests in flight finish for a few
// seconds; its in-memory audit trail is gone with it. Calls after the first
// return the first one's result.
func (e *Env) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return e.srv.Shutdown(ctx)
}

// Cards is a ui.Cards over one reader and the in-process virtual cards that
// can be put in it, one at a time: Toggle pulls the card out and puts it
// back, Insert puts in another.
type Cards struct {
	reader string

	mu       sync.Mutex               // serialises Toggle, Insert and the start of Watch
	card     *virtual.Card            // the card in the reader, or last in it; nil before any
	spares   map[string]*virtual.Card // the cards Insert can put in, by holder's user ID
	watchers map[*watcher]struct{}
}

// NewCards returns the Cards of a reader named reader holding card (nil:
// an empty reader, until Insert).
func NewCards(reader string, card *virtual.Card) *Cards {
	return &Cards{reader: reader, card: card, spares: map[string]*virtual.Card{}, watchers: map[*watcher]struct{}{}}
}

// add makes card, of the holder with user ID uuid, one Insert can put in.
func (c *Cards) add(uuid string, card *virtual.Card) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spares[uuid] = card
}

// Watch reports the reader (ReaderAdded), then the card if it is in
// (CardInserted), then a CardRemoved or CardInserted for each Toggle, in
// order, until ctx ends and the channel is closed. Toggle never waits for a
// watcher to read.
func (c *Cards) Watch(ctx context.Context) (<-chan smartcard.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &watcher{wake: make(chan struct{}, 1)}
	c.mu.Lock()
	w.push(smartcard.Event{Kind: smartcard.ReaderAdded, Reader: c.reader})
	if c.card != nil && c.card.Present() {
		w.push(smartcard.Event{Kind: smartcard.CardInserted, Reader: c.reader, ATR: c.card.ATR()})
	}
	c.watchers[w] = struct{}{}
	c.mu.Unlock()

	out := make(chan smartcard.Event)
	go func() {
		defer close(out)
		defer func() {
			c.mu.Lock()
			delete(c.watchers, w)
			c.mu.Unlock()
		}()
		for {
			ev, ok := w.pop()
			if !ok {
				select {
				case <-w.wake:
					continue
				case <-ctx.Done():
					return
				}
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Open connects to the card in reader and reads its certificate. It fails
// with smartcard.ErrNoCard when the card is out.
func (c *Cards) Open(reader string) (ui.Card, error) {
	if reader != c.reader {
		return nil, fmt.Errorf("demo: no reader %q: %w", reader, smartcard.ErrNoReaders)
	}
	c.mu.Lock()
	in := c.card
	c.mu.Unlock()
	if in == nil || !in.Present() {
		return nil, smartcard.ErrNoCard
	}
	card, err := ui.OpenCard(reader, in, nil)
	if errors.Is(err, smartcard.ErrCardRemoved) {
		// Pulled out while it was being read.
		return nil, smartcard.ErrNoCard
	}
	return card, err
}

// Toggle pulls the card out if it is in, or puts it back if it is out, and
// tells every watcher. It never blocks on a watcher.
func (c *Cards) Toggle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.card == nil:
	case c.card.Present():
		c.pull()
	default:
		c.put(c.card)
	}
}

// Insert puts the card of the holder with user ID uuid in the reader,
// pulling out the one there first if it is another, and tells every
// watcher. An unknown uuid, or the card already in, changes nothing.
func (c *Cards) Insert(uuid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next, ok := c.spares[uuid]
	if !ok || (next == c.card && next.Present()) {
		return
	}
	if c.card != nil && c.card.Present() {
		c.pull()
	}
	c.put(next)
}

// pull takes the card out; c.mu is held.
func (c *Cards) pull() {
	c.card.Remove()
	c.tell(smartcard.Event{Kind: smartcard.CardRemoved, Reader: c.reader})
}

// put puts card in; c.mu is held.
func (c *Cards) put(card *virtual.Card) {
	c.card = card
	card.Insert()
	c.tell(smartcard.Event{Kind: smartcard.CardInserted, Reader: c.reader, ATR: card.ATR()})
}

// tell queues ev for every watcher; c.mu is held.
func (c *Cards) tell(ev smartcard.Event) {
	for w := range c.watchers {
		w.push(ev)
	}
}

// watcher is one Watch's queue of events not yet delivered: unbounded, so
// that Toggle, called from the viewer's event loop, never waits for the
// goroutine that feeds the same loop.
type watcher struct {
	mu    sync.Mutex
	queue []smartcard.Event
	wake  chan struct{} // capacity 1: "the queue may have grown"
}

func (w *watcher) push(ev smartcard.Event) {
	w.mu.Lock()
	w.queue = append(w.queue, ev)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) pop() (smartcard.Event, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return smartcard.Event{}, false
	}
	ev := w.queue[0]
	w.queue = w.queue[1:]
	return ev, true
}
