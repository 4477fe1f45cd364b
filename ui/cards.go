package ui

import (
	"context"
	"errors"

	"github.com/scrterm/scr/smartcard"
)

// PCSC is the Cards of a real machine: readers through the PC/SC service.
func PCSC() Cards { return pcscCards{} }

type pcscCards struct{}

func (pcscCards) Watch(ctx context.Context) (<-chan smartcard.Event, error) {
	return smartcard.Watch(ctx)
}

// Open opens the card in reader through a PC/SC context of its own, which
// closing the card releases.
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
	return OpenCard(reader, conn, func() error { return errors.Join(conn.Close(), pc.Release()) })
}

// OpenCard opens the card on conn, in reader (smartcard.Open), and takes it
// only if it can sign its holder in; closer, if not nil, is called by Close,
// or at once if the card is not taken. The demo's in-process card comes
// through here as well as a PC/SC one.
func OpenCard(reader string, conn smartcard.Conn, closer func() error) (Card, error) {
	card, err := smartcard.Open(reader, conn, closer)
	if err != nil {
		return nil, err
	}
	if err := card.Usable(); err != nil {
		_ = card.Close()
		return nil, err
	}
	return card, nil
}
