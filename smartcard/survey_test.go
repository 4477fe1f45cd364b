package smartcard_test

import (
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/scrterm/scr/internal/pcsctest"
	"github.com/scrterm/scr/smartcard"
	"github.com/scrterm/scr/smartcard/virtual"
)

// The survey reports what the card says, and the card's own error when it
// cannot be read: not Open's step, and nothing of a key that cannot sign.
func TestInspect(t *testing.T) {
	ec, _ := identities(t)
	rep := smartcard.Inspect("R", []byte{0x3B}, newCard(t, ec, virtual.Options{}))
	if rep.Err != nil || !rep.Certificate.Equal(ec.Cert) || rep.Holder.UUID != testHolder.UUID || rep.PIN.TriesLeft != 3 {
		t.Fatalf("Inspect = %+v", rep)
	}

	for _, tt := range []struct {
		name string
		conn smartcard.Conn
		want error
	}{
		{"no PIV application", answering{sel: []byte{0x6A, 0x82}}, smartcard.ErrNotPIV},
		{"no certificate", answering{sel: []byte{0x90, 0x00}, getData: []byte{0x6A, 0x82}}, smartcard.ErrNoCertificate},
	} {
		if rep := smartcard.Inspect("R", nil, tt.conn); rep.Err != tt.want || rep.Certificate != nil {
			t.Errorf("%s: Err %#v, want %v itself", tt.name, rep.Err, tt.want)
		}
	}

	rep = smartcard.Inspect("R", nil, noHolderCard(t))
	if !errors.Is(rep.Err, smartcard.ErrNoHolder) || rep.Holder.Name != "Test USER" || rep.PIN.TriesLeft != 3 || rep.Certificate == nil {
		t.Errorf("no holder: %+v", rep)
	}

	p521 := selfSigned(t, elliptic.P521())
	rep = smartcard.Inspect("R", nil, answering{sel: []byte{0x90, 0x00}, getData: certObject(p521.Raw)})
	var se *smartcard.StatusError
	if errors.Is(rep.Err, smartcard.ErrUnsupportedKey) || !errors.As(rep.Err, &se) || rep.Holder.UUID != testHolder.UUID {
		t.Errorf("P-521: %+v; want only the PIN status's error", rep)
	}
}

// SELECT sends the AID that PIVAID writes out.
func TestPIVAID(t *testing.T) {
	rec := &recording{answering: answering{sel: []byte{0x6A, 0x82}}}
	_, _ = smartcard.Open("R", rec, nil)
	if len(rec.cmds) == 0 {
		t.Fatal("Open sent nothing")
	}
	sel, _, err := smartcard.ParseCommand(rec.cmds[0])
	if err != nil || sel.INS != 0xA4 {
		t.Fatalf("first command % X, %v; want SELECT", rec.cmds[0], err)
	}
	if got := fmt.Sprintf("% X", sel.Data); got != smartcard.PIVAID() || got != "A0 00 00 03 08" {
		t.Errorf("SELECT sends %s, PIVAID() says %s", got, smartcard.PIVAID())
	}
}

// recording is answering, keeping the commands sent.
type recording struct {
	answering
	cmds [][]byte
}

func (r *recording) Transmit(cmd []byte) ([]byte, error) {
	r.cmds = append(r.cmds, slices.Clone(cmd))
	return r.answering.Transmit(cmd)
}

// The survey leaves the card as it found it: a PIN another program verified
// stays verified.
func TestPCSCSurveyLeavesTheCard(t *testing.T) {
	sc := establish(t)
	slot := pcsctest.TakeSlot(t)
	pcsctest.StartVCard(t, slot)
	p := smartcard.NewPIV(connect(t, sc, slot.Reader))
	if err := p.VerifyPIN(pin(testPIN)); err != nil {
		t.Fatal(err)
	}
	rep := sc.InspectReader(slot.Reader)
	if rep.Err != nil || rep.Certificate == nil || rep.Holder.UUID == "" || len(rep.ATR) == 0 || !rep.PIN.Verified {
		t.Fatalf("survey = %+v", rep)
	}
	if st, err := p.PINStatus(); err != nil || !st.Verified {
		t.Fatalf("after the survey, PINStatus() = %+v, %v; want still verified", st, err)
	}
}

// OpenReader opens the card through a context of its own, and closing the
// card resets it (undoing the PIN verified through it) and releases that
// context.
func TestPCSCOpenReader(t *testing.T) {
	sc := establish(t)
	slots := pcsctest.TakeSlots(t, 2)
	slot, empty := slots[0], slots[1]
	pcsctest.StartVCard(t, slot)
	card, err := smartcard.OpenReader(slot.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if card.Reader() != slot.Reader || card.Usable() != nil || card.Holder().UUID == "" {
		t.Fatalf("opened %q, usable %v, holder %+v", card.Reader(), card.Usable(), card.Holder())
	}
	if err := card.VerifyPIN(pin(testPIN)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := card.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := smartcard.NewPIV(connect(t, sc, slot.Reader)).PINStatus(); err != nil || st.Verified {
		t.Fatalf("after Close, PINStatus() = %+v, %v; want the card reset", st, err)
	}

	pcsctest.StartVCard(t, empty, "--removed")
	if card, err := smartcard.OpenReader(empty.Reader); card != nil || !errors.Is(err, smartcard.ErrCardRemoved) {
		t.Fatalf("OpenReader of an empty reader = %v, %v; want ErrCardRemoved", card, err)
	}
}
