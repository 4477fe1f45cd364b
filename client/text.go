package client

import (
	"strings"
	"unicode/utf8"
)

// maxFieldRunes bounds every string the model holds. The longest legitimate SCR
// field (a dosage instruction, a supporting-information note) is a few hundred
// characters; ten thousand leaves room for any of them while stopping one
// hostile field from costing the screen a megabyte of layout.
const maxFieldRunes = 10000

// textEllipsis marks a field cut short, so a clinician never mistakes a
// truncated dosage for the whole of it.
const textEllipsis = "…"

// cleanText makes one string from the server safe to put on a terminal and
// returns it as a single line:
//
//   - escape sequences are removed whole, not just their ESC: CSI (ESC [ … and
//     C1 U+009B), and the string sequences OSC, DCS, APC, PM and SOS up to their
//     terminator (BEL, ESC \ or C1 ST), so neither "ESC[2J" nor an OSC 52
//     clipboard write leaves its parameters behind as text; an unterminated
//     string sequence swallows the rest of the field, as a terminal would;
//   - every other C0 and C1 control and DEL is dropped; tab, CR, LF, VT, FF,
//     NEL and U+2028/U+2029 become spaces, because a field of the record is one
//     line on screen and the narrative's only meaningful line break is <br/>,
//     which the narrative parser adds after cleaning (see parseNarrative);
//   - bidirectional embeddings, overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069) and the invisible direction marks LRM, RLM and ALM are
//     dropped: they can make "5mg" read as "gm5" or reorder a dose and a
//     frequency, and nothing in an English clinical record needs them; scripts
//     that are right-to-left by nature still display correctly without them;
//   - a byte order mark is dropped; invalid UTF-8 becomes U+FFFD;
//   - runs of white space collapse to one space and the ends are trimmed, as
//     XHTML rendering would;
//   - the result is at most maxFieldRunes runes, the last being "…" when cut.
//
// It reads no more of s than it needs to fill the bound.
func cleanText(s string) string {
	// The common case is already clean: return it without allocating.
	if textIsClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), maxFieldRunes*utf8.UTFMax))
	runes := 0
	space := false // a space is owed before the next visible rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x1B: // ESC
			i = skipEscape(s, i)
			continue
		case r == 0x9B: // C1 CSI
			i = skipCSI(s, i)
			continue
		case r == 0x90 || r == 0x98 || r == 0x9D || r == 0x9E || r == 0x9F: // C1 DCS, SOS, OSC, PM, APC
			i = skipStringSequence(s, i)
			continue
		case textIsSpace(r):
			space = runes > 0
			continue
		case r < 0x20 || (r >= 0x7F && r <= 0x9F) || textIsInvisibleFormat(r):
			continue
		}
		// r is visible; invalid UTF-8 has decoded to utf8.RuneError, which is
		// what we want to show.
		if space {
			if runes+1 >= maxFieldRunes {
				b.WriteString(textEllipsis)
				return b.String()
			}
			b.WriteByte(' ')
			runes++
			space = false
		}
		if runes+1 >= maxFieldRunes && i < len(s) {
			b.WriteString(textEllipsis)
			return b.String()
		}
		b.WriteRune(r)
		runes++
	}
	return b.String()
}

// textIsClean reports whether cleanText would return s unchanged: short
// enough, printable ASCII or well-formed non-control UTF-8, single spaces, no
// space at either end.
func textIsClean(s string) bool {
	if len(s) > maxFieldRunes-1 { // bytes ≥ runes: a cheap, conservative bound
		return false
	}
	if s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F {
				return false
			}
			if c == ' ' && prevSpace {
				return false
			}
			prevSpace = c == ' '
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if (r >= 0x80 && r <= 0x9F) || textIsSpace(r) || textIsInvisibleFormat(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return true
}

// textIsSpace reports the white space cleanText turns into a single space.
func textIsSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// textIsInvisibleFormat reports the format characters cleanText drops: those
// that change the direction text is drawn in, and the byte order mark.
func textIsInvisibleFormat(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200E || r == 0x200F || r == 0x061C || r == 0xFEFF
}

// skipEscape returns the index just past the escape sequence whose ESC ended
// at i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC
		return skipStringSequence(s, i+1)
	}
	// A two-byte sequence (ESC c resets the terminal, ESC 7 saves the cursor…)
	// or ESC before an intermediate byte (character-set designation, ESC ( B):
	// drop the intermediates and the final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2F {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7E {
		i++
	}
	return i
}

// skipCSI returns the index past a control sequence whose introducer ended at
// i: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte
// 0x40–0x7E. A byte outside those ranges ends the sequence unconsumed, which
// is what terminals do with a malformed one.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3F {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2F {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7E {
		i++
	}
	return i
}

// skipStringSequence returns the index past the terminator of an OSC, DCS,
// SOS, PM or APC string whose introducer ended at i: BEL, ESC \ or C1 ST
// (U+009C), or the end of s.
func skipStringSequence(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1B:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			// ESC before anything else also ends the string on xterm; what
			// follows is a new sequence for cleanText's loop to judge.
			return i
		case s[i] == 0xC2 && i+1 < len(s) && s[i+1] == 0x9C: // U+009C in UTF-8
			return i + 2
		}
		i++
	}
	return i
}
