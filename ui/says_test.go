package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestScreensSayWhatTheyShow: what a screen says apart from its drawing
// (content, for a plain mode to read out) is what it draws: every fact,
// sentence, choice, prompt and hint is on the screen; and the lock says
// nothing of the screen under it.
func TestScreensSayWhatTheyShow(t *testing.T) {
	f := newFixture(t)
	sayers := 0
	for name, m := range f.screens(t) {
		if m.showHelp {
			continue
		}
		sc, ok := m.current().(sayer)
		if !ok {
			continue
		}
		sayers++
		t.Run(name, func(t *testing.T) {
			c := sc.says(&m.sess)
			var said []string
			for _, fc := range c.facts {
				said = append(said, fc.value)
			}
			said = append(said, c.title, c.notice, c.prompt, c.value, c.hint, c.err)
			said = append(said, c.text...)
			if strings.Join(said, "") == "" {
				t.Fatal("says nothing")
			}
			shown := flat(ansi.Strip(m.render()))
			for _, s := range said {
				if !strings.Contains(shown, flat(s)) {
					t.Errorf("says %q, which the screen does not show:\n%s", s, ansi.Strip(m.render()))
				}
			}
			// A list's line may be cut to the window, ending "…": the
			// screen shows its start, the content says it whole.
			for _, ch := range c.choices {
				if f := flat(ch.words); !strings.Contains(shown, f) && !shownCut(shown, f) {
					t.Errorf("says %q, which the screen does not show:\n%s", ch.words, ansi.Strip(m.render()))
				}
			}
			if m.locked {
				for _, s := range said {
					for _, leak := range []string{"HARGREAVES", "Robert", "Penicillin", "900 000 0017"} {
						if strings.Contains(s, leak) {
							t.Errorf("the lock says %q", s)
						}
					}
				}
			}
		})
	}
	if sayers < 10 {
		t.Errorf("only %d of the screens say what they show", sayers)
	}
}

// shownCut is whether shown holds the start of f, of 20 bytes or more, cut
// with "…".
func shownCut(shown, f string) bool {
	for n := len(f) - 1; n >= 20; n-- {
		if strings.Contains(shown, f[:n]+"…") {
			return true
		}
	}
	return false
}
