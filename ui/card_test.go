package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestCardHeading: the card screen asks for the card that is wanted: one put
// in, while the reader is empty; put in again, while a card sits there unread
// (after a sign-out for the wrong user, or a card that could not be read);
// nothing, while it is being read. A card in a reader --reader does not name
// is not the one asked about. The plain mode says the same.
func TestCardHeading(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name    string
		readers map[string]bool
		opening string
		only    string
		want    string
	}{
		{"empty", map[string]bool{testReader: false}, "", "", "Insert your smartcard."},
		{"card in, not read", map[string]bool{testReader: true}, "", "", "To sign in, take the card out and put it in again, or put in another."},
		{"being read", map[string]bool{testReader: true}, testReader, "", "Reading your smartcard…"},
		{"card in another reader", map[string]bool{testReader: false, "Other Reader 01": true}, "", testReader, "Insert your smartcard."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := f.in(stateCard)
			m.sess.readers, m.sess.opening, m.sess.opts.Reader = tc.readers, tc.opening, tc.only
			if got := ansi.Strip(m.render()); !strings.Contains(got, tc.want) {
				t.Errorf("the screen does not ask %q:\n%s", tc.want, got)
			}
			if got := strings.Join(cardScreen{}.says(&m.sess).text, "\n"); !strings.Contains(got, tc.want) {
				t.Errorf("the plain mode does not say %q:\n%s", tc.want, got)
			}
		})
	}
}
