package demo

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/smartcard"
)

// TestSandboxCards: every sandbox user has a card the demo can insert, its
// holder named as users.json names them, with a note and a passcode.
func TestSandboxCards(t *testing.T) {
	cards, err := SandboxCards()
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 7 || cards[0].UUID != DemoUUID || cards[0].Passcode != Passcode {
		t.Fatalf("cards %+v", cards)
	}
	for _, c := range cards {
		if c.What == "" || c.Name == "" || len(c.Passcode) < 6 || !strings.Contains(string(assets.Users), c.Name) {
			t.Errorf("card %+v", c)
		}
	}
	var unknown *UnknownCardError
	if _, err := StartCard(context.Background(), "555000000999"); !errors.As(err, &unknown) {
		t.Errorf("unknown card: %v", err)
	}
}

// TestStartCard: the demo inserts the card asked for; the card reader shows
// its holder, and the passcode hint is that card's.
func TestStartCard(t *testing.T) {
	env, err := StartCard(context.Background(), "555000000102")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	if env.Info.Passcode != "102102" || env.Card.Name != "James OKAFOR" {
		t.Errorf("info %+v, card %+v", env.Info, env.Card)
	}
	card, err := env.Cards.Open(Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if h := card.Holder(); h.Name != "James OKAFOR" || h.UUID != "555000000102" {
		t.Errorf("holder %+v", h)
	}
}

// TestStartWithNoCard: with no card named, the reader starts empty and the
// viewer is offered every sandbox card; Insert puts one in, and another in
// its place, each change reported in order.
func TestStartWithNoCard(t *testing.T) {
	env, err := StartCard(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	if _, err := env.Cards.Open(Reader); !errors.Is(err, smartcard.ErrNoCard) {
		t.Fatalf("Open of the empty reader: %v", err)
	}
	all, err := SandboxCards()
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Info.Cards) != len(all) || env.Info.Insert == nil || env.Info.Passcode != "" {
		t.Fatalf("info %+v", env.Info)
	}
	for i, c := range env.Info.Cards {
		if c.UUID != all[i].UUID || c.Name != all[i].Name || c.Passcode != all[i].Passcode || c.What != all[i].What {
			t.Errorf("card %d: %+v, want %+v", i, c, all[i])
		}
	}
	ch, err := env.Cards.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want(t, next(t, ch), smartcard.ReaderAdded)

	holder := func() string {
		t.Helper()
		card, err := env.Cards.Open(Reader)
		if err != nil {
			t.Fatal(err)
		}
		defer card.Close()
		return card.Holder().Name
	}
	env.Info.Insert("555000000104")
	want(t, next(t, ch), smartcard.CardInserted)
	if h := holder(); h != "Helen WOODS" {
		t.Errorf("holder %q, want the privacy officer", h)
	}
	env.Info.Insert("555000000104") // already in: nothing happens
	env.Info.Insert("555000000102")
	want(t, next(t, ch), smartcard.CardRemoved)
	want(t, next(t, ch), smartcard.CardInserted)
	if h := holder(); h != "James OKAFOR" {
		t.Errorf("holder %q, want the A&E doctor", h)
	}
	env.Info.ToggleCard()
	want(t, next(t, ch), smartcard.CardRemoved)
	env.Info.ToggleCard()
	want(t, next(t, ch), smartcard.CardInserted)
	if h := holder(); h != "James OKAFOR" {
		t.Errorf("after F2 twice, holder %q, want the A&E doctor again", h)
	}
	env.Info.Insert("555000000999") // no such card: nothing happens,
	env.Info.ToggleCard()           // so the next event is this one's
	want(t, next(t, ch), smartcard.CardRemoved)
}
