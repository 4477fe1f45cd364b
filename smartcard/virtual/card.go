package virtual

import (
	"errors"
	"fmt"
	"sync"

	"github.com/scrterm/scr/smartcard"
)

// Options change how the card behaves.
type Options struct {
	// CompressCert serves the certificate gzip-compressed (CertInfo 71 01 01,
	// SP 800-73-4 Part 1 Table 10), as some issuers do.
	CompressCert bool
	// RemoveAfter pulls the card out when the RemoveAfter-th command APDU since New
	// arrives, before it is answered: a fault drill for a removal in the middle of
	// an operation. It fires once. Zero never pulls the card.
	RemoveAfter int
	// Trace, if set, is called after each command APDU the card answers, from
	// the goroutine that called Transmit. An Exchange carries lengths and the
	// status word, never data, so that a log of it cannot leak a PIN or a
	// signature input.
	Trace func(Exchange)
}

// Exchange describes one command and its response without their data.
type Exchange struct {
	CLA, INS byte
	Lc       int                  // command data bytes
	Ne       int                  // response bytes the host accepts at most
	SW       smartcard.StatusWord // status word answered
	Len      int                  // response data bytes answered
}

// Card is a PIV card in software. It starts inserted and powered, with no
// application selected: a host must SELECT the PIV application first, as
// SP 800-73-4 Part 2 3.1.1 has it. Its methods are safe for concurrent use.
type Card struct {
	opts Options
	app  *application // immutable after New
	txn  chan struct{}

	mu       sync.Mutex
	present  bool
	gone     chan struct{} // closed when the card is taken out; replaced on Insert
	received int           // command APDUs received since New
	tries    int           // PIN retry counter: survives resets, as on a real card
	sess     session       // lost on reset and removal
}

// session is the card's volatile state, lost when the card loses power.
type session struct {
	selected bool   // the PIV application is selected
	verified bool   // the PIN was verified in this selection
	chain    chain  // command chaining in progress
	pending  []byte // response data waiting for GET RESPONSE
}

// chain collects the parts of a chained command (ISO/IEC 7816-4 5.1.1.1).
type chain struct {
	active      bool
	ins, p1, p2 byte
	data        []byte
}

// wipe forgets the session, zeroing buffers that may hold a PIN.
func (s *session) wipe() {
	clear(s.chain.data)
	*s = session{}
}

const (
	claChain       = 0x10 // CLA bit b5: more parts of a chained command follow
	insGetResponse = 0xC0

	// maxCommandData bounds what command chaining gathers: far above any PIV
	// command (an RSA-2048 GENERAL AUTHENTICATE carries 266 bytes) and low enough
	// that a host cannot make the card hold much memory.
	maxCommandData = 64 << 10

	// pinTries is the PIN retry counter's reset value.
	pinTries = 3
)

// New returns a card holding id, inserted and powered.
func New(id Identity, opts Options) (*Card, error) {
	app, err := newApplication(id, opts)
	if err != nil {
		return nil, err
	}
	return &Card{
		opts:    opts,
		app:     app,
		txn:     make(chan struct{}, 1),
		present: true,
		gone:    make(chan struct{}),
		tries:   pinTries,
	}, nil
}

// ATR returns the card's Answer-to-Reset.
func (c *Card) ATR() []byte {
	return append([]byte(nil), atr[:]...)
}

// Transmit sends one command APDU to the card and returns the response APDU:
// response data then SW1 SW2. Errors in the command are answered with a status
// word, as a card does; the error is for a card that is not there, and wraps
// smartcard.ErrCardRemoved.
func (c *Card) Transmit(cmd []byte) ([]byte, error) {
	c.mu.Lock()
	resp, ex, err := c.transmit(cmd)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if c.opts.Trace != nil {
		c.opts.Trace(ex)
	}
	return resp, nil
}

var errRemoved = fmt.Errorf("virtual: %w", smartcard.ErrCardRemoved)

func (c *Card) transmit(raw []byte) ([]byte, Exchange, error) {
	if !c.present {
		return nil, Exchange{}, errRemoved
	}
	c.received++
	if c.received == c.opts.RemoveAfter {
		c.remove()
		return nil, Exchange{}, errRemoved
	}
	var (
		ex   Exchange
		data []byte
		sw   smartcard.StatusWord
	)
	cmd, extended, err := smartcard.ParseCommand(raw)
	if len(raw) >= 2 {
		ex.CLA, ex.INS = raw[0], raw[1]
	}
	if err != nil {
		c.abort()
		sw = smartcard.SWWrongLength
	} else {
		ex.Lc, ex.Ne = len(cmd.Data), cmd.Ne
		data, sw = c.process(cmd, extended)
	}
	ex.SW, ex.Len = sw, len(data)
	resp := make([]byte, 0, len(data)+2)
	resp = append(resp, data...)
	return append(resp, sw.SW1(), sw.SW2()), ex, nil
}

// process handles the transport layer of ISO/IEC 7816-4: the class byte,
// command chaining and GET RESPONSE. The application sees whole commands.
func (c *Card) process(cmd smartcard.Command, extended bool) ([]byte, smartcard.StatusWord) {
	if cmd.CLA&^claChain != 0 {
		// No secure messaging, no logical channels but the basic one, no
		// proprietary classes.
		c.abort()
		return nil, smartcard.SWClassNotSupported
	}
	more := cmd.CLA&claChain != 0
	ch := &c.sess.chain
	switch {
	case ch.active && (cmd.INS != ch.ins || cmd.P1 != ch.p1 || cmd.P2 != ch.p2):
		// A chain must end with the same command (ISO/IEC 7816-4 5.1.1.1).
		c.abort()
		return nil, smartcard.SWLastCmdExpected
	case cmd.INS == insGetResponse && more:
		c.abort()
		return nil, smartcard.SWChainingUnsupported
	case cmd.INS == insGetResponse:
		return c.getResponse(cmd, extended)
	}
	// Any command but GET RESPONSE gives up a response still waiting.
	c.sess.pending = nil
	if more || ch.active {
		if len(ch.data)+len(cmd.Data) > maxCommandData {
			c.abort()
			return nil, smartcard.SWWrongLength
		}
		ch.data = append(ch.data, cmd.Data...)
		if more {
			ch.active, ch.ins, ch.p1, ch.p2 = true, cmd.INS, cmd.P1, cmd.P2
			return nil, smartcard.SWSuccess
		}
		cmd.Data = ch.data
		defer clear(cmd.Data) // it may hold a PIN
		*ch = chain{}
	}
	data, sw := c.execute(cmd)
	return c.respond(data, sw, cmd.Ne)
}

// respond sends at most ne bytes of data and keeps the rest for GET RESPONSE,
// announcing it with 61xx (ISO/IEC 7816-4 5.1.3). A host that sends no Le gets
// the whole answer this way too, as it would from a T=0 card.
func (c *Card) respond(data []byte, sw smartcard.StatusWord, ne int) ([]byte, smartcard.StatusWord) {
	if sw != smartcard.SWSuccess || len(data) <= ne {
		return data, sw
	}
	c.sess.pending = data[ne:]
	return data[:ne], moreData(len(c.sess.pending))
}

// moreData is 61xx: xx bytes are waiting, 00 for 256 or more.
func moreData(n int) smartcard.StatusWord {
	return 0x6100 | smartcard.StatusWord(min(n, 256)&0xFF)
}

// getResponse serves the response data left over by the previous command
// (ISO/IEC 7816-4 11.7.1).
func (c *Card) getResponse(cmd smartcard.Command, extended bool) ([]byte, smartcard.StatusWord) {
	pending := c.sess.pending
	switch {
	case cmd.P1 != 0 || cmd.P2 != 0:
		return nil, smartcard.SWIncorrectP1P2
	case len(cmd.Data) != 0:
		return nil, smartcard.SWWrongLength
	case len(pending) == 0:
		return nil, smartcard.SWConditionsNotSatisfied
	case cmd.Ne == 0 || (!extended && cmd.Ne < smartcard.MaxShortLe && cmd.Ne > len(pending)):
		// Wrong Le: 6Cxx tells the exact length; the data stays available. Le 00
		// (Ne 256) means "up to 256" and is never wrong.
		return nil, wrongLe(len(pending))
	}
	n := min(cmd.Ne, len(pending))
	out := pending[:n]
	c.sess.pending = pending[n:]
	if len(c.sess.pending) == 0 {
		c.sess.pending = nil
		return out, smartcard.SWSuccess
	}
	return out, moreData(len(c.sess.pending))
}

// wrongLe is 6Cxx: resend with Le xx (00 for 256 or more).
func wrongLe(n int) smartcard.StatusWord {
	return 0x6C00 | smartcard.StatusWord(min(n, 256)&0xFF)
}

// abort drops a chain in progress and a pending response.
func (c *Card) abort() {
	clear(c.sess.chain.data)
	c.sess.chain = chain{}
	c.sess.pending = nil
}

// BeginTransaction waits until no other transaction is open on the card and
// opens one, to be closed by EndTransaction. Transactions exclude each other;
// Transmit is serialised per APDU whether or not one is open. It fails, wrapping
// smartcard.ErrCardRemoved, if the card is out or is taken out while waiting.
func (c *Card) BeginTransaction() error {
	c.mu.Lock()
	present, gone := c.present, c.gone
	c.mu.Unlock()
	if !present {
		return errRemoved
	}
	select {
	case c.txn <- struct{}{}:
		return nil
	case <-gone:
		return errRemoved
	}
}

// EndTransaction closes the open transaction, even if the card is out.
func (c *Card) EndTransaction() error {
	select {
	case <-c.txn:
		return nil
	default:
		return errors.New("virtual: EndTransaction without BeginTransaction")
	}
}

// Reset power-cycles the card: the selected application, the verified PIN, a
// chain in progress and a pending response are gone; the PIN retry counter is
// kept.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess.wipe()
}

// Remove takes the card out of its reader: Transmit fails with
// smartcard.ErrCardRemoved until Insert, and the card loses power.
func (c *Card) Remove() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove()
}

func (c *Card) remove() {
	c.sess.wipe()
	if c.present {
		c.present = false
		close(c.gone)
	}
}

// Insert puts the card back. It comes up powered and freshly reset.
func (c *Card) Insert() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.present {
		c.present = true
		c.gone = make(chan struct{})
	}
}

// Present reports whether the card is in its reader.
func (c *Card) Present() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.present
}

// removed returns a channel that is closed when the card is taken out; it is
// closed already if the card is out.
func (c *Card) removed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}
