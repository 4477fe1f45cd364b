package smartcard_test

// These tests run the PC/SC path users run: a real pcscd, the vsmartcard vpcd
// reader, and scr-vcard as the card, reached through ebfe/scard.

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// identityDir writes id where scr-vcard --identity reads it.
func identityDir(t *testing.T, id virtual.Identity) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "card")
	if err := pki.WriteCard(dir, id.Key, id.Cert, string(id.PIN)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func establish(t *testing.T) *smartcard.Context {
	t.Helper()
	pcsctest.Need(t)
	sc, err := smartcard.Establish()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Release() })
	return sc
}

func connect(t *testing.T, sc *smartcard.Context, reader string) *smartcard.PCSCConn {
	t.Helper()
	card, err := sc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { card.Close() })
	return card
}

func TestPCSCReadersListed(t *testing.T) {
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	readers, err := sc.Readers()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(readers, func(r smartcard.ReaderState) bool { return r.Name == slot.Reader })
	if i < 0 {
		t.Fatalf("reader %q not in %+v", slot.Reader, readers)
	}
	if r := readers[i]; !r.CardPresent || len(r.ATR) == 0 {
		t.Fatalf("reader state = %+v, want a card with an ATR", r)
	}
}

// nextEvent waits for the next event of the given kind on reader, skipping others.
func nextEvent(t *testing.T, events <-chan smartcard.Event, kind smartcard.EventKind, reader string, within time.Duration) smartcard.Event {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event channel closed while waiting for %v on %q", kind, reader)
			}
			if ev.Kind == kind && ev.Reader == reader {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v on %q within %v", kind, reader, within)
		}
	}
}

// noEvent fails if reader has an event within the given time.
func noEvent(t *testing.T, events <-chan smartcard.Event, reader string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev := <-events:
			if ev.Reader == reader {
				t.Fatalf("unexpected event %v", ev)
			}
		case <-deadline:
			return
		}
	}
}

func TestPCSCWatchInsertAndRemove(t *testing.T) {
	pcsctest.Need(t)
	slot := pcsctest.TakeSlot(t)
	vcard := pcsctest.StartVCard(t, slot, "--removed")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := smartcard.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, events, smartcard.ReaderAdded, slot.Reader, 2*time.Second)

	vcard.Insert()
	// A user expects the screen to react to their card at once; pcscd polls the
	// vpcd reader, so allow its polling period, not more.
	ev := nextEvent(t, events, smartcard.CardInserted, slot.Reader, time.Second)
	if len(ev.ATR) == 0 {
		t.Error("CardInserted carries no ATR")
	}
	// Using the card, and another program resetting it, are not removals.
	sc := establish(t)
	card := connect(t, sc, slot.Reader)
	if err := smartcard.NewPIV(card).VerifyPIN(pin(testPIN)); err != nil {
		t.Fatal(err)
	}
	if err := card.Close(); err != nil {
		t.Fatal(err)
	}
	noEvent(t, events, slot.Reader, time.Second)

	vcard.Remove()
	nextEvent(t, events, smartcard.CardRemoved, slot.Reader, time.Second)

	cancel()
	deadline := time.After(time.Second)
	for closed := false; !closed; {
		select {
		case _, ok := <-events:
			closed = !ok
		case <-deadline:
			t.Fatal("Watch did not stop within 1 s of cancellation")
		}
	}
}

func TestPCSCWatchSeveralReaders(t *testing.T) {
	pcsctest.Need(t)
	slots := pcsctest.TakeSlots(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := smartcard.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		pcsctest.StartVCard(t, s)
	}
	for _, s := range slots {
		nextEvent(t, events, smartcard.CardInserted, s.Reader, 3*time.Second)
	}
}

func TestPCSCCertificateAndSignatures(t *testing.T) {
	ec, rs := identities(t)
	sc := establish(t)
	for _, tt := range []struct {
		name string
		id   virtual.Identity
		args []string
	}{
		{"ECC P-256", ec, nil},
		{"RSA-2048 gzip certificate", rs, []string{"--compress-cert"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			slot := pcsctest.TakeSlot(t)
			pcsctest.StartVCard(t, slot, append([]string{"--identity", identityDir(t, tt.id)}, tt.args...)...)
			p := smartcard.NewPIV(connect(t, sc, slot.Reader))

			cert, err := p.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			if !cert.Equal(tt.id.Cert) {
				t.Fatal("certificate read through pcscd differs from the card's")
			}
			var wrong *smartcard.WrongPINError
			if err := p.VerifyPIN(pin("000000")); !errors.As(err, &wrong) || wrong.TriesLeft != 2 {
				t.Fatalf("wrong PIN: err = %v, want 2 tries left", err)
			}
			if st, err := p.PINStatus(); err != nil || st.TriesLeft != 2 {
				t.Fatalf("PINStatus() = %+v, %v; want 2 tries left", st, err)
			}
			key, err := p.AuthKey(cert)
			if err != nil {
				t.Fatal(err)
			}
			digest := sha256.Sum256([]byte("challenge through pcscd"))
			sig, err := key.SignWithPIN(pin(testPIN), digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, cert.PublicKey, crypto.SHA256, digest[:], sig)
			if st, err := p.PINStatus(); err != nil || !st.Verified {
				t.Fatalf("after the right PIN, PINStatus() = %+v, %v", st, err)
			}
		})
	}
}

func TestPCSCPINBlocks(t *testing.T) {
	ec, _ := identities(t)
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot, "--identity", identityDir(t, ec))
	p := smartcard.NewPIV(connect(t, sc, slot.Reader))
	for range 2 {
		var wrong *smartcard.WrongPINError
		if err := p.VerifyPIN(pin("111111")); !errors.As(err, &wrong) {
			t.Fatalf("wrong PIN: err = %v", err)
		}
	}
	if err := p.VerifyPIN(pin("111111")); !errors.Is(err, smartcard.ErrPINBlocked) {
		t.Fatalf("third wrong PIN: err = %v, want ErrPINBlocked", err)
	}
	if err := p.VerifyPIN(pin(testPIN)); !errors.Is(err, smartcard.ErrPINBlocked) {
		t.Fatalf("right PIN after blocking: err = %v, want ErrPINBlocked", err)
	}
}

func TestPCSCCardRemovedMidOperation(t *testing.T) {
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	// SELECT, then GET DATA for the certificate: the card is pulled when the
	// certificate read has begun.
	pcsctest.StartVCard(t, slot, "--remove-after", "2")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := smartcard.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nextEvent(t, events, smartcard.CardInserted, slot.Reader, 2*time.Second)

	p := smartcard.NewPIV(connect(t, sc, slot.Reader))
	if _, err := p.Certificate(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("Certificate() with the card pulled out: err = %v, want ErrCardRemoved", err)
	}
	nextEvent(t, events, smartcard.CardRemoved, slot.Reader, 2*time.Second)
	if _, err := p.PINStatus(); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("PINStatus() on a removed card: err = %v, want ErrCardRemoved", err)
	}
}

func TestPCSCCardResetByAnotherProgram(t *testing.T) {
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	p := smartcard.NewPIV(connect(t, sc, slot.Reader))
	if err := p.VerifyPIN(pin("123456")); err != nil {
		t.Fatal(err)
	}
	// Another program connects and resets the card on its way out.
	other, err := sc.Connect(slot.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := p.PINStatus()
	if err != nil {
		t.Fatalf("PINStatus() after another program's reset: %v", err)
	}
	if st.Verified {
		t.Fatal("the PIN is still verified after a card reset")
	}
}

func TestPCSCNoCardInReader(t *testing.T) {
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot, "--removed")
	if _, err := sc.Connect(slot.Reader); !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("Connect() to an empty reader: err = %v, want ErrCardRemoved", err)
	}
}

func BenchmarkPCSCSignWithPIN(b *testing.B) {
	pcsctest.Need(b)
	slot := pcsctest.TakeSlot(b)
	pcsctest.StartVCard(b, slot)
	sc, err := smartcard.Establish()
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Release()
	card, err := sc.Connect(slot.Reader)
	if err != nil {
		b.Fatal(err)
	}
	defer card.Close()
	p := smartcard.NewPIV(card)
	cert, err := p.Certificate()
	if err != nil {
		b.Fatal(err)
	}
	key, err := p.AuthKey(cert)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("bench"))
	times := make([]time.Duration, 0, b.N)
	before := p.APDUs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := key.SignWithPIN([]byte(testPIN), digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(p.APDUs()-before)/float64(len(times)), "apdus/op")
}
