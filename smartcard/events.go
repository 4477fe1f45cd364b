package smartcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ebfe/scard"
)

// EventKind says what changed.
type EventKind int

const (
	ReaderAdded EventKind = iota + 1
	ReaderRemoved
	CardInserted
	CardRemoved
	// ServiceLost: the PC/SC service stopped (pcscd killed, Windows' Smart Card
	// service stopped). Every reader and card is gone with it; Err says why. The
	// watcher keeps looking for the service and reports its readers again when it
	// returns.
	ServiceLost
)

func (k EventKind) String() string {
	switch k {
	case ReaderAdded:
		return "reader added"
	case ReaderRemoved:
		return "reader removed"
	case CardInserted:
		return "card inserted"
	case CardRemoved:
		return "card removed"
	case ServiceLost:
		return "service lost"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change in the readers or their cards.
type Event struct {
	Kind   EventKind
	Reader string
	ATR    []byte // for CardInserted
	Err    error  // for ServiceLost
}

func (e Event) String() string {
	if e.Reader == "" {
		return e.Kind.String()
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Reader)
}

// pnpReader is the pseudo-reader whose state changes when a reader is attached or
// detached (PC/SC part 5; pcsc-lite and Windows both support it).
const pnpReader = `\\?PnP?\Notification`

const (
	// retryInterval is how often a lost PC/SC service is looked for again.
	retryInterval = 500 * time.Millisecond
	// cancelRepeat is how often SCardCancel is repeated until the watcher stops.
	cancelRepeat = 20 * time.Millisecond
)

// Watch follows readers and cards until ctx ends, then closes the channel. It
// first reports what is there already (ReaderAdded, then CardInserted for each card
// present), then each change as it happens. It fails at once with ErrNoService
// when the PC/SC service is not running. The caller must read the channel.
func Watch(ctx context.Context) (<-chan Event, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, pcscErr("SCardEstablishContext", "", err)
	}
	events := make(chan Event, 16)
	w := &watcher{ctx: ctx, events: events, known: map[string]readerSeen{}}
	go w.run(sc)
	return events, nil
}

// readerSeen is what the watcher last reported of a reader.
type readerSeen struct {
	state   scard.StateFlag
	present bool
	atr     []byte
}

type watcher struct {
	ctx    context.Context
	events chan<- Event
	known  map[string]readerSeen
}

func (w *watcher) run(sc *scard.Context) {
	defer close(w.events)
	for {
		err := w.follow(sc)
		_ = sc.Release()
		if w.ctx.Err() != nil {
			return
		}
		// The service went away: everything it knew of is gone.
		for _, name := range slices.Sorted(maps.Keys(w.known)) {
			w.forget(name)
		}
		if !w.send(Event{Kind: ServiceLost, Err: err}) {
			return
		}
		if sc = w.reestablish(); sc == nil {
			return
		}
	}
}

// follow watches one PC/SC context until ctx ends (nil) or the service fails.
func (w *watcher) follow(sc *scard.Context) error {
	// SCardCancel is the one call that may come from another goroutine: it makes
	// a blocked SCardGetStatusChange return at once when ctx ends. It does nothing
	// to a call not yet made, so it is repeated until follow has returned.
	done, cancelled := make(chan struct{}), make(chan struct{})
	stop := context.AfterFunc(w.ctx, func() {
		defer close(cancelled)
		tick := time.NewTicker(cancelRepeat)
		defer tick.Stop()
		for {
			_ = sc.Cancel()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	defer func() {
		close(done)
		if !stop() {
			<-cancelled // the caller releases sc next: no Cancel may be in flight
		}
	}()

	pnp := scard.ReaderState{Reader: pnpReader, CurrentState: scard.StateUnaware}
	for {
		names, err := sc.ListReaders()
		if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
			return pcscErr("SCardListReaders", "", err)
		}
		w.syncReaders(names)
		states := []scard.ReaderState{pnp}
		for _, n := range names {
			states = append(states, scard.ReaderState{Reader: n, CurrentState: w.known[n].state})
		}
		for {
			err := sc.GetStatusChange(states, -1) // -1: wait until something changes
			if w.ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, scard.ErrUnknownReader) || errors.Is(err, scard.ErrReaderUnavailable) {
				break // a reader went away under us: list them again
			}
			if err != nil {
				return pcscErr("SCardGetStatusChange", "", err)
			}
			readersChanged := states[0].EventState&scard.StateChanged != 0
			states[0].CurrentState = states[0].EventState &^ scard.StateChanged
			pnp = states[0]
			for i := range states[1:] {
				s := &states[i+1]
				if s.EventState&scard.StateChanged != 0 {
					w.update(s.Reader, *s)
				}
				s.CurrentState = s.EventState &^ scard.StateChanged
				if s.EventState&(scard.StateUnknown|scard.StateIgnore) != 0 {
					readersChanged = true
				}
			}
			if readersChanged {
				break
			}
		}
	}
}

// syncReaders reports readers that appeared or went away since the last listing.
func (w *watcher) syncReaders(names []string) {
	for _, old := range slices.Sorted(maps.Keys(w.known)) {
		if !slices.Contains(names, old) {
			w.forget(old)
		}
	}
	for _, n := range names {
		if _, ok := w.known[n]; !ok {
			w.known[n] = readerSeen{state: scard.StateUnaware}
			w.send(Event{Kind: ReaderAdded, Reader: n})
		}
	}
}

// update reports the card changes in one reader. The upper 16 bits of the event
// state count card events (pcsc-lite and Windows): a card swapped between two
// looks shows as a changed count with a card still present.
func (w *watcher) update(name string, s scard.ReaderState) {
	old := w.known[name]
	if s.EventState&(scard.StateUnknown|scard.StateIgnore|scard.StateUnavailable) != 0 {
		return // the reader is going away; the next listing reports it
	}
	present := s.EventState&scard.StatePresent != 0 && s.EventState&scard.StateMute == 0
	countChanged := old.state != scard.StateUnaware && s.EventState>>16 != old.state>>16
	swapped := old.present && present && (countChanged || !bytes.Equal(old.atr, s.Atr))
	if old.present && (!present || swapped) {
		w.send(Event{Kind: CardRemoved, Reader: name})
	}
	if present && (!old.present || swapped) {
		w.send(Event{Kind: CardInserted, Reader: name, ATR: append([]byte(nil), s.Atr...)})
	}
	seen := readerSeen{state: s.EventState &^ scard.StateChanged, present: present}
	if present {
		seen.atr = append([]byte(nil), s.Atr...)
	}
	w.known[name] = seen
}

// forget reports a reader gone, with its card if it held one.
func (w *watcher) forget(name string) {
	if w.known[name].present {
		w.send(Event{Kind: CardRemoved, Reader: name})
	}
	delete(w.known, name)
	w.send(Event{Kind: ReaderRemoved, Reader: name})
}

// reestablish waits for the service to come back; nil when ctx ended first.
func (w *watcher) reestablish() *scard.Context {
	t := time.NewTicker(retryInterval)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return nil
		case <-t.C:
			if sc, err := scard.EstablishContext(); err == nil {
				return sc
			}
		}
	}
}

// send delivers ev unless ctx ends first.
func (w *watcher) send(ev Event) bool {
	select {
	case w.events <- ev:
		return true
	case <-w.ctx.Done():
		return false
	}
}
