package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/scrterm/scr/internal/recordview"
)

// The plain mode (scr --plain) is the viewer for a screen reader or a
// braille display: the same root model and screens as the full-screen
// viewer, so the same journey and the same safety (the card's events, the
// sign-in, the roles, the privacy alert before any record, stale answers
// dropped, the wipes, the idle lock, nothing on disk), with another front
// end. Bubble Tea runs without its renderer and without its input reader;
// plainModel wraps the root model, and after each message prints what
// changed as lines: each screen once, as a heading and labelled lines,
// then one prompt. Nothing is redrawn, no cursor is moved, no colour, box
// or block is written; the one escape sequence is the clear of the screen
// and its scrollback when the session ends (clearAll). Lines typed are read
// in a goroutine (readLines) and each becomes the key presses the screen
// shown takes, or a command of the plain mode's own (plainModel.line).

// clearAll clears the screen and the scrollback (ESC[3J: xterm, VTE,
// Windows Terminal, iTerm2, tmux; not conhost), and homes the cursor.
const clearAll = "\x1b[2J\x1b[3J\x1b[H"

// plainLineMsg is one line typed. The plain mode owns the bytes and wipes
// them once used: a line can be a passcode.
type plainLineMsg struct{ text []byte }

// plainEOFMsg says the input has ended: nothing more can be typed.
type plainEOFMsg struct{}

// maxLine bounds a line typed; the rest of a longer line is dropped.
const maxLine = 4096

// readLines reads lines from in and sends each, then plainEOFMsg when in
// ends. Its buffers are wiped as it goes.
func readLines(in io.Reader, send func(tea.Msg)) {
	buf := make([]byte, 512)
	line := make([]byte, 0, 256)
	for {
		n, err := in.Read(buf)
		for _, b := range buf[:n] {
			switch b {
			case '\n':
				send(plainLineMsg{line})
				line = make([]byte, 0, 256)
			case '\r':
			default:
				if len(line) < maxLine {
					line = append(line, b)
				}
			}
		}
		clear(buf[:n])
		if err != nil {
			if len(line) > 0 {
				send(plainLineMsg{line})
			}
			send(plainEOFMsg{})
			return
		}
	}
}

// RunPlain runs the viewer in its plain mode, reading lines from in and
// writing lines to out, until the user quits or ctx ends; it signs the user
// out on the way, and leaves the screen and the scrollback cleared.
func RunPlain(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	tty := openPlainTerminal(in, out)
	defer tty.restore()
	pm := newPlainModel(New(opts), out, tty)
	p := tea.NewProgram(pm,
		tea.WithContext(ctx),
		tea.WithInput(nil),
		tea.WithOutput(io.Discard),
		tea.WithoutRenderer(),
		tea.WithColorProfile(colorprofile.NoTTY),
		// ctrl+c in a line-mode terminal is SIGINT, which ends ctx
		// (cmd/scr); Bubble Tea's own handler would race it.
		tea.WithoutSignalHandler(),
		tea.WithoutCatchPanics(),
	)
	defer watchStops(p.Send)()
	go readLines(in, p.Send)
	final, err := p.Run()
	if fm, ok := final.(plainModel); ok {
		fm.end()
		fm.m.shutdown()
		if fm.m.crashed {
			return ErrInternal
		}
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// plainModel is the root model with the plain mode's front end.
type plainModel struct {
	m   Model
	out *plainOut
	// shown is the screen as last printed; said the working line last
	// said; rec and section the record being read, and where.
	shown   plainScreen
	said    string
	rec     *recordview.Record
	section int
	reread  bool // read the section again: after the lock, or asked to
	// pending counts the card screen's changes not yet said; settled:
	// the one pending is said now.
	pending int
	settled bool
	// cardComes: the line just typed puts the demo card in or takes it
	// out; the card's event, which follows, says what changed and asks. A
	// prompt now would be said, then cleared or asked twice.
	cardComes bool
}

// plainOut is where the plain mode writes, shared by every copy of the
// model: the terminal, its echo, and whether a prompt waits on its line.
type plainOut struct {
	w        io.Writer
	tty      *plainTerminal
	atPrompt bool
	ended    bool
}

func newPlainModel(m Model, w io.Writer, tty *plainTerminal) plainModel {
	return plainModel{m: m, out: &plainOut{w: w, tty: tty}}
}

// plainScreen is a screen as the plain mode prints it.
type plainScreen struct {
	key     string // which screen: a new key prints it whole
	heading string
	lines   []string
	err     string // said again after each line typed while it stands
	prompt  string // "" when nothing is asked
	secret  bool   // the prompt is for the passcode: echo off
}

func (p plainModel) Init() tea.Cmd { return p.m.Init() }

func (p plainModel) View() tea.View { return tea.View{} }

func (p plainModel) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	defer func() {
		if recover() != nil {
			p.m = p.m.crash()
			p.end()
			next, cmd = p, tea.Quit
		}
	}()
	switch msg := msg.(type) {
	case spinner.TickMsg, tea.WindowSizeMsg, tea.BackgroundColorMsg, tea.ColorProfileMsg:
		// No spinner, no window, no colours: the plain mode has none.
		return p, nil
	case plainLineMsg:
		return p.line(msg.text)
	case plainEOFMsg:
		p.out.typed(false)
		before := p.m
		p.m, cmd = p.m.quit()
		p, _ = p.sync(&before, p.m, msg, false)
		return p, cmd
	case plainSettleMsg:
		if msg.n != p.pending {
			return p, nil // changed again since: its own settle says it
		}
		p.settled = true
		p, _ = p.sync(nil, p.m, msg, false)
		p.settled = false
		return p, nil
	}
	before := p.m
	p.m, cmd = p.m.step(msg)
	var wait tea.Cmd
	p, wait = p.sync(&before, p.m, msg, false)
	return p, tea.Batch(cmd, wait)
}

// plainSettleMsg: the card screen has not changed for settleTime since
// change n.
type plainSettleMsg struct{ n int }

// settleTime is how long the card screen must stay as it is to be said:
// the readers, the card and its opening come as events a few milliseconds
// apart at the start, which the full screen draws over each other, and
// which said one by one would read as "No card reader is connected" before
// the reader is listed.
const settleTime = 300 * time.Millisecond

// step is Update, for the model itself.
func (m Model) step(msg tea.Msg) (Model, tea.Cmd) {
	next, cmd := m.Update(msg)
	if nm, ok := next.(Model); ok {
		return nm, cmd
	}
	return m, cmd
}

// keys gives the model the key presses (or pastes) msgs, in order.
func (p plainModel) keys(msgs ...tea.Msg) (plainModel, tea.Cmd) {
	var cmds []tea.Cmd
	for _, msg := range msgs {
		var cmd tea.Cmd
		p.m, cmd = p.m.step(msg)
		cmds = append(cmds, cmd)
		if p.m.quitting {
			break
		}
	}
	return p, tea.Batch(cmds...)
}

// plainKey is the key press a name stands for: "enter", "esc", "tab",
// "up", "down", "ctrl+x", or one character.
func plainKey(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "f2":
		return tea.KeyPressMsg{Code: tea.KeyF2}
	}
	if c, ok := strings.CutPrefix(name, "ctrl+"); ok && len(c) == 1 {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	r := []rune(name)
	return tea.KeyPressMsg{Code: r[0], Text: name}
}

// print writes lines, each on a line of its own, ending a prompt's line
// first.
func (o *plainOut) print(lines ...string) {
	if len(lines) == 0 {
		return
	}
	var b strings.Builder
	if o.atPrompt {
		b.WriteString("\n")
		o.atPrompt = false
	}
	for _, l := range lines {
		b.WriteString(plainLine(l) + "\n")
	}
	_, _ = io.WriteString(o.w, b.String())
}

// prompt writes the prompt and leaves the line for what is typed; the
// terminal's echo is off for a secret one.
func (o *plainOut) prompt(text string, secret bool) {
	o.tty.echo(!secret)
	prefix := ""
	if o.atPrompt {
		prefix = "\n"
	}
	_, _ = io.WriteString(o.w, prefix+plainLine(text)+" ")
	o.atPrompt = true
}

// typed is a line having been typed: the user's Enter ended the prompt's
// line where the terminal echoed it, else it is ended here.
func (o *plainOut) typed(secret bool) {
	if o.atPrompt && (secret || !o.tty.echoes()) {
		_, _ = io.WriteString(o.w, "\n")
	}
	o.atPrompt = false
}

// clear clears the screen and the scrollback.
func (o *plainOut) clear() {
	_, _ = io.WriteString(o.w, clearAll)
	o.atPrompt = false
}

// end is the way out: the screen and scrollback cleared, one sentence,
// and the terminal's echo back on.
func (p plainModel) end() {
	o := p.out
	if o.ended {
		return
	}
	o.ended = true
	o.clear()
	if p.m.crashed {
		o.print("scr stopped after an internal error. You were signed out. Patient data cleared.")
	} else {
		o.print("scr has ended. You were signed out. Patient data cleared.")
	}
	o.tty.echo(true)
}

// sync prints what changed from before to m: the events (the session's
// end, the lock), then the screen, in full when it is another, else its new
// lines; what is being waited for; and the prompt. cause is the message
// that made the change; typed: a line was just typed, so the prompt is
// asked again and an error standing is said again.
func (p plainModel) sync(before *Model, m Model, cause tea.Msg, typed bool) (plainModel, tea.Cmd) {
	o := p.out
	if o.ended {
		return p, nil
	}
	if m.quitting {
		p.end()
		return p, nil
	}
	printed := false
	event := func(lines ...string) {
		o.print(lines...)
		printed = true
	}
	if before != nil {
		switch {
		case m.sess.gen != before.sess.gen:
			// The session ended: nothing of it stays on the screen or in
			// the scrollback.
			o.clear()
			event(endedSentence(m))
			p.shown, p.rec, p.said = plainScreen{}, nil, ""
		case m.locked && !before.locked:
			// The lock shows nothing of the record: nor does the
			// scrollback.
			o.clear()
			event(lockedSentence(m, cause))
			p.shown, p.said = plainScreen{}, ""
		case before.locked && !m.locked:
			event("Unlocked.")
			p.shown, p.reread = plainScreen{}, true
		}
		if m.flash != "" && m.flash != before.flash {
			event(m.flash)
		}
	}
	sc := plainScreenOf(&m)
	if _, card := m.current().(cardScreen); card && before != nil && !typed && !p.settled {
		p.pending++
		n := p.pending
		return p, tea.Tick(settleTime, func(time.Time) tea.Msg { return plainSettleMsg{n} })
	}
	switch {
	case sc.key == "":
	case sc.key != p.shown.key:
		lines := []string{""}
		if sc.heading != "" {
			lines = append(lines, sc.heading)
		}
		lines = append(lines, sc.lines...)
		if sc.err != "" {
			lines = append(lines, "Error: "+sc.err)
		}
		event(lines...)
	default:
		var fresh []string
		for _, l := range sc.lines {
			if !slices.Contains(p.shown.lines, l) {
				fresh = append(fresh, l)
			}
		}
		if sc.err != "" && (typed || sc.err != p.shown.err) {
			fresh = append(fresh, "Error: "+sc.err)
		}
		if len(fresh) > 0 {
			event(fresh...)
		}
	}
	// The record, read from its first section when it is new, and again
	// from where it was after the lock.
	if sm, ok := m.current().(summaryScreen); ok {
		if rec := sm.record(); rec != p.rec {
			p.rec, p.section, p.reread = rec, 0, true
		}
		if p.reread && len(p.rec.Sections) > 0 {
			event(plainSection(p.rec, min(p.section, len(p.rec.Sections)-1))...)
		}
		p.reread = false
	} else if !m.locked {
		p.rec, p.section, p.reread = nil, 0, false
	}
	p.shown = sc
	if busy := m.sess.busy; busy != p.said {
		p.said = busy
		if busy != "" {
			event(working(busy))
		}
	}
	if (printed || typed) && m.sess.busy == "" && sc.prompt != "" {
		o.prompt(sc.prompt, sc.secret)
	}
	return p, nil
}

// endedSentence says why the session ended, and that nothing of it is on
// the screen any more.
func endedSentence(m Model) string {
	s := &m.sess
	switch {
	case m.crashed:
		return "scr stopped after an internal error. Session ended. Patient data cleared."
	case s.card != nil:
		return "Session expired. Patient data cleared."
	}
	switch n := s.notice; {
	case n == "The card was removed.":
		return "Card removed. Session ended. Patient data cleared."
	case n == "The card reader was disconnected.":
		return "Card reader disconnected. Session ended. Patient data cleared."
	case strings.HasPrefix(n, "You signed out"):
		return "Signed out. Session ended. Patient data cleared."
	case strings.HasPrefix(n, "The card service stopped"):
		return "The card service stopped. Session ended. Patient data cleared."
	case n == "":
		return "Another card was put in. Session ended. Patient data cleared."
	}
	return sentence(s.notice) + " Session ended. Patient data cleared."
}

// lockedSentence says the screen locked, and why.
func lockedSentence(m Model, cause tea.Msg) string {
	switch cause.(type) {
	case idleTickMsg:
		return "Screen locked after " + spanWords(m.sess.opts.IdleLock) + ". Enter your passcode."
	case stopMsg:
		return "scr was stopped: screen locked. Enter your passcode once it is continued."
	}
	return "Screen locked. Enter your passcode."
}

// line takes one line typed: a command of the plain mode's own, or what the
// screen shown takes, as key presses.
func (p plainModel) line(text []byte) (tea.Model, tea.Cmd) {
	defer clear(text)
	// A message already said is said again when a line brings it again
	// (switch role asked twice): the full screen's footer would show it
	// anew after the keys between.
	p.m.flash = ""
	sc := plainScreenOf(&p.m)
	p.out.typed(sc.secret)
	before := p.m
	trimmed := bytes.TrimSpace(text)
	var cmd tea.Cmd
	word := strings.ToLower(oneLine(string(commandWord(trimmed))))
	if np, c, ok := p.global(word, sc); ok {
		p, cmd = np, c
	} else {
		p, cmd = p.screenLine(trimmed, word, sc)
	}
	ask := !p.cardComes // the prompt again, once the line has been taken
	p.cardComes = false
	p, wait := p.sync(&before, p.m, nil, ask)
	return p, tea.Batch(cmd, wait)
}

// commandWord is the line as a command, or nil when it could be a
// passcode (digits only): those bytes are never made a string.
func commandWord(b []byte) []byte {
	if len(b) == 0 || len(b) > 40 {
		return nil
	}
	for _, c := range b {
		if c >= '0' && c <= '9' || c == ' ' || c == '-' {
			continue
		}
		return b
	}
	return nil
}
