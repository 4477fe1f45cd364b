// Package safetext is the one gate that text from outside the program passes
// before any screen, report, export or log can take it: the server's words
// (userinfo, PDS, SCR, OperationOutcome, audit rows), the card certificate's
// names, reader names, and configuration values from a file or the
// environment. Line is the gate; everything else here serves it.
//
// Where the gate is applied, so that a new field cannot forget it:
//
//   - package client decodes every server answer with one set of JSON
//     options whose unmarshaler for string runs Line as each JSON string is
//     decoded. A field added to any wire struct is a string and so gated;
//     the one exception, the SCR narrative's XHTML, is a distinct type that
//     the decoder leaves alone, and the narrative parser gates each text it
//     takes out of it, after the tokenizer has decoded its entities. A
//     decode-time pass over the finished value was the alternative; gating
//     in the decoder needs no reflection, cannot miss a field reached only
//     through a custom unmarshaler, and lets every match on the text
//     (withheld statements, section titles, Spine's codes) see gated text;
//   - package smartcard gates the holder's name and user ID where it reads
//     them from the certificate (HolderOf);
//   - scr doctor gates every line of its report as it is added and again as
//     it is written (text and JSON); scr card and scr config gate what they
//     print of a certificate, a reader or a setting.
//
// Gated text is one line: no C0 or C1 control, no escape sequence (removed
// whole, parameters and all), no bidirectional control, no Unicode format
// character (Cf) nor other default-ignorable character (zero-width spaces and
// joiners, the word joiner, the soft hyphen, the Mongolian vowel separator,
// tag characters, variation selectors), except a zero-width joiner inside an
// emoji sequence and an emoji variation selector after an emoji; white space
// collapsed; valid UTF-8 in Unicode Normalization Form C; at most MaxRunes
// runes. Line(Line(s)) == Line(s) for every s.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxRunes bounds every gated string. The longest legitimate SCR field (a
// dosage instruction, a supporting-information note) is a few hundred
// characters; ten thousand leaves room for any of them while stopping one
// hostile field from costing the screen a megabyte of layout.
const MaxRunes = 10000

// Ellipsis marks a string cut short at MaxRunes, so a clinician never
// mistakes a truncated dosage for the whole of it.
const Ellipsis = "…"

// Line makes one string from outside the program safe to put on a terminal,
// in a report or in a log, and returns it as a single line:
//
//   - escape sequences are removed whole, not just their ESC: CSI (ESC [ … and
//     C1 U+009B), and the string sequences OSC, DCS, APC, PM and SOS up to their
//     terminator (BEL, ESC \ or C1 ST), so neither "ESC[2J" nor an OSC 52
//     clipboard write nor an OSC 8 hyperlink leaves its parameters behind as
//     text; an unterminated string sequence swallows the rest of the string,
//     as a terminal would;
//   - every other C0 and C1 control and DEL is dropped; tab, CR, LF, VT, FF,
//     NEL, U+2028/U+2029 and the Unicode space separators (no-break space,
//     the typographic spaces, U+3000) become spaces, because a field is one
//     line on screen (a caller that keeps lines, such as the SCR narrative,
//     gates each line apart and joins them itself) and "deliberately
//     withheld" must read the same whichever space the sender used;
//   - Unicode format characters (category Cf: the bidirectional embeddings,
//     overrides, isolates and marks, which can make "5mg" read as "gm5";
//     zero-width space, non-joiner and joiner; word joiner; soft hyphen;
//     U+180E; byte order mark; tag characters) and the other default-ignorable
//     characters (variation selectors, the combining grapheme joiner, Hangul
//     fillers) are dropped, so that "with\u200bheld" is "withheld" both on
//     screen and to whatever looks for it. The exceptions are a zero-width
//     joiner between two emoji and U+FE0E/U+FE0F after an emoji, which
//     belong to the emoji they are in;
//   - invalid UTF-8 becomes U+FFFD;
//   - runs of white space collapse to one space and the ends are trimmed, as
//     XHTML rendering would;
//   - the result is in Normalization Form C, so that text is matched on the
//     characters it shows, not on how they were encoded;
//   - the result is at most MaxRunes runes, the last being Ellipsis when cut.
//
// It reads no more of s than it needs to fill the bound, and returns s itself,
// without allocating, when s is already gated.
func Line(s string) string {
	if isLine(s) {
		return s
	}
	t := filter(s)
	if !norm.NFC.IsNormalString(t) {
		// Composition never makes a control, a space or a format character,
		// but it can lengthen a string (a few characters decompose and do
		// not recompose): filtered again, only for the bound.
		t = filter(norm.NFC.String(t))
	}
	return t
}

// filter is Line without normalization.
func filter(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), MaxRunes*utf8.UTFMax))
	runes := 0
	space := false // a space is owed before the next visible rune
	after := afterOther
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		// A joiner or selector must follow what it extends directly in s:
		// one with anything dropped between is not part of an emoji.
		was := after
		after = afterOther
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
		case isSpace(r):
			space = runes > 0
			continue
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
			continue
		case r == zwj:
			if next, _ := utf8.DecodeRuneInString(s[i:]); (was != afterEmoji && was != afterSelector) || !isEmoji(next) {
				continue
			}
			if runes+2 >= MaxRunes {
				// No room for the emoji it joins: cut here rather than
				// leave a joiner at the end.
				b.WriteString(Ellipsis)
				return b.String()
			}
		case r == vs15 || r == vs16:
			switch next, _ := utf8.DecodeRuneInString(s[i:]); {
			case was == afterEmoji:
			case was == afterKeycap && next == keycap:
				if runes+2 >= MaxRunes {
					b.WriteString(Ellipsis)
					return b.String()
				}
			default:
				continue
			}
		case isInvisible(r):
			continue
		}
		// r is visible, or belongs to an emoji; invalid UTF-8 has decoded
		// to utf8.RuneError, which is what we want to show.
		if space {
			if runes+1 >= MaxRunes {
				b.WriteString(Ellipsis)
				return b.String()
			}
			b.WriteByte(' ')
			runes++
			space = false
		}
		if runes+1 >= MaxRunes && i < len(s) {
			b.WriteString(Ellipsis)
			return b.String()
		}
		b.WriteRune(r)
		runes++
		switch {
		case isEmoji(r):
			after = afterEmoji
		case isKeycapBase(r):
			after = afterKeycap
		case (r == vs15 || r == vs16) && was == afterEmoji:
			after = afterSelector
		}
	}
	return b.String()
}

// What a rune written lets follow it directly, in filter.
const (
	afterOther    = iota
	afterEmoji    // a variation selector or a joiner
	afterKeycap   // a variation selector, if U+20E3 follows it
	afterSelector // (after an emoji) a joiner
)

const (
	zwj    = 0x200D // zero-width joiner
	vs15   = 0xFE0E // variation selector 15: text presentation
	vs16   = 0xFE0F // variation selector 16: emoji presentation
	keycap = 0x20E3 // combining enclosing keycap
)

// isLine reports whether Line would return s unchanged: short enough,
// printable ASCII, or well-formed UTF-8 in NFC with no control, format or
// ignorable character; single spaces, none at either end. It is
// conservative: a joiner or variation selector, even one Line would keep,
// sends s the slow way.
func isLine(s string) bool {
	if len(s) > MaxRunes-1 { // bytes ≥ runes: a cheap, conservative bound
		return false
	}
	if s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return false
	}
	prevSpace, ascii := false, true
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
		if r <= 0x9F || isSpace(r) || r == zwj || r == vs15 || r == vs16 || isInvisible(r) {
			return false
		}
		prevSpace, ascii = false, false
		i += size
	}
	// The quick check, which does not allocate; a string it is unsure of
	// goes the slow way.
	return ascii || norm.NFC.QuickSpanString(s) == len(s)
}

// isSpace reports the white space Line turns into a single space.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return r >= 0xA0 && unicode.Is(unicode.Zs, r)
}

// isInvisible reports the characters Line drops that are not controls: every
// format character (Cf) and every other default-ignorable code point. The
// caller has dealt with the joiner and the emoji variation selectors.
func isInvisible(r rune) bool {
	if r < 0xAD {
		return false
	}
	return unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		(r >= 0xE0000 && r <= 0xE0FFF) // tags and the rest of their plane's ignorables
}

// isEmoji reports a character that is drawn as an emoji, or may be: those
// that a zero-width joiner may join and a variation selector may follow.
// It is a superset of Unicode's Extended_Pictographic by blocks, which is
// enough here: a joiner kept between two symbols is harmless, and one kept
// anywhere else is not.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF: // pictographs, emoticons, transport, flags' letters, skin tones
		return true
	case r >= 0x2190 && r <= 0x21FF, // arrows
		r >= 0x2300 && r <= 0x23FF, // technical: ⌚ ⏰
		r >= 0x25A0 && r <= 0x27BF, // shapes, symbols, dingbats: ☕ ✈ ❤
		r >= 0x2900 && r <= 0x297F, // supplemental arrows
		r >= 0x2B00 && r <= 0x2BFF: // ⬛ ⭐ ⭕
		return true
	}
	switch r {
	case 0xA9, 0xAE, 0x203C, 0x2049, 0x2122, 0x2139, 0x24C2, 0x3030, 0x303D, 0x3297, 0x3299:
		return true
	}
	return false
}

// isKeycapBase reports the characters a keycap emoji is made of: one of
// these, U+FE0F, U+20E3 (keycap).
func isKeycapBase(r rune) bool {
	return r == '#' || r == '*' || (r >= '0' && r <= '9')
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
			// follows is a new sequence for filter's loop to judge.
			return i
		case s[i] == 0xC2 && i+1 < len(s) && s[i+1] == 0x9C: // U+009C in UTF-8
			return i + 2
		}
		i++
	}
	return i
}
