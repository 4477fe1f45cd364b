package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// passcodeField is a masked entry for the card's passcode. It is written
// here rather than taken from bubbles/textinput because it must keep the
// digits in a byte slice it can wipe: a string cannot be wiped, and a
// passcode must not linger in memory after it has been sent to the card.
type passcodeField struct {
	digits []byte
}

// maxPasscode is PIV's longest PIN (SP 800-73-4 Part 2, 3.2.1: 8 bytes).
const maxPasscode = 8

func (f passcodeField) update(msg tea.KeyPressMsg) passcodeField {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if n := len(f.digits); n > 0 {
			f.digits[n-1] = 0
			f.digits = f.digits[:n-1]
		}
		return f
	case "ctrl+u":
		// Only ctrl+u clears: Esc means back, and there is no back from here.
		f.wipe()
		return f
	}
	// Only digits are taken; anything else would only fail at the card.
	for _, r := range msg.Text {
		if r >= '0' && r <= '9' && len(f.digits) < maxPasscode {
			if f.digits == nil {
				f.digits = make([]byte, 0, maxPasscode)
			}
			f.digits = append(f.digits, byte(r))
		}
	}
	return f
}

// take hands the digits over and leaves the field empty: the caller owns
// (and wipes) the slice.
func (f *passcodeField) take() []byte {
	d := f.digits
	f.digits = nil
	return d
}

// wipe zeroes and drops the digits.
func (f *passcodeField) wipe() {
	clear(f.digits[:cap(f.digits)])
	f.digits = nil
}

func (f passcodeField) view() string {
	return strings.Repeat("●", len(f.digits)) + strings.Repeat("·", maxPasscode-len(f.digits))
}
