package doctor

import (
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
	card, err := s.sc.Open(reader)
	if err != nil {
		return nil, err // not a nil *smartcard.Card in a non-nil Card
	}
	return card, nil
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
	card, err := smartcard.Open(reader, s.conn, func() error {
		if s.reset != nil {
			s.reset()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return card, nil
}
