package smartcard

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// Context is a connection to the PC/SC service: pcscd on Linux and macOS,
// winscard.dll on Windows. One Context serves one goroutine at a time; the event
// watcher has its own.
type Context struct {
	mu  sync.Mutex
	ctx *scard.Context
}

// Establish connects to the PC/SC service. It fails with ErrNoService when the
// service is not running.
func Establish() (*Context, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, pcscErr("SCardEstablishContext", "", err)
	}
	return &Context{ctx: ctx}, nil
}

// Release ends the connection to the service.
func (c *Context) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ctx.Release(); err != nil {
		return pcscErr("SCardReleaseContext", "", err)
	}
	return nil
}

// ReaderState is one reader and what is in it.
type ReaderState struct {
	Name        string
	CardPresent bool
	ATR         []byte // the card's Answer To Reset, when present
	Mute        bool   // a card is in but does not answer (upside down, dead chip)
	InUse       bool   // another program holds the card exclusively
}

// Readers lists the readers and their state. It fails with ErrNoReaders when
// none is attached.
func (c *Context) Readers() ([]ReaderState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names, err := c.ctx.ListReaders()
	if err != nil {
		return nil, pcscErr("SCardListReaders", "", err)
	}
	if len(names) == 0 {
		return nil, ErrNoReaders
	}
	states := make([]scard.ReaderState, len(names))
	for i, n := range names {
		states[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	// A zero timeout returns the current state of each reader at once.
	if err := c.ctx.GetStatusChange(states, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
		return nil, pcscErr("SCardGetStatusChange", "", err)
	}
	out := make([]ReaderState, len(states))
	for i, s := range states {
		out[i] = readerState(s)
	}
	return out, nil
}

func readerState(s scard.ReaderState) ReaderState {
	rs := ReaderState{
		Name:        s.Reader,
		CardPresent: s.EventState&scard.StatePresent != 0,
		Mute:        s.EventState&scard.StateMute != 0,
		InUse:       s.EventState&scard.StateExclusive != 0,
	}
	if rs.CardPresent {
		rs.ATR = append([]byte(nil), s.Atr...)
	}
	return rs
}

// Connect connects to the card in reader, shared with other programs (which
// the transactions of PIV keep from interleaving with ours). Open, which
// also opens the card's PIV application, is what a program signing in
// wants.
func (c *Context) Connect(reader string) (*PCSCConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, err := c.ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		return nil, pcscErr("SCardConnect", reader, err)
	}
	card := &PCSCConn{h: h, reader: reader}
	if st, err := h.Status(); err == nil {
		card.atr = append([]byte(nil), st.Atr...)
	}
	return card, nil
}

// PCSCConn is a connection through PC/SC to the card in one reader. It
// implements Conn.
type PCSCConn struct {
	h      *scard.Card
	reader string
	atr    []byte
}

// Reader names the card's reader.
func (c *PCSCConn) Reader() string { return c.reader }

// ATR returns the card's Answer To Reset as read at Connect.
func (c *PCSCConn) ATR() []byte { return c.atr }

// Transmit sends one APDU. A removed card gives ErrCardRemoved at once; a card
// reset by another program is reconnected and ErrCardReset returned, so the
// caller can start its operation again.
func (c *PCSCConn) Transmit(cmd []byte) ([]byte, error) {
	resp, err := c.h.Transmit(cmd)
	if err != nil {
		return nil, c.fail("SCardTransmit", err)
	}
	if len(resp) < 2 {
		// No status word: the reader lost the card mid-command (vpcd answers an
		// empty response when its card goes away), or the card is faulty.
		if c.waitAbsent(removalSettle) {
			return nil, &PCSCError{Op: "SCardTransmit", Reader: c.reader, Text: "card removed during the command", Kind: ErrCardRemoved}
		}
		return nil, &PCSCError{Op: "SCardTransmit", Reader: c.reader, Text: fmt.Sprintf("response of %d bytes", len(resp)), Kind: ErrCardUnreadable}
	}
	return resp, nil
}

// removalSettle bounds how long a failed command waits for the reader to report
// that its card went away: longer than pcscd's polling of a reader (400 ms).
const removalSettle = time.Second

// waitAbsent polls the reader until the card is gone or within has passed.
func (c *PCSCConn) waitAbsent(within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		if c.absent() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BeginTransaction and EndTransaction bracket an operation of several APDUs.
func (c *PCSCConn) BeginTransaction() error {
	if err := c.h.BeginTransaction(); err != nil {
		return c.fail("SCardBeginTransaction", err)
	}
	return nil
}

func (c *PCSCConn) EndTransaction() error {
	if err := c.h.EndTransaction(scard.LeaveCard); err != nil {
		return c.fail("SCardEndTransaction", err)
	}
	return nil
}

// Close disconnects and resets the card, so that no other program can use a PIN
// we verified.
func (c *PCSCConn) Close() error { return c.disconnect(scard.ResetCard) }

func (c *PCSCConn) disconnect(d scard.Disposition) error {
	if err := c.h.Disconnect(d); err != nil {
		return pcscErr("SCardDisconnect", c.reader, err)
	}
	return nil
}

// fail turns a PC/SC error into ours, reconnecting first after a reset.
func (c *PCSCConn) fail(op string, err error) error {
	if errors.Is(err, scard.ErrResetCard) {
		if rerr := c.h.Reconnect(scard.ShareShared, scard.ProtocolAny, scard.LeaveCard); rerr != nil {
			return pcscErr("SCardReconnect", c.reader, rerr)
		}
	}
	e := pcscErr(op, c.reader, err)
	pe, ok := e.(*PCSCError)
	switch {
	case !ok:
	case pe.Kind == ErrNoReaders:
		// The reader was unplugged: for this card, that is a removal.
		pe.Kind = ErrCardRemoved
	case pe.Kind == nil && c.absent():
		// A card pulled out mid-command may surface as a communication error
		// before anything else; if the reader says the card is gone, say so.
		pe.Kind = ErrCardRemoved
	}
	return e
}

// absent reports whether the reader no longer holds the card.
func (c *PCSCConn) absent() bool {
	st, err := c.h.Status()
	if err != nil {
		return errors.Is(err, scard.ErrRemovedCard) || errors.Is(err, scard.ErrNoSmartcard) ||
			errors.Is(err, scard.ErrReaderUnavailable)
	}
	return st.State&scard.Present == 0
}

// pcscErr wraps a PC/SC error in a *PCSCError that names its condition.
func pcscErr(op, reader string, err error) error {
	code, ok := err.(scard.Error)
	if !ok {
		return err
	}
	return &PCSCError{Op: op, Reader: reader, Code: uint32(code), Text: code.Error(), Kind: kindOf(code)}
}

func kindOf(code scard.Error) error {
	switch code {
	case scard.ErrNoService, scard.ErrServiceStopped:
		return ErrNoService
	case scard.ErrNoReadersAvailable, scard.ErrReaderUnavailable, scard.ErrUnknownReader:
		return ErrNoReaders
	case scard.ErrRemovedCard, scard.ErrNoSmartcard:
		return ErrCardRemoved
	case scard.ErrResetCard:
		return ErrCardReset
	case scard.ErrUnresponsiveCard, scard.ErrUnpoweredCard, scard.ErrUnsupportedCard, scard.ErrInvalidAtr:
		return ErrCardUnreadable
	}
	return nil
}
