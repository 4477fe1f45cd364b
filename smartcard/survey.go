package smartcard

import (
	"crypto/x509"
	"errors"

	"github.com/ebfe/scard"
)

// CardReport is what can be learnt about a card without its PIN: enough for a
// support engineer to tell why a card does not get its holder in.
type CardReport struct {
	Reader      string
	CardPresent bool
	ATR         []byte
	Certificate *x509.Certificate // nil when it could not be read
	Holder      Holder
	PIN         PINStatus
	Err         error // the first thing that went wrong with this card, if any
}

// Survey reports every reader and, for each card present, its certificate, holder
// and PIN state, asked without spending a PIN try. It fails only when the service
// or every reader is missing; a problem with one card is kept in its report.
func (c *Context) Survey() ([]CardReport, error) {
	readers, err := c.Readers()
	if err != nil {
		return nil, err
	}
	out := make([]CardReport, len(readers))
	for i, r := range readers {
		rep := CardReport{Reader: r.Name, CardPresent: r.CardPresent, ATR: r.ATR}
		switch {
		case r.Mute:
			rep.Err = ErrCardUnreadable
		case r.CardPresent:
			rep.Err = c.inspect(&rep)
		}
		out[i] = rep
	}
	return out, nil
}

func (c *Context) inspect(rep *CardReport) error {
	card, err := c.Connect(rep.Reader)
	if err != nil {
		return err
	}
	// Leave the card as found: a survey must not undo another program's login.
	defer card.disconnect(scard.LeaveCard)
	if len(card.ATR()) > 0 {
		rep.ATR = card.ATR()
	}
	return inspect(card, rep)
}

// Inspect reports what the card on conn says of itself without its PIN: the
// in-process virtual card of the demo goes through here too.
func Inspect(reader string, atr []byte, conn Conn) CardReport {
	rep := CardReport{Reader: reader, CardPresent: true, ATR: atr}
	rep.Err = inspect(conn, &rep)
	return rep
}

// inspect opens the card as the viewer does (Open) and reports what it
// says; the caller keeps the connection, to disconnect as it must.
func inspect(conn Conn, rep *CardReport) error {
	card, err := Open(rep.Reader, conn, nil)
	if err != nil {
		var oe *OpenError
		if errors.As(err, &oe) {
			err = oe.Err // the survey reports no steps: the card's own error
		}
		return err
	}
	rep.Certificate, rep.Holder = card.Certificate(), card.Holder()
	rep.PIN, err = card.PINStatus()
	// The holder's error, not Usable's: the survey says nothing of the key.
	return errors.Join(card.holderErr, err)
}
