// Package safetexttest holds what the tests of the gate's users share: the
// hostile set they inject into every field of every source, and the check
// that what the program wrote holds no escape sequence or invisible character
// it did not make itself.
package safetexttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Hostile is every kind of text a terminal acts on rather than draws, and
// every invisible character that can split a word, in one string that gating
// removes entirely: so it can go into the middle of any field, a code or an
// NHS number as well as a name, and the program must still work on what is
// left. It holds no white space: see Inject for that.
const Hostile = "\x1b[2J" + // erase the screen
	"\x1b[8m" + // SGR 8: hidden text from here
	"\x1b]8;;http://x.invalid/pwned\x1b\\" + // OSC 8: a live hyperlink from here
	"\x1b]52;c;cHduZWQ=\x07" + // OSC 52: write the clipboard
	"\x1b]0;pwned\x1b\\" + // OSC 0: the window title
	"\x1bP+q544e\x1b\\" + // DCS: a terminfo query
	"\x1b_pwned\x1b\\" + // APC
	"\x1b^pwned\x1b\\" + // PM
	"\x1bXpwned\x1b\\" + // SOS
	"\x1bc" + // RIS: reset the terminal
	"\u009b2J" + // C1 CSI: erase the screen
	"\u009d0;pwned\u009c" + // C1 OSC, ended by C1 ST
	"\u0085" + // C1 NEL, here between two halves of a word
	"\u202e" + "\u2066" + "\u200f" + // right-to-left override, isolate, mark
	"\u200b" + "\u200c" + "\u2060" + // zero-width space, non-joiner, word joiner
	"\u00ad" + "\u180e" + "\ufeff" + "\u034f" + // soft hyphen, Mongolian vowel separator, BOM, grapheme joiner
	"\U000E0070\U000E0077\U000E006E\U000E007F" + // tag characters: "pwn"
	"\ufe0f" + "\U000E0100" + // variation selectors, after no emoji
	"\u200d" + // a lone zero-width joiner
	"\x07\x08\x7f" // BEL, backspace, DEL

// Inject puts Hostile into s three times: at each end, behind a carriage
// return and a line feed (which the gate makes spaces at the ends, and so
// trims), and in the middle of s, on a rune boundary. The gate gives s back.
//
// NEL (U+0085), a line break, is the one part of Hostile the gate makes a
// space rather than dropping, so Inject takes it out of the middle copy.
func Inject(s string) string {
	mid := len(s) / 2
	for mid > 0 && !utf8.RuneStart(s[mid]) {
		mid--
	}
	inner := strings.ReplaceAll(Hostile, "\u0085", "")
	return "\r\n" + Hostile + s[:mid] + inner + s[mid:] + Hostile + "\r\n\t"
}

// InjectJSON puts Hostile into every string value of a JSON document, with
// Inject, and into every text of the XHTML in a "div" (see InjectMarkup); it
// returns the document and how many strings it changed. Names are left as
// they are: they are the document's structure.
func InjectJSON(doc []byte) ([]byte, int, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, 0, err
	}
	n := 0
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch v := v.(type) {
		case string:
			n++
			if key == "div" {
				return InjectMarkup(v)
			}
			return Inject(v)
		case []any:
			for i := range v {
				v[i] = walk(v[i], key)
			}
		case map[string]any:
			for k := range v {
				v[k] = walk(v[k], k)
			}
		}
		return v
	}
	v = walk(v, "")
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return out.Bytes(), n, err
}

// textNode is the start of a text of XHTML with something to show.
var textNode = regexp.MustCompile(`>(\s*[^<\s])`)

// MarkupHostile is Hostile, and some of it again as character references,
// which an XHTML reader decodes: "&#27;[2J" is ESC [2J by the time the gate
// sees it.
const MarkupHostile = Hostile + "&#27;[2J&#x202E;&#8203;&#xAD;&#x1b;]8;;http://x.invalid/pwned&#x1b;\\"

// InjectMarkup puts MarkupHostile at the start of every text of XHTML that
// has something to show; a text that is only white space is left alone, so
// that no table gains a cell.
func InjectMarkup(div string) string {
	return textNode.ReplaceAllString(div, ">"+MarkupHostile+"$1")
}

// Telltales are the words inside Hostile's sequences: if one reaches the
// output, a sequence was cut rather than removed whole.
var Telltales = []string{"pwned", "x.invalid", "cHduZWQ", "544e"}

// Foreign reports what out, the bytes the program wrote to a terminal or a
// file, holds that the program would not make itself: an OSC, DCS, APC, PM
// or SOS string other than one of allow (exact sequences the program is
// known to send, such as a query of the terminal's colours); SGR 8 (hidden
// text); ESC c; any C1 control, as a byte or as a character; any C0 control
// but CR, LF, tab and backspace (which a renderer moves the cursor with); any
// format, default-ignorable or tag character; and Telltales. Each is
// described once, quoted.
func Foreign(out []byte, allow ...string) []string {
	var found []string
	seen := map[string]bool{}
	add := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !seen[s] {
			seen[s] = true
			found = append(found, s)
		}
	}
	p := ansi.NewParser()
	var state byte
	for b := out; len(b) > 0; {
		seq, _, n, next := ansi.DecodeSequence(b, state, p)
		state = next
		if n == 0 {
			break
		}
		b = b[n:]
		switch {
		case ansi.HasOscPrefix(seq), ansi.HasDcsPrefix(seq), ansi.HasApcPrefix(seq), ansi.HasPmPrefix(seq), ansi.HasSosPrefix(seq):
			if !contains(allow, string(seq)) {
				add("string sequence %q", seq)
			}
		case ansi.HasCsiPrefix(seq):
			if seq[0] != ansi.ESC {
				add("C1 CSI %q", seq)
			}
			if ansi.Cmd(p.Command()).Final() == 'm' && hidesText(p.Params()) {
				add("SGR 8 (hidden text) %q", seq)
			}
		case ansi.HasEscPrefix(seq):
			if len(seq) == 2 && seq[1] == 'c' {
				add("terminal reset %q", seq)
			}
		case len(seq) == 1 && seq[0] < 0x20:
			switch seq[0] {
			case '\r', '\n', '\t', '\b':
			default:
				add("C0 control %q", seq)
			}
		case len(seq) == 1 && seq[0] >= 0x80 && seq[0] <= 0x9F:
			add("C1 control byte %q", seq)
		default:
			for _, r := range string(seq) {
				if bad := foreignRune(r); bad != "" {
					add("%s %U", bad, r)
				}
			}
		}
	}
	for _, w := range Telltales {
		if strings.Contains(string(out), w) {
			add("telltale %q", w)
		}
	}
	return found
}

// ForeignQuoted is Foreign for output that shows text from outside quoted,
// every character that does not print written as an escape (scr config
// shows a setting so, as it must show the value in effect): the words of
// the hostile set are then expected, as visible text.
func ForeignQuoted(out []byte, allow ...string) []string {
	var found []string
	for _, f := range Foreign(out, allow...) {
		if !strings.HasPrefix(f, "telltale ") {
			found = append(found, f)
		}
	}
	return found
}

// foreignRune says what r is if the program would never write it.
func foreignRune(r rune) string {
	switch {
	case r == 0x7F:
		return "DEL"
	case r >= 0x80 && r <= 0x9F:
		return "C1 control"
	case r >= 0xE0000 && r <= 0xE0FFF:
		return "tag character"
	case unicode.Is(unicode.Cf, r):
		return "format character"
	case unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		return "invisible character"
	}
	return ""
}

// hidesText reports an SGR whose parameters include 8 as an attribute, not
// as a colour's index or component (38;5;8, 48;2;8;8;8, 38:5:8).
func hidesText(ps ansi.Params) bool {
	for i := 0; i < len(ps); i++ {
		v := ps[i].Param(0)
		if v == 38 || v == 48 || v == 58 {
			// Skip the colour: its sub-parameters (after ':') or, in the
			// ';' form, 5;n or 2;r;g;b.
			if ps[i].HasMore() {
				for i < len(ps) && ps[i].HasMore() {
					i++
				}
				continue
			}
			if i+1 < len(ps) {
				switch ps[i+1].Param(0) {
				case 5:
					i += 2
				case 2:
					i += 4
				}
			}
			continue
		}
		if v == 8 {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
