package smartcard_test

import (
	"errors"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/pki"
	"github.com/scrterm/scr/internal/safetext/safetexttest"
	"github.com/scrterm/scr/smartcard"
)

// TestHolderOfGatesTheName: a card whose certificate names its holder with
// escape sequences, bidi controls and invisible characters gives the name
// without them, for "Card of …" and the lock screen to show as it is; an ID
// with anything in it but its 12 digits names no one; and a name of nothing
// but what the gate removes is no name.
func TestHolderOfGatesTheName(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	holderOf := func(name, uuid string) (smartcard.Holder, error) {
		t.Helper()
		cert, err := ca.IssueCard(pki.Holder{Name: name, UUID: uuid}, key.Public(), now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return smartcard.HolderOf(cert)
	}

	h, err := holderOf(safetexttest.Inject("Priya SHARMA"), "555000000101")
	if err != nil || h.Name != "Priya SHARMA" || h.UUID != "555000000101" {
		t.Errorf("holder %+v, %v", h, err)
	}
	h, err = holderOf("Priya SHARMA", safetexttest.Inject("555000000101"))
	if !errors.Is(err, smartcard.ErrNoHolder) || h.UUID != "555000000101" {
		t.Errorf("an ID with escapes in it: %+v, %v", h, err)
	}
	if f := safetexttest.Foreign([]byte(h.Name + h.UUID)); len(f) > 0 {
		t.Errorf("foreign: %v", f)
	}
	if _, err := holderOf(safetexttest.Hostile, "555000000101"); !errors.Is(err, smartcard.ErrNoHolder) {
		t.Errorf("a name of nothing but escapes: %v", err)
	}
}
