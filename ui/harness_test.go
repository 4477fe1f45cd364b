package ui

import (
	"context"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/sandboxtest"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// The tests run the viewer against the real sandbox over HTTPS on loopback
// and the virtual PIV card in-process (the PC/SC path is covered by the
// smartcard package and the tmux end-to-end test in cmd/scr).

// Sandbox users (assets/sandbox/README.md).
const (
	userPharmacist = "555000000101" // Priya SHARMA, one viewing role, PIN 123456
	userAEDoctor   = "555000000102" // James OKAFOR, emergency access (B0168), PIN 102102
	userReception  = "555000000103" // receptionist: no viewing role
	userOfficer    = "555000000104" // privacy officer (B0015/B0016)
	userLocum      = "555000000105" // two pharmacy roles
)

var userPIN = map[string]string{
	userPharmacist: "123456", userAEDoctor: "102102", userReception: "103103",
	userOfficer: "104104", userLocum: "105105",
}

const testReader = "Test Reader 00 00"

// startSandbox serves the sandbox for one test and returns a client of it.
func startSandbox(t testing.TB, cfg sandbox.Config) (*sandbox.Server, *client.Client) {
	t.Helper()
	srv := sandboxtest.Start(t, cfg)
	c, err := client.New(client.Config{Server: srv.URL(), CAPEM: srv.CACertPEM(), RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// identity is a sandbox user's card contents.
func identity(t testing.TB, uuid string) virtual.Identity {
	t.Helper()
	var id virtual.Identity
	var err error
	if uuid == userPharmacist {
		id, err = virtual.DemoIdentity()
	} else {
		var sub fs.FS
		sub, err = fs.Sub(assets.Cards, uuid)
		if err == nil {
			id, err = virtual.LoadIdentityFS(sub)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// testCards is one reader holding an in-process virtual card, with events
// sent as the test inserts and removes cards.
type testCards struct {
	mu     sync.Mutex
	card   *virtual.Card
	events chan smartcard.Event
}

func newTestCards(t testing.TB, uuid string) *testCards {
	t.Helper()
	card, err := virtual.New(identity(t, uuid), virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &testCards{card: card, events: make(chan smartcard.Event, 16)}
}

func (tc *testCards) Watch(ctx context.Context) (<-chan smartcard.Event, error) {
	out := make(chan smartcard.Event)
	go func() {
		defer close(out)
		send := func(ev smartcard.Event) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(smartcard.Event{Kind: smartcard.ReaderAdded, Reader: testReader}) {
			return
		}
		tc.mu.Lock()
		present := tc.card.Present()
		tc.mu.Unlock()
		if present && !send(smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}) {
			return
		}
		for {
			select {
			case ev := <-tc.events:
				if !send(ev) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (tc *testCards) Open(reader string) (Card, error) {
	tc.mu.Lock()
	card := tc.card
	tc.mu.Unlock()
	if reader != testReader || !card.Present() {
		return nil, smartcard.ErrNoCard
	}
	return OpenCard(reader, card, nil)
}

// remove pulls the card out.
func (tc *testCards) remove() {
	tc.mu.Lock()
	tc.card.Remove()
	tc.mu.Unlock()
	tc.events <- smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}
}

// insert puts another user's card in.
func (tc *testCards) insert(t testing.TB, uuid string) {
	t.Helper()
	card, err := virtual.New(identity(t, uuid), virtual.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tc.mu.Lock()
	tc.card = card
	tc.mu.Unlock()
	tc.events <- smartcard.Event{Kind: smartcard.CardInserted, Reader: testReader}
}
