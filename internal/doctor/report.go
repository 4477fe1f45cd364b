package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/internal/safetext"
)

// Status is the verdict of one check.
type Status string

const (
	Pass Status = "PASS"
	Warn Status = "WARN" // works, but will stop working or needs a look
	Fail Status = "FAIL" // this is why the card does not get the user in
	Skip Status = "SKIP" // could not be checked because an earlier check failed
)

// Check is one line of the checklist. Advice says what to do; it is set for
// every WARN and FAIL. A check's words may hold text from outside the
// program (a reader's or a certificate's name, the server's reply, an
// error's message): Run adds each check through the gate, and Line and
// WriteJSON write nothing that has not been through it.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Advice string `json:"advice"`
}

// Report is the checklist, in the order the checks ran.
type Report struct {
	Checks []Check
}

// OK reports whether no check failed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Find returns the first check named name.
func (r Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// gated is c with each of its texts through the gate, safetext.Line: one
// line each, no control, escape sequence, bidi control or invisible
// character, so that nothing a server or a card says can clear the screen,
// hide words, or draw a line that reads as another check's verdict.
func (c Check) gated() Check {
	c.Name, c.Detail, c.Advice = safetext.Line(c.Name), safetext.Line(c.Detail), safetext.Line(c.Advice)
	c.Status = Status(safetext.Line(string(c.Status)))
	return c
}

// nameWidth pads check names in the text form so that details line up.
const nameWidth = 12

// Line is the text form of one check: the status, the name and what was
// found, then, indented on the next line, what to do.
func (c Check) Line() string {
	c = c.gated()
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s  %-*s %s\n", c.Status, nameWidth, c.Name, c.Detail)
	if c.Advice != "" {
		fmt.Fprintf(&b, "%*s→ %s\n", 6+nameWidth+1, "", c.Advice)
	}
	return b.String()
}

// WriteText writes the checklist, one check a line (two with advice), and a
// last line with the verdict.
func (r Report) WriteText(w io.Writer) error { return r.write(w, Check.Line, r.Summary()) }

// write writes each check as line has it, then the summary.
func (r Report) write(w io.Writer, line func(Check) string, summary string) error {
	for _, c := range r.Checks {
		if _, err := io.WriteString(w, line(c)); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, summary+"\n")
	return err
}

// count is how many checks failed, warned and were skipped.
func (r Report) count() (fails, warns, skips int) {
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		case Skip:
			skips++
		}
	}
	return fails, warns, skips
}

// Summary is the verdict line: how many checks failed or warned.
func (r Report) Summary() string {
	fails, warns, skips := r.count()
	switch {
	case fails > 0:
		return fmt.Sprintf("%s, %s: this is why the card does not get its holder in.", explain.Plural(fails, "check failed", "checks failed"), explain.Plural(warns, "warning", "warnings"))
	case warns > 0 && skips > 0:
		return fmt.Sprintf("No check failed; %s, %d skipped.", explain.Plural(warns, "warning", "warnings"), skips)
	case warns > 0:
		return fmt.Sprintf("No check failed; %s.", explain.Plural(warns, "warning", "warnings"))
	case skips > 0:
		// Not "every check passed": some were not run.
		return fmt.Sprintf("No check failed; %d skipped.", skips)
	}
	return "Every check passed."
}

// The plain form, for a screen reader or a braille display (scr doctor
// --plain): each check one sentence, read in order, with no column to line
// up, no arrow, and dates and durations in words.

// PlainLine is the plain form of one check: its status, its name and what
// was found, as one sentence ("FAIL, validity: expired on 01 June 2026."),
// then, on a line of its own, "What to do: " and the advice. Its texts go
// through the gate as Line's do, and are then only respelled: dates in
// words (explain.SpellDates, as the viewer's plain mode says them), the
// clock's durations in words, an arrow as "to", and each run of spaces one
// space.
func (c Check) PlainLine() string {
	c = c.gated()
	var b strings.Builder
	b.WriteString(string(c.Status) + ", " + c.Name)
	if d := spoken(c.Detail, c.Name == CheckClock); d != "" {
		b.WriteString(": " + explain.Sentence(d))
	} else {
		b.WriteString(".")
	}
	b.WriteString("\n")
	if a := spoken(c.Advice, false); a != "" {
		b.WriteString("What to do: " + explain.Sentence(a) + "\n")
	}
	return b.String()
}

// WritePlain writes the checklist in its plain form, one check a line (two
// with advice), and a last line with the verdict, PlainSummary.
func (r Report) WritePlain(w io.Writer) error { return r.write(w, Check.PlainLine, r.PlainSummary()) }

// PlainSummary is the verdict as the plain form says it: "Result: every
// check passed.", "Result: 2 checks failed, 0 warnings. This is why the
// card does not get its holder in."
func (r Report) PlainSummary() string {
	fails, warns, skips := r.count()
	switch {
	case fails > 0:
		return fmt.Sprintf("Result: %s, %s. This is why the card does not get its holder in.", explain.Plural(fails, "check failed", "checks failed"), explain.Plural(warns, "warning", "warnings"))
	case warns > 0 && skips > 0:
		return fmt.Sprintf("Result: no check failed. %s, %d skipped.", explain.Plural(warns, "warning", "warnings"), skips)
	case warns > 0:
		return fmt.Sprintf("Result: no check failed. %s.", explain.Plural(warns, "warning", "warnings"))
	case skips > 0:
		return fmt.Sprintf("Result: no check failed. %d skipped.", skips)
	}
	return "Result: every check passed."
}

var (
	// plainSymbols are the glyphs a check's words may hold, said in words.
	plainSymbols = strings.NewReplacer("→", " to ", "…", "...")
	// duration is a duration as Go writes one to the second, 3s, 1m0s,
	// 26h0m0s: the clock check's.
	duration = regexp.MustCompile(`\b(?:(\d+)h)?(?:(\d+)m)?(\d+)s\b`)
)

// spoken is a gated text respelled to be read aloud: dates and glyphs in
// words, with durations set Go's durations too (the clock check's: other
// checks' words may quote a reader or a server), and no run of spaces.
func spoken(s string, durations bool) string {
	s = plainSymbols.Replace(explain.SpellDates(s))
	if durations {
		s = duration.ReplaceAllStringFunc(s, spellDuration)
	}
	return strings.Join(strings.Fields(s), " ")
}

// spellDuration is a duration as Go writes it in words: "1m0s" is "1
// minute", "5m1s" "5 minutes 1 second", "0s" "0 seconds".
func spellDuration(d string) string {
	m := duration.FindStringSubmatch(d)
	var words []string
	for i, unit := range []string{"hour", "minute", "second"} {
		n, err := strconv.Atoi(m[i+1])
		if err != nil || n == 0 {
			continue
		}
		words = append(words, explain.Plural(n, unit, unit+"s"))
	}
	if len(words) == 0 {
		return "0 seconds"
	}
	return strings.Join(words, " ")
}

// reportJSON is the JSON form, for support tickets. Its field names are
// stable.
type reportJSON struct {
	Checks []Check `json:"checks"`
	OK     bool    `json:"ok"`
}

// WriteJSON writes {"checks":[{"name","status","detail","advice"}],"ok":bool},
// every text through the gate, and whatever a terminal could act on that is
// left (none, as gated) written as a \u escape (safetext.EscapeJSON).
func (r Report) WriteJSON(w io.Writer) error {
	out := reportJSON{Checks: make([]Check, len(r.Checks)), OK: r.OK()}
	for i, c := range r.Checks {
		out.Checks[i] = c.gated()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := w.Write(safetext.EscapeJSON(b.Bytes()))
	return err
}
