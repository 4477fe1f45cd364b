package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/auditexport"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/recordview"
)

// The privacy officer's screen has two reports:
//
//   - the patient's Subject Access Request: every access to one patient's
//     records, optionally between two dates;
//   - the organisation's privacy alerts: the emergency-access and
//     legitimate-relationship alerts raised in the officer's own
//     organisation, for every patient, between two dates (the last 7 days
//     by default). Both alert types are listed unless the officer narrows
//     it to emergency access (type 2) with e: a self-claimed legitimate
//     relationship is as much the officer's business as an emergency.
//
// The report shown can be exported to CSV or JSON, only to a path the
// officer types, after a warning that the file holds personal data.

// auditReport is which report the screen asks for.
type auditReport int

const (
	reportPatient auditReport = iota // Subject Access Request
	reportAlerts                     // the organisation's privacy alerts
)

// reportNames are the reports, as the form's tabs name them.
var reportNames = [...]string{reportPatient: "Patient (SAR)", reportAlerts: "Organisation alerts"}

// auditMode is what the screen shows.
type auditMode int

const (
	auditForm          auditMode = iota // the report's fields
	auditResults                        // the table
	auditExportPath                     // the export path field
	auditExportConfirm                  // the personal-data warning, y or cancel
)

// The form's fields, per report.
const (
	fieldNumber = iota
	fieldFrom
	fieldTo
)

// exportWarning is shown before any export is written.
const exportWarning = "This file holds personal data about patients and staff. Keep it only where your organisation's policy allows."

// auditColumn is a column of the results table.
type auditColumn int

const (
	colWhen auditColumn = iota
	colPatient
	colWho
	colRole
	colOrg
	colWhat
	colPermission
	colReason
)

var columnNames = map[auditColumn]string{
	colWhen: "When", colPatient: "NHS No.", colWho: "Who", colRole: "Role", colOrg: "Organisation",
	colWhat: "What", colPermission: "Permission", colReason: "Reason",
}

// auditScreen is the privacy officer's screen.
type auditScreen struct {
	c      *common
	report auditReport
	mode   auditMode

	// The form. Every field takes digits (and spaces, dashes or slashes),
	// so letters stay commands while it is shown.
	number    string
	from, to  [2]string // per report: the date range as typed, dd-mm-yyyy
	focus     int
	emergency bool // the alert report: type 2 (emergency access) only

	// The report asked for, and its answer.
	asked    auditQuery
	rows     []client.Access // as the server sent them
	shown    []client.Access // sorted as on screen, and as exported
	sortCol  auditColumn
	sortDesc bool
	cur      int // the row the cursor is on
	// vp is the table's place: its top line is the first line of the
	// first row drawn (see follow). Replaced, never changed in place, as
	// the summary's (pager); nil is the top.
	vp *viewport.Model

	path   textinput.Model // where to export
	err    string          // what went wrong, as a sentence
	notice string          // what happened last
}

// auditQuery is one report as asked: what the results were asked for.
type auditQuery struct {
	report    auditReport
	nhs       client.NHSNumber
	from, to  time.Time // zero: open
	emergency bool
	org       string // the officer's organisation (its ODS code), whose alerts the alert report lists
}

// exportPathHint is the example shown under the export path field, never
// inside it (with NO_COLOR a placeholder reads as if it had been typed),
// when the report asked has no name of its own to give (exportHint): a
// full path on this system.
var exportPathHint = "e.g. " + auditexport.Example("audit-report.csv")

// exportHint is the example under the export path field: the report's own
// file name, in an example folder. A patient's report is named by the
// patient's NHS number ("sar-9000000017.csv"), never another patient's; the
// alert report by the organisation and the dates asked
// ("alerts-R9A-19-11-2026-to-25-11-2026.csv").
func (a auditScreen) exportHint() string {
	q := a.asked
	var name string
	switch {
	case q.report == reportPatient && q.nhs != "":
		name = "sar-" + string(q.nhs) + ".csv"
	case q.report == reportAlerts:
		name = "alerts"
		if q.emergency {
			name = "emergency-alerts"
		}
		if org := fileWord(q.org); org != "" {
			name += "-" + org
		}
		day := func(t time.Time) string { return t.Local().Format("02-01-2006") }
		if !q.from.IsZero() && !q.to.IsZero() {
			name += "-" + day(q.from) + "-to-" + day(q.to)
		}
		name += ".csv"
	default:
		return exportPathHint
	}
	return "e.g. " + auditexport.Example(name)
}

// fileWord is s with only the letters and digits a file name takes
// anywhere: an ODS code as it is ("R9A").
func fileWord(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// exportPathWants is what the export path field takes: said in its hint,
// and in the plain mode's prompt.
const exportPathWants = "the file's full path, ending in .csv or .json"

func newAuditScreen(c *common) auditScreen {
	a := auditScreen{c: c, sortCol: colWhen, sortDesc: true}
	// The alert report's default: the last 7 days, today included.
	today := c.now().Local()
	a.from[reportAlerts] = today.AddDate(0, 0, -6).Format("02-01-2006")
	a.to[reportAlerts] = today.Format("02-01-2006")
	a.path = newTextInput("", 1024, 60) // the example is under it: exportPathHint
	return a
}

// clear forgets every result, keeping nothing of any patient.
func (a auditScreen) clear() auditScreen {
	if a.c == nil {
		return auditScreen{}
	}
	n := newAuditScreen(a.c)
	n.report = a.report
	return n
}

// field: only the export path takes letters; the form's fields take
// digits, so q and ? stay commands there.
func (a auditScreen) field(*session) field {
	switch a.mode {
	case auditForm:
		return digitField
	case auditExportPath:
		return textField
	}
	return noField
}

// hasInput is whether something typed would be lost: the alert report's
// dates come filled in, so only what the user changed counts.
func (a auditScreen) hasInput() bool {
	switch a.mode {
	case auditForm:
		fresh := newAuditScreen(a.c)
		return a.number != "" || a.from != fresh.from || a.to != fresh.to
	case auditExportPath, auditExportConfirm:
		return strings.TrimSpace(a.path.Value()) != ""
	}
	return false
}

func (auditScreen) name() string { return "audit" }

// fieldCount is how many form fields the report has.
func (a auditScreen) fieldCount() int {
	if a.report == reportPatient {
		return 3
	}
	return 2
}

// fieldAt is the form field with focus i: the NHS number only on the
// patient report.
func (a auditScreen) fieldAt(i int) int {
	if a.report == reportAlerts {
		return i + 1
	}
	return i
}

// update takes the keys, the report asked for and the export's outcome.
func (a auditScreen) update(s *session, msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return a.key(s, msg)
	case auditMsg:
		s.busy = ""
		return a.setRows(msg.rows, msg.err), nil
	case auditExportedMsg:
		return a.exported(s, msg), nil
	}
	return a.edit(msg)
}

// edit handles typing and scrolling; key the commands.
func (a auditScreen) edit(msg tea.Msg) (auditScreen, tea.Cmd) {
	switch a.mode {
	case auditForm:
		var text string
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			switch msg.String() {
			case "backspace", "ctrl+h":
				a = a.editField(func(s string) string {
					if n := len(s); n > 0 {
						return s[:n-1]
					}
					return s
				})
				a.err = ""
				return a, nil
			case "ctrl+u":
				a = a.editField(func(string) string { return "" })
				a.err = ""
				return a, nil
			}
			text = msg.Text
		case tea.PasteMsg:
			text = msg.Content
		default:
			return a, nil
		}
		if a.fieldAt(a.focus) == fieldNumber {
			a.number = appendNumberChars(a.number, text)
		} else {
			a = a.editField(func(s string) string { return appendDateChars(s, text) })
		}
		if text != "" {
			a.err = ""
		}
		return a, nil
	case auditExportPath:
		var cmd tea.Cmd
		a.path, cmd = a.path.Update(msg)
		return a, cmd
	case auditResults:
		switch msg := msg.(type) {
		case tea.KeyPressMsg:
			a = a.scroll(msg)
		case tea.WindowSizeMsg:
			// As many rows as fit, the cursor's among them.
			a.vp = nil
			a = a.follow()
		}
	}
	return a, nil
}

func (a auditScreen) editField(f func(string) string) auditScreen {
	switch a.fieldAt(a.focus) {
	case fieldNumber:
		a.number = f(a.number)
	case fieldFrom:
		a.from[a.report] = f(a.from[a.report])
	case fieldTo:
		a.to[a.report] = f(a.to[a.report])
	}
	return a
}

// appendDateChars keeps what a date is typed with: digits and separators.
func appendDateChars(s, text string) string {
	for _, r := range text {
		if (r >= '0' && r <= '9' || r == '-' || r == '/' || r == '.') && len(s) < 10 {
			s += string(r)
		}
	}
	return s
}

// query reads the form, or says in a sentence what is wrong with it.
func (a auditScreen) query() (auditQuery, string) {
	q := auditQuery{report: a.report, emergency: a.report == reportAlerts && a.emergency}
	if a.report == reportPatient {
		nhs, err := client.ParseNHSNumber(a.number)
		if err != nil {
			if strings.TrimSpace(a.number) == "" {
				return q, "Type the patient's NHS number."
			}
			return q, explain.Error(err)
		}
		q.nhs = nhs
	}
	from, to := strings.TrimSpace(a.from[a.report]), strings.TrimSpace(a.to[a.report])
	today := localDay(a.c.now().Local())
	if from != "" {
		d, err := parseBirthDate(from)
		if err != nil {
			return q, auditDateError("From", err)
		}
		q.from = localDay(d)
		if q.from.After(today) {
			return q, "From: " + q.from.Format("02-01-2006") + " is after today, " + today.Format("02-01-2006") + ": no access can be recorded yet."
		}
	}
	if to != "" {
		d, err := parseBirthDate(to)
		if err != nil {
			return q, auditDateError("To", err)
		}
		if localDay(d).After(today) {
			return q, "To: " + localDay(d).Format("02-01-2006") + " is after today, " + today.Format("02-01-2006") + ": type today or an earlier date."
		}
		// The whole of the last day.
		q.to = localDay(d).AddDate(0, 0, 1).Add(-time.Second)
	}
	if a.report == reportAlerts && (q.from.IsZero() || q.to.IsZero()) {
		return q, "The alert report needs both dates: from and to."
	}
	if !q.from.IsZero() && !q.to.IsZero() && q.from.After(q.to) {
		return q, "From, " + q.from.Format("02-01-2006") + ", is after To, " + q.to.Format("02-01-2006") + ": swap them."
	}
	return q, ""
}

// auditDateHelp is how the form's dates are typed: its fields take digits
// and separators only, so not as the search's help has it (dateHelp, which
// offers "14 Mar 2015").
const auditDateHelp = "Type dates as dd-mm-yyyy, for example 18-11-2026."

// auditDateError is why the date in the field labelled label was refused,
// as the search's date parser (parseBirthDate) says it, after the field's
// name: what is wrong with the date itself ("From: February 2026 has no day
// 31."). How to type one (its sentences begin "Type") is said as this
// form's fields take it.
func auditDateError(label string, err error) string {
	why := err.Error()
	if strings.HasPrefix(why, "Type ") {
		why = auditDateHelp
	}
	return label + ": " + strings.ReplaceAll(why, dateHelp, auditDateHelp)
}

// localDay is midnight at the start of d's calendar day, in local time: the
// day the officer means, not a UTC one.
func localDay(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.Local)
}

// columns are the table's columns for the report asked.
func (a auditScreen) columns() []auditColumn {
	if a.asked.report == reportAlerts {
		return []auditColumn{colWhen, colPatient, colWho, colRole, colOrg, colWhat, colPermission, colReason}
	}
	return []auditColumn{colWhen, colWho, colRole, colOrg, colWhat, colPermission, colReason}
}

// sortable are the columns s cycles through: all but the Reason.
func (a auditScreen) sortable() []auditColumn {
	cols := a.columns()
	return cols[:len(cols)-1]
}

// setRows takes the report's answer.
func (a auditScreen) setRows(rows []client.Access, err error) auditScreen {
	if err != nil {
		a.err, a.mode = explain.Error(err), auditForm
		return a
	}
	a.rows, a.mode, a.err, a.notice = rows, auditResults, "", ""
	a.sortCol, a.sortDesc = colWhen, true
	a.cur = 0
	return a.resort().follow()
}

// resort orders the shown rows by the sort column, then newest first.
func (a auditScreen) resort() auditScreen {
	shown := slices.Clone(a.rows)
	col, desc := a.sortCol, a.sortDesc
	slices.SortStableFunc(shown, func(x, y client.Access) int {
		c := compareBy(col, x, y)
		if desc {
			c = -c
		}
		if c == 0 {
			c = y.When.Compare(x.When)
		}
		return c
	})
	a.shown = shown
	return a
}

func compareBy(col auditColumn, x, y client.Access) int {
	switch col {
	case colWhen:
		return x.When.Compare(y.When)
	case colPermission:
		return cmp.Compare(boolInt(x.WithPermission), boolInt(y.WithPermission))
	}
	return strings.Compare(strings.ToLower(cellText(col, x)), strings.ToLower(cellText(col, y)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cellText is what a column says of a row, plain.
func cellText(col auditColumn, r client.Access) string {
	switch col {
	case colWhen:
		return formatDateTime(r.When)
	case colPatient:
		if r.Patient == "" {
			return notKnown
		}
		return formatNHSNumber(r.Patient)
	case colWho:
		return r.UserName
	case colRole:
		return roleWords(r.RoleName)
	case colOrg:
		return strings.TrimSpace(r.OrgCode + " " + r.OrgName)
	case colWhat:
		// A refused or failed attempt says so first, in words.
		if r.Outcome != client.AccessSucceeded {
			return strings.ToUpper(r.Outcome.String()) + ": " + r.Kind
		}
		return r.Kind
	case colPermission:
		if r.WithPermission {
			return "with"
		}
		return "without"
	case colReason:
		return r.Reason
	}
	return ""
}

// sortWords say how the table is ordered.
func (a auditScreen) sortWords() string {
	if a.sortCol == colWhen {
		if a.sortDesc {
			return "newest first"
		}
		return "oldest first"
	}
	dir := "A to Z"
	if a.sortCol == colPermission {
		dir = "without first"
	}
	if a.sortDesc {
		dir = "Z to A"
		if a.sortCol == colPermission {
			dir = "with first"
		}
	}
	return "by " + columnNames[a.sortCol] + ", " + dir
}

// --- Keys ---

func (a auditScreen) key(s *session, msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	switch a.mode {
	case auditForm:
		switch {
		case key.Matches(msg, k.Submit):
			return a.run(s)
		case key.Matches(msg, k.NextField):
			a.focus = (a.focus + 1) % a.fieldCount()
			return a, nil
		case key.Matches(msg, k.PrevField):
			a.focus = (a.focus + a.fieldCount() - 1) % a.fieldCount()
			return a, nil
		case key.Matches(msg, k.ReportPatient):
			a.report, a.focus, a.err = reportPatient, 0, ""
			return a, nil
		case key.Matches(msg, k.ReportAlerts):
			a.report, a.focus, a.err = reportAlerts, 0, ""
			return a, nil
		case key.Matches(msg, k.EmergencyOnly) && a.report == reportAlerts:
			a.emergency = !a.emergency
			return a, nil
		}
	case auditResults:
		switch {
		case key.Matches(msg, k.NewPatient) || key.Matches(msg, k.Back):
			// Back to the form, the fields as they were; the results go,
			// and their answer with them.
			s.req++
			a.mode, a.rows, a.shown, a.err, a.notice = auditForm, nil, nil, "", ""
			return a, nil
		case key.Matches(msg, k.ReportPatient), key.Matches(msg, k.ReportAlerts):
			s.req++
			a.mode, a.rows, a.shown, a.err, a.notice = auditForm, nil, nil, "", ""
			a.report, a.focus = reportPatient, 0
			if key.Matches(msg, k.ReportAlerts) {
				a.report = reportAlerts
			}
			return a, nil
		case key.Matches(msg, k.SortColumn):
			cols := a.sortable()
			i := (slices.Index(cols, a.sortCol) + 1) % len(cols)
			a.sortCol, a.sortDesc = cols[i], cols[i] == colWhen
			a = a.resort()
			a.cur = 0
			return a.follow(), nil
		case key.Matches(msg, k.SortReverse):
			a.sortDesc = !a.sortDesc
			a = a.resort()
			a.cur = 0
			return a.follow(), nil
		case key.Matches(msg, k.Export):
			a.mode, a.err, a.notice = auditExportPath, "", ""
			a.path.Reset()
			return a, a.path.Focus()
		}
	case auditExportPath:
		switch {
		case key.Matches(msg, k.Back):
			a.path.Blur()
			a.mode, a.err = auditResults, ""
			return a, nil
		case key.Matches(msg, k.Submit):
			if _, why := auditexport.Format(a.path.Value()); why != "" {
				a.err = why
				return a, nil
			}
			a.path.Blur()
			a.mode, a.err = auditExportConfirm, ""
			return a, nil
		}
		a.err = ""
	case auditExportConfirm:
		if key.Matches(msg, k.ConfirmWrite) {
			return a.export(s)
		}
		a.mode, a.notice = auditResults, "Export cancelled: nothing was written."
		return a, nil
	}
	return a.edit(msg)
}

// auditMsg answers run.
type auditMsg struct {
	rows []client.Access
	err  error
}

func (msg auditMsg) failed() error { return msg.err }

// run asks the server for the report on the form.
func (a auditScreen) run(s *session) (screen, tea.Cmd) {
	q, why := a.query()
	if why != "" {
		a.err = why
		return a, nil
	}
	q.org = s.role.OrgCode
	a.asked, a.err, a.notice = q, "", ""
	api, ctx := s.api, s.run
	return a, s.ask("Reading the audit trail…", func() tea.Msg {
		var rows []client.Access
		var err error
		switch {
		case q.report == reportPatient:
			rows, err = api.AccessReport(ctx, q.nhs, q.from, q.to)
		case q.emergency:
			rows, err = api.AlertReport(ctx, q.from, q.to, client.AlertTypeAccess)
		default:
			rows, err = api.AlertReport(ctx, q.from, q.to)
		}
		return auditMsg{rows: rows, err: err}
	})
}

// --- Scrolling ---

// The results table pages by whole rows under a cursor: the viewport keeps
// its place, in lines, always at the first line of a row, and the screen
// draws the rows from there. Its own keys are off (pager): the screen's
// move the cursor (↓/j, ↑/k, pgdn/space/f and pgup/b by the rows on
// screen, home/g, end/G), and the view follows it.

func (a auditScreen) scroll(k tea.KeyPressMsg) auditScreen {
	keys := a.c.keys
	n := len(a.shown)
	if n == 0 {
		return a
	}
	t := a.table()
	page := max(t.visibleRows(a.topRow(t), a.tableRoom(t.widths)), 1)
	switch {
	case key.Matches(k, keys.Up):
		a.cur--
	case key.Matches(k, keys.Down):
		a.cur++
	case key.Matches(k, keys.PageUp):
		a.cur -= page
	case key.Matches(k, keys.PageDown):
		a.cur += page
	case key.Matches(k, keys.Top):
		a.cur = 0
	case key.Matches(k, keys.Bottom):
		a.cur = n - 1
	default:
		return a
	}
	a.cur = min(max(a.cur, 0), n-1)
	return a.follow()
}

// follow moves the view, as little as it must, for the cursor's row to be
// on screen: up to it, or down a row at a time until it is whole below the
// first row drawn (or is itself the first, when taller than the room).
func (a auditScreen) follow() auditScreen {
	if a.c == nil {
		return a
	}
	t := a.table()
	n := len(a.shown)
	if n == 0 {
		a.vp = nil
		return a
	}
	room := max(a.tableRoom(t.widths), 1)
	top := min(a.topRow(t), n-1)
	if a.cur < top {
		top = a.cur
	}
	for top < a.cur && t.starts[a.cur+1]-t.starts[top] > room {
		top++
	}
	// The content runs on blank under the last row far enough for any row
	// to be the first drawn: the view of a few rows at the end starts at a
	// row, with room left under them, not partway into one.
	pad := max(room-(t.starts[n]-t.starts[n-1]), 0)
	vp := pager(a.vp)
	vp.SetContentLines(make([]string, t.starts[n]+pad))
	vp.SetHeight(room)
	vp.SetYOffset(t.starts[top])
	a.vp = &vp
	return a
}

// topRow is the first row drawn: the one whose first line is the
// viewport's top line.
func (a auditScreen) topRow(t auditTable) int {
	if len(a.shown) == 0 || a.vp == nil {
		return 0
	}
	i, found := slices.BinarySearch(t.starts[:len(a.shown)], a.vp.YOffset())
	if !found {
		i-- // within a row: it is the one drawn from
	}
	return min(max(i, 0), len(a.shown)-1)
}

// auditTable is the results table laid out for the window: the column
// widths, every row's lines (as an unselected row) and the line each row
// starts on, the end of the last row after them.
type auditTable struct {
	widths []int
	lines  []string
	starts []int
}

func (a auditScreen) table() auditTable {
	t := auditTable{widths: a.widths(), starts: make([]int, 0, len(a.shown)+1)}
	for _, r := range a.shown {
		t.starts = append(t.starts, len(t.lines))
		t.lines = append(t.lines, a.rowLines(r, t.widths, false)...)
	}
	t.starts = append(t.starts, len(t.lines))
	return t
}

// visibleRows is how many whole rows fit in room lines from row top; a row
// taller than the room counts when it is the first.
func (t auditTable) visibleRows(top, room int) int {
	rows := len(t.starts) - 1
	n := 0
	for i := top; i < rows && room > 0; i++ {
		h := t.starts[i+1] - t.starts[i]
		if h > room && n > 0 {
			break
		}
		room -= h
		n++
	}
	return n
}

// --- Drawing ---

// height is the lines the screen has below the signed-in header, less the
// help line.
func (a auditScreen) height() int { return a.c.height - 3 }

func (a auditScreen) title() string {
	if a.report == reportAlerts {
		return "Audit: privacy alerts raised in your organisation"
	}
	return "Audit: who accessed a patient's record"
}

func (a auditScreen) view(s *session, _ int) string {
	return s.header() + a.draw(s.busyLine())
}

// draw is the screen under the header, busy the line saying what is
// waited for. Its words are those the screen says.
func (a auditScreen) draw(busy string) string {
	s := a.c.styles
	if a.mode == auditResults {
		// The results fill the screen: what is waited for and what went
		// wrong are among them. Not drawn from says, which would put every
		// row in words for each frame: from what says takes them from.
		return s.Title.Render(a.title()) + "\n\n" + a.resultsView(busy)
	}
	c := a.says(nil) // says needs no session
	var b strings.Builder
	b.WriteString(s.Title.Render(c.title) + "\n\n")
	switch a.mode {
	case auditForm:
		b.WriteString(a.formView(c))
	case auditExportPath:
		b.WriteString(c.text[0] + "\n\n")
		b.WriteString(c.prompt + "  " + a.path.View() + "\n")
		indent := strings.Repeat(" ", 11) // under the field, wrapped there
		hint := ansi.Wrap(a.exportHint(), max(a.c.width-2-11, 10), "")
		b.WriteString(indent + s.Faint.Render(strings.ReplaceAll(hint, "\n", "\n"+indent)) + "\n")
		b.WriteString(s.Faint.Render(a.wrap(c.hint)) + "\n")
	case auditExportConfirm:
		b.WriteString(c.text[0] + "\n\n")
		b.WriteString(a.wrap(c.text[1]) + "\n\n")
		// says has the warning as the notice here (the screen's own is
		// cleared on the way to it): drawn as the warning, not again below.
		b.WriteString(s.Error.Render(a.wrap(c.notice)) + "\n\n")
		c.notice = ""
		b.WriteString(s.Highlight.Render(c.hint) + "\n")
	}
	if busy != "" {
		b.WriteString("\n" + busy + "\n")
	}
	if c.err != "" {
		b.WriteString("\n" + s.Error.Render(a.wrap(c.err)) + "\n")
	}
	if c.notice != "" {
		b.WriteString("\n" + s.Notice.Render(a.wrap(c.notice)) + "\n")
	}
	return b.String()
}

// wrap wraps a sentence to the screen, never cutting it.
func (a auditScreen) wrap(text string) string {
	return ansi.Wrap(text, max(a.c.width-2, 10), " ")
}

// formView draws the form c says: the report, then its fields in order
// (the NHS number's live check under it), then on the alert report which
// alerts.
func (a auditScreen) formView(c content) string {
	s := a.c.styles
	var b strings.Builder
	label := func(i int, name string) string {
		l := fmt.Sprintf("%-12s", name)
		if a.fieldAt(a.focus) == i {
			return s.Highlight.Render(l)
		}
		return l
	}
	b.WriteString(label(-1, c.facts[0].label))
	for i, t := range reportNames {
		if auditReport(i) == a.report {
			b.WriteString(s.Selected.Render("["+t+"]") + " ")
		} else {
			b.WriteString(" " + t + "  ")
		}
	}
	b.WriteString("\n\n")
	value := func(i int, v string) string {
		if a.fieldAt(a.focus) == i {
			return s.Selected.Render(" " + v + "█ ")
		}
		return " " + v
	}
	fields := c.facts[1:]
	for i := range a.fieldCount() {
		at := a.fieldAt(i)
		b.WriteString(label(at, fields[i].label) + value(at, fields[i].value) + "\n")
		if at == fieldNumber {
			_, hint, ok := findScreen{number: a.number}.numberState()
			style := s.Faint
			if ok {
				style = s.Notice
			}
			b.WriteString("            " + style.Render(hint) + "\n")
		}
	}
	if a.report == reportPatient {
		b.WriteString("            " + s.Faint.Render("dd-mm-yyyy; leave empty for every date") + "\n")
	} else {
		b.WriteString("            " + s.Faint.Render("dd-mm-yyyy") + "\n")
		alerts := fields[a.fieldCount()]
		indent := strings.Repeat(" ", 13)
		wrapped := ansi.Wrap(alerts.value, max(a.c.width-2-13, 10), " ")
		b.WriteString(label(-1, alerts.label) + " " + strings.ReplaceAll(wrapped, "\n", "\n"+indent) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(s.Faint.Render(a.wrap(c.hint)) + "\n")
	return b.String()
}

// reportLine says what the results are: how many, in which order, of what.
func (a auditScreen) reportLine() string {
	q := a.asked
	var parts []string
	if q.report == reportPatient {
		parts = append(parts, explain.Plural(len(a.shown), "access", "accesses")+", "+a.sortWords(), "NHS No. "+formatNHSNumber(q.nhs))
	} else {
		what := "privacy alerts"
		if q.emergency {
			what = "emergency access alerts"
		}
		parts = append(parts, explain.Plural(len(a.shown), "alert", "alerts")+", "+a.sortWords(), what)
	}
	parts = append(parts, dateRange(q.from, q.to))
	if n := a.notSucceeded(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d refused or failed", n))
	}
	return a.wrap(strings.Join(parts, " · "))
}

func (a auditScreen) notSucceeded() int {
	n := 0
	for _, r := range a.rows {
		if r.Outcome != client.AccessSucceeded {
			n++
		}
	}
	return n
}

func dateRange(from, to time.Time) string {
	day := func(t time.Time) string { return t.Local().Format("02-Jan-2006") }
	switch {
	case from.IsZero() && to.IsZero():
		return "every date"
	case from.IsZero():
		return "up to " + day(to)
	case to.IsZero():
		return "from " + day(from)
	}
	return day(from) + " to " + day(to)
}

// resultsChrome is the results' lines above the table rows (after the
// title) and below them: the report line and the column headings; the
// cursor row in words, and what happened last.
func (a auditScreen) resultsChrome(widths []int) (above, below []string) {
	s := a.c.styles
	above = append(above, strings.Split(a.reportLine(), "\n")...)
	above = append(above, "")
	if len(a.shown) == 0 {
		// says's sentence for no rows: asked only when there are none, as
		// with rows says puts every one in words.
		above = append(above, a.says(nil).text[1])
	} else {
		cols := a.columns()
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = columnNames[c]
			if c == a.sortCol {
				if a.sortDesc {
					head[i] += " ↓"
				} else {
					head[i] += " ↑"
				}
			}
		}
		for _, l := range layoutCells(head, widths) {
			above = append(above, "  "+s.TableHeader.Render(l))
		}
		// The cursor's row in words, wrapped: what the table may have
		// split over narrow columns, in one place.
		r := a.shown[min(a.cur, len(a.shown)-1)]
		who, what := accessLines(r)
		if a.asked.report == reportAlerts {
			who += ", patient NHS No. " + cellText(colPatient, r)
		}
		below = append(below, "")
		below = append(below, strings.Split(a.wrap(who), "\n")...)
		for _, l := range strings.Split(a.wrap(what), "\n") {
			below = append(below, s.Faint.Render(l))
		}
	}
	if a.notice != "" {
		below = append(below, "")
		for _, l := range strings.Split(a.wrap(a.notice), "\n") {
			below = append(below, s.Notice.Render(l))
		}
	}
	if a.err != "" {
		below = append(below, "")
		for _, l := range strings.Split(a.wrap(a.err), "\n") {
			below = append(below, s.Error.Render(l))
		}
	}
	return above, below
}

// tableRoom is how many lines the rows have: the screen less the title
// and the line under it, the chrome, and the line saying which rows show.
func (a auditScreen) tableRoom(widths []int) int {
	above, below := a.resultsChrome(widths)
	return a.height() - 2 - len(above) - len(below) - 1
}

func (a auditScreen) resultsView(busy string) string {
	t := a.table()
	above, below := a.resultsChrome(t.widths)
	room := a.height() - 2 - len(above) - len(below) - 1
	lines := slices.Clone(above)
	top := a.topRow(t)
	shown := 0
	for i := top; i < len(a.shown) && room > 0; i++ {
		rl := t.lines[t.starts[i]:t.starts[i+1]]
		if i == a.cur {
			rl = a.rowLines(a.shown[i], t.widths, true)
		}
		if len(rl) > room && i > top {
			break
		}
		// A row taller than the whole table shows its start; the words
		// below the table give it whole.
		rl = rl[:min(len(rl), room)]
		lines = append(lines, rl...)
		room -= len(rl)
		shown++
	}
	for ; room > 0; room-- {
		lines = append(lines, "")
	}
	// What is being waited for, else where the rows shown are in the
	// report when not all fit. A window too short for any row still says
	// which row the words below it are about.
	switch {
	case busy != "":
		lines = append(lines, busy)
	case shown == 0 && len(a.shown) > 0:
		lines = append(lines, a.c.styles.Faint.Render(fmt.Sprintf("  row %d of %d, below: no room for the table", min(a.cur, len(a.shown)-1)+1, len(a.shown))))
	case shown < len(a.shown):
		lines = append(lines, a.c.styles.Faint.Render(fmt.Sprintf("  rows %d to %d of %d", top+1, top+shown, len(a.shown))))
	default:
		lines = append(lines, "")
	}
	lines = append(lines, below...)
	return strings.Join(lines, "\n") + "\n"
}

// rowLines is one row of the table: every cell wrapped to its column, the
// reason above all (the user's own words are never cut).
func (a auditScreen) rowLines(r client.Access, widths []int, selected bool) []string {
	cols := a.columns()
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = cellText(c, r)
		if c == colWhen && widths[i] < recordview.Width(cells[i]) {
			cells[i] = strings.Replace(cells[i], " ", "\n", 1) // the time under the date
		}
	}
	lines := layoutCells(cells, widths)
	s := a.c.styles
	for i, l := range lines {
		mark := "  "
		if selected && i == 0 {
			mark = "> "
		}
		l = mark + l
		switch {
		case selected:
			lines[i] = s.Selected.Render(l)
		case r.Outcome != client.AccessSucceeded:
			lines[i] = s.Error.Render(l)
		default:
			lines[i] = l
		}
	}
	return lines
}

// layoutCells sets cells side by side, each wrapped to its width, one
// space between columns, as the record's tables are (recordview.CellLines:
// the same measure of width and the same word wrap).
func layoutCells(cells []string, widths []int) []string {
	cs := make([]recordview.Cell, len(cells))
	for i, c := range cells {
		cs[i] = recordview.NewCell(i, 1, c)
	}
	lines := recordview.CellLines(cs, widths, 1, recordview.Painter{})
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}

// widths fits the columns to the window with the record's column fitter
// (recordview.Fit), in stages, each given to every column before the next:
//
//  1. the least a column is made: the date ("25-Nov-2026", the time under
//     it) and the NHS number whole, as split they misread; 3 cells else;
//  2. 7 cells, and 14 for the reason, so that its words fit;
//  3. the longest word of each column, up to 12 cells but the reason's;
//     the permission whole;
//  4. short things whole: the time beside the date, a name up to 20 cells;
//  5. the user's own words: the reason up to a third of the window, or
//     30 cells, whole if it is shorter;
//  6. every column whole, but a long reason no wider than 60: it wraps
//     anyway, and must not starve the rest.
//
// No column is made wider than its widest cell (or heading).
func (a auditScreen) widths() []int {
	cols := a.columns()
	// The cursor mark, and a space between columns.
	avail := a.c.width - 2 - (len(cols) - 1)
	n := len(cols)
	need, word := make([]int, n), make([]int, n)
	for i, c := range cols {
		head := columnNames[c]
		if c == a.sortCol {
			head += " ↓"
		}
		need[i], word[i] = recordview.Measure(head)
		for _, r := range a.shown {
			w, wd := recordview.Measure(cellText(c, r))
			need[i], word[i] = max(need[i], w), max(word[i], wd)
		}
	}
	least, floor, words, short, reason, whole := make([]int, n), make([]int, n), make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	for i, c := range cols {
		least[i], floor[i], words[i] = 3, 7, min(word[i], 12)
		reason[i], whole[i] = 0, need[i]
		switch c {
		case colWhen:
			least[i], floor[i], words[i] = 11, 11, 11 // "25-Nov-2026"
			short[i] = need[i]
		case colPatient:
			least[i] = need[i] // "900 000 0009"
		case colPermission:
			words[i] = need[i]
		case colWho:
			short[i] = 20 // a name reads best whole
		case colReason:
			floor[i], words[i] = 14, max(word[i], 14)
			reason[i], whole[i] = max(30, avail/3), 60
		}
		for _, stage := range [][]int{least, floor, words, short, reason, whole} {
			stage[i] = min(stage[i], need[i])
		}
	}
	return recordview.Fit(avail, least, floor, words, short, reason, whole)
}

// accessLines is one audit row in two lines: when, who, as what and where;
// then what was done, whether with the patient's permission, and why.
func accessLines(r client.Access) (who, what string) {
	perm := "without permission"
	if r.WithPermission {
		perm = "with permission"
	}
	what = r.Kind
	if r.Outcome != client.AccessSucceeded {
		what += " (" + strings.ToUpper(r.Outcome.String()) + ")"
	}
	what += ", " + perm
	if r.Reason != "" {
		what += ": " + r.Reason
	}
	who = fmt.Sprintf("%s  %s, %s at %s", formatDateTime(r.When), r.UserName, roleWords(r.RoleName), r.OrgCode)
	return who, what
}

// bindings are the audit screen's keys for the help line.
func (a auditScreen) bindings(s *session, _ bool) []key.Binding {
	k := s.keys
	switch a.mode {
	case auditResults:
		return []key.Binding{k.Down, k.SortColumn, k.SortReverse, k.Export, withHelp(k.Back, "esc", "new report"), k.PageDown, k.Up, k.PageUp, k.Top, k.Bottom}
	case auditExportPath:
		return []key.Binding{withHelp(k.Submit, "enter", "next"), withHelp(k.Back, "esc", "cancel")}
	case auditExportConfirm:
		// The root puts ? and q before these (view.go, screenKeys): outside
		// a field they open the help and ask to quit, so "any other key"
		// is any key but those.
		return []key.Binding{k.ConfirmWrite, key.NewBinding(key.WithKeys("n"), key.WithHelp("any other key", "cancels"))}
	}
	bs := []key.Binding{withHelp(k.Submit, "enter", "report"), k.NextField}
	if a.report == reportPatient {
		bs = append(bs, k.ReportAlerts)
	} else {
		bs = append(bs, k.EmergencyOnly, k.ReportPatient)
	}
	return bs
}

// --- Export ---

// auditExportedMsg is the export's outcome.
type auditExportedMsg struct {
	path string
	rows int
	err  error
	why  string // err as a sentence (auditexport.Explain): made with the file system, in the command
}

// export writes the report shown, in its order, to the path typed, in a
// command: a new file, readable by its owner only, never over another.
func (a auditScreen) export(s *session) (screen, tea.Cmd) {
	path := a.path.Value()
	format, why := auditexport.Format(path)
	if why != "" {
		a.mode, a.err = auditResults, why
		return a, nil
	}
	q := a.asked
	data, err := auditexport.Encode(format, auditexport.Query{
		Alerts: q.report == reportAlerts, Patient: q.nhs, From: q.from, To: q.to, EmergencyOnly: q.emergency,
	}, slices.Clone(a.shown))
	if err != nil {
		a.mode, a.err = auditResults, "The report could not be put in "+strings.ToUpper(format)+"; nothing was written."
		return a, nil
	}
	a.mode = auditResults
	n := len(a.shown)
	return a, s.ask("Writing "+path+"…", func() tea.Msg {
		err := auditexport.WriteNew(path, data)
		return auditExportedMsg{path: path, rows: n, err: err, why: auditexport.Explain(path, err)}
	})
}

// exported says, in one sentence, how the export went: what the system
// said when it failed (auditexport.Explain).
func (a auditScreen) exported(s *session, msg auditExportedMsg) auditScreen {
	s.busy = ""
	switch {
	case msg.err == nil:
		a.notice, a.err = fmt.Sprintf("Saved %s to %s.", explain.Plural(msg.rows, "row", "rows"), msg.path), ""
	case msg.why != "":
		a.err = msg.why
	default:
		a.err = "Nothing was written to " + msg.path + " (the system said: " + msg.err.Error() + ")."
	}
	return a
}
