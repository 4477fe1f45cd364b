package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestHintsOutsideEveryField: with NO_COLOR a placeholder loses the faint
// colour that told it from typed text, so no field of the viewer holds a
// hint: every field, empty, is blank on its own line (but for its label and
// the cursor), and its example, where it has one, is shown beside or under
// it instead. As TestFindFormHintsOutsideFields, the screen is read with its
// colours and attributes stripped, as NO_COLOR leaves the words.
func TestHintsOutsideEveryField(t *testing.T) {
	f := newFixture(t)
	sc := f.screens(t)

	// A field is found by its label, the start of a line; the field is the
	// rest of that line, or, with below set, the whole next line (a field
	// under its question). to, when set, is where the field ends on its
	// line: the search form's hints are on the field's line, beside it.
	type row struct {
		name  string
		m     Model
		label string
		below bool
		to    int
		hint  string // the example, beside (to set) or on the lines under the field
	}
	var rows []row

	// The NHS number, emptied.
	rows = append(rows, row{name: "find number", m: step(sc["find number"], keyPress("ctrl+u")), label: "NHS number"})
	// The search form: each field focused in turn, the others empty and
	// unfocused.
	for i := range fieldCount {
		form, _ := sc["find details"].search().focusField(i)
		rows = append(rows, row{
			name: "find details, " + fieldLabels[i], m: sc["find details"].withSearch(form),
			label: fmt.Sprintf("%-14s ", fieldLabels[i]), to: 15 + fieldWidth, hint: fieldHints[i],
		})
	}
	// The note for the privacy officer, after emergency access and after
	// death.
	for _, name := range []string{"emergency note", "deceased, note"} {
		m := sc[name]
		if m.perm().step != permNote || m.perm().note.Value() != "" {
			t.Fatalf("%s: step %v, note %q", name, m.perm().step, m.perm().note.Value())
		}
		rows = append(rows, row{name: name, m: m, label: "In your own words", below: true, hint: m.perm().noteHint()})
	}
	// The audit form: each report, each field focused in turn, every field
	// empty (the alert report's dates come filled in: emptied).
	labels := map[int]string{fieldNumber: "NHS number", fieldFrom: "From", fieldTo: "To"}
	for _, report := range []auditReport{reportPatient, reportAlerts} {
		a := sc["audit"].shownAudit()
		a.report, a.number = report, ""
		a.from[report], a.to[report] = "", ""
		for focus := range a.fieldCount() {
			a.focus = focus
			m := sc["audit"].withAudit(func(s *auditScreen) { *s = a })
			for i := range a.fieldCount() {
				at := a.fieldAt(i)
				rows = append(rows, row{
					name: fmt.Sprintf("audit report %d, focus on %s, %s", report, labels[a.fieldAt(focus)], labels[at]),
					m:    m, label: fmt.Sprintf("%-12s", labels[at]),
				})
			}
		}
	}
	// The export path.
	export := sc["audit"].withAudit(func(a *auditScreen) {
		a.mode = auditExportPath
		a.path.Reset()
		a.path.Focus()
	})
	rows = append(rows, row{name: "export path", m: export, label: "Export to", hint: exportPathHint})

	for _, size := range []tea.WindowSizeMsg{{Width: 80, Height: 24}, {Width: 120, Height: 40}} {
		for _, r := range rows {
			t.Run(fmt.Sprintf("%dx%d %s", size.Width, size.Height, r.name), func(t *testing.T) {
				m := r.m
				m.sess.width, m.sess.height = size.Width, size.Height
				out := ansi.Strip(m.render())
				lines := strings.Split(out, "\n")
				at := -1
				for i, l := range lines {
					if strings.HasPrefix(l, r.label) {
						at = i
						break
					}
				}
				if at < 0 || r.below && at+1 >= len(lines) {
					t.Fatalf("no line for %q:\n%s", r.label, out)
				}
				field := strings.TrimPrefix(lines[at], r.label)
				if r.below {
					at++
					field = lines[at]
				}
				beside := ""
				if r.to > 0 {
					w := len(r.label) // the labels are ASCII
					field, beside = ansi.Cut(lines[at], w, r.to), ansi.Cut(lines[at], r.to, ansi.StringWidth(lines[at]))
				}
				// The cursor: drawn "█" by the digit fields, reversed by
				// the text fields (a space once stripped).
				if shown := strings.Trim(field, " █"); shown != "" {
					t.Errorf("the empty field shows %q, which reads as typed:\n%s", shown, out)
				}
				if r.hint == "" {
					return
				}
				if r.to > 0 {
					if !strings.Contains(beside, r.hint) {
						t.Errorf("no hint %q beside the field: %q", r.hint, lines[at])
					}
					return
				}
				// Under the field: on the next lines, before anything else
				// is said, wrapped as the width needs.
				under := ""
				for _, l := range lines[at+1 : min(at+3, len(lines))] {
					under += " " + strings.TrimSpace(l)
				}
				if !strings.Contains(flat(under), flat(r.hint)) {
					t.Errorf("no hint %q under the field:\n%s", r.hint, out)
				}
			})
		}
	}
}
