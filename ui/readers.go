package ui

import (
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/smartcard"
)

// The readers and the card, the root's own: following the readers, opening
// the card put in, and wiping the session when it goes.

type (
	watchStartedMsg struct{ events <-chan smartcard.Event }
	watchFailedMsg  struct{ err error }
	cardEventMsg    struct {
		ev     smartcard.Event
		events <-chan smartcard.Event
	}
	watchClosedMsg struct{}
	retryWatchMsg  struct{}
	// cardOpenedMsg answers openCard (session.startSession).
	cardOpenedMsg struct {
		reader string
		card   Card
		pin    smartcard.PINStatus
		err    error
	}
)

// release closes a card opened for a session that has gone.
func (msg cardOpenedMsg) release() {
	if c := msg.card; c != nil {
		go func() { _ = c.Close() }()
	}
}

func (m Model) startWatch() tea.Cmd {
	cards, ctx := m.sess.opts.Cards, m.sess.run
	return task(func() tea.Msg {
		if cards == nil {
			return watchFailedMsg{smartcard.ErrNoService}
		}
		ch, err := cards.Watch(ctx)
		if err != nil {
			return watchFailedMsg{err}
		}
		return watchStartedMsg{ch}
	})
}

func nextEvent(ch <-chan smartcard.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return watchClosedMsg{}
		}
		return cardEventMsg{ev, ch}
	}
}

// readersChanged follows the card service: started, failed (tried again
// in 2 s), closed, and each reader's and card's coming and going.
func (m Model) readersChanged(msg tea.Msg) (Model, tea.Cmd) {
	s := &m.sess
	switch msg := msg.(type) {
	case watchStartedMsg:
		s.watching, s.watchErr = true, nil
		return m, nextEvent(msg.events)
	case watchFailedMsg:
		s.watching, s.watchErr = false, msg.err
		return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return retryWatchMsg{} })
	case retryWatchMsg:
		return m, m.startWatch()
	case watchClosedMsg:
		if s.run.Err() != nil {
			return m, nil
		}
		s.watching = false
		m = m.wipe("The card service stopped. Waiting for it to come back.")
		m.sess.readers = map[string]bool{}
		return m, m.startWatch()
	case cardEventMsg:
		m, cmd := m.cardEvent(msg.ev)
		return m, tea.Batch(cmd, nextEvent(msg.events))
	}
	return m, nil
}

func (m Model) cardEvent(ev smartcard.Event) (Model, tea.Cmd) {
	s := &m.sess
	mine := s.card != nil && ev.Reader == s.card.Reader() || s.opening != "" && s.opening == ev.Reader
	switch ev.Kind {
	case smartcard.ReaderAdded:
		s.readers[ev.Reader] = false
	case smartcard.ReaderRemoved:
		delete(s.readers, ev.Reader)
		if mine {
			m = m.wipe("The card reader was disconnected.")
		}
	case smartcard.CardRemoved:
		s.readers[ev.Reader] = false
		if mine {
			m = m.wipe("The card was removed.")
		}
	case smartcard.CardInserted:
		s.readers[ev.Reader] = true
		if s.card == nil {
			// Why the last session ended is stale once a card is in.
			s.notice = ""
		}
		if mine {
			// Another card in the same reader without a removal seen in
			// between: a new holder until proved otherwise.
			m = m.wipe("")
		}
	case smartcard.ServiceLost:
		m = m.wipe("The card service stopped. Waiting for it to come back.")
		m.sess.readers = map[string]bool{}
		m.sess.serviceLost = true
		return m, nil
	}
	m.sess.serviceLost = false
	if _, waiting := m.scr.(cardScreen); waiting && m.sess.card == nil && m.sess.opening == "" {
		return m.reopenCard()
	}
	return m, nil
}

// reopenCard opens the card still in the reader after a sign-out, so the
// same holder can sign in again.
func (m Model) reopenCard() (Model, tea.Cmd) {
	if r := m.pickReader(); r != "" {
		m.sess.opening = r
		return m, m.openCard(r)
	}
	return m, nil
}

// pickReader is the reader to use: the one asked for, else the first (by
// name) with a card in it.
func (m Model) pickReader() string {
	s := &m.sess
	if s.opts.Reader != "" {
		if s.readers[s.opts.Reader] {
			return s.opts.Reader
		}
		return ""
	}
	names := make([]string, 0, len(s.readers))
	for r, present := range s.readers {
		if present {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func (m Model) openCard(reader string) tea.Cmd {
	cards := m.sess.opts.Cards
	return m.sess.startSession(func() tea.Msg {
		c, err := cards.Open(reader)
		if err != nil {
			return cardOpenedMsg{reader: reader, err: err}
		}
		st, err := c.PINStatus()
		if err != nil {
			_ = c.Close()
			return cardOpenedMsg{reader: reader, err: err}
		}
		return cardOpenedMsg{reader: reader, card: c, pin: st}
	})
}

// cardOpened takes the card opened: the passcode is asked for next, or with
// auth = "cis2" the sign-in at CIS2 starts (cis2Begin).
func (m Model) cardOpened(msg cardOpenedMsg) (Model, tea.Cmd) {
	s := &m.sess
	if msg.reader != s.opening {
		msg.release()
		return m, nil
	}
	s.opening = ""
	if msg.err != nil {
		s.cardErr = msg.err
		return m, nil
	}
	s.card, s.pin, s.cardErr = msg.card, msg.pin, nil
	if !s.opts.CIS2.asksPasscode() {
		return m.cis2Begin()
	}
	p := passcodeScreen{}
	if msg.pin.Blocked() {
		p.err = explain.Error(smartcard.ErrPINBlocked)
	}
	m.scr = p
	return m, nil
}
