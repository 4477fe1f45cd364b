package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// eventWait bounds each wait for an event in tests not run in a bubble.
const eventWait = 5 * time.Second

func start(t *testing.T) *Env {
	t.Helper()
	env, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return env
}

func next(t *testing.T, ch <-chan smartcard.Event) smartcard.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the event channel closed early")
		}
		return ev
	case <-time.After(eventWait):
		t.Fatalf("no event within %v", eventWait)
	}
	return smartcard.Event{}
}

func want(t *testing.T, ev smartcard.Event, kind smartcard.EventKind) {
	t.Helper()
	if ev.Kind != kind || ev.Reader != Reader {
		t.Fatalf("event %v, want %v: %s", ev, kind, Reader)
	}
	if kind == smartcard.CardInserted && len(ev.ATR) == 0 {
		t.Fatalf("%v carries no ATR", ev)
	}
}

func TestStartServesHTTPSTrustedByCAPEM(t *testing.T) {
	env := start(t)
	if !strings.HasPrefix(env.ServerURL, "https://127.0.0.1:") {
		t.Fatalf("ServerURL %q, want https on 127.0.0.1", env.ServerURL)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(env.CAPEM) {
		t.Fatalf("CAPEM holds no certificate: %q", env.CAPEM)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: eventWait}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(env.ServerURL + "/no-such-endpoint")
	if err != nil {
		t.Fatalf("GET with only CAPEM trusted: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if resp.StatusCode != http.StatusNotFound || json.NewDecoder(resp.Body).Decode(&body) != nil {
		t.Fatalf("unknown path: %s, want a 404 in JSON", resp.Status)
	}
	// The viewer's own client accepts the same configuration.
	if _, err := client.New(client.Config{Server: env.ServerURL, CAPEM: env.CAPEM}); err != nil {
		t.Fatalf("client.New: %v", err)
	}
}

func TestInfo(t *testing.T) {
	env := start(t)
	if env.Info.Passcode != "123456" {
		t.Errorf("Passcode %q", env.Info.Passcode)
	}
	id, err := virtual.DemoIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if string(id.PIN) != env.Info.Passcode {
		t.Errorf("the demo card's PIN is %q, the demo tells the user %q", id.PIN, env.Info.Passcode)
	}
	if env.Info.ToggleCard == nil {
		t.Error("ToggleCard is nil")
	}
	if len(env.Info.Patients) < 5 || env.Info.Patients[0].NHSNumber != "9000000009" {
		t.Errorf("Patients %v", env.Info.Patients)
	}
	superseded, err := fs.ReadFile(assets.Patients, "superseded.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range env.Info.Patients {
		if _, err := client.ParseNHSNumber(p.NHSNumber); err != nil {
			t.Errorf("%s: %v", p.NHSNumber, err)
		}
		if p.What == "" {
			t.Errorf("%s: no description", p.NHSNumber)
		}
		if _, err := fs.Stat(assets.Patients, p.NHSNumber+"/patient.json"); err != nil &&
			!strings.Contains(string(superseded), `"`+p.NHSNumber+`"`) {
			t.Errorf("%s is not a sandbox patient", p.NHSNumber)
		}
	}
}

func TestWatchToggleOpen(t *testing.T) {
	env := start(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := env.Cards.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want(t, next(t, ch), smartcard.ReaderAdded)
	want(t, next(t, ch), smartcard.CardInserted)

	card, err := env.Cards.Open(Reader)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if h := card.Holder(); h.Name != "Priya SHARMA" || h.UUID != "555000000101" {
		t.Fatalf("holder %+v, want Priya SHARMA 555000000101", h)
	}
	if st, err := card.PINStatus(); err != nil || st.TriesLeft != 3 {
		t.Fatalf("PINStatus = %+v, %v; want 3 tries", st, err)
	}

	env.Info.ToggleCard()
	want(t, next(t, ch), smartcard.CardRemoved)
	if _, err := card.PINStatus(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("PINStatus on the pulled card: %v, want ErrCardRemoved", err)
	}
	if err := card.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := env.Cards.Open(Reader); !errors.Is(err, smartcard.ErrNoCard) {
		t.Fatalf("Open with the card out: %v, want ErrNoCard", err)
	}

	env.Info.ToggleCard()
	want(t, next(t, ch), smartcard.CardInserted)
	card, err = env.Cards.Open(Reader)
	if err != nil {
		t.Fatalf("Open after reinsertion: %v", err)
	}
	defer card.Close()
	if h := card.Holder(); h.Name != "Priya SHARMA" {
		t.Fatalf("holder after reinsertion %+v", h)
	}

	if _, err := env.Cards.Open("Virtual PCD 00 00"); err == nil {
		t.Fatal("Open of another reader succeeded")
	}

	// A watcher started while the card is out hears of no card.
	env.Info.ToggleCard()
	want(t, next(t, ch), smartcard.CardRemoved)
	ch2, err := env.Cards.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want(t, next(t, ch2), smartcard.ReaderAdded)
	env.Info.ToggleCard()
	want(t, next(t, ch2), smartcard.CardInserted)
	want(t, next(t, ch), smartcard.CardInserted)

	cancel()
	for _, c := range []<-chan smartcard.Event{ch, ch2} {
		select {
		case _, ok := <-c:
			if ok {
				t.Fatal("an event after the watch ended")
			}
		case <-time.After(eventWait):
			t.Fatal("the channel stayed open after ctx ended")
		}
	}
}

func TestWatchEndedContext(t *testing.T) {
	env := start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := env.Cards.Watch(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch with an ended ctx: %v", err)
	}
}

// TestToggleNeverBlocks toggles many times with nobody reading, as the
// viewer's event loop may, then reads every event in order; and, in a
// bubble, checks that ending ctx leaves no goroutine behind (synctest.Test
// fails if one is still blocked when the test returns).
func TestToggleNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id, err := virtual.DemoIdentity()
		if err != nil {
			t.Fatal(err)
		}
		card, err := virtual.New(id, virtual.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cards := NewCards(Reader, card)
		ctx, cancel := context.WithCancel(t.Context())
		ch, err := cards.Watch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const toggles = 101
		for range toggles {
			cards.Toggle()
		}
		if card.Present() {
			t.Fatal("after an odd number of toggles the card is in")
		}
		var got []smartcard.EventKind
		for range toggles + 2 {
			got = append(got, (<-ch).Kind)
		}
		for i, k := range got {
			wantKind := smartcard.CardInserted
			switch {
			case i == 0:
				wantKind = smartcard.ReaderAdded
			case i%2 == 0:
				wantKind = smartcard.CardRemoved
			}
			if k != wantKind {
				t.Fatalf("event %d is %v, want %v (all: %v)", i, k, wantKind, got)
			}
		}
		cards.Toggle() // queued, never read
		cancel()
		synctest.Wait()
		if _, ok := <-ch; ok {
			t.Fatal("channel still open after ctx ended")
		}
		cards.mu.Lock()
		n := len(cards.watchers)
		cards.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d watchers left after ctx ended", n)
		}
	})
}

func TestClose(t *testing.T) {
	env, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := env.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.CAPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: eventWait}
	if resp, err := hc.Get(env.ServerURL + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("the sandbox still answers after Close: %s", resp.Status)
	}
}
