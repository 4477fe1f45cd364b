package demo

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/scrterm/scr/assets"
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
