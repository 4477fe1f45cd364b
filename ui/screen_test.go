package ui

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"
)

// terminal runs the whole viewer as a Bubble Tea program (teatest) and plays
// what it writes into a terminal emulator, so a test reads the screen a user
// would see: text where it landed, not a stream of cursor moves.
type terminal struct {
	t   testing.TB
	tm  *teatest.TestModel
	emu *vt.SafeEmulator

	mu  sync.Mutex
	out []byte // everything written, for the scrollback checks
}

// fixedNow is the clock of screen tests, so ages and golden files hold.
var fixedNow = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func newScreen(t testing.TB, opts Options, w, h int) *terminal {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	m := New(opts)
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI), tea.WithoutCatchPanics()),
	)
	s := &terminal{t: t, tm: tm, emu: vt.NewSafeEmulator(w, h)}
	go func() { _, _ = io.Copy(io.Discard, s.emu) }() // the emulator's replies
	// The program's output is not a terminal here, so Bubble Tea writes a
	// bare LF for a new line, as a terminal with ONLCR would take it: set
	// the emulator's line-feed/new-line mode (LNM) to match.
	_, _ = s.emu.WriteString("\x1b[20h")
	// The emulator is not closed: Close races with the reader of its
	// replies inside vt, and the reader ends with the test binary.
	t.Cleanup(func() { _ = tm.Quit() })
	return s
}

// pump moves what the program has written into the emulator.
func (s *terminal) pump() {
	buf, _ := io.ReadAll(s.tm.Output())
	if len(buf) == 0 {
		return
	}
	s.mu.Lock()
	s.out = append(s.out, buf...)
	s.mu.Unlock()
	_, _ = s.emu.Write(buf)
}

// text is the screen as plain text, one line per row.
func (s *terminal) text() string {
	s.pump()
	return s.emu.String()
}

// waitFor waits until the screen shows every one of want, failing the test
// with the screen after 10 s.
func (s *terminal) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		txt := s.text()
		missing := ""
		for _, w := range want {
			if !strings.Contains(txt, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return txt
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q; it shows:\n%s", missing, txt)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shot keeps the screen as testdata/<test>/<name>.golden once it shows every
// one of want. Parts of a screen arrive on their own (the reader list, the
// role list), so a screen that shows want but not yet the golden is given
// until the deadline to settle before the two are compared; -update writes
// the screen as it is once want is there.
func (s *terminal) shot(t *testing.T, name string, want ...string) {
	t.Helper()
	txt := s.waitFor(want...)
	t.Run(name, func(t *testing.T) {
		t.Helper()
		if f := flag.Lookup("update"); f == nil || f.Value.String() != "true" {
			if kept, err := os.ReadFile(filepath.Join("testdata", t.Name()+".golden")); err == nil {
				for deadline := time.Now().Add(10 * time.Second); txt+"\n" != strings.ReplaceAll(string(kept), "\r\n", "\n") && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
					txt = s.text()
				}
			}
		}
		golden.RequireEqual(t, txt+"\n")
	})
}

// waitGone waits until the screen shows none of gone.
func (s *terminal) waitGone(within time.Duration, gone ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		txt := s.text()
		found := ""
		for _, g := range gone {
			if strings.Contains(txt, g) {
				found = g
				break
			}
		}
		if found == "" {
			return txt
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("after %v the screen still shows %q:\n%s", within, found, txt)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// typeText types s as key presses.
func (s *terminal) typeText(text string) { s.tm.Type(text) }

// press sends one named key: "enter", "esc", "tab", "down", "ctrl+c", …
func (s *terminal) press(name string) {
	s.tm.Send(keyPress(name))
}

func keyPress(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "f2":
		return tea.KeyPressMsg{Code: tea.KeyF2}
	}
	if strings.HasPrefix(name, "ctrl+") && len(name) == 6 {
		return tea.KeyPressMsg{Code: rune(name[5]), Mod: tea.ModCtrl}
	}
	r := []rune(name)
	return tea.KeyPressMsg{Code: r[0], Text: name}
}

// quit presses q and returns the final model.
func (s *terminal) quit() Model {
	s.t.Helper()
	s.press("ctrl+c")
	fm := s.tm.FinalModel(s.t, teatest.WithFinalTimeout(10*time.Second))
	s.pump()
	m, _ := fm.(Model)
	return m
}

// resize changes the window, as a terminal does.
func (s *terminal) resize(w, h int) {
	s.pump()
	s.emu.Resize(w, h)
	s.tm.Send(tea.WindowSizeMsg{Width: w, Height: h})
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
