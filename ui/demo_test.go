package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/sandbox"
)

// demoCards are sandbox cards as the demo offers them.
var demoCards = []DemoCard{
	{UUID: userPharmacist, Name: "Priya SHARMA", What: "pharmacist: the demo card", Passcode: userPIN[userPharmacist]},
	{UUID: userAEDoctor, Name: "James OKAFOR", What: "A&E doctor: emergency access", Passcode: userPIN[userAEDoctor]},
	{UUID: userReception, Name: "Jordan BAKER", What: "receptionist: no role views an SCR", Passcode: userPIN[userReception]},
	{UUID: userOfficer, Name: "Helen WOODS", What: "privacy officer: audit reports", Passcode: userPIN[userOfficer]},
	{UUID: userLocum, Name: "Daniel OSEI", What: "locum: roles at two pharmacies", Passcode: userPIN[userLocum]},
}

// TestDemoPicker: with the demo's reader empty, the card screen lists every
// sandbox card; the arrows move, enter puts the card in and the passcode
// shown is that card's; pulled out, the picker is back to choose another.
func TestDemoPicker(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			_, cl := startSandbox(t, sandbox.Config{RateLimit: 1000})
			cards := newTestCards(t, userPharmacist)
			cards.card.Remove()
			inserted := make(chan string, 4)
			demo := &Demo{Cards: demoCards, Insert: func(uuid string) {
				inserted <- uuid
				cards.insert(t, uuid)
			}, Patients: []DemoPatient{{NHSNumber: "9000000017", What: "allergies and medication"}}}
			s := newScreen(t, Options{Client: cl, Cards: cards, Demo: demo}, size[0], size[1])

			want := []string{"Choose a card to put in", "> Priya SHARMA"}
			for _, c := range demoCards {
				want = append(want, c.Name, "(passcode "+c.Passcode+")")
			}
			s.shot(t, "picker", append(want, "Test Reader 00 00: empty")...)
			if txt := s.text(); strings.Contains(txt, "9000000017") {
				t.Errorf("the patients are listed before a card is in:\n%s", txt)
			}

			s.press("up") // wraps round to the last
			s.waitFor("> Daniel OSEI ")
			s.press("down")
			s.press("down")
			s.press("down")
			s.press("down")
			s.waitFor("> Helen WOODS ")
			s.press("enter")
			s.waitFor("Card of Helen WOODS", "Passcode 104104", "9000000017")
			if got := <-inserted; got != userOfficer {
				t.Errorf("enter put in %s, want the privacy officer's %s", got, userOfficer)
			}

			cards.remove()
			s.waitFor("Choose a card to put in", "> Helen WOODS ")
		})
	}
}

// TestDemoPickerNotWithoutDemo: no picker, and the arrows and enter do
// nothing, outside the demo or with a card in.
func TestDemoPickerNotWithoutDemo(t *testing.T) {
	f := newFixture(t)
	m := f.in(stateCard)
	if demoPicking(&m.sess) {
		t.Error("a picker outside the demo")
	}
	m.sess.opts.Demo = &Demo{Cards: demoCards, Insert: func(string) { t.Error("a card was put in") }}
	m.sess.readers = map[string]bool{testReader: true}
	if demoPicking(&m.sess) {
		t.Error("a picker with a card in the reader")
	}
	for _, k := range []string{"down", "enter"} {
		next, cmd := m.Update(keyPress(k))
		got := next.(Model)
		if cmd != nil || got.sess.demoPick != 0 {
			t.Errorf("%s with a card in: pick %d, command %v", k, got.sess.demoPick, cmd != nil)
		}
	}
}
