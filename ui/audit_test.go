package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/sandbox"
)

// fakeTrail is a report with fixed times, for the screens the sandbox's
// clock would otherwise change.
func fakeTrail() []client.Access {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.UTC) }
	return []client.Access{
		{When: at(9, 1), Patient: "9000000009", UserName: "Priya SHARMA", UserUUID: userPharmacist, RoleName: `"Clinical":"Clinical Provision":"Health Professional Access Role"`, OrgCode: "FA123", OrgName: "Sandbox Pharmacy", Kind: "Demographics read", WithPermission: false},
		{When: at(9, 2), Patient: "9000000009", UserName: "Priya SHARMA", UserUUID: userPharmacist, RoleName: `"Clinical":"Clinical Provision":"Health Professional Access Role"`, OrgCode: "FA123", OrgName: "Sandbox Pharmacy", Kind: "Create LR (Self Claimed): Other", WithPermission: true, Reason: "Patient agreed at the counter"},
		{When: at(9, 40), Patient: "9000000009", UserName: "James OKAFOR", UserUUID: userAEDoctor, RoleName: `"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"`, OrgCode: "R9A", OrgName: "Sandbox Hospital", Kind: "Access Alert: Access made in an emergency", Reason: "Unconscious on arrival, brought in by ambulance; no relatives present and the patient cannot consent, so the record was needed for allergies before giving any drug"},
		{When: at(9, 41), Patient: "9000000009", UserName: "James OKAFOR", UserUUID: userAEDoctor, RoleName: `"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"`, OrgCode: "R9A", OrgName: "Sandbox Hospital", Kind: "SCR read"},
		{When: at(10, 5), Patient: "9000000009", UserName: "Pat RECEPTION", UserUUID: userReception, RoleName: "Receptionist", OrgCode: "R9A", OrgName: "Sandbox Hospital", Kind: "SCR read", Outcome: client.AccessRefused},
	}
}

// auditTrail starts a sandbox in which the pharmacist has viewed
// 9000000009's record with the patient's permission (the legitimate
// relationship alert 1/6, raised in FA123) and then the A&E doctor in an
// emergency (the access alert 2/5, raised in R9A), both through the client
// as the viewer calls it.
func auditTrail(t *testing.T) *client.Client {
	t.Helper()
	_, cl := startSandbox(t, sandbox.Config{RateLimit: 1e6})
	view := func(user string, reason client.AlertReason, note string) {
		t.Helper()
		card, err := newTestCards(t, user).Open(testReader)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		s, err := cl.SignIn(ctx, card.Signer([]byte(userPIN[user])), card.Certificate(), card.Holder().UUID)
		if err != nil {
			t.Fatal(err)
		}
		var role client.Role
		for _, r := range s.Roles {
			if r.CanView() {
				role = r
				break
			}
		}
		if _, err := s.ChooseRole(ctx, role.ID); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lookup(ctx, "9000000009")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SendPrivacyAlert(ctx, client.PrivacyAlert{NHS: "9000000009", SCRID: l.Consent.SCRID, Reason: reason, Note: note}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Summary(ctx, "9000000009", l.Consent.SCRID); err != nil {
			t.Fatal(err)
		}
		_ = s.SignOut(ctx)
	}
	view(userPharmacist, client.AlertLRWithPermission, "Patient agreed at the counter")
	view(userAEDoctor, client.AlertEmergency, "Unconscious on arrival")
	return cl
}

// cursorRow is the table line the cursor is on.
func cursorRow(txt string) string {
	for _, l := range strings.Split(txt, "\n") {
		if strings.HasPrefix(l, "> ") {
			return l
		}
	}
	return ""
}

// waitCursor waits until the cursor's row holds want.
func waitCursor(t *testing.T, s *terminal, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		txt := s.text()
		if strings.Contains(cursorRow(txt), want) {
			return txt
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cursor's row never held %q:\n%s", want, txt)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditScreenReports: the privacy officer's two reports against the
// real sandbox, sorted, scrolled and exported.
func TestAuditScreenReports(t *testing.T) {
	cl := auditTrail(t)
	// The real clock: the alert report's default dates end today.
	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userOfficer), Now: time.Now}, 120, 40)
	signIn(t, s, userOfficer)
	s.waitFor("Audit: who accessed a patient's record", "NHS number", "Patient (SAR)", "Organisation alerts")

	// The Subject Access Request: both accesses, every column.
	s.typeText("9000000009")
	s.waitFor("✓ valid NHS number")
	s.press("enter")
	txt := s.waitFor("accesses, newest first", "NHS No. 900 000 0009", "every date",
		"James OKAFOR", "Priya SHARMA", "Unconscious on arrival", "Patient agreed at the counter",
		"When ↓", "Who", "Role", "Organisation", "What", "Permission", "Reason")
	for _, want := range []string{"Create LR", "with ", "without", "R9A", "FA123", "Clinical", "Practitioner"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the report lacks %q:\n%s", want, txt)
		}
	}
	// Newest first: the doctor's emergency before the pharmacist's view.
	if strings.Index(txt, "Unconscious on arrival") > strings.Index(txt, "Patient agreed at the counter") {
		t.Errorf("not newest first:\n%s", txt)
	}

	// Sorting: s cycles the column, r reverses.
	s.typeText("s")
	s.waitFor("by Who, A to Z", "Who ↑")
	s.typeText("r")
	s.waitFor("by Who, Z to A", "Who ↓")
	waitCursor(t, s, "Priya SHARMA")
	s.typeText("r")
	txt = waitCursor(t, s, "James OKAFOR")
	if strings.Index(txt, "James OKAFOR") > strings.Index(txt, "Priya SHARMA") {
		t.Errorf("by Who A to Z, Priya before James:\n%s", txt)
	}
	for range 5 {
		s.typeText("s") // Role, Organisation, What, Permission, and back to When
	}
	s.waitFor("newest first", "When ↓")

	// Export as JSON: the warning first, then a file only its owner reads.
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "sar.json")
	s.typeText("x")
	s.waitFor("Export to", "ending in .csv or .json")
	s.typeText(jsonPath)
	s.press("enter")
	s.waitFor(exportWarning, "y writes the file; any other key cancels.")
	if _, err := os.Stat(jsonPath); !os.IsNotExist(err) {
		t.Fatalf("written before the officer said y: %v", err)
	}
	s.typeText("y")
	s.waitFor("rows to " + jsonPath + ".")
	checkMode(t, jsonPath)
	var doc struct {
		Report  string `json:"report"`
		Patient string `json:"patient_nhs_number"`
		Rows    []struct {
			UserName, Reason, OrgCode, What string
			WithPermission                  bool `json:"with_permission"`
		} `json:"rows"`
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, r := range doc.Rows {
		reasons[r.Reason] = true
	}
	if doc.Report != "subject access request" || doc.Patient != "9000000009" || !reasons["Unconscious on arrival"] || !reasons["Patient agreed at the counter"] {
		t.Errorf("the JSON export: %s", data)
	}

	// The same path again: refused, the file untouched.
	s.typeText("x")
	s.waitFor("Export to")
	s.typeText(jsonPath)
	s.press("enter")
	s.waitFor(exportWarning)
	s.typeText("y")
	s.waitFor("already exists")
	if again, _ := os.ReadFile(jsonPath); string(again) != string(data) {
		t.Error("an existing file was overwritten")
	}

	// A path that is neither .csv nor .json: refused with a sentence.
	txtPath := filepath.Join(dir, "sar.txt")
	s.typeText("x")
	s.waitFor("Export to")
	s.typeText(txtPath)
	s.press("enter")
	s.waitFor("must end in .csv or .json")
	// Any key but y cancels at the warning.
	s.press("ctrl+u")
	cancelled := filepath.Join(dir, "cancelled.csv")
	s.typeText(cancelled)
	s.press("enter")
	s.waitFor(exportWarning)
	s.typeText("n")
	s.waitFor("Export cancelled: nothing was written.")
	for _, p := range []string{txtPath, cancelled} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists: %v", p, err)
		}
	}

	// The organisation's alerts: the doctor's in R9A, not the pharmacist's
	// in FA123; the patient's NHS number in its column.
	s.press("esc")
	s.waitFor("NHS number", "✓ valid NHS number")
	s.typeText("o")
	today := time.Now().Format("02-01-2006")
	s.waitFor("Audit: privacy alerts raised in your organisation", "To           "+today)
	s.press("enter")
	txt = s.waitFor("1 alert, newest first", "privacy alerts", "NHS No.", "900 000 0009", "James OKAFOR", "Access Alert: Access made in")
	for _, leak := range []string{"Priya SHARMA", "FA123", "Patient agreed"} {
		if strings.Contains(txt, leak) {
			t.Errorf("the R9A alert report shows %q:\n%s", leak, txt)
		}
	}
	// Emergency access only: the same one alert.
	s.press("esc")
	s.typeText("e")
	s.waitFor("emergency access only (type 2)")
	s.press("enter")
	s.waitFor("1 alert, newest first", "emergency access alerts", "James OKAFOR")

	// Export as CSV: the alert row, with the patient.
	csvPath := filepath.Join(dir, "alerts.csv")
	s.typeText("x")
	s.waitFor("Export to")
	s.typeText(csvPath)
	s.press("enter")
	s.waitFor(exportWarning)
	s.typeText("y")
	s.waitFor("Saved 1 row to " + csvPath + ".")
	checkMode(t, csvPath)
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0][0] != "when" || recs[1][1] != "9000000009" || recs[1][2] != "James OKAFOR" || recs[1][5] != "R9A" || recs[1][10] != "Unconscious on arrival" {
		t.Errorf("the CSV export: %q", recs)
	}

	// Scrolling the patient's report again, in a window too small for it
	// (grown back, the emulator would keep the old frame's cells): end,
	// home, down, page down.
	s.press("esc")
	s.typeText("p")
	s.waitFor("Audit: who accessed a patient's record", "✓ valid NHS number")
	s.press("enter")
	s.waitFor("accesses, newest first", "Priya SHARMA")
	s.resize(80, 24)
	s.waitFor("rows 1 to ")
	first := cursorRow(s.text())
	s.typeText("G")
	txt = waitCursor(t, s, "Priya") // the oldest; the name wraps at 80 columns
	if !strings.Contains(txt, "rows ") {
		t.Errorf("the report fits one screen, so scrolling is not tested:\n%s", txt)
	}
	s.typeText("g")
	txt = s.waitFor(first)
	if cursorRow(txt) != first {
		t.Errorf("home: cursor on %q, want %q", cursorRow(txt), first)
	}
	s.press("down")
	deadline := time.Now().Add(5 * time.Second)
	for cursorRow(s.text()) == first && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if cursorRow(s.text()) == first {
		t.Error("down did not move the cursor")
	}
	s.press("pgdown")
	s.waitFor("rows ")
	s.waitGone(5*time.Second, "rows 1 to ")
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

// auditScreenAt is a model on the audit screen at w×h, signed in as the
// officer (no network: for what the screen draws and drops).
func auditScreenAt(w, h int) Model {
	m := New(Options{Now: func() time.Time { return fixedNow }})
	m.sess.width, m.sess.height = w, h
	m.sess.api = &client.Session{UserName: "Helen WOODS"}
	m.sess.role, m.sess.hasRole = client.Role{Name: `"Admin":"Privacy Officer"`, OrgCode: "R9A"}, true
	m.scr = newAuditScreen(m.sess.common)
	return m
}

// TestAuditScreenGolden keeps the audit screens at 80×24 and 120×40: the
// forms as the program draws them against the sandbox, and, with a report of
// fixed times, the results and the export prompts
// (testdata/TestAuditScreenGolden; -update rewrites them).
func TestAuditScreenGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			_, cl := startSandbox(t, sandbox.Config{RateLimit: 1000})
			s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userOfficer)}, w, h)
			shot := func(name string, want ...string) {
				t.Helper()
				s.shot(t, name, want...)
			}
			signIn(t, s, userOfficer)
			shot("01-form-patient", "Audit: who accessed", "Type or scan")
			s.typeText("900000000")
			s.press("tab")
			s.typeText("01-11-2026")
			shot("02-form-patient-typed", "9 of 10 digits", "01-11-2026")
			s.typeText("o")
			shot("03-form-alerts", "privacy alerts raised", "19-11-2026", "25-11-2026")
			s.typeText("e")
			shot("04-form-alerts-emergency", "emergency access only (type 2)")
			s.press("tab")
			s.press("backspace")
			s.press("enter")
			shot("05-form-bad-date", "Type dates as dd-mm-yyyy")

			// The results and the export, from a report of fixed times.
			m := auditScreenAt(w, h)
			m = m.withAudit(func(a *auditScreen) { a.asked = auditQuery{nhs: "9000000009"} })
			m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: fakeTrail()}})
			frame := func(name string, m Model) {
				t.Helper()
				txt := ansi.Strip(m.render())
				t.Run(name, func(t *testing.T) { golden.RequireEqual(t, txt+"\n") })
			}
			frame("06-results-patient", m)
			frame("07-results-scrolled", step(step(m, keyPress("down")), keyPress("down")))
			frame("08-results-sorted-by-who", step(step(m, keyPress("s")), keyPress("r")))
			m = step(m, keyPress("x"))
			for _, r := range "/home/helen/sar-9000000009.csv" {
				m = step(m, keyPress(string(r)))
			}
			frame("09-export-path", m)
			frame("10-export-confirm", step(m, keyPress("enter")))

			a := auditScreenAt(w, h)
			a = a.withAudit(func(a *auditScreen) {
				a.report = reportAlerts
				a.asked = auditQuery{report: reportAlerts, from: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC)}
			})
			a = step(a, answerMsg{gen: a.sess.gen, req: a.sess.req, msg: auditMsg{rows: fakeTrail()[1:3]}})
			frame("11-results-alerts", a)
		})
	}
}

// Answers to an older request, or from before a wipe, are dropped: the
// report and the export's outcome alike.
func TestAuditStaleAnswers(t *testing.T) {
	m := auditScreenAt(80, 24)
	m.sess.req = 7
	for _, msg := range []tea.Msg{
		answerMsg{gen: m.sess.gen, req: 6, msg: auditMsg{rows: fakeTrail()}},
		answerMsg{gen: m.sess.gen - 1, req: 7, msg: auditMsg{rows: fakeTrail()}},
		answerMsg{gen: m.sess.gen, req: 6, msg: auditExportedMsg{path: "/tmp/x.csv", rows: 5}},
		answerMsg{gen: m.sess.gen - 1, req: 7, msg: auditExportedMsg{path: "/tmp/x.csv", rows: 5}},
	} {
		got := step(m, msg)
		if got.shownAudit().mode == auditResults || len(got.shownAudit().rows) != 0 || got.shownAudit().notice != "" || got.shownAudit().err != "" {
			t.Errorf("stale %T %+v was taken", msg, msg)
		}
		if p := patientOnScreen(got); p != "" || strings.Contains(ansi.Strip(got.render()), "SHARMA") {
			t.Errorf("stale %T drew %q", msg, p)
		}
	}
	got := step(m, answerMsg{gen: m.sess.gen, req: 7, msg: auditMsg{rows: fakeTrail()}})
	if got.shownAudit().mode != auditResults || len(got.shownAudit().shown) != 5 {
		t.Fatalf("the current answer was not taken: %+v", got.shownAudit())
	}
	// Going back to the form forgets the rows and drops their answer.
	back := step(got, keyPress("esc"))
	if back.shownAudit().mode != auditForm || len(back.shownAudit().rows) != 0 || back.sess.req == got.sess.req {
		t.Errorf("esc: mode %v, %d rows, req %d→%d", back.shownAudit().mode, len(back.shownAudit().rows), got.sess.req, back.sess.req)
	}
	if again := step(back, answerMsg{gen: back.sess.gen, req: got.sess.req, msg: auditMsg{rows: fakeTrail()}}); again.shownAudit().mode == auditResults {
		t.Error("the answer to the request left was taken")
	}
	// A signed-out answer asks for the passcode.
	if so := step(m, answerMsg{gen: m.sess.gen, req: 7, msg: auditMsg{err: &client.SignedOutError{}}}); so.where() != statePasscode {
		t.Errorf("signed out: %v", so.where())
	}
}

// ? stays a command on the form, whose fields take digits, and q is ignored
// among digits typed there (never a quit from under them); in the
// export path they are letters of the path.
func TestAuditTyping(t *testing.T) {
	m := auditScreenAt(80, 24)
	if m.typing() {
		t.Error("typing on the form")
	}
	if got := step(m, keyPress("?")); !got.showHelp {
		t.Error("? on the form did not show the help")
	}
	if got := step(typed(m, "900"), keyPress("q")); got.quitting || got.shownAudit().number != "900" {
		t.Error("q among digits on the form quit or changed them: it is ignored there")
	}
	if got := step(m, keyPress("q")); !got.quitting {
		t.Error("q on the empty form did not quit")
	}
	m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: fakeTrail()}})
	if m.typing() {
		t.Error("typing on the results")
	}
	m = step(m, keyPress("x"))
	if !m.typing() {
		t.Fatal("not typing in the export path")
	}
	for _, k := range []string{"q", "?", "y"} {
		m = step(m, keyPress(k))
	}
	if m.quitting || m.showHelp || m.shownAudit().path.Value() != "q?y" {
		t.Errorf("in the path: quitting %v, help %v, path %q", m.quitting, m.showHelp, m.shownAudit().path.Value())
	}
	// Enter on a path without .csv or .json: a sentence, no prompt.
	m = step(m, keyPress("enter"))
	if m.shownAudit().mode != auditExportPath || !strings.Contains(m.shownAudit().err, ".csv or .json") {
		t.Errorf("bad extension: mode %v, err %q", m.shownAudit().mode, m.shownAudit().err)
	}
	m = step(m, keyPress("esc"))
	if m.typing() || m.shownAudit().mode != auditResults {
		t.Error("esc did not leave the path field")
	}
}

// TestAuditScrollFollowsCursor: on a report longer than the window, every
// key keeps the cursor's row on screen, the table starts at a row's first
// line (never partway into one, not even at the end), and the line under
// it says which rows show.
func TestAuditScrollFollowsCursor(t *testing.T) {
	var trail []client.Access
	for i := range 8 {
		for _, r := range fakeTrail() {
			r.When = r.When.Add(time.Duration(i) * 24 * time.Hour)
			trail = append(trail, r)
		}
	}
	rowsLine := regexp.MustCompile(`rows (\d+) to (\d+) of (\d+)`)
	// (At 60×16 the words under the table can take all its room.)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 30}} {
		m := auditScreenAt(size[0], size[1])
		m = m.withAudit(func(a *auditScreen) { a.asked = auditQuery{nhs: "9000000009"} })
		m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: trail}})
		check := func(after string) (first, last int) {
			t.Helper()
			lines := strings.Split(ansi.Strip(m.render()), "\n")
			head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  When") })
			if head < 0 {
				t.Fatalf("%v after %s: no table:\n%s", size, after, strings.Join(lines, "\n"))
			}
			top := head + 1 + slices.IndexFunc(lines[head+1:], func(l string) bool { return strings.ContainsAny(l, "0123456789") })
			if !regexp.MustCompile(`^[> ] \d\d-Nov-2026|^[> ] \d\d-Dec-2026`).MatchString(lines[top]) {
				t.Errorf("%v after %s: the table starts inside a row: %q", size, after, lines[top])
			}
			if cursorRow(strings.Join(lines, "\n")) == "" {
				t.Errorf("%v after %s: the cursor's row is not on screen:\n%s", size, after, strings.Join(lines, "\n"))
			}
			at := slices.IndexFunc(lines, func(l string) bool { return rowsLine.MatchString(l) })
			if at < 0 {
				t.Fatalf("%v after %s: no rows line:\n%s", size, after, strings.Join(lines, "\n"))
			}
			g := rowsLine.FindStringSubmatch(lines[at])
			first, _ = strconv.Atoi(g[1])
			last, _ = strconv.Atoi(g[2])
			if g[3] != strconv.Itoa(len(trail)) || first < 1 || last < first || m.shownAudit().cur+1 < first || m.shownAudit().cur+1 > last {
				t.Errorf("%v after %s: %q with the cursor on row %d", size, after, lines[at], m.shownAudit().cur+1)
			}
			return first, last
		}
		check("the report")
		prev := 0
		for i := range len(trail) + 2 {
			m = step(m, keyPress("down"))
			first, _ := check(fmt.Sprint(i+1, " downs"))
			if first < prev {
				t.Errorf("%v: the view went up going down", size)
			}
			prev = first
		}
		if m.shownAudit().cur != len(trail)-1 {
			t.Errorf("%v: the cursor stopped at row %d", size, m.shownAudit().cur+1)
		}
		m = step(m, keyPress("g"))
		if first, _ := check("g"); first != 1 || m.shownAudit().cur != 0 {
			t.Errorf("%v: g shows from row %d, cursor on %d", size, first, m.shownAudit().cur+1)
		}
		_, last := check("g")
		m = step(m, keyPress("pgdown"))
		check("pgdown")
		if m.shownAudit().cur != last {
			t.Errorf("%v: pgdown put the cursor on row %d, want %d (the first not whole on the page)", size, m.shownAudit().cur+1, last+1)
		}
		m = step(m, keyPress("G"))
		if _, last := check("G"); last != len(trail) {
			t.Errorf("%v: G shows up to row %d", size, last)
		}
		m = step(m, keyPress("pgup"))
		check("pgup")
		m = step(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		check("a resize")
	}
}

// TestAuditResultsTooShortForTheTable: whatever the window and the row
// under the cursor, the cursor's row is in the table, or, where the window is
// too short for it beside that row's words, the line under the table says
// which row the words are about; never a range that ends before it starts.
func TestAuditResultsTooShortForTheTable(t *testing.T) {
	trail := fakeTrail()
	tooShort := 0
	for _, w := range []int{60, 80} {
		for h := 16; h <= 30; h++ { // 60×16 is the least scr draws in
			m := auditScreenAt(w, h)
			m = m.withAudit(func(a *auditScreen) { a.asked = auditQuery{nhs: "9000000009"} })
			m = step(m, answerMsg{gen: m.sess.gen, req: m.sess.req, msg: auditMsg{rows: trail}})
			for k := range trail {
				if k > 0 {
					m = step(m, keyPress("down"))
				}
				screen := ansi.Strip(m.render())
				if bad := regexp.MustCompile(`rows (\d+) to (\d+) of`).FindStringSubmatch(screen); bad != nil {
					from, _ := strconv.Atoi(bad[1])
					to, _ := strconv.Atoi(bad[2])
					if to < from {
						t.Errorf("%dx%d, row %d: %q\n%s", w, h, k+1, bad[0], screen)
					}
				}
				inTable := regexp.MustCompile(`(?m)^> `).MatchString(screen)
				said := strings.Contains(screen, fmt.Sprintf("row %d of %d, below", k+1, len(trail)))
				if !inTable && !said {
					t.Errorf("%dx%d: row %d is neither in the table nor named:\n%s", w, h, k+1, screen)
				}
				if said {
					tooShort++
				}
			}
		}
	}
	if tooShort == 0 {
		t.Error("no window was too short for the table: the test no longer tries the case")
	}
}
