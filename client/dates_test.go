package client

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/scrterm/scr/internal/nhscorpus"

	"github.com/scrterm/scr/internal/safetext"
)

func TestParseFHIRDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // FHIRDate.String(); "" for the zero FHIRDate
		p    DatePrecision
	}{
		{"2017", "2017", PrecisionYear},
		{"2017-10", "Oct-2017", PrecisionMonth},
		{"2017-10-09", "09-Oct-2017", PrecisionDay},
		{"2016-02-29", "29-Feb-2016", PrecisionDay},
		{"2017-10-09T15:25:00+00:00", "09-Oct-2017 15:25", PrecisionTime},
		// Spine's Composition.date: no seconds, which RFC 3339 refuses.
		{"2017-10-09T15:25+00:00", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T15:25Z", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T15:25:07Z", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T15:25:07.123Z", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T15:25:07.1234567891234+01:00", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T23:30:00-05:00", "09-Oct-2017 23:30", PrecisionTime},
		{"2017-10-09T15:25:00+0100", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09T15:25:00", "09-Oct-2017 15:25", PrecisionTime}, // no zone: as written
		{"2017-10-09T15:25", "09-Oct-2017 15:25", PrecisionTime},
		{"2017-10-09 15:25:00Z", "09-Oct-2017 15:25", PrecisionTime},
		{"2016-12-31T23:59:60Z", "31-Dec-2016 23:59", PrecisionTime}, // a leap second keeps its day
		{" 2017-10-09 ", "09-Oct-2017", PrecisionDay},

		{"", "", PrecisionNone},
		{"0000", "", PrecisionNone},
		{"17", "", PrecisionNone},
		{"20170", "", PrecisionNone},
		{"2017-13", "", PrecisionNone},
		{"2017-00", "", PrecisionNone},
		{"2017-1-9", "", PrecisionNone},
		{"2017-02-29", "", PrecisionNone},
		{"2017-10-32", "", PrecisionNone},
		{"2017/10/09", "", PrecisionNone},
		{"09-10-2017", "", PrecisionNone},
		{"2017-10-09T", "", PrecisionNone},
		{"2017-10-09T15", "", PrecisionNone},
		{"2017-10-09T24:00:00Z", "", PrecisionNone},
		{"2017-10-09T15:60Z", "", PrecisionNone},
		{"2017-10-09T15:25:61Z", "", PrecisionNone},
		{"2017-10-09T15:25:00+15:00", "", PrecisionNone},
		{"2017-10-09T15:25:00+01:60", "", PrecisionNone},
		{"2017-10-09T15:25:00Zjunk", "", PrecisionNone},
		{"2017-10-09X15:25:00Z", "", PrecisionNone},
		{"2017-10-09T15:25:00.Z", "", PrecisionNone},
		{"Not Known", "", PrecisionNone},
	}
	for _, tt := range tests {
		d := parseFHIRDate(tt.in)
		if d.String() != tt.want || d.Precision != tt.p {
			t.Errorf("parseFHIRDate(%q) = %q (precision %d), want %q (%d)", tt.in, d.String(), d.Precision, tt.want, tt.p)
		}
	}
	// A zoned dateTime is the instant written; a date is UTC midnight.
	if d := parseFHIRDate("2017-10-09T15:25+01:00"); !d.Time.Equal(time.Date(2017, 10, 9, 14, 25, 0, 0, time.UTC)) {
		t.Errorf("instant: %v", d.Time)
	}
	if d := parseFHIRDate("2017-10-09T15:25:07.25Z"); d.Time.Nanosecond() != 250_000_000 || d.Time.Second() != 7 {
		t.Errorf("fraction: %v", d.Time)
	}
	if d := parseFHIRDate("2017-10-09"); !d.Time.Equal(time.Date(2017, 10, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date: %v", d.Time)
	}
}

// recordBounds is a record made at 14:31 on 14 May 2020 for a patient born in
// 1950, the bounds most DisplayDates tests read with.
var recordBounds = DateBounds{
	NotBefore: time.Date(1950, 3, 14, 0, 0, 0, 0, time.UTC),
	NotAfter:  time.Date(2020, 5, 14, 14, 31, 0, 0, time.FixedZone("", 3600)),
}

func TestDisplayDates(t *testing.T) {
	tests := []struct{ in, want string }{
		// Cells and titles as the SCR sends them.
		{"17 Feb 2016", "17-Feb-2016"},
		{"Last Issued: 10 Feb 2016", "Last Issued: 10-Feb-2016"},
		{"Prescribed: 12-May-2020", "Prescribed: 12-May-2020"},
		{"Acute Medications (For the 12 month period 01 May 2019 to 30 Apr 2020)",
			"Acute Medications (For the 12 month period 01-May-2019 to 30-Apr-2020)"},
		{"Summary Created: 14-May-2020 14:31", "Summary Created: 14-May-2020 14:31"},
		{"Summary created: 09 Oct 2017 15:25", "Summary created: 09-Oct-2017 15:25"},
		{"***Date Discontinued: 25 Mar 2020, Reason: Clinical grounds***",
			"***Date Discontinued: 25-Mar-2020, Reason: Clinical grounds***"},
		{"Expiry Date: 29-May-2020, Batch Number: 2", "Expiry Date: 29-May-2020, Batch Number: 2"},

		// d Mmm yyyy and d Month yyyy, any case, hyphen, space or no-break space.
		{"1 May 2019", "01-May-2019"},
		{"1-may-2019", "01-May-2019"},
		{"01 MAY 2019", "01-May-2019"},
		{"12-May 2020", "12-May-2020"},
		{"17\u00a0Feb\u00a02016", "17-Feb-2016"},
		{"1 September 2019", "01-Sep-2019"},
		{"1 SEPTEMBER 2019", "01-Sep-2019"},
		{"1 september 2019", "01-Sep-2019"},
		{"1 Sept 2019", "01-Sep-2019"},
		{"3 June 2019 and 4 July 2019", "03-Jun-2019 and 04-Jul-2019"},
		{"21st March 2020", "21-Mar-2020"},
		{"2nd Jan 2020", "02-Jan-2020"},
		{"3RD Feb 2020", "03-Feb-2020"},
		{"(17 Feb 2016)", "(17-Feb-2016)"},
		{"seen 17 Feb 2016.", "seen 17-Feb-2016."},
		{"29 Feb 2016", "29-Feb-2016"},

		// Numeric, UK order, four-digit year.
		{"12/05/2020", "12-May-2020"},
		{"1/5/2020", "01-May-2020"},
		{"12.05.2020", "12-May-2020"},
		{"12-05-2020", "12-May-2020"},
		{"From 01/05/2019 to 30/04/2020.", "From 01-May-2019 to 30-Apr-2020."},
		{"09:30 12/05/2020", "09:30 12-May-2020"},

		// ISO dates and dateTimes.
		{"2020-05-12", "12-May-2020"},
		{"on 2020-05-12T14:31:00Z", "on 12-May-2020 14:31"},
		{"2020-05-12T14:31+01:00", "12-May-2020 14:31"},
		{"2020-05-12T14:31:05.123+0100 done", "12-May-2020 14:31 done"},
		{"2020-05-12T14:31:05", "12-May-2020 14:31"},
		{"2020-05-12 14:31", "12-May-2020 14:31"},

		// Month and year.
		{"Mar 2020", "Mar-2020"},
		{"March 2020", "Mar-2020"},
		{"MARCH 2020", "Mar-2020"},
		{"march-2020", "Mar-2020"},
		{"Mar-2020", "Mar-2020"},
		{"Started May 2019, stopped Jun 2019", "Started May-2019, stopped Jun-2019"},
		{"2020", "2020"},

		// Not real dates: as sent, and not half-rewritten.
		{"31 Feb 2020", "31 Feb 2020"},
		{"29 Feb 2019", "29 Feb 2019"},
		{"00 May 2020", "00 May 2020"},
		{"32 May 2020", "32 May 2020"},
		{"123 May 2020", "123 May 2020"},
		{"30/02/2020", "30/02/2020"},
		{"13/13/2020", "13/13/2020"},
		{"2020-13-01", "2020-13-01"},
		{"2020-02-30", "2020-02-30"},
		{"2020-05-12T25:00", "2020-05-12T25:00"},
		{"12 May 1066", "12 May 1066"},
		{"12 May 20201", "12 May 20201"},
	}
	for _, tt := range tests {
		check(t, tt.in, recordBounds, tt.want)
	}
}

// TestDisplayDatesRoundTrip writes every day of four years (two of them
// leap) in every form read, and wants each back as that day.
func TestDisplayDatesRoundTrip(t *testing.T) {
	forms := []string{"2 Jan 2006", "02 Jan 2006", "2-Jan-2006", "2 January 2006",
		"2/1/2006", "02/01/2006", "02.01.2006", "02-01-2006", "2006-01-02"}
	for d := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2003; d = d.AddDate(0, 0, 1) {
		want := d.Format("02-Jan-2006")
		var written []string
		for _, form := range forms {
			written = append(written, d.Format(form))
		}
		written = append(written, strings.ToLower(d.Format("02-Jan-2006")), strings.ToUpper(d.Format("2 January 2006")))
		for _, w := range written {
			in := "on " + w + ", seen"
			if got := DisplayDates(in, recordBounds); got != "on "+want+", seen" {
				t.Fatalf("%q: %q, want %s", in, got, want)
			}
		}
		if got := DisplayDates(d.Format("02-Jan-06"), recordBounds); got != want {
			t.Fatalf("%s: %q, want %s", d.Format("02-Jan-06"), got, want)
		}
		if got := DisplayDates(d.Format("2006-01-02T15:04:05Z07:00"), recordBounds); got != want+" 00:00" {
			t.Fatalf("%s: %q", d.Format(time.RFC3339), got)
		}
		if d.Day() == 1 {
			if got := DisplayDates(d.Format("January 2006"), recordBounds); got != d.Format("Jan-2006") {
				t.Fatalf("%s: %q", d.Format("January 2006"), got)
			}
		}
	}
}

// TestDisplayDatesLeavesNonDates holds clinical shorthand, codes and numbers
// that a date reader could mistake for dates.
func TestDisplayDatesLeavesNonDates(t *testing.T) {
	for _, s := range []string{
		"1/2 tablet", "take 1/2 tablet at night", "5/7", "for 5/7", "2/52", "3/12", "review in 3/12",
		"3/12 2020", "10-15 mg", "1-2 puffs", "take 1 or 2 3 times/day", "1x5ml spoon 3 times/day",
		"30.0 ampoules (30.0 ampoules supervised)", "0.5 mg", "5,000unit", "20%", "14:31", "at 09:30",
		"Y90017", "G82033", "943 476 5919", "9434765919", "LS18 5TN", "342 Troy Road",
		"v1.2.3", "version 1.10.2020", "v10.12.2020", "10.1.2020", "1.12.2020",
		"May cause drowsiness", "may cause drowsiness", "Theresa May", "12mg", "Codeine 15mg/5ml",
		"May2020", "12May2020", "12-May2020", "May 20", "12 May", "May 12",
		"2019-nCoV (novel coronavirus) detected", "COVID-19", "coronavirus 2", "2019-20", "2011-12",
		"1-2 May 2020", "10-12/05/2020", "3/12/05/2020", "12/05/2020/1", "12/05/20", "12.5.2020",
		"1.5 May 2020", "May 2000 units", "1 May 2020 mg", "Mar 2020-Apr 2020", "May-June 2020",
		"12 May 20:30", "12-May-2020:14", "12 May 2020,3", "x12 May 2020", "é12 May 2020",
		"2020-05-12Tea", "2020-05-12T14:31+1", "12/05/2020%", "12 May 2020_1", "Mar 20", "Marc 2020", "Ma 2020",
		"28 tablet", "84 tablet", "Previously administered > 10y", "Dukoral 1",
	} {
		check(t, s, recordBounds, s)
	}
}

// TestDisplayDatesTwoDigitYears: the century is taken only when exactly one
// puts the date between the patient's birth and the record.
func TestDisplayDatesTwoDigitYears(t *testing.T) {
	born2001 := DateBounds{NotBefore: time.Date(2001, 6, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		in   string
		b    DateBounds
		want string
	}{
		{"12-May-19", recordBounds, "12-May-2019"}, // 1919: before birth
		{"12 May 19", recordBounds, "12-May-2019"},
		{"12 may 19", recordBounds, "12-May-2019"},
		{"12-May-60", recordBounds, "12-May-1960"}, // 2060: after the record
		{"12-May-49", recordBounds, "12-May-49"},   // neither
		{"14-May-20", recordBounds, "14-May-2020"}, // the record's own day is within
		{"15-May-20", recordBounds, "15-May-20"},   // the day after is not
		{"14-Mar-50", recordBounds, "14-Mar-1950"}, // the birthday is within
		{"13-Mar-50", recordBounds, "13-Mar-50"},
		{"29-Feb-00", recordBounds, "29-Feb-2000"}, // 1900 had no 29 February
		{"29-Feb-19", recordBounds, "29-Feb-19"},
		{"12-May-19 14:31", recordBounds, "12-May-2019 14:31"},
		{"Seen 1st Jan 05.", recordBounds, "Seen 01-Jan-2005."},

		// Both centuries fit when nothing bounds them.
		{"12-May-20", DateBounds{}, "12-May-20"},
		{"12-May-05", DateBounds{}, "12-May-05"},
		// An open NotAfter is today: no record is from the future.
		{"12-May-95", DateBounds{}, "12-May-1995"},
		{"12-May-05", born2001, "12-May-2005"},
		{"12-May-99", born2001, "12-May-99"},

		// A number after the year makes it a dose, not a date.
		{"12 May 19 3 tablets", recordBounds, "12 May 19 3 tablets"},
		{"1 May 19 mg", recordBounds, "1 May 19 mg"},
		{"12-May-19-20", recordBounds, "12-May-19-20"},
		// Only a day, a month name and two digits: numeric ones stay.
		{"12/05/19", recordBounds, "12/05/19"},
		{"May 19", recordBounds, "May 19"},
	}
	for _, tt := range tests {
		check(t, tt.in, tt.b, tt.want)
	}
}

// check asserts DisplayDates(in, b) == want, and that a second pass changes
// nothing.
func check(t *testing.T, in string, b DateBounds, want string) {
	t.Helper()
	got := DisplayDates(in, b)
	if got != want {
		t.Errorf("DisplayDates(%q) = %q, want %q", in, got, want)
		return
	}
	if again := DisplayDates(got, b); again != got {
		t.Errorf("DisplayDates(%q) = %q, then %q", in, got, again)
	}
}

func TestDisplayDatesAllocations(t *testing.T) {
	for _, s := range []string{
		"May cause drowsiness. Do not drive.",    // no digit
		"Paracetamol 500mg capsules, 32 capsule", // digits, no date
		"Prescribed: 12-May-2020",                // a date already in form
	} {
		if n := testing.AllocsPerRun(100, func() { DisplayDates(s, recordBounds) }); n != 0 {
			t.Errorf("%q: %v allocations, want 0", s, n)
		}
	}
}

// Date-like strings, found independently of DisplayDates: a day, month and
// year in any common form, an ISO date, or a month name and year.
var (
	monthPattern  = `(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*`
	dateLikeRegex = regexp.MustCompile(`(?i)\b(?:\d{1,2}(?:st|nd|rd|th)?[ \-/.]` + monthPattern + `[ \-/.,]*(?:\d{4}|\d{2})` +
		`|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+\-]\d\d:?\d\d)?)?` +
		`|` + monthPattern + `[ \-]\d{4})\b`)
	canonicalDate = regexp.MustCompile(`^(?:\d{2}-)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4}(?: \d{2}:\d{2})?$`)
)

// corpusText is every distinct narrative string of the SCR files of the
// corpus: section titles and the text of each section's XHTML, with the date
// the record was made as each string's bounds.
func corpusText(tb testing.TB) map[string]DateBounds {
	tb.Helper()
	out := map[string]DateBounds{}
	addDiv := func(div string, b DateBounds) {
		z := html.NewTokenizer(strings.NewReader(div))
		for {
			switch z.Next() {
			case html.ErrorToken:
				return
			case html.TextToken:
				if s := safetext.Line(string(z.Text())); s != "" {
					out[s] = b
				}
			}
		}
	}
	// Sections may nest; walk every one.
	var walk func(v any, b DateBounds)
	walk = func(v any, b DateBounds) {
		switch v := v.(type) {
		case map[string]any:
			if secs, ok := v["section"].([]any); ok {
				for _, sec := range secs {
					m, _ := sec.(map[string]any)
					if title, _ := m["title"].(string); title != "" {
						out[safetext.Line(title)] = b
					}
					if text, ok := m["text"].(map[string]any); ok {
						div, _ := text["div"].(string)
						addDiv(div, b)
					}
				}
			}
			for _, c := range v {
				walk(c, b)
			}
		case []any:
			for _, c := range v {
				walk(c, b)
			}
		}
	}
	var files []nhscorpus.File
	for _, k := range []nhscorpus.Kind{nhscorpus.SCRBundle, nhscorpus.Composition} {
		files = append(files, nhscorpus.OfKind(k)...)
	}
	for _, f := range files {
		var v any
		if err := json.Unmarshal(f.Data, &v); err != nil {
			tb.Fatalf("%s: %v", f.Name(), err)
		}
		b := DateBounds{NotAfter: compositionDate(v).Time}
		walk(v, b)
	}
	for _, f := range nhscorpus.OfKind(nhscorpus.Narrative) {
		addDiv(string(f.Data), DateBounds{})
	}
	if len(out) == 0 {
		tb.Fatal("no narrative in the corpus")
	}
	return out
}

// compositionDate is the date of the first Composition in a bundle (or of a
// bare Composition).
func compositionDate(v any) FHIRDate {
	m, _ := v.(map[string]any)
	if m["resourceType"] == "Composition" {
		s, _ := m["date"].(string)
		return parseFHIRDate(s)
	}
	entries, _ := m["entry"].([]any)
	for _, e := range entries {
		r, _ := e.(map[string]any)["resource"].(map[string]any)
		if r["resourceType"] == "Composition" {
			s, _ := r["date"].(string)
			return parseFHIRDate(s)
		}
	}
	return FHIRDate{}
}

// TestDisplayDatesCorpus: every date-like string in the narrative the NHS
// publishes comes out in the SCR's form, wherever it stands in its text.
func TestDisplayDatesCorpus(t *testing.T) {
	texts := corpusText(t)
	found := map[string]bool{}
	for s, b := range texts {
		for _, m := range dateLikeRegex.FindAllString(s, -1) {
			found[m] = true
		}
		out := DisplayDates(s, b)
		for _, m := range dateLikeRegex.FindAllString(out, -1) {
			if !canonicalDate.MatchString(m) {
				t.Errorf("%q: %q left in %q", s, m, out)
			}
		}
		if again := DisplayDates(out, b); again != out {
			t.Errorf("%q: not idempotent: %q then %q", s, out, again)
		}
	}
	for m := range found {
		if got := DisplayDates(m, DateBounds{}); !canonicalDate.MatchString(got) {
			t.Errorf("%q alone: %q", m, got)
		}
	}
	// The corpus has a few dozen distinct dates; a fall to none would mean
	// this test no longer reads the narrative.
	if len(found) < 20 {
		t.Errorf("only %d distinct date-like strings in the corpus", len(found))
	}
	t.Logf("%d narrative strings, %d distinct date-like strings", len(texts), len(found))
}

// dateSkeleton is s without the characters a date rewrite may change:
// digits, separators, and words that are month names, ordinal suffixes or
// the T and Z of an ISO dateTime.
func dateSkeleton(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isASCIIDigit(c) || strings.IndexByte(" -/.:+,", c) >= 0:
			i++
		case isASCIILetter(c):
			j := i
			for j < len(s) && isASCIILetter(s[j]) {
				j++
			}
			w := strings.ToLower(s[i:j])
			if m, _ := scanMonthName(w, 0); m == 0 && !slices.Contains([]string{"st", "nd", "rd", "th", "t", "z"}, w) {
				b.WriteString(s[i:j])
			}
			i = j
		case strings.HasPrefix(s[i:], "\u00a0"):
			i += len("\u00a0")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func FuzzDisplayDates(f *testing.F) {
	for s := range corpusText(f) {
		f.Add(s)
	}
	for _, s := range []string{"", "1 May 2019", "12-May-19 14:31", "2020-05-12T14:31:05.123+0100",
		"29-Feb-00", "1st Sept 2019", "12/05/2020/1", "May 2000 units", "17\u00a0Feb\u00a02016"} {
		f.Add(s)
	}
	bounds := []DateBounds{{}, recordBounds}
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range bounds {
			out := DisplayDates(s, b)
			if utf8.ValidString(s) && !utf8.ValidString(out) {
				t.Fatalf("%q: invalid UTF-8 out: %q", s, out)
			}
			if !hasASCIIDigit(s) && out != s {
				t.Fatalf("%q: no digit, yet changed to %q", s, out)
			}
			if again := DisplayDates(out, b); again != out {
				t.Fatalf("%q: %q, then %q", s, out, again)
			}
			if dateSkeleton(out) != dateSkeleton(s) {
				t.Fatalf("%q: %q changed more than dates", s, out)
			}
		}
	})
}

func BenchmarkDisplayDates(b *testing.B) {
	cells := []struct{ name, text string }{
		{"no-digit", "Paracetamol capsules: take one when required for pain"},
		{"no-date", "Paracetamol 500mg capsules, 32 capsule, take one 3 times/day"},
		{"in-form", "Summary Created: 14-May-2020 14:31"},
		{"rewrite", "Acute Medications (For the 12 month period 01 May 2019 to 30 Apr 2020)"},
	}
	for _, c := range cells {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DisplayDates(c.text, recordBounds)
			}
		})
	}
	// Every distinct narrative string of the corpus, per string.
	var texts []string
	for s := range corpusText(b) {
		texts = append(texts, s)
	}
	slices.Sort(texts)
	b.Run("corpus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range texts {
				DisplayDates(s, recordBounds)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts)), "ns/string")
	})
}
