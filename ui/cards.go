package ui

import (
	"context"

	"github.com/scrterm/scr/smartcard"
)

// PCSC is the Cards of a real machine: readers through the PC/SC service.
func PCSC() Cards { return pcscCards{} }

type pcscCards struct{}

func (pcscCards) Watch(ctx context.Context) (<-chan smartcard.Event, error) {
	return smartcard.Watch(ctx)
}

// Open opens the card in reader through a PC/SC context of its own, which
// closing the card releases (smartcard.OpenReader), and takes it only if it
// can sign its holder in.
func (pcscCards) Open(reader string) (Card, error) {
	return takeUsable(smartcard.OpenReader(reader))
}

// OpenCard opens the card on conn, in reader (smartcard.Open), and takes it
// only if it can sign its holder in; closer, if not nil, is called by Close,
// or at once if the card is not taken. The demo's in-process card comes
// through here as well as a PC/SC one.
func OpenCard(reader string, conn smartcard.Conn, closer func() error) (Card, error) {
	return takeUsable(smartcard.Open(reader, conn, closer))
}

// takeUsable takes an opened card only if it can sign its holder in, and
// closes it if not.
func takeUsable(card *smartcard.Card, err error) (Card, error) {
	if err != nil {
		return nil, err // not a nil *smartcard.Card in a non-nil Card
	}
	if err := card.Usable(); err != nil {
		_ = card.Close()
		return nil, err
	}
	return card, nil
}
