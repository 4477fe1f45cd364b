package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scrterm/scr/smartcard"
)

func TestExplain(t *testing.T) {
	pcscErr := func(kind error) error {
		return fmt.Errorf("reading the card: %w", &smartcard.PCSCError{Op: "SCardTransmit", Code: 0x80100069, Text: "x", Kind: kind})
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"two tries", &smartcard.WrongPINError{TriesLeft: 2}, "Wrong passcode. 2 tries left before the card is locked."},
		{"one try", fmt.Errorf("sign in: %w", &smartcard.WrongPINError{TriesLeft: 1}), "Wrong passcode. 1 try left before the card is locked."},
		{"blocked", smartcard.ErrPINBlocked, "This card is locked after too many wrong passcodes. Contact your Registration Authority to unlock it."},
		{"no pcscd", pcscErr(smartcard.ErrNoService), "The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT."},
		{"no reader", smartcard.ErrNoReaders, "No card reader is connected. Plug in a reader, or check its cable."},
		{"removed", pcscErr(smartcard.ErrCardRemoved), "The card was removed."},
		{"unreadable", pcscErr(smartcard.ErrCardUnreadable), "The card cannot be read. Take it out, check it is the right way up, and insert it again."},
		{"not PIV", smartcard.ErrNotPIV, "This card is not an NHS smartcard, or it holds no sign-in certificate. Check you inserted the right card, or contact your Registration Authority."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.err); got != tt.want {
				t.Errorf("Explain() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Explain(fmt.Errorf("something new")); !strings.HasPrefix(got, "The card could not be used: ") {
		t.Errorf("unknown error explained as %q", got)
	}
}
