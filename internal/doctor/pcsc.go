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
	return &pcscCard{conn: conn, piv: smartcard.NewPIV(conn, smartcard.WithExtendedLength())}, nil
}

// pcscCard is a card through PC/SC, read as ui.OpenCard reads it.
type pcscCard struct {
	conn *smartcard.Card
	piv  *smartcard.PIV
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
func (c *pcscCard) Close() error                            { return c.conn.Close() }

func (c *pcscCard) Signer(cert *x509.Certificate, pin []byte) (crypto.Signer, error) {
	key, err := c.piv.AuthKey(cert)
	if err != nil {
		return nil, err
	}
	return key.WithPIN(pin), nil
}
