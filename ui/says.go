package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/auditexport"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
)

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
	// rows are a table's rows, each in words ("When: …. Who: …."): what
	// the screen lays out in columns, which a plain mode reads one to a
	// line. The screen shows those that fit.
	rows []string
	// address is a web address to open by hand, after text: shown and
	// said whole, never cut or made a sentence (a full stop after it would
	// become part of it when copied).
	address string
	prompt  string // what the keys go into ("Enter your passcode")
	value   string // what is typed there, as shown
	hint    string // what the keys do, in words
	err     string // what went wrong, in one sentence
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

// A sayer can say what it shows: the card, the passcode, the roles, the
// search, the permission question, the record's banner, the audit reports
// and the lock. The summary's record is recordview.Record, read apart from
// its layout in the same way.
type sayer interface {
	says(s *session) content
}

// says is the readers and whether a card is in each, or what is wrong with
// the card service, and why the last session ended. The demo's words (its
// picker, its passcode) are demoSays.
func (cardScreen) says(s *session) content {
	c := readersSay(s)
	if s.cardErr != nil {
		c.err = strings.TrimSpace(c.err + " " + explain.Error(s.cardErr))
	}
	return c
}

// readersSay is what the card screen says but the card's own error, which
// its view draws apart, under the readers.
func readersSay(s *session) content {
	c := content{title: "scr · Summary Care Record", notice: s.notice}
	switch {
	case s.watchErr != nil:
		c.err = explain.Error(s.watchErr)
	case s.serviceLost:
	case !s.watching:
		c.text = []string{"Looking for card readers…"}
	case len(s.readers) == 0:
		c.err = "No card reader is connected. Plug in a reader, or check its cable."
	default:
		c.text = []string{cardHeading(s)}
		c.text = append(c.text, readerLines(s)...)
	}
	return c
}

// demoContent is what the demo adds to the card and passcode screens: that
// it is the demo, the cards to put in while the reader is empty, else the
// passcode of the card in and the patients to try.
type demoContent struct {
	note     string
	choices  []choice // the sandbox cards, with their passcodes
	passcode string
	patients []fact // NHS number, and what it shows
}

// demoSays is the demo's words; nil when this is no demo.
func demoSays(s *session, picking bool) *demoContent {
	d := s.opts.Demo
	if d == nil {
		return nil
	}
	dc := &demoContent{note: "Demo: sandbox data only, nothing real."}
	if picking {
		for i, card := range d.Cards {
			dc.choices = append(dc.choices, choice{words: card.Name + ", " + card.What + " (passcode " + card.Passcode + ")", at: i == s.demoPick})
		}
		return dc
	}
	dc.passcode = demoPasscode(s)
	for _, p := range d.Patients {
		dc.patients = append(dc.patients, fact{p.NHSNumber, p.What})
	}
	return dc
}

// says is the search: the NHS number as typed and its live check, the
// search form's fields, or the matches; what went wrong and what happened
// last.
func (f findScreen) says(*session) content {
	c := content{title: "Find a patient", err: f.err, notice: f.notice}
	switch f.mode {
	case findByNumber:
		_, hint, _ := f.numberState()
		c.prompt, c.value = "NHS number", spacedDigits(f.number)
		c.text = []string{hint}
		c.hint = "Enter looks the patient up. ctrl+f searches by name and date of birth instead."
	case findByDetails:
		for i, fld := range f.fields {
			c.facts = append(c.facts, fact{fieldLabels[i], fld.Value()})
		}
		c.prompt, c.value = fieldLabels[f.focus], f.fields[f.focus].Value()
		c.hint = "tab moves between fields; Enter searches; Esc goes back to the NHS number."
	case findResults:
		c.text = []string{f.resultsHead()}
		for i, m := range f.matches {
			if m.Unusable != client.Usable {
				words := explain.Unusable(m.Unusable)
				if who := unusableLine(m); who != "" {
					words = who + "  " + words
				}
				c.choices = append(c.choices, choice{words: words, off: true})
				continue
			}
			c.choices = append(c.choices, choice{words: matchLine(m.Patient), at: i == f.pick})
		}
	}
	return c
}

// says is the report's form, its results (every row in words), or the
// export's path and warning.
func (a auditScreen) says(*session) content {
	c := content{title: a.title(), err: a.err, notice: a.notice}
	switch a.mode {
	case auditForm:
		c.facts = []fact{{"Report", reportNames[a.report]}}
		labels := map[int]string{fieldNumber: "NHS number", fieldFrom: "From", fieldTo: "To"}
		value := func(i int) string {
			switch i {
			case fieldNumber:
				return spacedDigits(a.number) // as the find screen shows it
			case fieldFrom:
				return a.from[a.report]
			}
			return a.to[a.report]
		}
		for i := range a.fieldCount() {
			at := a.fieldAt(i)
			c.facts = append(c.facts, fact{labels[at], value(at)})
		}
		if a.report == reportAlerts {
			types := "all: emergency access (type 2) and self-claimed legitimate relationships (type 1)"
			if a.emergency {
				types = "emergency access only (type 2)"
			}
			c.facts = append(c.facts, fact{"Alerts", types})
		}
		c.prompt, c.value = labels[a.fieldAt(a.focus)], value(a.fieldAt(a.focus))
		if a.report == reportPatient {
			c.hint = "Enter lists every access to this patient's records. tab moves between fields; o shows the organisation's privacy alerts instead."
		} else {
			c.hint = "Enter lists the privacy alerts raised in your organisation. tab moves between fields; e switches between all alerts and emergency access only; p goes back to a patient's report."
		}
	case auditResults:
		c.text = []string{a.reportLine()}
		if len(a.shown) == 0 {
			if a.asked.report == reportPatient {
				c.text = append(c.text, "No access is recorded for this patient in these dates.")
			} else {
				c.text = append(c.text, "No privacy alert was raised in your organisation in these dates.")
			}
		}
		for _, r := range a.shown {
			c.rows = append(c.rows, a.rowWords(r))
		}
	case auditExportPath:
		c.text = []string{a.reportLine()}
		c.prompt, c.value = "Export to", a.path.Value()
		c.hint = "Type " + exportPathWants + ": that decides the format. Enter goes on to a warning; Esc cancels."
	case auditExportConfirm:
		format, _ := auditexport.Format(a.path.Value())
		c.text = []string{a.reportLine(), fmt.Sprintf("Write %s to %s as %s?", explain.Plural(len(a.shown), "row", "rows"), a.path.Value(), strings.ToUpper(format))}
		c.notice = exportWarning
		c.hint = "y writes the file; any other key cancels."
	}
	return c
}

// rowWords is one row of the results in words, each column labelled.
func (a auditScreen) rowWords(r client.Access) string {
	var parts []string
	for _, col := range a.columns() {
		if v := cellText(col, r); v != "" {
			parts = append(parts, columnNames[col]+": "+v)
		}
	}
	return strings.Join(parts, ". ")
}

// readerLines are the readers by name, each with its state: "Test Reader:
// card inserted". A reader's name is the PC/SC driver's: through the gate.
// cardHeading is what the card screen asks for. A card can be in the reader
// and not being read: after a sign-out for the wrong user, or a card that
// could not be read; the screen then asks for it to be put in again, not for
// a card that is already there.
func cardHeading(s *session) string {
	cardIn := false
	for r, in := range s.readers {
		if s.opts.Reader != "" && r != s.opts.Reader {
			continue // not used: --reader names another
		}
		if in && s.opening == r {
			return "Reading your smartcard…"
		}
		cardIn = cardIn || in
	}
	if cardIn {
		return "To sign in, take the card out and put it in again, or put in another."
	}
	return "Insert your smartcard."
}

func readerLines(s *session) []string {
	names := make([]string, 0, len(s.readers))
	for r := range s.readers {
		names = append(names, r)
	}
	sort.Strings(names)
	lines := make([]string, 0, len(names))
	for _, r := range names {
		state := "empty"
		if s.readers[r] {
			state = "card inserted"
			if s.opening == r {
				state = "reading the card…"
			}
		}
		if s.opts.Reader != "" && r != s.opts.Reader {
			state += " (not used: --reader names another)"
		}
		lines = append(lines, safetext.Line(r)+": "+state)
	}
	return lines
}
