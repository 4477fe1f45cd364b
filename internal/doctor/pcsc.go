package doctor

import (
	"crypto"
	"crypto/x509"
	"errors"

	"github.com/scrterm/scr/smartcard"
)

// PCSC opens the machine's PC/SC service.
func PCSC() (Service, error) {
	sc, err := smartcard.Establish()
	if err != nil {
		return nil, err
	}
	return pcscService{sc}, nil
}

type pcscService struct{ sc *smartcard.Context }

func (s pcscService) Readers() ([]smartcard.ReaderState, error) { return s.sc.Readers() }
func (s pcscService) Close() error                              { return s.sc.Release() }

func (s pcscService) Open(reader string) (Card, error) {
	conn, err := s.sc.Connect(reader)
	if err != nil {
		return nil, err
	}
	return &pcscCard{conn: conn, piv: smartcard.NewPIV(conn, smartcard.WithExtendedLength()), close: conn.Close}, nil
}

// InProcess is a Service of one card in one reader with no PC/SC service
// behind it, such as scr doctor --demo's virtual card; reset, if not nil,
// is how closing the card resets it, as disconnecting from PC/SC does.
func InProcess(reader string, atr []byte, conn smartcard.Conn, reset func()) func() (Service, error) {
	return func() (Service, error) { return inProcess{reader, atr, conn, reset}, nil }
}

type inProcess struct {
	reader string
	atr    []byte
	conn   smartcard.Conn
	reset  func()
}

func (s inProcess) Readers() ([]smartcard.ReaderState, error) {
	return []smartcard.ReaderState{{Name: s.reader, CardPresent: true, ATR: s.atr}}, nil
}
func (s inProcess) Close() error { return nil }

// About is the service line's detail: there is no PC/SC service to answer.
func (s inProcess) About() string { return "none needed: the card is in this process" }

func (s inProcess) Open(reader string) (Card, error) {
	if reader != s.reader {
		return nil, smartcard.ErrNoCard
	}
	return &pcscCard{conn: s.conn, piv: smartcard.NewPIV(s.conn, smartcard.WithExtendedLength()), close: func() error {
		if s.reset != nil {
			s.reset()
		}
		return nil
	}}, nil
}

// pcscCard is a card through PC/SC (or in process), read as ui.OpenCard
// reads it.
type pcscCard struct {
	conn  smartcard.Conn
	piv   *smartcard.PIV
	close func() error
}

// pivAID is the PIV application's AID, right-truncated as SP 800-73-4 Part 2
// 3.1.1 allows, so that any PIV version matches.
var pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08}

// SelectPIV sends SELECT by AID (ISO/IEC 7816-4 11.2.2) in a transaction of
// its own. The PIV calls that follow select it again themselves.
func (c *pcscCard) SelectPIV() error {
	if err := c.conn.BeginTransaction(); err != nil {
		return err
	}
	err := c.selectPIV()
	if endErr := c.conn.EndTransaction(); err == nil {
		err = endErr
	}
	return err
}

func (c *pcscCard) selectPIV() error {
	cmd, err := smartcard.Command{INS: 0xA4, P1: 0x04, Data: pivAID, Ne: smartcard.MaxShortLe}.Encode(false)
	if err != nil {
		return err
	}
	resp, err := c.conn.Transmit(cmd)
	if err != nil {
		return err
	}
	_, sw, err := smartcard.ParseResponse(resp)
	switch {
	case err != nil:
		return errors.Join(smartcard.ErrCardUnreadable, err)
	case sw == smartcard.SWFileNotFound:
		return smartcard.ErrNotPIV
	case sw.OK(), sw.SW1() == 0x61: // 61xx: more of the FCI waits for GET RESPONSE
		return nil
	}
	return &smartcard.StatusError{Op: "SELECT PIV", SW: sw}
}

func (c *pcscCard) Certificate() (*x509.Certificate, error) { return c.piv.Certificate() }
func (c *pcscCard) PINStatus() (smartcard.PINStatus, error) { return c.piv.PINStatus() }
func (c *pcscCard) Close() error                            { return c.close() }

func (c *pcscCard) Signer(cert *x509.Certificate, pin []byte) (crypto.Signer, error) {
	key, err := c.piv.AuthKey(cert)
	if err != nil {
		return nil, err
	}
	return key.WithPIN(pin), nil
}
