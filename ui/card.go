package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/scrterm/scr/internal/explain"
)

// cardScreen is the first screen, and the one after the card comes out: the
// readers and whether a card is in each, or what is wrong with the card
// service, and why the last session ended. It draws the root's readers
// (session); in the demo it also offers the sandbox cards to put in
// (demo.go).
type cardScreen struct{}

func (cardScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		return cardScreen{}, demoPickerKey(s, msg)
	}
	return cardScreen{}, nil
}

func (cardScreen) view(s *session, _ int) string {
	c := readersSay(s)
	st := s.styles
	wrap := lipgloss.NewStyle().Width(s.width - 2)
	var b strings.Builder
	b.WriteString(st.Title.Render(c.title) + "\n\n")
	switch {
	case s.watchErr != nil:
		b.WriteString(wrap.Render(st.Error.Render(c.err)) + "\n")
	case s.serviceLost:
		// The notice below says it; "no reader" would send the user to a
		// cable that is fine.
	case !s.watching:
		b.WriteString(c.text[0] + "\n")
	case len(s.readers) == 0:
		b.WriteString(wrap.Render(st.Error.Render(c.err)) + "\n")
	default:
		// The heading, then the readers.
		b.WriteString(wrap.Render(st.Highlight.Render(c.text[0])) + "\n\n")
		for _, l := range c.text[1:] {
			b.WriteString(styledRow(lipgloss.NewStyle(), "  ", l, s.width))
		}
	}
	if s.cardErr != nil {
		// says puts it after the readers' error; drawn apart, under them.
		b.WriteString("\n" + wrap.Render(st.Error.Render(explain.Error(s.cardErr))) + "\n")
	}
	if c.notice != "" {
		b.WriteString("\n" + wrap.Render(st.Notice.Render(c.notice)) + "\n")
	}
	b.WriteString(demoView(s, demoPicking(s)))
	return b.String()
}

func (cardScreen) bindings(s *session, _ bool) []key.Binding {
	if !demoPicking(s) {
		return nil
	}
	k := s.keys
	return []key.Binding{k.Up, k.Down, withHelp(k.Submit, "enter", "put the card in")}
}

func (cardScreen) field(*session) field { return noField }
func (cardScreen) hasInput() bool       { return false }
func (cardScreen) name() string         { return "card" }
