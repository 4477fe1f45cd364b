package ui

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/internal/explain"
)

// The plain mode's words: what the screens say, made to read well aloud
// and on a braille line. Dates are spelled out ("03 February 1994", not
// "03-Feb-1994": explain.SpellDates, which scr doctor --plain shares), ages
// in words, and the glyphs the screens draw with (the passcode's dots,
// arrows, ticks, the banner's middle dots, box drawing and blocks) give way
// to words or go.

var (
	// shortAge is the banner's age, "(68y)".
	shortAge = regexp.MustCompile(`\((\d+)([ymwd])\)`)
	// keyHint is a flag's key in the banner, " [i]": the plain mode has
	// section numbers instead.
	keyHint = regexp.MustCompile(` \[[a-z]\]$`)
)

// spellAge writes the banner's age in words: "(68y)" is "(68 years)".
func spellAge(s string) string {
	return shortAge.ReplaceAllStringFunc(s, func(a string) string {
		m := shortAge.FindStringSubmatch(a)
		unit := map[string]string{"y": "year", "m": "month", "w": "week", "d": "day"}[m[2]]
		if m[1] != "1" {
			unit += "s"
		}
		return "(" + m[1] + " " + unit + ")"
	})
}

// plainLine is one line as the plain mode writes it: no escape sequence or
// control character (a record's text is plain already; this is the last
// gate), no glyph a screen reader reads badly or a braille display cannot
// show, dates spelled out.
func plainLine(s string) string {
	s = ansi.Strip(s)
	s = strings.NewReplacer(
		" · ", ", ", "·", ",",
		"✓ ", "", "✓", "",
		" → ", " replaced by ", "→", " to ",
		"↓", "", "↑", "",
		"…", "...",
		"\t", " ",
	).Replace(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 0x2500 && r <= 0x25FF: // box drawing, blocks, geometric shapes
			return -1
		case unicode.IsControl(r), unicode.In(r, unicode.Cf):
			return -1
		}
		return r
	}, s)
	return strings.TrimRight(explain.SpellDates(s), " ")
}

// sentence is s as a sentence (explain.Sentence); an ellipsis, which on
// the screen says something is under way, is said as a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	return explain.Sentence(strings.TrimSuffix(strings.TrimSuffix(s, "..."), "…"))
}

// working is what is being waited for as the plain mode says it, in place
// of the spinner: "Looking up NHS No. 900 000 0017…" is "Working: looking
// up NHS number 900 000 0017."
func working(busy string) string {
	b := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(busy), "…"))
	b = strings.ReplaceAll(b, "NHS No.", "NHS number")
	if b == "" {
		return ""
	}
	r := []rune(b)
	if len(r) > 1 && !unicode.IsUpper(r[1]) {
		r[0] = unicode.ToLower(r[0])
	}
	return "Working: " + sentence(string(r))
}

// spanWords is a duration as said: "5 minutes", "90 seconds", "1 hour".
func spanWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d.Round(time.Second)/time.Second), "second")
}
