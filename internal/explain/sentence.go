package explain

import (
	"strconv"
	"strings"
)

// Sentence is s, trimmed, ending as a sentence: a full stop added unless it
// ends in one, a question or exclamation mark, or a colon (a line that
// introduces the next). Lines read out one by one (the plain mode, scr
// doctor --plain) are sentences, so a screen reader pauses where it should.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	switch s[len(s)-1] {
	case '.', '?', '!', ':':
		return s
	}
	return s + "."
}

// Plural is n with the word for one or for many: "1 check", "2 checks".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
