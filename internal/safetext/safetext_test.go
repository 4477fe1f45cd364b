package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/scrterm/scr/internal/safetext/safetexttest"
)

func TestLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Penicillin allergy", "Penicillin allergy"},
		{"unicode kept", "Siân Llywelyn, Zoë, Ó Súilleabháin", "Siân Llywelyn, Zoë, Ó Súilleabháin"},
		{"clear screen", "a\x1b[2Jb", "ab"},
		{"SGR with params", "\x1b[1;31mRED\x1b[0m", "RED"},
		{"SGR 8 hidden", "shown\x1b[8mhidden\x1b[28m", "shownhidden"},
		{"private CSI", "x\x1b[?1049hy", "xy"},
		{"C1 CSI", "a\u009b2Jb", "ab"},
		{"OSC 52 BEL", "dose\x1b]52;c;cm0gLXJmIH4=\x07 daily", "dose daily"},
		{"OSC 52 ST", "dose\x1b]52;c;cm0gLXJmIH4=\x1b\\ daily", "dose daily"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"C1 OSC and ST", "a\u009d0;title\u009cb", "ab"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"APC", "a\x1b_payload\x1b\\b", "ab"},
		{"PM and SOS", "a\x1b^pm\x1b\\b\x1bXsos\x1b\\c", "abc"},
		{"unterminated OSC eats rest", "a\x1b]52;c;AAAA", "a"},
		{"ESC c reset", "a\x1bcb", "ab"},
		{"charset designation", "a\x1b(Bb", "ab"},
		{"lone ESC at end", "a\x1b", "a"},
		{"C0 controls", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"C1 controls", "a\u0085b\u0080c", "a bc"},
		{"tabs and newlines", "One\ttablet\r\ntwice\nDaily", "One tablet twice Daily"},
		{"CR overwrite", "FAIL\rPASS  everything fine", "FAIL PASS everything fine"},
		{"collapse and trim", "  a   b  ", "a b"},
		{"line separator", "a\u2028b", "a b"},
		{"no-break and typographic spaces", "deliberately\u00a0withheld\u2003from\u3000it", "deliberately withheld from it"},
		{"RLO", "5mg \u202Eylid\u202C", "5mg ylid"},
		{"isolates", "\u2066a\u2069\u2067b\u2068c", "abc"},
		{"marks", "a\u200Eb\u200Fc\u061Cd", "abcd"},
		{"BOM", "\uFEFFabc", "abc"},
		{"zero-width space", "deliberately with\u200bheld", "deliberately withheld"},
		{"zero-width non-joiner", "with\u200cheld", "withheld"},
		{"word joiner", "with\u2060held", "withheld"},
		{"soft hyphen", "with\u00adheld", "withheld"},
		{"Mongolian vowel separator", "with\u180eheld", "withheld"},
		{"grapheme joiner", "with\u034fheld", "withheld"},
		{"Hangul filler", "with\u3164held", "withheld"},
		{"tag characters", "with\U000E0068\U000E0069held\U000E007F", "withheld"},
		{"variation selector after a letter", "with\ufe0fheld\U000E0100", "withheld"},
		{"ideographic variation selector", "葛\U000E0100", "葛"},
		{"lone joiner", "a\u200Db", "ab"},
		{"joiner after a letter", "a\u200D😀", "a😀"},
		{"joiner before a letter", "😀\u200Da", "😀a"},
		{"joiner across a space", "😀 \u200D😀", "😀 😀"},
		{"emoji joiner kept", "👩\u200D⚕\uFE0F nurse", "👩\u200D⚕\uFE0F nurse"},
		{"family", "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧"},
		{"skin tone and joiner", "👩🏽\u200D💻", "👩🏽\u200D💻"},
		{"emoji variation selector kept", "❤\uFE0F ☎\uFE0E", "❤\uFE0F ☎\uFE0E"},
		{"keycap", "1\uFE0F\u20E3", "1\uFE0F\u20E3"},
		{"selector after a digit", "1\uFE0F 2\uFE0F\u200D😀", "1 2😀"},
		{"joiner after something dropped", "😀\u200b\u200D😀", "😀😀"},
		{"selector after something dropped", "❤\x1b[0m\uFE0F", "❤"},
		{"two selectors", "❤\uFE0F\uFE0F", "❤\uFE0F"},
		{"NFC composes", "Zoe\u0308 Sia\u0302n", "Zoë Siân"},
		{"NFC singleton", "\u212B \u2126", "\u00C5 \u03A9"},
		{"NFC after a dropped character", "e\u200b\u0301", "é"},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"only controls", "\x1b[2J\x00", ""},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("%s: Line(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// The case: a record text holding ESC[2J, an OSC 52 clipboard write
// and a U+202E override comes out inert.
func TestLineHostileRecordIsInert(t *testing.T) {
	in := "Warfarin\x1b[2J 5mg\x1b]52;c;ZWNobyBwd25lZA==\x07 \u202Edaily"
	got := Line(in)
	if got != "Warfarin 5mg daily" {
		t.Errorf("Line = %q", got)
	}
	checkGated(t, got)
}

// Every field the sources' tests inject the hostile set into comes back as
// it was: the set leaves nothing behind, wherever it is put.
func TestLineRemovesTheHostileSetWhole(t *testing.T) {
	for _, s := range []string{"", "a", "Penicillin allergy", "9000000017", "Siân", "2020-05-14T10:00:00+00:00"} {
		if got := Line(safetexttest.Inject(s)); got != s {
			t.Errorf("Line(Inject(%q)) = %q", s, got)
		}
	}
	if got := Line(safetexttest.Hostile); got != "" {
		t.Errorf("Line(Hostile) = %q", got)
	}
	if f := safetexttest.Foreign([]byte(Line(safetexttest.Inject("x")))); len(f) > 0 {
		t.Errorf("foreign: %v", f)
	}
	if f := safetexttest.Foreign([]byte(safetexttest.Inject("x"))); len(f) < 10 {
		t.Errorf("the check finds only %v in the hostile set", f)
	}
}

func TestLineAlreadyGatedIsNotCopied(t *testing.T) {
	for _, s := range []string{"Penicillin allergy", "Siân Llywelyn", "葛飾", ""} {
		if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
			t.Errorf("Line(%q) allocates %v times", s, n)
		}
	}
}

func TestLineBound(t *testing.T) {
	long := strings.Repeat("a", 3*MaxRunes)
	got := Line(long)
	if n := utf8.RuneCountInString(got); n != MaxRunes {
		t.Errorf("kept %d runes, want %d", n, MaxRunes)
	}
	if !strings.HasSuffix(got, Ellipsis) {
		t.Error("a cut string does not end in an ellipsis")
	}
	exact := strings.Repeat("é", MaxRunes)
	if got := Line(exact); got != exact {
		t.Errorf("a string of exactly MaxRunes runes was changed (len %d)", utf8.RuneCountInString(got))
	}
	if got := Line(strings.Repeat("a ", MaxRunes)); utf8.RuneCountInString(got) > MaxRunes {
		t.Errorf("kept %d runes", utf8.RuneCountInString(got))
	}
	// A joiner is never left at the cut without the emoji it joins.
	for pad := MaxRunes - 5; pad < MaxRunes; pad++ {
		s := strings.Repeat("a", pad) + strings.Repeat("😀\u200D", 5) + "😀"
		got := Line(s)
		checkGated(t, got)
		if again := Line(got); again != got {
			t.Fatalf("pad %d: not idempotent", pad)
		}
	}
	// Normalization that lengthens the string is cut again.
	grow := strings.Repeat("\u0958", MaxRunes) // DEVANAGARI QA: two runes in NFC
	if got := Line(grow); utf8.RuneCountInString(got) > MaxRunes || !norm.NFC.IsNormalString(got) {
		t.Errorf("kept %d runes, NFC %v", utf8.RuneCountInString(got), norm.NFC.IsNormalString(got))
	}
}

func TestEscapeJSON(t *testing.T) {
	in := []byte("{\n  \"a\": \"x\u202ey\u009b2J\u200b\u2028\x7f😀\U000E0041é\"\n}\n")
	want := "{\n  \"a\": \"x\\u202ey\\u009b2J\\u200b\\u2028\\u007f😀\\udb40\\udc41é\"\n}\n"
	if got := string(EscapeJSON(in)); got != want {
		t.Errorf("EscapeJSON = %q, want %q", got, want)
	}
	plain := []byte(`{"a":"Siân"}`)
	if got := EscapeJSON(plain); &got[0] != &plain[0] {
		t.Error("JSON with nothing to escape was copied")
	}
}

// checkGated fails if s is not what the package promises: valid UTF-8 in
// NFC, one line, no control, no format or ignorable character but a joiner
// between emoji and a variation selector after one, white space collapsed,
// within the bound.
func checkGated(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%q is not valid UTF-8", s)
	}
	if !norm.NFC.IsNormalString(s) {
		t.Fatalf("%q is not NFC", s)
	}
	if n := utf8.RuneCountInString(s); n > MaxRunes {
		t.Fatalf("%d runes", n)
	}
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.Contains(s, "  ") {
		t.Fatalf("white space not collapsed: %q", s)
	}
	rs := []rune(s)
	for i, r := range rs {
		var prev, next rune
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case r < 0x20 || (r >= 0x7F && r <= 0x9F):
			t.Fatalf("%q holds the control %U", s, r)
		case r == zwj:
			if !(isEmoji(prev) || (prev == vs16 || prev == vs15) && i > 1 && isEmoji(rs[i-2])) || !isEmoji(next) {
				t.Fatalf("%q holds a joiner outside an emoji at %d", s, i)
			}
		case r == vs15 || r == vs16:
			if !isEmoji(prev) && !isKeycapBase(prev) {
				t.Fatalf("%q holds a variation selector after %U", s, prev)
			}
		case unicode.Is(unicode.Cf, r), isInvisible(r), r >= 0xE0000 && r <= 0xE0FFF:
			t.Fatalf("%q holds the invisible %U", s, r)
		case isSpace(r) && r != ' ':
			t.Fatalf("%q holds the space %U", s, r)
		}
	}
}

// FuzzLine: whatever comes in, what comes out is gated (see checkGated) and
// gating it again changes nothing.
func FuzzLine(f *testing.F) {
	f.Add("Warfarin\x1b[2J 5mg\x1b]52;c;ZWNobw==\x07 \u202Edaily")
	f.Add("a\u009b2Jb\xff")
	f.Add("deliberately with\u200bheld \u00a0 e\u0301")
	f.Add("👩\u200D⚕\uFE0F 1\uFE0F\u20E3 ❤\uFE0F\u200D🔥 a\u200D😀")
	f.Add(safetexttest.Inject("Penicillin"))
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		checkGated(t, got)
		if again := Line(got); again != got {
			t.Fatalf("not idempotent: %q → %q", got, again)
		}
	})
}

func BenchmarkLine(b *testing.B) {
	for _, in := range []struct{ name, s string }{
		{"clean ASCII", "Amoxicillin 500mg capsules, one three times a day"},
		{"clean Unicode", "Siân Llywelyn, Zoë, Ó Súilleabháin"},
		{"hostile", safetexttest.Inject("Amoxicillin 500mg capsules, one three times a day")},
	} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Line(in.s)
			}
		})
	}
}
