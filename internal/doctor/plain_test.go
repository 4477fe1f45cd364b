package doctor

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/safetext/safetexttest"
	"github.com/scrterm/scr/smartcard"
)

// cuiDate is a date as the text form writes it, 01-Jan-2046: the plain form
// spells every one out.
var cuiDate = regexp.MustCompile(`\b\d{1,2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4}\b`)

// assertPlain checks r's plain form (WritePlain, and PlainLine as scr
// doctor --plain prints each check live) as a screen reader reads it: each
// check one line, "STATUS, name: …", each FAIL and WARN followed by "What to
// do: …", every line a sentence, then PlainSummary; no run of spaces to line
// up columns, no arrow, no box drawing or block glyph, no escape or control
// but the line ends, no date left in the CUI's form. It returns the text.
func assertPlain(t *testing.T, r Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WritePlain(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var live strings.Builder
	for _, c := range r.Checks {
		live.WriteString(c.PlainLine())
	}
	if live.String()+r.PlainSummary()+"\n" != out {
		t.Errorf("the lines printed live differ from WritePlain's:\n%s\n%s", live.String(), out)
	}
	if f := safetexttest.Foreign(b.Bytes()); len(f) > 0 {
		t.Errorf("plain: %v", f)
	}
	if strings.ContainsAny(out, "\x1b\r\t→") {
		t.Errorf("plain holds an escape, a carriage return, a tab or an arrow:\n%s", out)
	}
	if strings.Contains(out, "  ") {
		t.Errorf("plain holds a run of spaces:\n%s", out)
	}
	for _, r := range out {
		if r >= 0x2500 && r <= 0x25FF {
			t.Errorf("plain holds %q, a box-drawing, block or geometric glyph", r)
		}
	}
	if d := cuiDate.FindString(out); d != "" {
		t.Errorf("plain holds the date %s, not spelled out:\n%s", d, out)
	}

	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !strings.HasSuffix(l, ".") && !strings.HasSuffix(l, "?") && !strings.HasSuffix(l, "!") {
			t.Errorf("line %q does not end a sentence", l)
		}
	}
	i := 0
	for _, c := range r.Checks {
		if i >= len(lines)-1 {
			t.Errorf("no line for %s %s:\n%s", c.Status, c.Name, out)
			return out
		}
		if !strings.HasPrefix(lines[i], string(c.Status)+", "+c.Name) {
			t.Errorf("line %q is not the %s %s check's", lines[i], c.Status, c.Name)
		}
		i++
		if c.Advice != "" || c.Status == Fail || c.Status == Warn {
			if i >= len(lines)-1 || !strings.HasPrefix(lines[i], "What to do: ") {
				t.Errorf("%s %s is not followed by what to do:\n%s", c.Status, c.Name, out)
				continue
			}
			i++
		}
	}
	if i != len(lines)-1 || lines[i] != r.PlainSummary() {
		t.Errorf("%d lines for %d checks, then %q; want the summary %q:\n%s", i, len(r.Checks), lines[len(lines)-1], r.PlainSummary(), out)
	}
	return out
}

// TestPlainLines: each check as one sentence, its advice on the next line,
// dates and the clock's durations in words, no column padding or arrow.
func TestPlainLines(t *testing.T) {
	r := Report{Checks: []Check{
		{Name: CheckService, Status: Pass, Detail: "the PC/SC service answers"},
		{Name: CheckValidity, Status: Fail, Detail: "expired on 01-Jun-2026", Advice: "The server refuses an expired certificate."},
		{Name: CheckPIN, Status: Warn, Detail: "1 try left", Advice: "Do not guess"},
		{Name: CheckChain, Status: Pass, Detail: `issued by  "CA",   one → two…`},
		{Name: CheckClock, Status: Pass, Detail: "this computer's clock is 1s ahead of the server's (within 1m0s)"},
		{Name: CheckServer, Status: Pass, Detail: "answers in 3s over TLS 1.3, 500ms"},
		{Name: CheckSignIn, Status: Skip},
	}}
	want := "PASS, service: the PC/SC service answers.\n" +
		"FAIL, validity: expired on 01 June 2026.\n" +
		"What to do: The server refuses an expired certificate.\n" +
		"WARN, pin: 1 try left.\n" +
		"What to do: Do not guess.\n" +
		`PASS, chain: issued by "CA", one to two...` + "\n" +
		"PASS, clock: this computer's clock is 1 second ahead of the server's (within 1 minute).\n" +
		// Durations are respelled in the clock's line only.
		"PASS, server: answers in 3s over TLS 1.3, 500ms.\n" +
		"SKIP, sign-in.\n" +
		"Result: 1 check failed, 1 warning. This is why the card does not get its holder in.\n"
	if got := assertPlain(t, r); got != want {
		t.Errorf("WritePlain:\n%s\nwant:\n%s", got, want)
	}

	for _, tt := range []struct {
		c    Check
		want string
	}{
		{Validity(now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0), now), "PASS, validity: valid until 25 November 2031 (in 1826 days).\n"},
		{Validity(now.AddDate(-1, 0, 0), now.Add(24*time.Hour+time.Hour), now),
			"WARN, validity: expires on 26 November 2026 (in 1 day).\nWhat to do: Ask your Registration Authority to renew the card's certificate before then; after it the card will not sign in.\n"},
		{Validity(now.Add(time.Hour), now.AddDate(1, 0, 0), now), "FAIL, validity: not valid until 25 November 2026 13:00 UTC.\nWhat to do: "},
		{ClockSkew(0), "PASS, clock: this computer's clock agrees with the server's to the second (within 1 minute).\n"},
		{ClockSkew(-3 * time.Second), "PASS, clock: this computer's clock is 3 seconds ahead of the server's (within 1 minute).\n"},
		{ClockSkew(5*time.Minute + time.Second), "FAIL, clock: this computer's clock is 5 minutes 1 second behind the server's.\nWhat to do: "},
		{ClockSkew(-26 * time.Hour), "FAIL, clock: this computer's clock is 26 hours ahead of the server's.\nWhat to do: "},
		{ClockSkew(time.Hour + 30*time.Second), "FAIL, clock: this computer's clock is 1 hour 30 seconds behind the server's.\nWhat to do: "},
	} {
		if got := tt.c.PlainLine(); !strings.HasPrefix(got, tt.want) {
			t.Errorf("PlainLine(%+v) = %q; want %q…", tt.c, got, tt.want)
		}
		assertPlain(t, Report{Checks: []Check{tt.c}})
	}
}

// TestPlainSummary: the verdict in words, as the text form's summary.
func TestPlainSummary(t *testing.T) {
	for _, tt := range []struct {
		checks []Check
		want   string
	}{
		{nil, "Result: every check passed."},
		{[]Check{{Status: Pass}, {Status: Pass}}, "Result: every check passed."},
		{[]Check{{Status: Fail}, {Status: Fail}, {Status: Skip}}, "Result: 2 checks failed, 0 warnings. This is why the card does not get its holder in."},
		{[]Check{{Status: Warn}, {Status: Warn}}, "Result: no check failed. 2 warnings."},
		{[]Check{{Status: Warn}, {Status: Skip}}, "Result: no check failed. 1 warning, 1 skipped."},
		{[]Check{{Status: Pass}, {Status: Skip}, {Status: Skip}, {Status: Skip}, {Status: Skip}}, "Result: no check failed. 4 skipped."},
	} {
		if got := (Report{Checks: tt.checks}).PlainSummary(); got != tt.want {
			t.Errorf("PlainSummary = %q; want %q", got, tt.want)
		}
	}
}

// TestWatchPlain: --watch --plain says each event as a sentence, what
// happened first, with no column to line up, and a reader's name as the
// gate leaves it.
func TestWatchPlain(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 3, 4, 567e6, time.UTC)
	events := make(chan smartcard.Event, 7)
	events <- smartcard.Event{Kind: smartcard.ReaderAdded, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.CardInserted, Reader: "R1", ATR: []byte{0x3B, 0x8D}}
	events <- smartcard.Event{Kind: smartcard.CardRemoved, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.ReaderRemoved, Reader: "R1"}
	events <- smartcard.Event{Kind: smartcard.ServiceLost, Err: smartcard.ErrNoService}
	events <- smartcard.Event{Kind: smartcard.CardInserted, Reader: safetexttest.Inject("R2") + verdict, ATR: []byte{0x3B}}
	close(events)
	var b bytes.Buffer
	if err := WatchPlain(context.Background(), events, &b, func() time.Time { return at }); err != nil {
		t.Fatal(err)
	}
	want := "Reader added at 09:03:04.567: R1.\n" +
		"Card inserted in R1 at 09:03:04.567. ATR 3B 8D.\n" +
		"Card removed from R1 at 09:03:04.567.\n" +
		"Reader removed at 09:03:04.567: R1.\n" +
		"Service lost at 09:03:04.567. The smart card service is not running. Start pcscd (Linux, macOS) or the Smart Card service (Windows), or ask IT. Waiting for it to come back.\n" +
		"Card inserted in R2 PASS sign-in everything fine at 09:03:04.567. ATR 3B.\n"
	if b.String() != want {
		t.Errorf("WatchPlain wrote:\n%s\nwant:\n%s", b.String(), want)
	}
	if f := safetexttest.Foreign(b.Bytes()); len(f) > 0 || strings.Contains(b.String(), "  ") {
		t.Errorf("foreign %v, or a run of spaces, in:\n%q", f, b.String())
	}
}
