package safetext

import (
	"fmt"
	"unicode/utf8"
)

// EscapeJSON returns the JSON text b, as an encoder wrote it, with every
// character a terminal could act on or that does not show written as a \u
// escape: DEL, the C1 controls, U+2028 and U+2029, and every format or
// default-ignorable character (bidi controls, zero-width characters, tags,
// variation selectors). encoding/json escapes the C0 controls itself but
// writes those raw. The JSON means the same, so a value that must be exact
// (a setting as configured) stays exact, and it prints inert. Invalid UTF-8
// becomes \ufffd. b is returned as it is when nothing needs escaping.
//
// Such characters can only be inside strings in an encoder's output, which
// is where a \u escape is allowed.
func EscapeJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	var out []byte
	start := 0 // b[start:i] is not yet copied to out
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			if b[i] == 0x7F {
				out = append(append(out, b[start:i]...), `\u007f`...)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || r <= 0x9F || r == 0x2028 || r == 0x2029 || isInvisible(r) {
			out = append(out, b[start:i]...)
			if r > 0xFFFF {
				r -= 0x10000
				out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			start = i + size
		}
		i += size
	}
	if out == nil {
		return b
	}
	return append(out, b[start:]...)
}
