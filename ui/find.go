package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
)

// findMode is which way the patient is being found.
type findMode int

const (
	findByNumber  findMode = iota // the NHS number field (typed or scanned)
	findByDetails                 // the demographic search form
	findResults                   // the search's matches
)

// The demographic form's fields, in order.
const (
	fieldFamily = iota
	fieldGiven
	fieldBirth
	fieldGender
	fieldPostcode
	fieldCount
)

var fieldLabels = [fieldCount]string{"Family name", "Given name", "Date of birth", "Gender", "Postcode"}

// findScreen is the Find patient screen: an NHS number checked as it is
// typed, or a search by family name, given name, date of birth, gender and
// postcode with a list of matches.
type findScreen struct {
	c      *common
	mode   findMode
	number string // the digits typed or scanned; shown spaced 3-3-4
	fields [fieldCount]textinput.Model
	focus  int

	// fuzzyFor is the form, as formKey writes it, whose exact search found
	// nobody: searching it again asks PDS for similar names. PDS advises an
	// exact search first, since a fuzzy one finds more people than asked for.
	fuzzyFor string
	fuzzy    bool // the results shown came from a fuzzy search

	matches []client.PatientMatch
	pick    int

	err    string // why the last request failed, as a sentence
	notice string // what happened last, e.g. the patient declined
}

// fieldHints are shown beside the fields, never inside them: with NO_COLOR
// a placeholder loses its faint colour and reads as if it had been typed.
var fieldHints = [fieldCount]string{"e.g. Smith", "e.g. Jane", "e.g. 22-10-2010", "f, m, o or u", "e.g. LS1 6AE"}

// fieldWidth is the width of a form field on screen.
const fieldWidth = 30

func newFindScreen(c *common, number string) findScreen {
	f := findScreen{c: c, number: appendNumberChars("", number)}
	for i := range f.fields {
		f.fields[i] = newTextInput("", 60, fieldWidth)
	}
	return f
}

// newTextInput is a text field with a steady cursor: a blinking one redraws
// the screen twice a second, which costs bandwidth over remote desktops.
func newTextInput(placeholder string, limit, width int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.SetWidth(width)
	st := ti.Styles()
	st.Cursor.Blink = false
	ti.SetStyles(st)
	return ti
}

// field: only the demographic form takes letters; the NHS number field
// takes digits, so letters stay commands there (q quits, ? helps).
func (f findScreen) field(*session) field {
	switch f.mode {
	case findByNumber:
		return digitField
	case findByDetails:
		return textField
	}
	return noField
}

// hasInput is whether a number or a form is typed.
func (f findScreen) hasInput() bool {
	switch f.mode {
	case findByNumber:
		return strings.TrimSpace(f.number) != ""
	case findByDetails:
		for _, fld := range f.fields {
			if strings.TrimSpace(fld.Value()) != "" {
				return true
			}
		}
	}
	return false
}

func (f findScreen) name() string {
	switch f.mode {
	case findByDetails:
		return "search by details"
	case findResults:
		return "search results"
	}
	return "find a patient by NHS number"
}

func (f findScreen) bindings(s *session, full bool) []key.Binding {
	k := s.keys
	switch f.mode {
	case findByDetails:
		bs := []key.Binding{withHelp(k.Submit, "enter", "search"), k.NextField, k.Back}
		if full {
			bs = append(bs, k.PrevField)
		}
		return bs
	case findResults:
		return []key.Binding{k.Up, k.Down, withHelp(k.Submit, "enter", "open"), k.Back}
	}
	return []key.Binding{withHelp(k.Submit, "enter", "look up"), k.SearchForm, k.ClearField}
}

func (f findScreen) view(s *session, _ int) string {
	return s.header() + f.draw(s.busyLine())
}

func (f findScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return f.key(s, msg)
	case lookupMsg:
		return f.looked(s, msg)
	case searchMsg:
		s.busy = ""
		return f.setResults(msg.matches, msg.err), nil
	}
	return f.edit(msg)
}

// key is Enter, ctrl+f, Esc and moving between fields; the rest is typing.
func (f findScreen) key(s *session, msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	switch f.mode {
	case findByNumber:
		switch {
		case key.Matches(msg, k.Submit):
			nhs, hint, ok := f.numberState()
			if !ok {
				f.err = hint
				return f, nil
			}
			return f.startLookup(s, nhs)
		case key.Matches(msg, k.SearchForm):
			return f.showForm()
		case key.Matches(msg, k.Back):
			// Nothing to go back to; the number stays (ctrl+u clears it).
			return f, nil
		}
	case findByDetails:
		switch {
		case key.Matches(msg, k.Submit):
			q, problem := f.query()
			if problem != "" {
				f.err = problem
				return f, nil
			}
			return f.startSearch(s, q)
		case key.Matches(msg, k.Back), key.Matches(msg, k.SearchForm):
			return f.showNumber(), nil
		case msg.String() == "tab" || msg.String() == "down":
			return f.focusField(f.focus + 1)
		case msg.String() == "shift+tab" || msg.String() == "up":
			return f.focusField(f.focus - 1)
		}
	case findResults:
		switch {
		case key.Matches(msg, k.Submit):
			if p := f.picked(); p != nil {
				return f.startLookup(s, p.NHSNumber)
			}
			return f, nil // a result that cannot be used is not looked up
		case key.Matches(msg, k.Back):
			return f.showForm()
		}
	}
	return f.edit(msg)
}

// lookupMsg answers startLookup.
type lookupMsg struct {
	lookup *client.Lookup
	err    error
}

func (msg lookupMsg) failed() error {
	if msg.err == nil && msg.lookup != nil {
		return msg.lookup.ConsentErr
	}
	return msg.err
}

// searchMsg answers startSearch.
type searchMsg struct {
	matches []client.PatientMatch
	err     error
}

func (msg searchMsg) failed() error { return msg.err }

func (f findScreen) startLookup(s *session, nhs client.NHSNumber) (screen, tea.Cmd) {
	f.err, f.notice = "", ""
	api, ctx := s.api, s.run
	return f, s.ask("Looking up NHS No. "+formatNHSNumber(nhs)+"…", func() tea.Msg {
		l, err := api.Lookup(ctx, nhs)
		return lookupMsg{lookup: l, err: err}
	})
}

func (f findScreen) startSearch(s *session, q client.PatientQuery) (screen, tea.Cmd) {
	f.err = ""
	api, ctx := s.api, s.run
	return f, s.ask("Searching…", func() tea.Msg {
		ms, err := api.SearchPatients(ctx, q)
		return searchMsg{matches: ms, err: err}
	})
}

// looked decides what the lookup allows: nothing for an opted-out patient,
// the banner and a sentence for no SCR, otherwise the permission question
// (legacy consent Yes is asked like Ask, as API.md has it).
func (f findScreen) looked(s *session, msg lookupMsg) (screen, tea.Cmd) {
	s.busy = ""
	if msg.err != nil {
		f.err = explain.Error(msg.err)
		return f, nil
	}
	l := msg.lookup
	var optedOut *client.OptedOutError
	switch {
	case errors.As(l.ConsentErr, &optedOut), l.ConsentErr == nil && l.Consent.Permission == client.ConsentNo:
		// Opted out: say so, naming whom PDS found, so that a number
		// mistyped but valid is noticed, and show nothing of the record.
		// The number (or the search) stays as typed.
		f.err = optedOutSentence(l.Patient)
		return f, nil
	case errors.Is(l.ConsentErr, client.ErrNoSCR):
		return newPermissionScreen(f.c, l, s.role, permNoSCR).openedFrom(f), nil
	case l.ConsentErr != nil:
		f.err = explain.Error(l.ConsentErr)
		return f, nil
	}
	first := permAsk
	if l.Patient != nil && l.Patient.Deceased {
		// No one can give permission for a patient who has died.
		first = permDeceased
	}
	return newPermissionScreen(f.c, l, s.role, first).openedFrom(f), nil
}

// optedOutSentence says that the patient PDS found has opted out, naming
// them and their NHS number (and the number it replaced, if it was
// typed): "OKAFOR, Grace Adaeze (NHS No. 900 000 0041) has opted out of
// the Summary Care Record. Nothing can be shown." The error carries no
// number; the lookup does.
func optedOutSentence(pt *client.Patient) string {
	if pt == nil || pt.NHSNumber == "" {
		return explain.OptedOut("This patient")
	}
	who := "NHS No. " + formatNHSNumber(pt.NHSNumber)
	if pt.SupersededFrom != "" {
		who += ", which replaced " + formatNHSNumber(pt.SupersededFrom)
	}
	name := pt.Name
	name.Prefix = nil // "OKAFOR, Grace Adaeze", as the died sentence
	if n := formatName(name); n != "" {
		return explain.OptedOut(n + " (" + who + ")")
	}
	return explain.OptedOut(who)
}

// nhsValue is the digits typed, for keeping across a new sign-in.
func (f findScreen) nhsValue() string { return f.number }

// edit is typing into the number or the form, and moving in the matches.
func (f findScreen) edit(msg tea.Msg) (findScreen, tea.Cmd) {
	switch f.mode {
	case findByNumber:
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			switch msg.String() {
			case "backspace", "ctrl+h":
				// The spaces are the screen's, not the user's: backspace
				// takes the last digit.
				if n := len(f.number); n > 0 {
					f.number = f.number[:n-1]
				}
			case "ctrl+u", "esc":
				f.number = ""
			default:
				f.number = appendNumberChars(f.number, msg.Text)
			}
			f.err, f.notice = "", ""
		case tea.PasteMsg:
			f.number = appendNumberChars(f.number, msg.Content)
		}
		return f, nil
	case findByDetails:
		var cmd tea.Cmd
		f.fields[f.focus], cmd = f.fields[f.focus].Update(msg)
		return f, cmd
	case findResults:
		if msg, ok := msg.(tea.KeyPressMsg); ok {
			switch {
			case key.Matches(msg, f.c.keys.Up):
				f.pick = f.nextUsable(f.pick, -1)
			case key.Matches(msg, f.c.keys.Down):
				f.pick = f.nextUsable(f.pick, +1)
			}
		}
	}
	return f, nil
}

// nextUsable is the usable match after from in direction dir, or from if
// there is none: the cursor never rests on a result that cannot be used.
func (f findScreen) nextUsable(from, dir int) int {
	for i := from + dir; i >= 0 && i < len(f.matches); i += dir {
		if f.matches[i].Unusable == client.Usable {
			return i
		}
	}
	return from
}

// picked is the match Enter would look up, or nil when none can be used.
func (f findScreen) picked() *client.Patient {
	if f.pick < 0 || f.pick >= len(f.matches) {
		return nil
	}
	m := f.matches[f.pick]
	if m.Unusable != client.Usable || m.Patient == nil {
		return nil
	}
	return m.Patient
}

// maxNumberDigits is one more than an NHS number has, so that an extra
// digit is reported as one too many rather than dropped unseen.
const maxNumberDigits = 11

// appendNumberChars adds the digits of text to s, as typed, pasted or
// scanned ("900-000-0017", "900 000 0017"): anything else is the number's
// punctuation and is dropped.
func appendNumberChars(s, text string) string {
	for _, r := range text {
		if r >= '0' && r <= '9' && len(s) < maxNumberDigits {
			s += string(r)
		}
	}
	return s
}

// spacedDigits shows digits as an NHS number is printed, 3-3-4, while they
// are typed: "900", "900 00", "900 000 0017".
func spacedDigits(d string) string {
	switch {
	case len(d) <= 3:
		return d
	case len(d) <= 6:
		return d[:3] + " " + d[3:]
	}
	return d[:3] + " " + d[3:6] + " " + d[6:]
}

// numberState is the live check under the NHS number field.
func (f findScreen) numberState() (nhs client.NHSNumber, hint string, ok bool) {
	switch digits := len(f.number); {
	case digits == 0:
		return "", "Type or scan the 10-digit NHS number.", false
	case digits < 10:
		return "", fmt.Sprintf("%d of 10 digits", digits), false
	case digits > 10:
		return "", "Too many digits: an NHS number has 10.", false
	}
	n, err := client.ParseNHSNumber(f.number)
	if err != nil {
		var bad *client.InvalidNHSNumberError
		if errors.As(err, &bad) {
			return "", "Not a valid NHS number: " + bad.Reason.String() + ".", false
		}
		return "", "Not a valid NHS number.", false
	}
	return n, "✓ valid NHS number", true
}

func (f findScreen) focusField(i int) (findScreen, tea.Cmd) {
	f.fields[f.focus].Blur()
	f.focus = (i + fieldCount) % fieldCount
	return f, f.fields[f.focus].Focus()
}

func (f findScreen) showForm() (findScreen, tea.Cmd) {
	f.mode, f.err, f.notice = findByDetails, "", ""
	return f.focusField(f.focus)
}

func (f findScreen) showNumber() findScreen {
	f.fields[f.focus].Blur()
	f.mode, f.err = findByNumber, ""
	return f
}

// query reads the form as a PDS search, or says what is missing.
func (f findScreen) query() (client.PatientQuery, string) {
	v := func(i int) string { return strings.TrimSpace(f.fields[i].Value()) }
	q := client.PatientQuery{Family: v(fieldFamily), Postcode: v(fieldPostcode)}
	if g := v(fieldGiven); g != "" {
		q.Given = strings.Fields(g)
	}
	if b := v(fieldBirth); b != "" {
		d, err := parseDateOfBirth(b, f.c.now())
		if err != nil {
			return q, err.Error()
		}
		q.BirthDate = d
	}
	switch strings.ToLower(v(fieldGender)) {
	case "":
	case "f", "female":
		q.Gender = "female"
	case "m", "male":
		q.Gender = "male"
	case "o", "other":
		q.Gender = "other"
	case "u", "unknown":
		q.Gender = "unknown"
	default:
		return q, "Gender is f, m, o or u."
	}
	if q.Family == "" || q.BirthDate.IsZero() {
		return q, "A search needs at least the family name and the date of birth."
	}
	q.Fuzzy = f.fuzzyFor != "" && f.fuzzyFor == f.formKey() && fuzzyAllowed(q)
	return q, ""
}

// formKey is the form as typed, to tell whether it changed since a search.
func (f findScreen) formKey() string {
	parts := make([]string, len(f.fields))
	for i, fld := range f.fields {
		parts[i] = strings.TrimSpace(fld.Value())
	}
	return strings.Join(parts, "\x00")
}

// fuzzyAllowed: PDS takes a fuzzy search only with given name, family name
// and date of birth, or one of the names with date of birth, gender and
// postcode, and never with a wildcard.
func fuzzyAllowed(q client.PatientQuery) bool {
	if strings.Contains(q.Family+strings.Join(q.Given, "")+q.Postcode, "*") {
		return false
	}
	return !q.BirthDate.IsZero() && (q.Family != "" && len(q.Given) > 0 ||
		(q.Family != "" || len(q.Given) > 0) && q.Gender != "" && q.Postcode != "")
}

// dateError is why a date typed was refused, as the sentence shown.
type dateError string

func (e dateError) Error() string { return string(e) }

// dateHelp is how a date may be typed.
const dateHelp = "Type the date day first: 14032015, 14/03/2015, 14-03-2015 or 14 Mar 2015."

// parseDateOfBirth is parseUKDate refusing a date after today (on now's
// calendar).
func parseDateOfBirth(s string, now time.Time) (time.Time, error) {
	t, err := parseUKDate(s)
	if err != nil {
		return t, err
	}
	ny, nm, nd := now.Date()
	if t.After(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, dateError("That date of birth is after today.")
	}
	return t, nil
}

// parseBirthDate is parseUKDate, by the name the audit form calls it.
func parseBirthDate(s string) (time.Time, error) { return parseUKDate(s) }

// parseUKDate reads a date as typed at a UK counter, day first: 14032015,
// 14/03/2015, 14-03-2015, 14.03.2015, 14 Mar 2015 or 14 March 2015; also
// 2015-03-14, which cannot be misread. It refuses, saying why, a two-digit
// year (1915 or 2015?), a month past 12 (typed month first?) and a day the
// month does not have. The date is at midnight UTC.
func parseUKDate(s string) (time.Time, error) {
	refuse := func(why string) (time.Time, error) { return time.Time{}, dateError(why) }
	s = strings.TrimSpace(s)
	var parts []string
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		parts = []string{s[:2], s[2:4], s[4:]}
	} else {
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	}
	if len(parts) != 3 {
		if len(s) == 6 && strings.Trim(s, "0123456789") == "" {
			return refuse("Type the year in full, as in 14032015: a two-digit year could be 1915 or 2015.")
		}
		return refuse(dateHelp)
	}
	day, month, year := parts[0], parts[1], parts[2]
	if len(day) == 4 && len(year) <= 2 {
		day, year = year, day // 2015-03-14: year first is unambiguous
	}
	num := func(p string, maxLen int) int {
		if p == "" || len(p) > maxLen || strings.Trim(p, "0123456789") != "" {
			return -1
		}
		n, _ := strconv.Atoi(p)
		return n
	}
	d, y := num(day, 2), num(year, 4)
	m := num(month, 2)
	if m < 0 {
		m = monthNamed(month)
	}
	switch {
	case d < 0 || m < 0 || y < 0:
		return refuse(dateHelp)
	case len(year) != 4:
		return refuse("Type the year in full, as in 14-03-2015: a two-digit year could be 1915 or 2015.")
	case m == 0 || m > 12:
		if m > 12 && d >= 1 && d <= 12 {
			return refuse(fmt.Sprintf("There is no month %d: type the day first, then the month, as in 14-03-2015.", m))
		}
		return refuse(fmt.Sprintf("There is no month %d. %s", m, dateHelp))
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || t.Day() != d {
		return refuse(fmt.Sprintf("%s %d has no day %d.", time.Month(m), y, d))
	}
	return t, nil
}

// monthNamed is the month a name or its first three letters stands for,
// in any case ("Mar", "march", "Sept"), or -1.
func monthNamed(s string) int {
	s = strings.ToLower(s)
	if s == "sept" {
		return 9
	}
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if s == name || s == name[:3] {
			return int(m)
		}
	}
	return -1
}

func (f findScreen) setResults(matches []client.PatientMatch, err error) findScreen {
	if err != nil {
		f.err = explain.Error(err)
		return f
	}
	q, _ := f.query() // the form searched, unless it was changed meanwhile
	if len(matches) == 0 {
		switch {
		case q.Fuzzy:
			// Any detail typed may be the wrong one, the name as much as
			// the date of birth.
			f.err = "No patient matches, even allowing for other spellings. Check " + detailsSearched(q, "the name") + ", or search by NHS number."
		case fuzzyAllowed(q):
			f.fuzzyFor = f.formKey()
			f.err = "No patient matches exactly. Press Enter again to include similar names: other spellings, letters without accents, given and family names swapped."
		default:
			f.err = "No patient matches. Check " + detailsSearched(q, "the spelling") + ", or search by NHS number. " + noFuzzyWhy(q)
		}
		return f
	}
	f.fields[f.focus].Blur()
	f.mode, f.matches, f.pick, f.err, f.fuzzy, f.fuzzyFor = findResults, matches, 0, "", q.Fuzzy, ""
	if matches[0].Unusable != client.Usable {
		f.pick = f.nextUsable(0, +1) // stays 0 when none is usable: picked says so
	}
	return f
}

// detailsSearched names the details a search that found nobody was given,
// any of which may be the wrong one: name (the words for the names), the
// date of birth, and the gender and postcode if typed.
func detailsSearched(q client.PatientQuery, name string) string {
	ds := []string{name, "the date of birth"}
	if q.Gender != "" {
		ds = append(ds, "the gender")
	}
	if q.Postcode != "" {
		ds = append(ds, "the postcode")
	}
	return strings.Join(ds[:len(ds)-1], ", ") + " and " + ds[len(ds)-1]
}

// noFuzzyWhy says why a search that found nobody cannot include similar
// names (fuzzyAllowed): a wildcard, or too few details, the given name
// being the one that would let it.
func noFuzzyWhy(q client.PatientQuery) string {
	if strings.Contains(q.Family+strings.Join(q.Given, "")+q.Postcode, "*") {
		return "A search with * in it cannot include similar names."
	}
	return "With the given name too, a second search can include similar names."
}

// draw is the screen under the header, busy the line saying what is
// waited for. Its words are those the screen says.
func (f findScreen) draw(busy string) string {
	c := f.says(nil) // says needs no session
	s := f.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render(c.title) + "\n\n")
	switch f.mode {
	case findByNumber:
		_, _, ok := f.numberState()
		b.WriteString(c.prompt + "  " + s.Selected.Render(" "+c.value+"█ ") + "\n")
		style := s.Faint
		if ok {
			style = s.Notice
		}
		// Under the number, wrapped there: the reason a number is refused
		// is read whole.
		for _, l := range strings.Split(ansi.Wrap(c.text[0], max(f.c.width-2-12, 10), ""), "\n") {
			b.WriteString("            " + style.Render(l) + "\n")
		}
		b.WriteString("\n" + s.Faint.Render(c.hint) + "\n")
	case findByDetails:
		for i, fld := range f.fields {
			label := fmt.Sprintf("%-14s", c.facts[i].label)
			if i == f.focus {
				label = s.Highlight.Render(label)
			}
			field := fld.View()
			field += strings.Repeat(" ", max(fieldWidth+1-ansi.StringWidth(field), 0))
			hint := ansiTruncate(fieldHints[i], f.c.width-2-15-fieldWidth-2)
			b.WriteString(label + " " + field + " " + s.Faint.Render(hint) + "\n")
		}
		b.WriteString("\n" + s.Faint.Render(c.hint) + "\n")
	case findResults:
		b.WriteString(lipgloss.NewStyle().Width(max(f.c.width-2, 10)).Render(c.text[0]) + "\n\n")
		for i, ch := range c.choices { // one to a match
			if ch.off {
				// Listed, so no match is silently missing, but not
				// selectable; the reason goes on a line of its own when
				// the two do not fit one, so that it is read whole.
				m := f.matches[i]
				who, why := unusableLine(m), explain.Unusable(m.Unusable)
				if who == "" || ansi.StringWidth(ch.words) <= f.c.width-2 {
					b.WriteString(styledRow(s.Disabled, "  ", ch.words, f.c.width))
				} else {
					b.WriteString(resultRow(s.Disabled, "  ", unusableParts(m), f.c.width))
					b.WriteString(styledRow(s.Disabled, "    ", why, f.c.width))
				}
				continue
			}
			// A row that wraps breaks between its parts, never inside
			// the NHS number, the date of birth or the postcode.
			parts := matchParts(f.matches[i].Patient)
			if ch.at {
				b.WriteString(resultRow(s.Selected, "> ", parts, f.c.width))
			} else {
				b.WriteString(resultRow(lipgloss.NewStyle(), "  ", parts, f.c.width))
			}
		}
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(max(f.c.width-2, 10)).Render(s.Error.Render(c.err)) + "\n")
	}
	if c.notice != "" {
		b.WriteString("\n" + s.Notice.Render(c.notice) + "\n")
	}
	return b.String()
}

// resultsHead says how many patients matched, how many of them cannot be
// used, and what to do.
func (f findScreen) resultsHead() string {
	unusable := 0
	for _, m := range f.matches {
		if m.Unusable != client.Usable {
			unusable++
		}
	}
	found := explain.Plural(len(f.matches), "matching patient", "matching patients")
	if f.fuzzy {
		found += ", similar names included"
	}
	switch {
	case unusable == len(f.matches) && unusable == 1:
		return found + ", which cannot be used. Esc to search again, or search by NHS number."
	case unusable == len(f.matches):
		return found + ", none of which can be used. Esc to search again, or search by NHS number."
	case unusable > 0:
		return fmt.Sprintf("%s (%d cannot be used). Choose one and press Enter; Esc to search again.", found, unusable)
	}
	return found + ". Choose one and press Enter; Esc to search again."
}

// unusableLine is what tells apart a search result that cannot be used: its
// name and birth date, never an NHS number (it had none that holds).
func unusableLine(m client.PatientMatch) string {
	return strings.Join(unusableParts(m), "  ")
}

// unusableParts are unusableLine's parts: the name, the date of birth.
func unusableParts(m client.PatientMatch) []string {
	var parts []string
	if p := m.Patient; p != nil {
		if n := formatName(p.Name); n != "" {
			parts = append(parts, n)
		}
		if !p.BirthDate.IsZero() {
			parts = append(parts, "Born "+formatDate(p.BirthDate))
		}
	}
	return parts
}

// matchLine is one search result: enough to tell two patients apart, with
// the address withheld for a sensitive record.
func matchLine(p *client.Patient) string {
	return strings.Join(matchParts(p), "  ")
}

// matchParts are matchLine's parts: the name, the date of birth, the
// gender, the NHS number, the postcode.
func matchParts(p *client.Patient) []string {
	if p == nil {
		return nil
	}
	parts := []string{formatName(p.Name), "Born " + formatDate(p.BirthDate), formatGender(p.Gender), "NHS No. " + formatNHSNumber(p.NHSNumber)}
	switch {
	case p.Sensitive:
		parts = append(parts, "address withheld")
	case p.Address.PostalCode != "":
		parts = append(parts, p.Address.PostalCode)
	}
	return parts
}

// The no-break space and hyphen: ansi.Wrap breaks at neither (it breaks
// after every "-" otherwise). Both are one column wide.
const (
	nbsp     = "\u00a0"
	nbHyphen = "\u2011"
)

// keepWhole makes a part of a row one word while it is wrapped; unglue
// undoes it on the screen.
var (
	keepWhole = strings.NewReplacer(" ", nbsp, "-", nbHyphen)
	unglue    = strings.NewReplacer(nbsp, " ", nbHyphen, "-")
)

// resultRow is styledRow of a search result's parts, joined as matchLine
// joins them, where a line that must wrap breaks between the parts after
// the name, never inside one ("NHS No. 900 000 0068", "Born 11-Feb-1999",
// "CF11 9HW"): their spaces and hyphens are no-break ones while the row is
// wrapped, and ordinary again on the screen, so that the row reads and
// copies as it is said. A part too long for its line is still wrapped
// (ansi.Wrap breaks a word that does not fit), never cut. (A no-break space
// or hyphen a name itself holds is shown as an ordinary one.)
func resultRow(style lipgloss.Style, mark string, parts []string, width int) string {
	glued := slices.Clone(parts)
	for i := 1; i < len(glued); i++ { // the name may wrap between its words
		glued[i] = keepWhole.Replace(glued[i])
	}
	var b strings.Builder
	for _, l := range listRow(mark, strings.Join(glued, "  "), width) {
		b.WriteString(style.Render(unglue.Replace(l)) + "\n")
	}
	return b.String()
}
