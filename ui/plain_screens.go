package ui

import (
	"regexp"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/internal/recordview"
)

// Each screen in the plain mode: what it says (from the screen's says, as
// lines), what it asks, and what a line typed at its prompt does.

// plainScreenOf is the screen m shows, as the plain mode prints it.
func plainScreenOf(m *Model) plainScreen {
	s := &m.sess
	cur := m.current()
	var c content
	if sc, ok := cur.(sayer); ok {
		c = sc.says(s)
	}
	ps := plainScreen{key: cur.name(), heading: c.title, err: c.err}
	if ps.key == "" {
		ps.key = "screen"
	}
	add := func(lines ...string) {
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				ps.lines = append(ps.lines, l)
			}
		}
	}
	texts := func() {
		for _, t := range c.text {
			add(sentence(t))
		}
		if c.notice != "" {
			add(sentence(c.notice))
		}
	}
	switch sc := cur.(type) {
	case signingInScreen:
		ps.key = "" // only what is waited for is said
	case cardScreen:
		ps.heading = "scr: Summary Care Record"
		texts()
		if dc := demoSays(s, demoPicking(s)); dc != nil {
			add(dc.note)
			if len(dc.choices) > 0 {
				add("The cards you can put in:")
				add(numbered(dc.choices)...)
				ps.prompt = "Choose a card, 1 to " + strconv.Itoa(len(dc.choices)) + ":"
			} else {
				add(demoPull(dc))
			}
		}
	case passcodeScreen:
		ps.heading = "Sign in"
		add(plainFacts(c.facts)...)
		texts()
		if dc := demoSays(s, false); dc != nil {
			add(dc.note, demoPull(dc))
			for _, p := range dc.patients {
				add("Try " + p.label + ": " + sentence(p.value))
			}
		}
		if c.prompt != "" {
			ps.prompt, ps.secret = "Passcode:", true
		}
	case lockScreen:
		add(plainFacts(c.facts)...)
		texts()
		add(sentence(c.hint))
		ps.prompt, ps.secret = "Passcode:", true
	case roleScreen:
		add(numbered(c.choices)...)
		if usable(c.choices) {
			ps.prompt = "Choose a role, 1 to " + strconv.Itoa(len(c.choices)) + ":"
		}
	case findScreen:
		switch sc.mode {
		case findByNumber:
			add("Type the 10-digit NHS number, or search to search by name and date of birth.")
			if c.notice != "" {
				add(sentence(c.notice))
			}
			ps.prompt = "NHS number:"
		case findByDetails:
			ps.heading = "Search by details"
			add("Type each field and press Enter; an empty line keeps what it holds. Type back to go back to the NHS number.")
			for _, f := range c.facts {
				if f.value != "" {
					add(f.label + ": " + sentence(f.value))
				}
			}
			ps.prompt = c.prompt + " (" + fieldHints[sc.focus] + "):"
		case findResults:
			ps.heading = "Search results"
			add(sentence(strings.Replace(strings.Replace(c.text[0], "Esc to search again", "back to search again", 1), "Choose one and press Enter", "Choose one by its number", 1)))
			add(numbered(c.choices)...)
			ps.prompt = "Type back to search again:"
			if usable(c.choices) {
				ps.prompt = "Choose a patient, 1 to " + strconv.Itoa(len(c.choices)) + ", or back:"
			}
		}
	case permissionScreen:
		add(plainFacts(c.facts)...)
		texts()
		switch sc.step {
		case permSuperseded:
			ps.prompt = "Type yes to continue with " + formatNHSNumber(sc.lookup.Patient.NHSNumber) + ", or back:"
		case permNoSCR:
			ps.prompt = "Type new for another patient, or back:"
		case permAsk:
			add(keyed(c.choices)...)
			ps.prompt = "Choose p, e or d:"
		case permReason, permDeceased:
			add(numbered(c.choices)...)
			ps.prompt = "Type back to go back:"
			if len(c.choices) > 0 {
				ps.prompt = "Choose a reason, 1 to " + strconv.Itoa(len(c.choices)) + ", or back:"
			}
		case permNote:
			add("Type a note for the privacy officer, of " + strconv.Itoa(noteLimit) + " characters at most, or an empty line for none; the privacy alert is sent, then the record opens. Type back to go back.")
			ps.prompt = "Note:"
		}
	case summaryScreen:
		ps.heading = "Summary Care Record"
		rec := sc.record()
		add(plainFacts(c.facts)...)
		if rec.Unavailable {
			add(recordview.UnavailableLine)
		}
		if rec.Withheld {
			add("Warning: some entries were deliberately withheld.")
		}
		add(sentence(strings.ReplaceAll(c.text[0], " · ", ", ")))
		if rec.Created != "" && !rec.Unavailable {
			add(sentence(rec.Created))
		}
		add(plainContents(rec))
		ps.prompt = "Next, previous, a section number, allergies, medication, new or help:"
	case cis2Screen:
		// The full screen's keys are Esc and o: here, lines to type. The
		// address is said whole, on its own line, to be copied.
		add(plainFacts(c.facts)...)
		texts()
		add(c.address)
		switch demo := s.opts.CIS2 != nil && s.opts.CIS2.Browser != nil; {
		case sc.waiting && demo:
			add(keepCardIn, "Type back to cancel.")
		case sc.waiting:
			add(keepCardIn)
			ps.prompt = "Type o to open the page again, or back to cancel:"
			if sc.noOpen {
				ps.prompt = "Type o to try the browser again, or back to cancel:"
			}
		case c.prompt != "":
			ps.prompt = "Press Enter to sign in with NHS CIS2 in your browser:"
		}
	default:
		// A screen the plain mode has no words of its own for says what
		// its content says, its keys typed as lines (screenLine).
		add(plainFacts(c.facts)...)
		texts()
		add(c.address)
		for _, ch := range c.choices {
			if ch.key != "" {
				add(ch.key + ": " + sentence(ch.words))
			}
		}
		add(sentence(c.hint))
		if c.prompt != "" {
			ps.prompt = strings.TrimSuffix(c.prompt, ".") + ":"
		}
	case auditScreen:
		for _, f := range c.facts {
			add(f.label + ": " + sentence(orNone(f.value)))
		}
		texts()
		for i, r := range c.rows {
			add("Row " + strconv.Itoa(i+1) + " of " + strconv.Itoa(len(c.rows)) + ": " + sentence(r))
		}
		switch sc.mode {
		case auditForm:
			add("Type each field and press Enter; an empty line keeps what it holds. Type patient for a patient's report, alerts for the organisation's privacy alerts, emergency to switch between all alerts and emergency access only.")
			ps.prompt = c.prompt + ":"
			if c.prompt != "NHS number" {
				ps.prompt = c.prompt + " (dd-mm-yyyy):"
			}
		case auditResults:
			ps.prompt = "Sort, reverse, export, new or help:"
		case auditExportPath:
			ps.prompt = c.prompt + " (" + exportPathWants + "), or back:"
		case auditExportConfirm:
			ps.prompt = "Type y to write the file; anything else cancels:"
		}
	}
	if ps.heading == "" && ps.key != "" {
		ps.heading = strings.ToUpper(ps.key[:1]) + ps.key[1:]
	}
	for i, l := range ps.lines {
		ps.lines[i] = plainLine(l)
	}
	ps.err = plainLine(sentence(ps.err))
	if ps.key != "" {
		// Another step of the same screen, under another heading, is
		// said whole too.
		ps.key += "\x00" + ps.heading
		if a, ok := cur.(auditScreen); ok {
			ps.key += "\x00" + strconv.Itoa(int(a.mode))
		}
	}
	return ps
}

// demoPull says how the demo's card comes out, and its passcode.
func demoPull(dc *demoContent) string {
	s := "Type pull to take the demo card out or put it back."
	if dc.passcode != "" {
		s = "Passcode " + dc.passcode + ". " + s
	}
	return s
}

// numbered is a list to choose from by number: "2. Patient declined.", a
// choice that cannot be made said so.
func numbered(cs []choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strconv.Itoa(i+1) + ". " + sentence(c.words)
		if c.off {
			out[i] += " Cannot be chosen."
		}
	}
	return out
}

// keyed is a list chosen from by letter: "p: Patient gave permission.".
func keyed(cs []choice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.key + ": " + sentence(c.words)
	}
	return out
}

func usable(cs []choice) bool {
	for _, c := range cs {
		if !c.off {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}

// plainFacts are the labelled facts as lines: the patient's first line
// ("Patient: SMITH, Jane, Mrs. Born 22 October 2010 (16 years). Gender:
// Female. NHS number: 900 000 0009."), then one line for each other fact;
// a warning or a flag said as one.
func plainFacts(fs []fact) []string {
	var out []string
	var first []string
	for i, f := range fs {
		switch {
		case i == 0 && f.label == "":
			name := f.value
			if i := strings.LastIndex(name, " ("); i > 0 && strings.HasSuffix(name, ")") {
				name = name[:i] + ", " + name[i+2:len(name)-1]
			}
			first = append(first, "Patient: "+sentence(name))
		case f.label == "Born":
			first = append(first, "Born "+sentence(spellAge(f.value)))
		case f.label == "Gender":
			first = append(first, "Gender: "+sentence(f.value))
		case f.label == "NHS No.":
			first = append(first, "NHS number: "+sentence(f.value))
		case f.label == "Allergies":
			out = append(out, allergyLine(f.value))
		case f.label == "":
			v := keyHint.ReplaceAllString(f.value, "")
			switch {
			case strings.HasPrefix(v, "SENSITIVE"), strings.HasPrefix(v, "DECEASED"), strings.HasPrefix(v, "NHS number superseded"):
				out = append(out, "Warning: "+sentence(v))
			case strings.HasPrefix(v, "("):
				out = append(out, sentence(strings.Trim(v, "()")))
			default:
				out = append(out, "Flag: "+sentence(moreSections.ReplaceAllString(v, " and $1 other sections")))
			}
		default:
			out = append(out, f.label+": "+sentence(f.value))
		}
	}
	if len(first) > 0 {
		out = append([]string{strings.Join(first, " ")}, out...)
	}
	return out
}

// moreSections is a flag's count of other sections with it, " +2".
var moreSections = regexp.MustCompile(` \+(\d+)$`)

// allergyLine is the allergy status in words: "Allergies: 3 known."
func allergyLine(status string) string {
	switch {
	case strings.HasPrefix(status, recordview.AllergiesKnown+" ("):
		n := strings.TrimSuffix(strings.TrimPrefix(status, recordview.AllergiesKnown+" ("), ")")
		return "Allergies: " + n + " known."
	case status == recordview.AllergiesKnown:
		return "Allergies: some known; see the allergies section."
	case status == recordview.AllergiesNoneKnown:
		return "Allergies: none known."
	case status == recordview.AllergiesNotRecorded:
		return "Allergies: not recorded."
	}
	return "Allergies: unavailable."
}

// global is a command the plain mode takes on any screen: quit, help,
// repeat, lock, sign out, switch role, and the demo's pull.
func (p plainModel) global(word string, sc plainScreen) (plainModel, tea.Cmd, bool) {
	switch word {
	case "quit", "exit":
		var cmd tea.Cmd
		p.m, cmd = p.m.quit()
		return p, cmd, true
	case "help", "?":
		p.out.print(p.help(sc)...)
		return p, nil, true
	case "repeat":
		p.shown, p.said, p.reread = plainScreen{}, "", true
		return p, nil, true
	case "pull":
		if d := p.m.sess.opts.Demo; d != nil && d.ToggleCard != nil {
			np, cmd := p.keys(plainKey("f2"))
			np.cardComes = true
			return np, cmd, true
		}
	case "lock":
		if p.m.sessionOpen() {
			np, cmd := p.keys(plainKey("ctrl+l"))
			return np, cmd, true
		}
	case "sign out", "signout":
		if p.m.sessionOpen() {
			np, cmd := p.keys(plainKey("ctrl+o"))
			return np, cmd, true
		}
	case "switch role", "role":
		if p.m.sessionOpen() && p.m.sess.hasRole {
			np, cmd := p.keys(plainKey("ctrl+r"))
			return np, cmd, true
		}
	}
	return p, nil, false
}

// help is what can be typed at the prompt shown.
func (p plainModel) help(sc plainScreen) []string {
	out := []string{"What you can type here:"}
	switch cur := p.m.current().(type) {
	case cardScreen:
		if demoPicking(&p.m.sess) {
			out = append(out, "a card's number: put that card in.")
		}
	case passcodeScreen, lockScreen:
		out = append(out, "your passcode, then Enter: nothing you type is shown.")
	case roleScreen:
		out = append(out, "a role's number: choose it.")
		if cur.back != nil {
			out = append(out, "back: keep the role you had.")
		}
	case findScreen:
		switch cur.mode {
		case findByNumber:
			out = append(out, "an NHS number: look the patient up.", "search: search by name, date of birth, gender and postcode.")
		case findByDetails:
			out = append(out, "what the field asks for, or an empty line to leave it as it is.", "back: back to the NHS number.")
		case findResults:
			out = append(out, "a patient's number: open that patient.", "back: search again.")
		}
	case permissionScreen:
		switch cur.step {
		case permSuperseded:
			out = append(out, "yes: go on with the current number, having checked it is the patient in front of you.", "back: back to the number you typed.")
		case permNoSCR:
			out = append(out, "new: another patient.", "back: back to the search.")
		case permAsk:
			out = append(out, "p: the patient gave permission.", "e: emergency access: the privacy alert is sent before anything is shown.", "d: the patient declined: nothing is shown.", "back: back to the search; nothing is recorded.")
		case permReason, permDeceased:
			out = append(out, "a reason's number: choose it.", "back: go back.")
		case permNote:
			out = append(out, "your note for the privacy officer, or an empty line: send the privacy alert and open the record.", "back: go back.")
		}
	case summaryScreen:
		out = append(out, "next, previous: the next or previous section.", "a section's number: read that section.",
			"allergies, medication: read the allergies, or the medication.", "new: another patient; the record is cleared.")
	case auditScreen:
		switch cur.mode {
		case auditForm:
			out = append(out, "what the field asks for, or an empty line to leave it as it is.", "patient, alerts: a patient's report, or the organisation's privacy alerts.", "emergency: emergency access alerts only, or every alert.")
		case auditResults:
			out = append(out, "sort: sort by the next column.", "reverse: reverse the order.", "export: write the report to a file.", "new: a new report.")
		case auditExportPath:
			out = append(out, exportPathWants+".", "back: cancel.")
		case auditExportConfirm:
			out = append(out, "y: write the file; anything else cancels.")
		}
	}
	out = append(out, "repeat: say this screen again.")
	if p.m.sessionOpen() {
		if p.m.sess.hasRole && len(p.m.sess.api.Roles) > 1 {
			out = append(out, "switch role: choose another of your roles.")
		}
		out = append(out, "lock: lock the screen; your passcode brings it back.", "sign out: sign out, keeping the card in.")
	}
	if d := p.m.sess.opts.Demo; d != nil && d.ToggleCard != nil {
		out = append(out, "pull: take the demo card out, or put it back.")
	}
	out = append(out, "quit: sign out and quit, clearing the screen and its scrollback.", "help: this list.")
	_ = sc
	return out
}

// screenLine gives a line typed to the screen shown, as the keys it
// stands for there. word is the line as a command ("" for digits).
func (p plainModel) screenLine(line []byte, word string, sc plainScreen) (plainModel, tea.Cmd) {
	if word == "back" {
		return p.keys(plainKey("esc"))
	}
	switch cur := p.m.current().(type) {
	case passcodeScreen, lockScreen:
		// The passcode, key by key: its bytes are never made a string
		// here; the field keeps the digits only.
		keys := []tea.Msg{plainKey("ctrl+u")}
		for _, b := range line {
			if b >= '0' && b <= '9' {
				keys = append(keys, tea.KeyPressMsg{Code: rune(b), Text: digitText(b)})
			}
		}
		return p.keys(append(keys, plainKey("enter"))...)
	case cardScreen:
		if demoPicking(&p.m.sess) {
			if dc := demoSays(&p.m.sess, true); dc != nil {
				np, cmd, chosen := p.choose(line, dc.choices, func(p plainModel) []choice { return demoSays(&p.m.sess, true).choices })
				np.cardComes = chosen
				return np, cmd
			}
		}
	case roleScreen:
		np, cmd, _ := p.choose(line, cur.says(&p.m.sess).choices, func(p plainModel) []choice {
			r, _ := p.m.current().(roleScreen)
			return r.says(&p.m.sess).choices
		})
		return np, cmd
	case findScreen:
		switch cur.mode {
		case findByNumber:
			if word == "search" {
				return p.keys(plainKey("ctrl+f"))
			}
			if word == "" && len(line) > 0 {
				return p.keys(plainKey("ctrl+u"), tea.PasteMsg{Content: string(line)}, plainKey("enter"))
			}
		case findByDetails:
			return p.fillField(line, cur.focus == fieldCount-1, func(p plainModel) bool {
				f, ok := p.m.current().(findScreen)
				return ok && f.mode == findByDetails && f.err != ""
			})
		case findResults:
			np, cmd, _ := p.choose(line, cur.says(&p.m.sess).choices, func(p plainModel) []choice {
				f, _ := p.m.current().(findScreen)
				return f.says(&p.m.sess).choices
			})
			return np, cmd
		}
	case permissionScreen:
		switch cur.step {
		case permSuperseded:
			if word == "yes" || word == "y" {
				return p.keys(plainKey("enter"))
			}
		case permNoSCR:
			if word == "new" {
				return p.keys(plainKey("n"))
			}
		case permAsk:
			switch word {
			case "p", "e", "d":
				return p.keys(plainKey(word))
			}
		case permReason, permDeceased:
			np, cmd, _ := p.choose(line, cur.says(&p.m.sess).choices, func(p plainModel) []choice {
				pm, _ := p.m.current().(permissionScreen)
				return pm.says(&p.m.sess).choices
			})
			return np, cmd
		case permNote:
			// A note too long for the field is refused whole, never cut:
			// what the privacy officer reads is what was typed.
			if n := noteLength(string(line)); n > noteLimit {
				p.out.print(noteTooLong(n))
				return p, nil
			}
			return p.keys(plainKey("ctrl+u"), tea.PasteMsg{Content: string(line)}, plainKey("enter"))
		}
	case summaryScreen:
		return p.readRecord(word, line, cur.record())
	case auditScreen:
		return p.auditLine(line, word, cur)
	default:
		// A screen of no words of its own: a key typed as a line, or
		// Enter.
		switch r := []rune(string(line)); len(r) {
		case 0:
			return p.keys(plainKey("enter"))
		case 1:
			return p.keys(plainKey(string(r)))
		}
	}
	p.out.print("That is not something you can type here. Type help for what you can.")
	return p, nil
}

// digitText is the text of a digit's key, from a table, so that no string
// of the passcode is built.
func digitText(b byte) string { return "0123456789"[b-'0' : b-'0'+1] }

// choose moves the list's cursor to the choice whose number was typed and
// chooses it; list is what the screen offers, after each key. It reports
// whether the choice was made (else it said why not).
func (p plainModel) choose(line []byte, cs []choice, list func(plainModel) []choice) (plainModel, tea.Cmd, bool) {
	n, err := strconv.Atoi(string(line))
	if err != nil || n < 1 || n > len(cs) {
		p.out.print("Type a number from 1 to " + strconv.Itoa(len(cs)) + ".")
		return p, nil, false
	}
	if cs[n-1].off {
		p.out.print("Number " + strconv.Itoa(n) + " cannot be chosen.")
		return p, nil, false
	}
	at := func(cs []choice) int {
		for i, c := range cs {
			if c.at {
				return i
			}
		}
		return -1
	}
	var cmds []tea.Cmd
	for range 2*len(cs) + 2 {
		cur := at(list(p))
		if cur == n-1 || cur < 0 {
			break
		}
		dir := "down"
		if cur > n-1 {
			dir = "up"
		}
		var cmd tea.Cmd
		p, cmd = p.keys(plainKey(dir))
		cmds = append(cmds, cmd)
		if at(list(p)) == cur {
			break // the cursor does not move there
		}
	}
	if at(list(p)) != n-1 {
		p.out.print("Number " + strconv.Itoa(n) + " cannot be chosen.")
		return p, tea.Batch(cmds...), false
	}
	p, cmd := p.keys(plainKey("enter"))
	return p, tea.Batch(append(cmds, cmd)...), true
}

// fillField types a form's line into the field with the focus, then goes
// to the next field, or at the last submits the form; if the form is still
// shown with an error (failed), the next line fills the first field again.
func (p plainModel) fillField(line []byte, last bool, failed func(plainModel) bool) (plainModel, tea.Cmd) {
	var keys []tea.Msg
	if len(line) > 0 {
		keys = append(keys, plainKey("ctrl+u"), tea.PasteMsg{Content: string(line)})
	}
	if !last {
		return p.keys(append(keys, plainKey("tab"))...)
	}
	p, cmd := p.keys(append(keys, plainKey("enter"))...)
	if failed(p) {
		var c2 tea.Cmd
		p, c2 = p.keys(plainKey("tab"))
		cmd = tea.Batch(cmd, c2)
	}
	return p, cmd
}

// readRecord reads the record: the next or previous section, one by its
// number, the allergies or the medication; new (or back) leaves the
// patient.
func (p plainModel) readRecord(word string, line []byte, rec *recordview.Record) (plainModel, tea.Cmd) {
	n := len(rec.Sections)
	to := -1
	switch word {
	case "new", "n":
		return p.keys(plainKey("n"))
	case "next":
		if p.section+1 >= n {
			p.out.print("That was the last section. Type new for another patient.")
			return p, nil
		}
		to = p.section + 1
	case "previous", "prev":
		if p.section == 0 {
			p.out.print("This is the first section.")
			return p, nil
		}
		to = p.section - 1
	case "allergies", "medication":
		for i, sec := range rec.Sections {
			if word == "allergies" && sec.Allergy() || word == "medication" && sec.Medication() {
				to = i
				break
			}
		}
		if to < 0 {
			p.out.print("This record has no " + word + " section.")
			return p, nil
		}
	case "":
		i, err := strconv.Atoi(string(line))
		if err != nil || i < 1 || i > n {
			p.out.print("The sections are numbered 1 to " + strconv.Itoa(n) + ".")
			return p, nil
		}
		to = i - 1
	default:
		p.out.print("That is not something you can type here. Type help for what you can.")
		return p, nil
	}
	p.section = to
	p.out.print(plainSection(rec, to)...)
	return p, nil
}

// auditLine is a line typed on the audit screen.
func (p plainModel) auditLine(line []byte, word string, a auditScreen) (plainModel, tea.Cmd) {
	switch a.mode {
	case auditForm:
		switch word {
		case "patient":
			return p.keys(plainKey("p"))
		case "alerts":
			return p.keys(plainKey("o"))
		case "emergency":
			return p.keys(plainKey("e"))
		}
		return p.fillField(line, a.focus == a.fieldCount()-1, func(p plainModel) bool {
			a, ok := p.m.current().(auditScreen)
			return ok && a.mode == auditForm && a.err != ""
		})
	case auditResults:
		switch word {
		case "sort":
			return p.keys(plainKey("s"))
		case "reverse":
			return p.keys(plainKey("r"))
		case "export":
			return p.keys(plainKey("x"))
		case "new":
			return p.keys(plainKey("esc"))
		case "patient":
			return p.keys(plainKey("p"))
		case "alerts":
			return p.keys(plainKey("o"))
		}
	case auditExportPath:
		return p.keys(plainKey("ctrl+u"), tea.PasteMsg{Content: string(line)}, plainKey("enter"))
	case auditExportConfirm:
		if word == "y" || word == "yes" {
			return p.keys(plainKey("y"))
		}
		return p.keys(plainKey("n"))
	}
	p.out.print("That is not something you can type here. Type help for what you can.")
	return p, nil
}
