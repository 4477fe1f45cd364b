package recordview

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// The record is measured and wrapped with one notion of width: the sum of
// its grapheme clusters' widths (ansi.FirstGraphemeCluster, as
// ansi.StringWidth and so lipgloss measure), so an emoji with a ZWJ or a
// variation selector, a letter with combining marks or an East Asian wide
// character is one unit of one width wherever it is measured, and a line is
// only ever broken between units. A cell measured one way and wrapped
// another had a wrapped line wider than its column, and the row padding
// went negative.

// cluster is the byte length and cell width of the grapheme cluster that s
// starts with; s is not empty. Printable ASCII followed by ASCII is a
// cluster of its own, one cell: most of a record, and the fast path.
func cluster(s string) (n, w int) {
	if asciiAt(s, 0) {
		return 1, 1
	}
	return clusterSlow(s)
}

// asciiAt reports whether s[i] is printable ASCII and a cluster of its own.
// Small enough to be inlined into the loops that call it for every byte.
func asciiAt(s string, i int) bool {
	c := s[i]
	return c >= 0x20 && c < 0x7f && (i+1 == len(s) || s[i+1] < utf8.RuneSelf)
}

// clusterSlow is cluster past the fast path, apart so that cluster is
// inlined.
//
//go:noinline
func clusterSlow(s string) (n, w int) {
	cl, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	if len(cl) == 0 { // cannot happen for a non-empty s; never loop on it
		return 1, 0
	}
	return len(cl), w
}

// Measure is Width(s) and the width of its longest word (run without a
// space), in one pass.
func Measure(s string) (width, word int) {
	cur := 0
	for i := 0; i < len(s); {
		n, cw := 1, 1
		if !asciiAt(s, i) {
			n, cw = clusterSlow(s[i:])
		}
		if n == 1 && s[i] == ' ' {
			word, cur = max(word, cur), 0
		} else {
			cur += cw
		}
		width += cw
		i += n
	}
	return width, max(word, cur)
}

// Width is the display width of plain text (see Plain): the one measure of
// the record's layout.
func Width(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i < len(s) && i > 0 {
		i-- // the last may start a cluster with what follows (" " and U+FE0F)
	}
	w := i // printable ASCII: a cell a byte
	for i < len(s) {
		n, cw := cluster(s[i:])
		w += cw
		i += n
	}
	return w
}

// base is put before a line that starts with a mark that joins what comes
// before it (a combining mark, ZWJ or variation selector, which the client
// leaves in): on screen the line follows a space or a bar, and the two
// would make one cluster of another width. U+25CC is Unicode's own base for
// showing a mark alone.
const base = "\u25cc"

// Plain is text as the record is shown: control characters other than "\n"
// dropped (the client has dropped them already; this keeps measuring and
// wrapping in step whatever they are given), invalid UTF-8 as U+FFFD, and a
// line starting with a joining mark given a base (U+25CC). Text needing
// none of it is returned as it is, without allocating.
func Plain(text string) string {
	clean := true
	for i := 0; i < len(text) && clean; {
		c := text[i]
		if c < utf8.RuneSelf {
			clean = (c >= 0x20 && c < 0x7f) || c == '\n'
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		clean = !(r == utf8.RuneError && size == 1) && !(r >= 0x80 && r < 0xa0) &&
			!((i == 0 || text[i-1] == '\n') && joins(text[i:]))
		i += size
	}
	if clean {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	lineStart := true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			b.WriteByte('\n')
			lineStart = true
			i++
			continue
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			i += size
			continue
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			i++
			lineStart = false
			continue
		}
		if lineStart && joins(text[i:]) {
			b.WriteString(base)
		}
		lineStart = false
		b.WriteString(text[i : i+size])
		i += size
	}
	return b.String()
}

// joins reports whether s, not ASCII at its start, begins with a character
// that would join a space before it into one grapheme cluster.
func joins(s string) bool {
	cl, _ := ansi.FirstGraphemeCluster(" "+s[:min(len(s), 32)], ansi.GraphemeWidth)
	return len(cl) > 1
}

// Wrap word-wraps text, made plain (Plain), to w cells (at least 1) by
// Width; explicit "\n" are kept. A line breaks at a space, or after a
// hyphen that has no digit beside it ("modified-release"; "12-May-2020"
// stays whole unless it is longer than the line), else between clusters in
// a word longer than the line; a cluster wider than the whole line (a wide
// character at width 1) is shown as "?". Lines have no trailing spaces; the
// first line keeps the text's leading spaces (a nested list item's indent).
//
// ansi.Wrap is not used: it measures a cluster one way when it breaks a word
// and another when it fills a line, can leave a line one wide character
// over, and has no rule for dates.
func Wrap(text string, w int) []string {
	return wrapPlain(Plain(text), w)
}

// wrapPlain is Wrap for text that is plain already (CapText's).
func wrapPlain(text string, w int) []string {
	w = max(w, 1)
	if text == "" {
		return []string{""}
	}
	if !strings.Contains(text, "\n") {
		return wrapPara(make([]string, 0, 1), text, w)
	}
	var lines []string
	for para := range strings.SplitSeq(text, "\n") {
		if para == "" {
			lines = append(lines, "")
			continue
		}
		lines = wrapPara(lines, para, w)
	}
	return lines
}

// wrapPara appends the lines of para, which has no "\n".
func wrapPara(lines []string, para string, w int) []string {
	for para != "" {
		if k := min(len(para), w+1); asciiRun(para[:k]) && (k == len(para) || para[k] < utf8.RuneSelf) {
			// The line and the byte after it are clusters of one byte and
			// one cell: find the break looking back from the end, as most
			// of a record needs.
			if len(para) <= w {
				return append(lines, strings.TrimRight(para, " "))
			}
			cut, next := w, w // no break found: a word longer than the line
			for i := w; i > 0; i-- {
				if para[i] == ' ' {
					cut, next = i, i+1
					break
				}
				if h := i - 1; h > 0 && para[h] == '-' && !digitAt(para, h-1) && !digitAt(para, h+1) {
					cut, next = i, i
					break
				}
			}
			if line := strings.TrimRight(para[:cut], " "); line != "" {
				lines = append(lines, line)
			}
			para = trimLeft(para[next:])
			continue
		}
		// Take clusters while they fit, noting the last place the line
		// may break: it ends at cut, and the next starts at next.
		width, i, cut, next := 0, 0, 0, 0
		fits := true
		for i < len(para) {
			n, cw := 1, 1
			if !asciiAt(para, i) {
				n, cw = clusterSlow(para[i:])
			}
			if i > 0 {
				if n == 1 && para[i] == ' ' { // a space alone, not one a mark joins
					cut, next = i, i+1
				} else if h := i - 1; h > 0 && para[h] == '-' && !digitAt(para, h-1) && !digitAt(para, h+1) {
					cut, next = i, i
				}
			}
			if width+cw > w {
				fits = false
				break
			}
			width += cw
			i += n
		}
		if fits {
			return append(lines, strings.TrimRight(para, " "))
		}
		if cut == 0 {
			// No break in the line: a word longer than it, broken between
			// clusters; a cluster wider than the whole line (a wide
			// character at width 1) is shown as "?" rather than overflow.
			cut, next = i, i
			if i == 0 {
				n, _ := cluster(para)
				lines = append(lines, "?")
				para = trimLeft(para[n:])
				continue
			}
		}
		if line := strings.TrimRight(para[:cut], " "); line != "" {
			lines = append(lines, line)
		}
		para = trimLeft(para[next:])
	}
	return lines
}

// asciiRun reports whether s is printable ASCII.
func asciiRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// trimLeft drops the spaces s starts with, but not a space a mark joins:
// the mark would then start the line alone.
func trimLeft(s string) string {
	for s != "" && s[0] == ' ' {
		if n, _ := cluster(s); n != 1 {
			break
		}
		s = s[1:]
	}
	return s
}

func digitAt(s string, i int) bool { return i >= 0 && i < len(s) && '0' <= s[i] && s[i] <= '9' }
