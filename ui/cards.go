package ui

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"sync"

	"github.com/scrterm/scr/smartcard"
)

// PCSC is the Cards of a real machine: readers through the PC/SC service.
func PCSC() Cards { return pcscCards{} }

type pcscCards struct{}

func (pcscCards) Watch(ctx context.Context) (<-chan smartcard.Event, error) {
	return smartcard.Watch(ctx)
}

func (pcscCards) Open(reader string) (Card, error) {
	pc, err := smartcard.Establish()
	if err != nil {
		return nil, err
	}
	conn, err := pc.Connect(reader)
	if err != nil {
		_ = pc.Release()
		return nil, err
	}
	c, err := OpenCard(reader, conn, func() error {
		err := conn.Close()
		return errors.Join(err, pc.Release())
	})
	if err != nil {
		_ = conn.Close()
		_ = pc.Release()
		return nil, err
	}
	return c, nil
}

// OpenCard reads the PIV certificate of the card on conn, in reader; closer,
// if not nil, is called by Close. The demo's in-process card comes through
// here as well as a PC/SC one.
func OpenCard(reader string, conn smartcard.Conn, closer func() error) (Card, error) {
	piv := smartcard.NewPIV(conn, smartcard.WithExtendedLength())
	cert, err := piv.Certificate()
	if err != nil {
		return nil, err
	}
	holder, err := smartcard.HolderOf(cert)
	if err != nil {
		return nil, err
	}
	key, err := piv.AuthKey(cert)
	if err != nil {
		return nil, err
	}
	return &pivCard{reader: reader, piv: piv, cert: cert, holder: holder, key: key, closer: closer}, nil
}

type pivCard struct {
	reader string
	piv    *smartcard.PIV
	cert   *x509.Certificate
	holder smartcard.Holder
	key    *smartcard.Key

	closeOnce sync.Once
	closer    func() error
	closeErr  error
}

func (c *pivCard) Reader() string                          { return c.reader }
func (c *pivCard) Certificate() *x509.Certificate          { return c.cert }
func (c *pivCard) Holder() smartcard.Holder                { return c.holder }
func (c *pivCard) PINStatus() (smartcard.PINStatus, error) { return c.piv.PINStatus() }

func (c *pivCard) VerifyPIN(pin []byte) error {
	defer clear(pin)
	return c.piv.VerifyPIN(pin)
}

func (c *pivCard) Signer(pin []byte) crypto.Signer {
	return c.key.WithPIN(pin)
}

func (c *pivCard) Close() error {
	c.closeOnce.Do(func() {
		if c.closer != nil {
			c.closeErr = c.closer()
		}
	})
	return c.closeErr
}
