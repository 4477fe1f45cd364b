package ui

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/auditexport"
)

// sarOn is the audit screen at 80×24 with a patient's report on it, for
// the NHS number nhs.
func sarOn(nhs client.NHSNumber) Model {
	m := auditScreenAt(80, 24)
	m = m.withAudit(func(a *auditScreen) { a.asked = auditQuery{nhs: nhs} })
	return step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: fakeTrail()}})
}

// exportTo is m with x pressed, path typed and Enter pressed.
func exportTo(m Model, path string) Model {
	m = step(m, keyPress("x"))
	m = step(m, tea.PasteMsg{Content: path})
	return step(m, keyPress("enter"))
}

// written is the export's outcome after y on the warning: the command run
// and its answer taken.
func written(t *testing.T, m Model) Model {
	t.Helper()
	if m.shownAudit().mode != auditExportConfirm {
		t.Fatalf("not at the warning: mode %v, err %q", m.shownAudit().mode, m.shownAudit().err)
	}
	next, cmd := m.Update(keyPress("y"))
	m = next.(Model)
	for _, msg := range requestsOf(t, cmd) {
		m = step(m, msg)
	}
	return m
}

// emptyDir fails unless dir holds nothing.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s was written in %s", e.Name(), dir)
	}
}

// TestAuditExportRefusesPathsNotFull: a path that is not full (typed
// as if scr knew the folder) and one starting with ~ are refused at Enter,
// saying what to type; nothing is written, in the folder scr runs in nor in
// the home folder, even at the warning.
func TestAuditExportRefusesPathsNotFull(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the sentences below are the Unix ones")
	}
	cwd, home := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("HOME", home)
	for _, c := range []struct{ path, want string }{
		{"audit2.csv", "Type the full path, starting with /, such as /home/you/audit2.csv; audit2.csv alone does not say which folder. Nothing was written."},
		{"reports/sar.json", "Type the full path, starting with /, such as /home/you/sar.json; reports/sar.json alone does not say which folder. Nothing was written."},
		{"~/a.csv", "~ is not expanded here: type the full path, starting with /, such as " + filepath.Join(home, "a.csv") + ". Nothing was written."},
	} {
		m := exportTo(sarOn("9000000017"), c.path)
		a := m.shownAudit()
		if a.mode != auditExportPath || a.err != c.want {
			t.Errorf("%s: mode %v, err %q\nwant the sentence %q, still at the path", c.path, a.mode, a.err, c.want)
		}
		if txt := flat(ansi.Strip(m.render())); !strings.Contains(txt, flat(c.want)) {
			t.Errorf("%s: the sentence is not on screen:\n%s", c.path, ansi.Strip(m.render()))
		}
		// At the warning by another way: y writes nothing either.
		m = m.withAudit(func(a *auditScreen) { a.mode, a.err = auditExportConfirm, "" })
		next, cmd := m.Update(keyPress("y"))
		if reqs := requestsOf(t, cmd); len(reqs) != 0 {
			t.Errorf("%s: y at the warning asked for %v", c.path, reqs)
		}
		if a := next.(Model).shownAudit(); a.err != c.want {
			t.Errorf("%s: y at the warning: %q", c.path, a.err)
		}
	}
	emptyDir(t, cwd)
	emptyDir(t, home)
}

// TestAuditExportErrorsSayWhatTheSystemSaid: the sentence after y
// names the cause only when the system's error does: /proc exists and
// takes no file ("no such file or directory": said in those words, not as
// a missing folder); a folder that is missing is named; a file that exists
// is kept; and a file written says where, in full.
func TestAuditExportErrorsSayWhatTheSystemSaid(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths")
	}
	dir := t.TempDir()
	if fi, err := os.Stat("/proc"); err == nil && fi.IsDir() {
		m := written(t, exportTo(sarOn("9000000017"), "/proc/x.csv"))
		got := m.shownAudit().err
		if want := "Nothing was written: the system could not create /proc/x.csv (it said: no such file or directory)."; got != want {
			t.Errorf("/proc/x.csv: %q\nwant %q", got, want)
		}
		if _, err := os.Stat("/proc/x.csv"); err == nil {
			t.Error("/proc/x.csv was written")
		}
	}
	missing := filepath.Join(dir, "no", "such", "sar.csv")
	m := written(t, exportTo(sarOn("9000000017"), missing))
	if want := "Nothing was written: the folder " + filepath.Join(dir, "no", "such") + " does not exist."; m.shownAudit().err != want {
		t.Errorf("missing folder: %q\nwant %q", m.shownAudit().err, want)
	}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = written(t, exportTo(sarOn("9000000017"), filepath.Join(notDir, "sar.csv")))
	if want := "Nothing was written: part of " + notDir + " is a file, not a folder (the system said: not a directory)."; m.shownAudit().err != want {
		t.Errorf("a file for a folder: %q\nwant %q", m.shownAudit().err, want)
	}

	path := filepath.Join(dir, "sar.csv")
	m = written(t, exportTo(sarOn("9000000017"), path))
	if want := "Saved 5 rows to " + path + "."; m.shownAudit().notice != want || m.shownAudit().err != "" {
		t.Errorf("written: notice %q, err %q; want %q", m.shownAudit().notice, m.shownAudit().err, want)
	}
	checkMode(t, path)
	m = written(t, exportTo(m, path))
	if want := "Nothing was written: " + path + " already exists, and an export never replaces a file. Choose another name."; m.shownAudit().err != want {
		t.Errorf("again: %q", m.shownAudit().err)
	}
}

// TestAuditDates: the form's dates are read by the search's date
// parser (parseBirthDate), so they are typed as there, with dashes, slashes,
// dots or none; a date refused says which field and what is wrong with it,
// blaming the format only when it is the format. A date after today, and a
// From after To, are said to be so.
func TestAuditDates(t *testing.T) {
	m := auditScreenAt(80, 24) // today is 25-11-2026 (fixedNow)
	base := m.shownAudit()
	base.number = "9000000009"
	march14 := time.Date(2026, 3, 14, 0, 0, 0, 0, time.Local)
	for _, c := range []struct {
		from, to string
		want     string // "": accepted
	}{
		{from: "31-02-2026", want: "From: February 2026 has no day 31."},
		{from: "31/02/2026", want: "From: February 2026 has no day 31."},
		{from: "29.02.2026", want: "From: February 2026 has no day 29."},
		{to: "31/04/2026", want: "To: April 2026 has no day 31."},
		{from: "03-25-2026", want: "From: There is no month 25: type the day first, then the month, as in 14-03-2015."},
		{from: "14-13-2026", want: "From: There is no month 13. Type dates as dd-mm-yyyy, for example 18-11-2026."},
		{from: "18-11-26", want: "From: Type dates as dd-mm-yyyy, for example 18-11-2026."},
		{to: "1811", want: "To: Type dates as dd-mm-yyyy, for example 18-11-2026."},
		{to: "26-11-2026", want: "To: 26-11-2026 is after today, 25-11-2026: type today or an earlier date."},
		{from: "01-12-2026", want: "From: 01-12-2026 is after today, 25-11-2026: no access can be recorded yet."},
		{from: "20-11-2026", to: "10-11-2026", want: "From, 20-11-2026, is after To, 10-11-2026: swap them."},
		{from: "14-03-2026"}, {from: "14/03/2026"}, {from: "14.03.2026"}, {from: "14032026"}, {from: "2026-03-14"},
		{from: "14/03/2026", to: "25/11/2026"},
	} {
		a := base
		a.from[reportPatient], a.to[reportPatient] = c.from, c.to
		q, why := a.query()
		if why != c.want {
			t.Errorf("from %q to %q: %q\nwant %q", c.from, c.to, why, c.want)
		}
		if c.want == "" && !q.from.Equal(march14) {
			t.Errorf("from %q: %v, want 14 March 2026", c.from, q.from)
		}
		// The search takes and refuses the same dates.
		for _, d := range []string{c.from, c.to} {
			if d == "" {
				continue
			}
			_, err := parseBirthDate(d)
			if err != nil && !strings.Contains(c.want, ": ") {
				t.Errorf("%q: the search refuses it (%v), the audit takes it", d, err)
			}
			if err == nil && strings.Contains(c.want, "no day") {
				t.Errorf("%q: the search takes it, the audit refuses it", d)
			}
		}
	}
	// The alert report's dates: the same.
	a := base
	a.report = reportAlerts
	a.from[reportAlerts] = "31/02/2026"
	if _, why := a.query(); why != "From: February 2026 has no day 31." {
		t.Errorf("alerts: %q", why)
	}
	// Typed and Enter pressed: the sentence is on screen.
	m = typed(m, "9000000009")
	m = step(m, keyPress("tab"))
	m = typed(m, "31/02/2026")
	m = step(m, keyPress("enter"))
	if txt := ansi.Strip(m.render()); !strings.Contains(txt, "From: February 2026 has no day 31.") || strings.Contains(txt, "Type dates as") {
		t.Errorf("on screen:\n%s", txt)
	}
}

// TestAuditExportExampleIsTheReports: the example under the export
// path names the patient the report is about, never another; the alert
// report's names the organisation and the dates.
func TestAuditExportExampleIsTheReports(t *testing.T) {
	hintOf := func(m Model) string {
		t.Helper()
		m = step(m, keyPress("x"))
		txt := ansi.Strip(m.render())
		for _, l := range strings.Split(txt, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "e.g. ") {
				return l
			}
		}
		t.Fatalf("no example:\n%s", txt)
		return ""
	}
	if got, want := hintOf(sarOn("9000000017")), "e.g. "+auditexport.Example("sar-9000000017.csv"); got != want {
		t.Errorf("the patient's report: %q, want %q", got, want)
	}
	// The alert report, as asked from the form: the officer's
	// organisation and the default dates.
	m := auditScreenAt(120, 40)
	m = step(m, keyPress("o"))
	m = step(m, keyPress("enter"))
	if org := m.shownAudit().asked.org; org != "R9A" {
		t.Fatalf("the alert report was asked for %q", org)
	}
	m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: fakeTrail()[1:3]}})
	if got, want := hintOf(m), "e.g. "+auditexport.Example("alerts-R9A-19-11-2026-to-25-11-2026.csv"); got != want {
		t.Errorf("the alert report: %q, want %q", got, want)
	}
	m = step(m, keyPress("esc")) // the path
	m = step(m, keyPress("esc")) // the results
	m = step(m, keyPress("e"))
	m = step(m, keyPress("enter"))
	m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: fakeTrail()[2:3]}})
	if got, want := hintOf(m), "e.g. "+auditexport.Example("emergency-alerts-R9A-19-11-2026-to-25-11-2026.csv"); got != want {
		t.Errorf("the emergency alerts: %q, want %q", got, want)
	}
}

// TestAuditWarningFooterTellsTheTruth: at the personal-data warning
// the footer names y and any other key as the screen's own keys, after the
// root's ? and q; and each does what it says: ? opens the help, q asks to
// quit (a path is typed), y writes, and another key cancels, writing
// nothing.
func TestAuditWarningFooterTellsTheTruth(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sar-9000000017.csv")
	m := exportTo(sarOn("9000000017"), path)
	if m.shownAudit().mode != auditExportConfirm {
		t.Fatalf("mode %v, err %q", m.shownAudit().mode, m.shownAudit().err)
	}
	lines := strings.Split(ansi.Strip(m.render()), "\n")
	if foot := strings.TrimSpace(lines[len(lines)-1]); foot != "? help • q quit • y write the file • any other key cancels" {
		t.Errorf("the footer: %q", foot)
	}
	if got := step(m, keyPress("?")); !got.showHelp || !strings.Contains(ansi.Strip(got.render()), "any other key cancels") {
		t.Errorf("? did not open the help, or the help does not say that any other key cancels:\n%s", ansi.Strip(got.render()))
	}
	if got := step(m, keyPress("q")); !got.confirmQuit || got.quitting || got.shownAudit().mode != auditExportConfirm {
		t.Errorf("q: asks %v, quit %v, mode %v", got.confirmQuit, got.quitting, got.shownAudit().mode)
	}
	for _, k := range []string{"n", "x", "enter", "esc", "s"} {
		got := step(m, keyPress(k))
		if a := got.shownAudit(); a.mode != auditResults || a.notice != "Export cancelled: nothing was written." {
			t.Errorf("%s: mode %v, notice %q", k, a.mode, a.notice)
		}
	}
	emptyDir(t, dir)
	if got := written(t, m); got.shownAudit().notice != "Saved 5 rows to "+path+"." {
		t.Errorf("y: %q %q", got.shownAudit().notice, got.shownAudit().err)
	}
}
