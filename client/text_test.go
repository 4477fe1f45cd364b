package client

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Penicillin allergy", "Penicillin allergy"},
		{"unicode kept", "Siân Llywelyn, Zoë, Ó Súilleabháin", "Siân Llywelyn, Zoë, Ó Súilleabháin"},
		{"clear screen", "a\x1b[2Jb", "ab"},
		{"SGR with params", "\x1b[1;31mRED\x1b[0m", "RED"},
		{"private CSI", "x\x1b[?1049hy", "xy"},
		{"C1 CSI", "a\u009b2Jb", "ab"},
		{"OSC 52 BEL", "dose\x1b]52;c;cm0gLXJmIH4=\x07 daily", "dose daily"},
		{"OSC 52 ST", "dose\x1b]52;c;cm0gLXJmIH4=\x1b\\ daily", "dose daily"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"C1 OSC and ST", "a\u009d0;title\u009cb", "ab"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"APC", "a\x1b_payload\x1b\\b", "ab"},
		{"unterminated OSC eats rest", "a\x1b]52;c;AAAA", "a"},
		{"ESC c reset", "a\x1bcb", "ab"},
		{"charset designation", "a\x1b(Bb", "ab"},
		{"lone ESC at end", "a\x1b", "a"},
		{"C0 controls", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"C1 controls", "a\u0085b\u0080c", "a bc"},
		{"tabs and newlines", "One\ttablet\r\ntwice\nDaily", "One tablet twice Daily"},
		{"collapse and trim", "  a   b  ", "a b"},
		{"line separator", "a\u2028b", "a b"},
		{"RLO", "5mg \u202Eylid\u202C", "5mg ylid"},
		{"isolates", "\u2066a\u2069\u2067b\u2068c", "abc"},
		{"marks", "a\u200Eb\u200Fc\u061Cd", "abcd"},
		{"BOM", "\uFEFFabc", "abc"},
		{"ZWJ kept", "a\u200Db", "a\u200Db"},
		{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"only controls", "\x1b[2J\x00", ""},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("%s: cleanText(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// The case: a record text holding ESC[2J, an OSC 52 clipboard write
// and a U+202E override comes out inert.
func TestCleanTextHostileRecordIsInert(t *testing.T) {
	in := "Warfarin\x1b[2J 5mg\x1b]52;c;ZWNobyBwd25lZA==\x07 \u202Edaily"
	got := cleanText(in)
	if got != "Warfarin 5mg daily" {
		t.Errorf("cleanText = %q", got)
	}
	assertInert(t, got)
}

// assertInert fails if s holds anything a terminal would act on rather than
// draw.
func assertInert(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) || textIsInvisibleFormat(r) {
			t.Errorf("%q holds %U", s, r)
		}
	}
}

func TestCleanTextBound(t *testing.T) {
	long := strings.Repeat("a", 3*maxFieldRunes)
	got := cleanText(long)
	if n := utf8.RuneCountInString(got); n != maxFieldRunes {
		t.Errorf("kept %d runes, want %d", n, maxFieldRunes)
	}
	if !strings.HasSuffix(got, textEllipsis) {
		t.Error("a cut field does not end in an ellipsis")
	}
	exact := strings.Repeat("é", maxFieldRunes)
	if got := cleanText(exact); got != exact {
		t.Errorf("a field of exactly maxFieldRunes runes was changed (len %d)", utf8.RuneCountInString(got))
	}
	if got := cleanText(strings.Repeat("a ", maxFieldRunes)); utf8.RuneCountInString(got) > maxFieldRunes {
		t.Errorf("kept %d runes", utf8.RuneCountInString(got))
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("Warfarin\x1b[2J 5mg\x1b]52;c;ZWNobw==\x07 \u202Edaily")
	f.Add("a\u009b2Jb\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanText(s)
		assertInert(t, got)
		if utf8.RuneCountInString(got) > maxFieldRunes {
			t.Fatalf("kept %d runes", utf8.RuneCountInString(got))
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("white space not collapsed: %q", got)
		}
		if again := cleanText(got); again != got {
			t.Fatalf("not idempotent: %q → %q", got, again)
		}
	})
}
