package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// Text whose width depends on grapheme clusters: emoji joined by ZWJ, with a
// variation selector or as a flag, combining marks, East Asian wide
// characters, and marks with nothing to join.
var summaryWideTexts = []string{
	"👩‍⚕️ Nurse review: 💊 taken with food",
	"❤️ Heart failure clinic 🇬🇧",
	"Cafe\u0301 au lait spots; nai\u0308ve",
	"薬剤師 確認済み 東京都立病院",
	"한국어 환자",
	"\u0301 a mark alone, \u200d a joiner alone, \ufe0f a selector alone",
	"Paracetamol 500mg 👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦 modified-release 12-May-2020",
	"ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
	"\u0600 prepended",
}

func TestSummaryWidthAgreesWithAnsi(t *testing.T) {
	for _, s := range append(summaryWideTexts, "", "plain ASCII", "• bullet", "tab\there") {
		p := recordview.Plain(s)
		if got, want := recordview.Width(p), ansi.StringWidth(p); got != want {
			t.Errorf("%q: recordview.Width %d, ansi.StringWidth %d", p, got, want)
		}
	}
}

// summaryCheckWrap checks the lines recordview.Wrap made of text at width
// w: none wider than w (by recordview.Width and by ansi.StringWidth, alone and
// between spaces, as a line sits in a table row), and the text's
// characters all there in order, but for a cluster wider than the whole
// line, shown as "?".
func summaryCheckWrap(t *testing.T, text string, w int, lines []string) {
	t.Helper()
	for i, l := range lines {
		if strings.Contains(l, "\n") {
			t.Fatalf("width %d: line %d holds a newline: %q", w, i, l)
		}
		if got := recordview.Width(l); got > w {
			t.Fatalf("width %d: line %d is %d wide by recordview.Width: %q", w, i, got, l)
		}
		if got := ansi.StringWidth(l); got > w {
			t.Fatalf("width %d: line %d is %d wide by ansi.StringWidth: %q", w, i, got, l)
		}
		if got := ansi.StringWidth(" " + l + " "); got > w+2 {
			t.Fatalf("width %d: line %d joins what is beside it (%d wide): %q", w, i, got, l)
		}
	}
	var want strings.Builder
	plain := recordview.Plain(text)
	for i := 0; i < len(plain); {
		cl, cw := ansi.FirstGraphemeCluster(plain[i:], ansi.GraphemeWidth)
		if cw > w {
			want.WriteString("?")
		} else {
			want.WriteString(cl)
		}
		i += max(len(cl), 1)
	}
	strip := strings.NewReplacer(" ", "", "\n", "")
	if got, want := strip.Replace(strings.Join(lines, "")), strip.Replace(want.String()); got != want {
		t.Fatalf("width %d: the words are not all there in order:\n got %q\nwant %q", w, got, want)
	}
}

func TestSummaryWrapWide(t *testing.T) {
	for _, text := range summaryWideTexts {
		for w := 1; w <= 40; w++ {
			summaryCheckWrap(t, text, w, recordview.Wrap(text, w))
		}
	}
	// A word that fits is never broken; dates stay whole.
	if got := recordview.Wrap("Take 💊 Clarithromycin 250mg on 12-May-2020", 14); strings.Join(got, "|") != "Take 💊|Clarithromycin|250mg on|12-May-2020" {
		t.Errorf("wrapped %q", got)
	}
}

func FuzzSummaryWrap(f *testing.F) {
	for _, s := range summaryWideTexts {
		f.Add(s, uint8(7))
	}
	f.Add("Co-codamol 8mg/500mg effervescent tablets\n\n  1. nested", uint8(12))
	f.Add("a\x1b[31mred\x1b[0m \x00\x7f\u0085 \xff\xfe", uint8(3))
	f.Add(strings.Repeat("Abcdefghij", 30), uint8(1))
	f.Fuzz(func(t *testing.T, text string, wb uint8) {
		w := int(wb)%120 + 1
		summaryCheckWrap(t, text, w, recordview.Wrap(text, w))
	})
}

// A table of wide and joined characters lays out at every width: no panic,
// no line wider than the screen. (Measured one way and wrapped another, a
// cell's line came out wider than its column and the row padding went
// negative: strings.Repeat panicked.)
func TestSummaryWideTable(t *testing.T) {
	var rows [][]client.Cell
	for _, s := range summaryWideTexts {
		rows = append(rows, row("12-May-2020", s, "👩‍⚕️", s+" "+s))
	}
	s := summaryHandmade(&client.Table{Headers: row("Date", "Medication Item 💊", "Who", "Notes"), Rows: rows},
		client.Paragraph{Text: strings.Join(summaryWideTexts, " ")})
	p := summaryTestPatient(t, "9000000017", "")
	for w := 1; w <= 130; w++ {
		m := newSummaryScreen(summaryTestCommon(w, 24), p, s, summaryTestFooter)
		for i, l := range m.layout().body.Lines {
			if lw := ansi.StringWidth(l); lw > w && w >= 4 {
				t.Fatalf("width %d: line %d is %d wide: %q", w, i, lw, ansi.Strip(l))
			}
		}
		if w >= 20 {
			summaryCheckView(t, fmt.Sprint("wide table ", w), m)
		}
	}
}
