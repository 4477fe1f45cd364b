package ui

// plainTerminal is the plain mode's hold on the terminal it reads lines
// from: whether it echoes what is typed, and turning the echo off for the
// passcode. The terminal stays in its line mode throughout: the line
// editing, and ctrl+c, are the terminal's own.
type plainTerminal struct {
	tty     bool                // the input is a terminal, which echoes lines as they are typed
	setEcho func(on bool) error // nil when the input is no terminal
	reset   func()              // puts the terminal back as it was
	off     bool                // the echo is off
}

// echo turns the terminal's echo on or off.
func (t *plainTerminal) echo(on bool) {
	if t == nil || t.setEcho == nil || t.off == !on {
		return
	}
	if t.setEcho(on) == nil {
		t.off = !on
	}
}

// echoes is whether what is typed shows on the terminal, its Enter ending
// the line.
func (t *plainTerminal) echoes() bool { return t != nil && t.tty && !t.off }

// restore puts the terminal back as it was found.
func (t *plainTerminal) restore() {
	if t != nil && t.reset != nil {
		t.reset()
	}
}
