package smartcard

import (
	"cmp"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"sync"
)

// Card is an NHS smartcard opened for use: its PIV application selected, its
// PIV Authentication certificate read, and the holder that certificate
// names. It is what the viewer and scr doctor hold while a card is in; its
// methods may be called from several goroutines.
type Card struct {
	reader    string
	piv       *PIV
	cert      *x509.Certificate
	holder    Holder
	holderErr error // from HolderOf
	key       *Key  // nil when keyErr is set
	keyErr    error // from AuthKey

	closeOnce sync.Once
	closer    func() error
	closeErr  error
}

// OpenStep is a step of Open that can fail.
type OpenStep int

const (
	// StepSelect: beginning a transaction and selecting the PIV application.
	StepSelect OpenStep = iota + 1
	// StepCertificate: reading the PIV Authentication certificate.
	StepCertificate
)

// OpenError is an Open that failed, and the step it failed at, for a program
// that reports each step (scr doctor). It unwraps to the step's error, so
// errors.Is still finds ErrNotPIV, ErrNoCertificate, ErrCardRemoved and the
// rest, and its message is that error's own.
type OpenError struct {
	Step OpenStep
	Err  error
}

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Open opens the card on conn, in the reader named reader: in one
// transaction it selects the PIV application and reads the PIV
// Authentication certificate, then reads the holder (HolderOf) and the key
// from the certificate. conn is any Conn: a PC/SC connection (see
// Context.Open) or the in-process virtual card. closer, if not nil, is
// called by Close, and by Open itself when it fails.
//
// Open fails, with an *OpenError, when the card cannot give its
// certificate. A certificate that names no holder or certifies a key this
// package cannot sign with does not fail it, so that scr doctor can report
// the rest of what the card says: Usable tells, and a program that signs its
// holder in takes only a card that is Usable.
func Open(reader string, conn Conn, closer func() error) (*Card, error) {
	piv := NewPIV(conn, WithExtendedLength())
	cert, selected, err := piv.certificate()
	if err != nil {
		if closer != nil {
			_ = closer()
		}
		step := StepCertificate
		if !selected {
			step = StepSelect
		}
		return nil, &OpenError{Step: step, Err: err}
	}
	c := &Card{reader: reader, piv: piv, cert: cert, closer: closer}
	c.holder, c.holderErr = HolderOf(cert)
	c.key, c.keyErr = piv.AuthKey(cert)
	return c, nil
}

// Open connects to the card in reader and opens it (the function Open);
// closing the Card disconnects and resets the card, so that no other program
// can use a PIN verified through it.
func (c *Context) Open(reader string) (*Card, error) {
	conn, err := c.Connect(reader)
	if err != nil {
		return nil, err
	}
	return Open(reader, conn, conn.Close)
}

// OpenReader is Context.Open through a PC/SC context of its own, which
// closing the Card releases: for a program that keeps no Context (the
// viewer, whose Watch has its own).
func OpenReader(reader string) (*Card, error) {
	pc, err := Establish()
	if err != nil {
		return nil, err
	}
	c, err := pc.Open(reader)
	if err != nil {
		_ = pc.Release()
		return nil, err
	}
	disconnect := c.closer
	c.closer = func() error { return errors.Join(disconnect(), pc.Release()) }
	return c, nil
}

// Reader names the reader the card is in.
func (c *Card) Reader() string { return c.reader }

// Certificate is the card's PIV Authentication certificate (slot 9A).
func (c *Card) Certificate() *x509.Certificate { return c.cert }

// Holder is who the certificate says the card belongs to, through the text
// gate; when the certificate names no holder, as much as could be read.
func (c *Card) Holder() Holder { return c.holder }

// Usable says whether the card can sign its holder in: nil, or why not. Its
// certificate names no holder (ErrNoHolder, which is said first), or
// certifies a key this package cannot sign with (ErrUnsupportedKey).
func (c *Card) Usable() error { return cmp.Or(c.holderErr, c.keyErr) }

// PINStatus asks how many PIN tries are left, without spending one.
func (c *Card) PINStatus() (PINStatus, error) { return c.piv.PINStatus() }

// VerifyPIN presents pin to the card (PIV.VerifyPIN), and wipes it.
func (c *Card) VerifyPIN(pin []byte) error { return c.piv.VerifyPIN(pin) }

// Signer is the card's key as a signer for one signature with pin, which it
// takes over: the card verifies pin and signs in one transaction, and pin is
// wiped by that signature or by the signer's Forget (PINSigner). A card that
// is not Usable for its key gives a signer that says why it cannot sign.
func (c *Card) Signer(pin []byte) crypto.Signer {
	if c.key == nil {
		clear(pin)
		return unusableKey{pub: c.cert.PublicKey, err: c.keyErr}
	}
	return c.key.WithPIN(pin)
}

// APDUs reports how many APDUs have been sent to the card through this Card,
// for benchmarks and tests.
func (c *Card) APDUs() int { return c.piv.APDUs() }

// Close calls the closer given to Open, once; later calls return what the
// first did.
func (c *Card) Close() error {
	c.closeOnce.Do(func() {
		if c.closer != nil {
			c.closeErr = c.closer()
		}
	})
	return c.closeErr
}

// unusableKey is the signer of a card whose key this package cannot sign
// with.
type unusableKey struct {
	pub crypto.PublicKey
	err error
}

func (k unusableKey) Public() crypto.PublicKey { return k.pub }
func (k unusableKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, k.err
}
