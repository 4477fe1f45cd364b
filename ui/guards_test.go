package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/internal/sandbox"
	"github.com/scrterm/scr/internal/sandbox/audit"
	"github.com/scrterm/scr/smartcard"
)

// Two guards: a scanned NHS number at the passcode or the lock is not tried
// on the card (it would use up the passcode's tries and lock the card), and
// keys do not reach a screen the too-small window hides.

// freshCard is a new virtual card of the pharmacist, its passcode not yet
// verified: 3 tries left.
func freshCard(t *testing.T) (Card, *smartcard.Card) {
	t.Helper()
	card, err := newTestCards(t, userPharmacist).Open(testReader)
	if err != nil {
		t.Fatal(err)
	}
	piv, ok := card.(*smartcard.Card)
	if !ok {
		t.Fatalf("the test card is a %T", card)
	}
	return card, piv
}

// triesLeft is what the card says of its passcode, by a VERIFY with no
// data (which spends no try).
func triesLeft(t *testing.T, piv *smartcard.Card) int {
	t.Helper()
	st, err := piv.PINStatus()
	if err != nil {
		t.Fatal(err)
	}
	if st.Verified {
		t.Fatal("the card's passcode is verified: it gives no count")
	}
	return st.TriesLeft
}

// passcodeErr is the sentence under the passcode field shown.
func (m Model) passcodeErr() string {
	if m.locked {
		return m.lock.err
	}
	p, _ := m.scr.(passcodeScreen)
	return p.err
}

// onCard is the fixture's model in st (the passcode screen or the lock)
// with a fresh card in, at 80×24.
func onCard(t *testing.T, f fixture, st state) (Model, *smartcard.Card) {
	t.Helper()
	card, piv := freshCard(t)
	m := step(f.in(st), tea.WindowSizeMsg{Width: 80, Height: 24})
	m.sess.card = card
	return m, piv
}

// TestGuardScannedNumberNotTried: ten digits (an NHS number from the
// scanner, its Enter after it) at the passcode or the lock send nothing to
// the card, use no try, wipe the field and say why; eight wrong digits are
// still tried, and cost a try.
func TestGuardScannedNumberNotTried(t *testing.T) {
	f := newFixture(t)
	words := strings.Join(strings.Fields(tooLongPasscode), " ")
	for _, st := range []state{statePasscode, stateLocked} {
		t.Run(st.String()+", scanned", func(t *testing.T) {
			m, piv := onCard(t, f, st)
			before := triesLeft(t, piv)
			m = typed(m, "9000000017")
			d := m.digits()
			if len(d.digits) != maxPasscode || d.extra != 2 {
				t.Fatalf("after 10 digits: %d kept, %d extra", len(d.digits), d.extra)
			}
			txt := ansi.Strip(m.render())
			if n := strings.Count(txt, "●"); n != maxPasscode || !strings.Contains(txt, "too many digits") {
				t.Errorf("after 10 digits, %d dots and no note:\n%s", n, txt)
			}
			kept := d.digits[:cap(d.digits)]
			apdus := piv.APDUs()
			next, cmd := m.Update(keyPress("enter"))
			m = next.(Model)
			if cmd != nil {
				t.Errorf("Enter on 10 digits gave a command: %v", requestsOf(t, cmd))
			}
			if n := piv.APDUs() - apdus; n != 0 {
				t.Errorf("Enter on 10 digits sent %d APDUs to the card", n)
			}
			if got := triesLeft(t, piv); got != before {
				t.Errorf("tries left %d → %d", before, got)
			}
			if m.where() != st {
				t.Errorf("Enter on 10 digits moved to %v", m.where())
			}
			if d := m.digits(); len(d.digits) != 0 || d.extra != 0 {
				t.Errorf("the field still holds %d digits, %d extra", len(d.digits), d.extra)
			}
			for i, b := range kept {
				if b != 0 {
					t.Fatalf("digit %d of the refused entry not wiped", i)
				}
			}
			if m.passcodeErr() != tooLongPasscode {
				t.Errorf("said %q", m.passcodeErr())
			}
			if !strings.Contains(screenWords(m), words) {
				t.Errorf("the sentence is not on screen:\n%s", ansi.Strip(m.render()))
			}
			if strings.Contains(screenWords(m), "too many digits") {
				t.Error("the note stayed after the field was wiped")
			}
			// The passcode after it is tried as ever.
			m = typed(m, userPIN[userPharmacist])
			m, cmd = m.update(keyPress("enter"))
			if cmd == nil {
				t.Fatal("the right passcode after a scan was not tried")
			}
			if st == stateLocked {
				if m = step(m, awaitMsg[unlockedMsg](t, cmd)); m.locked {
					t.Errorf("the right passcode after a scan did not unlock: %q", m.lock.err)
				}
			} else if a := awaitMsg[signedInMsg](t, cmd); a.msg.(signedInMsg).err != nil {
				t.Errorf("the right passcode after a scan did not sign in: %v", a.msg.(signedInMsg).err)
			} else {
				a.msg.(signedInMsg).release()
			}
		})
		t.Run(st.String()+", eight wrong digits", func(t *testing.T) {
			m, piv := onCard(t, f, st)
			before := triesLeft(t, piv)
			m = typed(m, "99999999")
			m, cmd := m.update(keyPress("enter"))
			if cmd == nil {
				t.Fatal("eight digits were not tried")
			}
			var a answerMsg
			if st == stateLocked {
				a = awaitMsg[unlockedMsg](t, cmd)
			} else {
				a = awaitMsg[signedInMsg](t, cmd)
			}
			m = step(m, a)
			if got := triesLeft(t, piv); got != before-1 {
				t.Errorf("tries left %d → %d, want one fewer", before, got)
			}
			if want := "Wrong passcode. 2 tries left"; !strings.Contains(m.passcodeErr(), want) {
				t.Errorf("said %q, want %q", m.passcodeErr(), want)
			}
		})
	}
}

// TestGuardPasscodeFieldExtra: the digits past the eighth are counted,
// never kept or shown; Backspace takes them off first, so an entry one
// digit too long, corrected, is tried; ctrl+u clears it all.
func TestGuardPasscodeFieldExtra(t *testing.T) {
	var f passcodeField
	for _, r := range "123456789" {
		f = f.update(keyPress(string(r)))
	}
	if string(f.digits) != "12345678" || f.extra != 1 {
		t.Fatalf("after 9 digits: %q, %d extra", f.digits, f.extra)
	}
	if strings.Contains(f.view(), "9") {
		t.Errorf("the field shows a digit: %q", f.view())
	}
	f = f.update(keyPress("backspace"))
	if string(f.digits) != "12345678" || f.extra != 0 || strings.Contains(f.view(), "too many") {
		t.Fatalf("after Backspace: %q, %d extra, shown %q", f.digits, f.extra, f.view())
	}
	pin, problem, done := f.enter(keyPress("enter"))
	if !done || string(pin) != "12345678" || problem != "" {
		t.Errorf("8 digits after a Backspace: done %v, %q", done, problem)
	}
	clear(pin)

	f = passcodeField{}
	f = f.update(tea.KeyPressMsg{Text: "9000000017"}) // all in one event
	if len(f.digits) != maxPasscode || f.extra != 2 {
		t.Fatalf("one event of 10 digits: %d kept, %d extra", len(f.digits), f.extra)
	}
	f = f.update(keyPress("ctrl+u"))
	if len(f.digits) != 0 || f.extra != 0 {
		t.Errorf("ctrl+u left %d digits, %d extra", len(f.digits), f.extra)
	}
}

// TestGuardPlainScannedNumber: the plain mode types a line into the same
// field, key by key, so a scanned number there is refused the same way, at
// sign-in and at the lock, and the next wrong passcode finds all three
// tries.
func TestGuardPlainScannedNumber(t *testing.T) {
	_, cl := startSandbox(t, sandbox.Config{})
	r := startPlain(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)})
	r.expectLines("Sign in", "Passcode: ")
	r.send("9000000017")
	r.expect("Error: That was more than 8 digits", "no try was used", "Passcode: ")
	r.send("99999999")
	r.expect("Wrong passcode. 2 tries left", "Passcode: ")

	// The lock, in a session of its own (a fresh card).
	r = plainSignedIn(t, userPharmacist)
	r.send("lock")
	r.expectLines(clearAll, "Screen locked. Enter your passcode.", "Passcode: ")
	r.send("9000000017")
	r.expect("Error: That was more than 8 digits", "no try was used", "Passcode: ")
	r.send("99999999")
	r.expect("Wrong passcode. 2 tries left", "Passcode: ")
	r.send(userPIN[userPharmacist])
	r.expectLines("Working: checking.", "Unlocked.")
}

// TestGuardSmallWindowIgnoresKeys: below the minimum window, where only
// "Make the window larger" is shown, no key acts on the screen it hides: no
// step, no request, no permission recorded; ctrl+c still quits; and at
// 80×24 again the screen is as it was.
func TestGuardSmallWindowIgnoresKeys(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)
	alerts := func() int {
		got, err := f.srv.Audit().Query(context.Background(), audit.Filter{Kinds: []audit.Kind{audit.PrivacyAlert}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	for _, name := range []string{"superseded", "permission ask"} {
		t.Run(name, func(t *testing.T) {
			m := step(sc[name], tea.WindowSizeMsg{Width: 80, Height: 24})
			if name == "superseded" && m.perm().step != permSuperseded {
				t.Fatalf("not on the confirmation: step %v", m.perm().step)
			}
			shown, step0, req, sent := ansi.Strip(m.render()), m.perm().step, m.sess.req, alerts()

			m = step(m, tea.WindowSizeMsg{Width: 40, Height: 10})
			if !m.tooSmall() || !strings.Contains(ansi.Strip(m.render()), "Make the window larger") {
				t.Fatalf("40×10 is not too small:\n%s", ansi.Strip(m.render()))
			}
			for _, k := range []tea.Msg{keyPress("enter"), keyPress("p"), keyPress("e"), keyPress("d"), keyPress("esc"), keyPress("q"), keyPress("?"), keyPress("ctrl+l"), tea.PasteMsg{Content: "p"}} {
				next, cmd := m.Update(k)
				got := next.(Model)
				if cmd != nil {
					t.Errorf("%v gave a command: %v", k, requestsOf(t, cmd))
				}
				if got.where() != statePermission || got.perm().step != step0 || got.sess.req != req ||
					got.quitting || got.confirmQuit || got.showHelp || got.locked {
					t.Errorf("%v at 40×10: %v step %v, req %d→%d, quitting %v, asking %v, help %v, locked %v",
						k, got.where(), got.perm().step, req, got.sess.req, got.quitting, got.confirmQuit, got.showHelp, got.locked)
				}
				m = got
			}
			if n := alerts() - sent; n != 0 {
				t.Errorf("%d privacy alerts recorded at 40×10", n)
			}

			quit := step(m, keyPress("ctrl+c"))
			if quit.confirmQuit {
				quit = step(quit, keyPress("y"))
			}
			if !quit.quitting {
				t.Error("ctrl+c at 40×10 did not quit")
			}

			m = step(m, tea.WindowSizeMsg{Width: 80, Height: 24})
			if got := ansi.Strip(m.render()); got != shown {
				t.Errorf("at 80×24 again the screen changed:\n%s\nwas:\n%s", got, shown)
			}
		})
	}
}

// TestGuardSmallWindowQuitAsks: with a passcode half typed, ctrl+c in a
// window too small asks first (the question is what the window shows), n
// goes back to the digits as they were; digits typed meanwhile are not
// taken.
func TestGuardSmallWindowQuitAsks(t *testing.T) {
	f := newFixture(t)
	m := typed(step(f.in(statePasscode), tea.WindowSizeMsg{Width: 80, Height: 24}), "12")
	m = step(m, tea.WindowSizeMsg{Width: 40, Height: 10})
	m = typed(m, "345")
	if n := len(m.digits().digits); n != 2 {
		t.Errorf("digits typed at 40×10 were taken: %d", n)
	}
	m = step(m, keyPress("ctrl+c"))
	if !m.confirmQuit || m.quitting || !strings.Contains(ansi.Strip(m.render()), quitQuestion) {
		t.Fatalf("ctrl+c with a passcode typed: asking %v, quitting %v:\n%s", m.confirmQuit, m.quitting, ansi.Strip(m.render()))
	}
	m = step(m, keyPress("n"))
	if m.confirmQuit || m.quitting || len(m.digits().digits) != 2 {
		t.Errorf("n: asking %v, quitting %v, %d digits", m.confirmQuit, m.quitting, len(m.digits().digits))
	}
	if m = step(step(m, keyPress("ctrl+c")), keyPress("ctrl+c")); !m.quitting {
		t.Error("ctrl+c twice at 40×10 did not quit")
	}
}

// TestGuardSmallWindowEventsGoOn: in a window too small the card's events
// and the idle lock act as ever (keys ignored there do not put the lock
// off); pulling the card still ends the session.
func TestGuardSmallWindowEventsGoOn(t *testing.T) {
	f := newFixture(t)
	m := step(f.in(stateSummary), tea.WindowSizeMsg{Width: 40, Height: 10})
	idle := m
	idle.lastInput = fixedNow.Add(-idle.sess.opts.IdleLock - time.Second)
	idle = step(idle, keyPress("down"))
	if idle = step(idle, idleTickMsg{}); !idle.locked {
		t.Error("the idle lock did not come at 40×10")
	}
	gone := step(m, cardEventMsg{ev: smartcard.Event{Kind: smartcard.CardRemoved, Reader: testReader}})
	if gone.where() != stateCard || gone.sess.api != nil || gone.patient() != nil {
		t.Errorf("card pulled at 40×10: %v, session %v", gone.where(), gone.sess.api != nil)
	}
}
