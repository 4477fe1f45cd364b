package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
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

// findModel is the Find patient screen: an NHS number checked as it is
// typed, or a search by family name, given name, date of birth, gender and
// postcode with a list of matches.
type findModel struct {
	c      *common
	mode   findMode
	number string // as typed: digits, spaces and dashes
	fields [fieldCount]textinput.Model
	focus  int

	matches []client.PatientMatch
	pick    int

	err    string // why the last request failed, as a sentence
	notice string // what happened last, e.g. the patient declined
}

func newFindModel(c *common, number string) findModel {
	f := findModel{c: c, number: number}
	placeholders := [fieldCount]string{"e.g. Smith", "e.g. Jane", "dd-mm-yyyy", "f, m, o or u", "e.g. LS1 6AE"}
	for i := range f.fields {
		f.fields[i] = newTextInput(placeholders[i], 60, 30)
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

// typing: only the demographic form takes letters; the NHS number field
// takes digits, so letters stay commands there (q quits, ? helps).
func (f findModel) typing() bool { return f.mode == findByDetails }

func (f findModel) nhsValue() string { return f.number }

// update handles typing; the root handles Enter, ctrl+f and Esc.
func (f findModel) update(msg tea.Msg) (findModel, tea.Cmd) {
	switch f.mode {
	case findByNumber:
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			switch msg.String() {
			case "backspace", "ctrl+h":
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
func (f findModel) nextUsable(from, dir int) int {
	for i := from + dir; i >= 0 && i < len(f.matches); i += dir {
		if f.matches[i].Unusable == client.Usable {
			return i
		}
	}
	return from
}

// picked is the match Enter would look up, or nil when none can be used.
func (f findModel) picked() *client.Patient {
	if f.pick < 0 || f.pick >= len(f.matches) {
		return nil
	}
	m := f.matches[f.pick]
	if m.Unusable != client.Usable || m.Patient == nil {
		return nil
	}
	return m.Patient
}

// appendNumberChars keeps what an NHS number may be typed or scanned with:
// digits, spaces and dashes, up to a length no real number needs.
func appendNumberChars(s, text string) string {
	for _, r := range text {
		if (r >= '0' && r <= '9' || r == ' ' || r == '-') && len(s) < 16 {
			s += string(r)
		}
	}
	return s
}

// numberState is the live check under the NHS number field.
func (f findModel) numberState() (nhs client.NHSNumber, hint string, ok bool) {
	digits := 0
	for _, r := range f.number {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	switch {
	case digits == 0:
		return "", "Type or scan the 10-digit NHS number.", false
	case digits < 10:
		return "", fmt.Sprintf("%d of 10 digits", digits), false
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

func (f findModel) focusField(i int) (findModel, tea.Cmd) {
	f.fields[f.focus].Blur()
	f.focus = (i + fieldCount) % fieldCount
	return f, f.fields[f.focus].Focus()
}

func (f findModel) showForm() (findModel, tea.Cmd) {
	f.mode, f.err, f.notice = findByDetails, "", ""
	return f.focusField(f.focus)
}

func (f findModel) showNumber() findModel {
	f.fields[f.focus].Blur()
	f.mode, f.err = findByNumber, ""
	return f
}

// query reads the form as a PDS search, or says what is missing.
func (f findModel) query() (client.PatientQuery, string) {
	v := func(i int) string { return strings.TrimSpace(f.fields[i].Value()) }
	q := client.PatientQuery{Family: v(fieldFamily), Postcode: v(fieldPostcode)}
	if g := v(fieldGiven); g != "" {
		q.Given = strings.Fields(g)
	}
	if b := v(fieldBirth); b != "" {
		d, err := parseBirthDate(b)
		if err != nil {
			return q, "Type the date of birth as dd-mm-yyyy, for example 22-10-2010."
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
	return q, ""
}

// parseBirthDate reads dd-mm-yyyy (also with / or .), or yyyy-mm-dd.
func parseBirthDate(s string) (time.Time, error) {
	s = strings.NewReplacer("/", "-", ".", "-", " ", "-").Replace(s)
	for _, layout := range []string{"02-01-2006", "2-1-2006", "2006-01-02", "02-Jan-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

func (f findModel) setResults(matches []client.PatientMatch, err error) findModel {
	if err != nil {
		f.err = Explain(err)
		return f
	}
	if len(matches) == 0 {
		f.err = "No patient matches. Check the spelling and the date of birth, or search by NHS number."
		return f
	}
	f.fields[f.focus].Blur()
	f.mode, f.matches, f.pick, f.err = findResults, matches, 0, ""
	if matches[0].Unusable != client.Usable {
		f.pick = f.nextUsable(0, +1) // stays 0 when none is usable: picked says so
	}
	return f
}

func (f findModel) view(busy string) string {
	s := f.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Find a patient") + "\n\n")
	switch f.mode {
	case findByNumber:
		_, hint, ok := f.numberState()
		b.WriteString("NHS number  " + s.Selected.Render(" "+f.number+"█ ") + "\n")
		if ok {
			b.WriteString("            " + s.Notice.Render(hint) + "\n")
		} else {
			b.WriteString("            " + s.Faint.Render(hint) + "\n")
		}
		b.WriteString("\n" + s.Faint.Render("Enter looks the patient up. ctrl+f searches by name and date of birth instead.") + "\n")
	case findByDetails:
		for i, fld := range f.fields {
			label := fmt.Sprintf("%-14s", fieldLabels[i])
			if i == f.focus {
				label = s.Highlight.Render(label)
			}
			b.WriteString(label + " " + fld.View() + "\n")
		}
		b.WriteString("\n" + s.Faint.Render("tab moves between fields; Enter searches; Esc goes back to the NHS number.") + "\n")
	case findResults:
		unusable := 0
		for _, m := range f.matches {
			if m.Unusable != client.Usable {
				unusable++
			}
		}
		var head string
		switch {
		case unusable == len(f.matches):
			head = fmt.Sprintf("%d matching patients, none of which can be used. Esc to search again, or search by NHS number.", len(f.matches))
		case unusable > 0:
			head = fmt.Sprintf("%d matching patients (%d cannot be used). Choose one and press Enter; Esc to search again.", len(f.matches), unusable)
		default:
			head = fmt.Sprintf("%d matching patients. Choose one and press Enter; Esc to search again.", len(f.matches))
		}
		b.WriteString(lipgloss.NewStyle().Width(max(f.c.width-2, 10)).Render(head) + "\n\n")
		for i, m := range f.matches {
			if m.Unusable != client.Usable {
				// Listed, so no match is silently missing, but not
				// selectable; the reason is never the part cut to fit.
				who, why := unusableLine(m), ExplainUnusable(m.Unusable)
				line := why
				if who != "" {
					line = who + "  " + why
				}
				if who != "" && ansi.StringWidth(line) > f.c.width-2 {
					b.WriteString(s.Disabled.Render("  "+ansiTruncate(who, f.c.width-2)) + "\n")
					line = "  " + why
				}
				b.WriteString(s.Disabled.Render("  "+ansiTruncate(line, f.c.width-2)) + "\n")
				continue
			}
			line := ansiTruncate(matchLine(m.Patient), f.c.width-2)
			if i == f.pick {
				b.WriteString(s.Selected.Render("> "+line) + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if f.err != "" {
		b.WriteString("\n" + lipgloss.NewStyle().Width(max(f.c.width-2, 10)).Render(s.Error.Render(f.err)) + "\n")
	}
	if f.notice != "" {
		b.WriteString("\n" + s.Notice.Render(f.notice) + "\n")
	}
	return b.String()
}

// unusableLine is what tells apart a search result that cannot be used: its
// name and birth date, never an NHS number (it had none that holds).
func unusableLine(m client.PatientMatch) string {
	var parts []string
	if p := m.Patient; p != nil {
		if n := formatName(p.Name); n != "" {
			parts = append(parts, n)
		}
		if !p.BirthDate.IsZero() {
			parts = append(parts, "Born "+formatDate(p.BirthDate))
		}
	}
	return strings.Join(parts, "  ")
}

// matchLine is one search result: enough to tell two patients apart, with
// the address withheld for a sensitive record.
func matchLine(p *client.Patient) string {
	if p == nil {
		return ""
	}
	parts := []string{formatName(p.Name), "Born " + formatDate(p.BirthDate), formatGender(p.Gender), "NHS No. " + formatNHSNumber(p.NHSNumber)}
	switch {
	case p.Sensitive:
		parts = append(parts, "address withheld")
	case p.Address.PostalCode != "":
		parts = append(parts, p.Address.PostalCode)
	}
	return strings.Join(parts, "  ")
}
