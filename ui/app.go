package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
)

// Model is the viewer: the root of its screens. It routes each message to
// the screen shown (screen) and owns only the session: the readers and the
// card, signing in and out, the session's end, the idle lock, the help, the
// quit question and the footer. Everything that talks to the card or the
// network runs in a tea.Cmd, and every answer comes back stamped with the
// generation and request it belongs to (session.start), so an answer that
// arrives after a card swap, a sign-out or a newer search is dropped here,
// never shown.
type Model struct {
	sess   session
	cancel context.CancelFunc // ends sess.run
	help   help.Model

	scr    screen     // the screen shown, or kept under the lock
	locked bool       // the lock is over scr: it has the keys and the view
	lock   lockScreen // the lock's passcode, while locked
	// resume: after a forced sign-in (the session ended), the search to go
	// back to, with the NHS number typed.
	resume *findScreen

	showHelp bool
	quitting bool
	crashed  bool
	// confirmQuit: a quit was asked for with something typed; the next
	// key answers. flash: a sentence shown in place of the key help until
	// the next key.
	confirmQuit bool
	flash       string
	lastInput   time.Time
}

// New makes the viewer; Run shows it.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdleLock <= 0 {
		opts.IdleLock = DefaultIdleLock
	}
	keys := newKeyMap()
	if opts.Demo != nil && opts.Demo.ToggleCard != nil {
		keys.ToggleDemo.SetEnabled(true)
	}
	c := &common{width: 80, height: 24, keys: keys, styles: newStyles(true), now: opts.Now}
	ctx, cancel := context.WithCancel(context.Background())
	return Model{
		sess: session{
			common:  c,
			opts:    opts,
			run:     ctx,
			readers: map[string]bool{},
			spin:    spinner.New(spinner.WithSpinner(spinner.Line)),
		},
		cancel:    cancel,
		help:      newHelp(),
		scr:       cardScreen{},
		lastInput: opts.Now(),
	}
}

// Init starts following the readers, asks the terminal's background colour
// for the styles, and starts the idle clock.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.startWatch(), tea.RequestBackgroundColor, idleTick(), m.sess.spin.Tick)
}

// panicMsg is what a command that panicked gives instead (task).
type panicMsg struct{}

// Update routes a message: keys and pastes to the screen shown (the lock's,
// when locked; while the window is too small, none but ctrl+c), answers to
// the screen that asked (under the lock too), the card's and the session's
// own events to the root. It never blocks: card and network calls are
// commands whose answers come back as messages.
func (m Model) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	defer func() {
		if recover() != nil {
			next, cmd = m.crash(), tea.Quit
		}
	}()
	return m.update(msg)
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case panicMsg:
		return m.crash(), tea.Quit
	case stopMsg:
		return m.stopped()
	case resumedMsg:
		return m, nil // locked already, and repainted
	case tea.WindowSizeMsg:
		m.sess.width, m.sess.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.sess.styles = newStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		// The screens draw in the new styles from the next frame; the
		// record lays itself out again in them.
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.sess.spin, cmd = m.sess.spin.Update(msg)
		return m, cmd
	case idleTickMsg:
		return m.checkIdle(), idleTick()
	case tea.KeyPressMsg:
		if m.tooSmall() {
			return m.handleSmall(msg)
		}
		m.lastInput = m.sess.now()
		return m.handleKey(msg)
	case tea.PasteMsg:
		if m.tooSmall() {
			return m, nil // the screen it would go into is not shown
		}
		m.lastInput = m.sess.now()
		return m.toScreen(msg)

	case watchStartedMsg, watchFailedMsg, retryWatchMsg, watchClosedMsg, cardEventMsg:
		return m.readersChanged(msg)
	case answerMsg:
		return m.answer(msg)
	}
	// Anything else (a window or colour change, a field's own messages)
	// is the screen's, locked or not.
	var cmd tea.Cmd
	m.scr, cmd = m.scr.update(&m.sess, msg)
	return m, cmd
}

// answer drops an answer that is no longer the session's, letting go of
// what it holds; takes the session's own; ends the session on a signed-out
// refusal; and gives the rest to the screen that asked, under the lock too.
func (m Model) answer(a answerMsg) (Model, tea.Cmd) {
	if !a.current(&m.sess) {
		if r, ok := a.msg.(releaser); ok {
			r.release()
		}
		return m, nil
	}
	switch msg := a.msg.(type) {
	case cardOpenedMsg:
		return m.cardOpened(msg)
	case signedInMsg:
		return m.signedIn(msg)
	case roleChosenMsg:
		return m.roleChosen(msg)
	case unlockedMsg:
		return m.unlocked(msg)
	case cis2DoneMsg:
		return m.cis2Done(msg)
	}
	if f, ok := a.msg.(failure); ok && signedOut(f.failed()) {
		return m.sessionEnded(), nil
	}
	var cmd tea.Cmd
	m.scr, cmd = m.scr.update(&m.sess, a.msg)
	return m, cmd
}

// current is the screen with the keys and the view: the lock's, when locked.
func (m Model) current() screen {
	if m.locked {
		return m.lock
	}
	return m.scr
}

// toScreen gives a key or a paste to the screen shown.
func (m Model) toScreen(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.locked {
		m.lock, cmd = m.lock.key(&m.sess, msg)
		return m, cmd
	}
	m.scr, cmd = m.scr.update(&m.sess, msg)
	return m, cmd
}

// sessionOpen is whether a session is open on screen: signed in, not locked
// and not signing in. Only then do the session's keys work, and does the
// idle lock or a stop signal lock it.
func (m Model) sessionOpen() bool {
	_, signing := m.scr.(signingInScreen)
	return m.sess.api != nil && !m.locked && !signing
}

func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.sess.keys
	m.flash = ""
	if m.confirmQuit {
		return m.confirmQuitKey(msg)
	}
	if msg.String() == "ctrl+c" {
		return m.askQuit()
	}
	if d := m.sess.opts.Demo; key.Matches(msg, k.ToggleDemo) && d != nil && d.ToggleCard != nil {
		toggle := d.ToggleCard
		return m, task(func() tea.Msg { toggle(); return nil })
	}
	if m.showHelp {
		// Any key closes the help; q still quits, as on the screen under it.
		m.showHelp = false
		if key.Matches(msg, k.Quit) && !m.inField() {
			return m.askQuit()
		}
		return m, nil
	}
	if !m.typing() {
		switch {
		case key.Matches(msg, k.Quit):
			if m.inField() && m.current().hasInput() {
				// q is not a digit: among digits the field ignores it, and
				// it never quits from under what is being typed. In an
				// empty field it quits, as on any other screen.
				return m, nil
			}
			return m.askQuit()
		case key.Matches(msg, k.Help):
			m.showHelp = true
			return m, nil
		}
	}
	if m.sessionOpen() {
		switch {
		case key.Matches(msg, k.Lock):
			return m.lockNow(), nil
		case key.Matches(msg, k.SignOut):
			m = m.wipe("You signed out. Take your card out, or enter the passcode to sign in again.")
			if !m.sess.opts.CIS2.asksPasscode() {
				m.sess.notice = "You signed out. Take your card out, or press Enter to sign in again with NHS CIS2."
			}
			return m.reopenCard()
		case key.Matches(msg, k.SwitchRole) && m.sess.hasRole:
			return m.switchRole(), nil
		}
	}
	return m.toScreen(msg)
}

// handleSmall is a key while the window is too small (tooSmall): the view
// shows only "Make the window larger", so a key must not act on the screen
// it hides (Enter on a confirmation, p for the patient's permission), nor
// on the help or the session. ctrl+c quits, asking first as ever when
// something is typed; the quit question, which the view does show, takes
// its answer. Any other key is ignored, and does not count as use against
// the idle lock.
func (m Model) handleSmall(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.confirmQuit {
		m.lastInput = m.sess.now()
		return m.confirmQuitKey(msg)
	}
	if msg.String() == "ctrl+c" {
		m.lastInput = m.sess.now()
		return m.askQuit()
	}
	return m, nil
}

// typing is whether keys are going into a text field, where q is a letter
// and ? a character.
func (m Model) typing() bool { return m.current().field(&m.sess) == textField }

// inField is whether a field has the keys: a text field (typing) or one
// that takes digits only (the passcode, the NHS number, the audit form's
// numbers and dates). In the latter q is ignored rather than a command, so
// that a q pressed among digits never quits.
func (m Model) inField() bool { return m.current().field(&m.sess) != noField }

// askQuit quits, or first asks when something typed would be lost: on the
// screen shown, or on the one the lock hides.
func (m Model) askQuit() (Model, tea.Cmd) {
	if m.current().hasInput() || m.locked && m.scr.hasInput() {
		m.confirmQuit, m.showHelp = true, false
		return m, nil
	}
	return m.quit()
}

// confirmQuitKey answers "Quit and lose what you typed?": y quits, n or
// Esc goes back to the input as it was. ctrl+c pressed again quits too, so
// it always gets out in at most two presses; it asks at all because on
// Windows ctrl+c is also copy, pressed from habit mid-sentence.
func (m Model) confirmQuitKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "y", "Y", "ctrl+c":
		return m.quit()
	case "n", "N", "esc":
		m.confirmQuit = false
	}
	return m, nil
}

// quit signs out (in Run, after the last frame) and leaves an empty screen.
func (m Model) quit() (Model, tea.Cmd) {
	m.scr = forgetPatient(&m.sess, m.scr, keepNothing)
	m.quitting = true
	return m, tea.Quit
}

// crash is what a recovered panic leaves: nothing of the patient, the
// session ended, and a plain sentence for Run to print.
func (m Model) crash() Model {
	m = m.wipe("")
	m.crashed, m.quitting = true, true
	return m
}

// shutdown ends the session on the way out: the token is revoked and the
// card released. Run calls it after the program has stopped.
func (m Model) shutdown() {
	if s := m.sess.api; s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = s.SignOut(ctx)
		cancel()
	}
	if m.sess.card != nil {
		_ = m.sess.card.Close()
	}
	m.wipePasscodes()
	m.cancel()
}

// wipe ends the session: nothing of the patient stays in memory the screen
// reads, the token is revoked in the background, the card is let go, and
// every answer still on its way is dropped (gen). why is shown on the card
// screen.
func (m Model) wipe(why string) Model {
	m = m.wipePasscodes()
	s := &m.sess
	forgetPatient(s, m.scr, keepNothing)
	if w, ok := m.scr.(cis2Screen); ok {
		w.cancel() // the browser's answer is listened for no more
	}
	s.gen++
	if api := s.api; api != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = api.SignOut(ctx)
		}()
	}
	if c := s.card; c != nil {
		go func() { _ = c.Close() }()
	}
	s.api, s.hasRole, s.role, s.card = nil, false, client.Role{}, nil
	s.lastRole = ""
	s.notice = why
	s.opening, s.cardErr = "", nil
	m.scr, m.locked, m.lock, m.resume = cardScreen{}, false, lockScreen{}, nil
	m.showHelp, m.confirmQuit, m.flash = false, false, ""
	return m
}

// sessionEnded asks for the passcode again after the server refused the
// token, keeping the role and the NHS number typed (locked or not: the
// passcode is asked either way).
func (m Model) sessionEnded() Model {
	m = m.wipePasscodes()
	s := &m.sess
	kept := forgetPatient(s, m.scr, keepNumber)
	if api := s.api; api != nil {
		go func() { _ = api.SignOut(context.Background()) }()
	}
	s.api, s.hasRole = nil, false
	s.gen++
	m.resume = nil
	if f, ok := kept.(findScreen); ok {
		m.resume = &f
	}
	m.scr, m.locked, m.lock = passcodeScreen{}, false, lockScreen{}
	s.notice = "Your session has ended. Enter your passcode to sign in again; the NHS number you typed is kept."
	if !s.opts.CIS2.asksPasscode() {
		m.scr, s.notice = cis2Screen{}, cis2SessionEnded
	}
	return m
}

// switchRole is ctrl+r: the roles. The patient goes once another role is
// chosen (it may not see them); what was typed stays, and Esc on the roles
// goes back to the screen switched from.
func (m Model) switchRole() Model {
	s := &m.sess
	if len(s.api.Roles) < 2 {
		// Said, so the key is not taken for broken.
		m.flash = "You have one role, so there is no other to switch to."
		return m
	}
	if r, ok := m.scr.(roleScreen); ok {
		r.err = ""
		m.scr = r
		return m
	}
	// A record shown, waiting for nothing, stays behind the roles, for Esc
	// to go back to: it goes only when a role is chosen (roleScreen). Any
	// other screen forgets its patient now, and drops what it waited for.
	back := m.scr
	if _, onRecord := back.(summaryScreen); !onRecord || s.busy != "" {
		back = forgetPatient(s, back, keepForm)
	}
	m.scr = newRoleScreen(s, s.role.ID, back)
	return m
}

// wipePasscodes zeroes the digits typed into the passcode and lock fields.
func (m Model) wipePasscodes() Model {
	if p, ok := m.scr.(passcodeScreen); ok {
		p.typed.wipe()
		m.scr = p
	}
	m.lock.typed.wipe()
	return m
}
