package ui

// content is what a screen says, apart from how it is drawn: the words a
// plain (screen-reader) mode reads out line by line, where the screens lay
// them out and colour them. A screen that says what it shows this way
// (sayer) draws its words from it, so the two never say different things.
type content struct {
	facts   []fact   // what the screen is about: the patient's banner, the card's holder
	title   string   // what the screen is, or asks
	text    []string // sentences, in order
	notice  string   // something to read that is not an error
	choices []choice // what may be chosen, and how
	prompt  string   // what the keys go into ("Enter your passcode")
	value   string   // what is typed there, as shown
	hint    string   // what the keys do, in words
	err     string   // what went wrong, in one sentence
}

// fact is one labelled fact; the patient's name, first, has no label.
type fact struct{ label, value string }

// choice is one thing a screen offers to choose.
type choice struct {
	key   string // the key that chooses it; "" in a list moved through with ↑/↓ and chosen with Enter
	words string
	off   bool // offered, but not to this user: said, so that it is not missed
	at    bool // the cursor is on it
}

// A sayer can say what it shows: the permission question, the roles, the
// passcode and the lock. The summary's record is recordview.Record, read
// apart from its layout in the same way.
type sayer interface {
	says(s *session) content
}
