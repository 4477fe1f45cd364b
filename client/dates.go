package client

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DateBounds are the dates a date written in a record can lie between: not
// after the record was made, not before the patient was born. A two-digit
// year is expanded only when exactly one century puts it between them.
// Either bound may be zero (unknown).
type DateBounds struct {
	NotBefore, NotAfter time.Time
}

// DisplayDates rewrites every date in text to the SCR's own form,
// dd-Mmm-yyyy (or Mmm-yyyy, or yyyy, at the precision written), leaving
// everything else as it is. A date it cannot read unambiguously stays as
// sent.
//
// It reads, at word boundaries:
//
//   - a day, a month name and a year: "1 May 2019", "01-may-2019",
//     "1st MAY 2019", "1 September 2019", and with a two-digit year,
//     "01-May-19" (see below);
//   - numeric dates in UK order with a four-digit year: "1/5/2019",
//     "01.05.2019", "01-05-2019";
//   - ISO dates, "2019-05-01", and dateTimes, "2019-05-01T14:31:00Z", shown
//     as "01-May-2019 14:31" (the clock time as written, without its zone);
//   - a month name and a four-digit year: "May 2019", "May-2019", shown as
//     "May-2019".
//
// A two-digit year is expanded only when exactly one of 19yy and 20yy puts
// the date within b (a zero NotAfter is today: no record is from the
// future). Anything that is not a real calendar date, and anything joined
// to more digits or letters ("1/2/2019/3", "12May2019", "12 May 2019 mg"),
// stays as sent. Text with no digit is returned as it is, at once.
func DisplayDates(text string, b DateBounds) string {
	// No date can be written without a digit, and most cells have none.
	if !hasASCIIDigit(text) {
		return text
	}
	var out strings.Builder
	last := 0 // text[:last] is in out
	var buf [len("02-Jan-2006 15:04")]byte
	for i := 0; i < len(text); {
		if !isASCIIAlnum(text[i]) {
			i++
			continue
		}
		d, end := scanTextDate(text, i)
		if end == i {
			// Not shaped like a date: skip the rest of the word, so a date is
			// only ever sought at the start of one.
			for i < len(text) && isASCIIAlnum(text[i]) {
				i++
			}
			continue
		}
		// A span shaped like a date is passed over whole even when refused,
		// so "31 Feb 2020" does not become "31 Feb-2020".
		if d.accept(text, i, end, b) {
			if n := d.format(buf[:0]); string(buf[:n]) != text[i:end] {
				if last == 0 {
					out.Grow(len(text) + 8)
				}
				out.WriteString(text[last:i])
				out.Write(buf[:n])
				last = end
			}
		}
		i = end
	}
	if last == 0 {
		return text
	}
	out.WriteString(text[last:])
	return out.String()
}

// textDate is a date as found in narrative text.
type textDate struct {
	year, month, day int // day 0: a month and year only
	hour, minute     int
	hasTime          bool
	twoDigitYear     bool // year is 0–99, its century unknown
	valid            bool // a real calendar date, in a form this reads
}

// Four-digit years outside this range are taken for something else (a dose,
// a count) rather than a date in a living patient's record.
const (
	minTextYear = 1800
	maxTextYear = 2199
)

// scanTextDate reads a date shaped span at s[i], which starts a word. It
// returns end == i when s[i:] is not shaped like a date at all; otherwise
// s[i:end] is the span, and d.valid says whether it is a date.
func scanTextDate(s string, i int) (d textDate, end int) {
	if isASCIILetter(s[i]) {
		return scanMonthYear(s, i)
	}
	v1, n1 := scanDigits(s, i)
	j := i + n1
	if n1 == 4 && j < len(s) && s[j] == '-' {
		return scanISODate(s, i, v1)
	}
	// An ordinal day, "1st", is followed by the month name and a space.
	k := j
	ordinal := false
	if k+2 < len(s) && isOrdinalSuffix(s[k], s[k+1]) && !isASCIIAlnum(s[k+2]) {
		k += 2
		ordinal = true
	}
	sep1, w1 := nameSeparator(s, k)
	if w1 > 0 && k+w1 < len(s) && isASCIILetter(s[k+w1]) && (!ordinal || sep1 != '-') {
		month, nm := scanMonthName(s, k+w1)
		if month == 0 {
			return textDate{}, i
		}
		k += w1 + nm
		_, w2 := nameSeparator(s, k)
		if w2 == 0 || k+w2 >= len(s) || !isASCIIDigit(s[k+w2]) {
			return textDate{}, i
		}
		k += w2
		year, n3 := scanDigits(s, k)
		end = k + n3
		d = textDate{year: year, month: month, day: v1}
		switch {
		case n3 == 4:
			d.valid = year >= minTextYear && year <= maxTextYear && validDay(year, month, v1)
		case n3 == 2:
			d.twoDigitYear = true
			d.valid = true
		}
		// A two-digit year's day is checked with its century (29 Feb).
		d.valid = d.valid && n1 <= 2 && v1 >= 1 && v1 <= 31
		return d, end
	}
	if ordinal || j+1 >= len(s) || !isASCIIDigit(s[j+1]) {
		return textDate{}, i
	}
	// Numeric, day first: d/m/yyyy, dd.mm.yyyy, dd-mm-yyyy.
	sep := s[j]
	if sep != '/' && sep != '.' && sep != '-' {
		return textDate{}, i
	}
	v2, n2 := scanDigits(s, j+1)
	k = j + 1 + n2
	if k+1 >= len(s) || s[k] != sep || !isASCIIDigit(s[k+1]) {
		return textDate{}, i
	}
	v3, n3 := scanDigits(s, k+1)
	end = k + 1 + n3
	d = textDate{year: v3, month: v2, day: v1}
	// '.' and '-' also join version numbers and ranges: ask for two digits.
	width := n1 <= 2 && n2 <= 2
	if sep != '/' {
		width = n1 == 2 && n2 == 2
	}
	d.valid = width && n3 == 4 && v3 >= minTextYear && v3 <= maxTextYear &&
		validDay(v3, v2, v1)
	return d, end
}

// scanISODate reads yyyy-mm-dd and an optional THH:MM[:SS[.f]][zone] at
// s[i], whose four-digit year y is followed by '-'. A year and month alone
// ("2019-12") is left: it is as often a range of years.
func scanISODate(s string, i, y int) (d textDate, end int) {
	j := i + 4
	if !twoDigitsAt(s, j+1) || j+3 >= len(s) || s[j+3] != '-' || !twoDigitsAt(s, j+4) ||
		(j+6 < len(s) && isASCIIDigit(s[j+6])) {
		return textDate{}, i
	}
	m := int(s[j+1]-'0')*10 + int(s[j+2]-'0')
	day := int(s[j+4]-'0')*10 + int(s[j+5]-'0')
	end = j + 6
	d = textDate{year: y, month: m, day: day,
		valid: y >= minTextYear && y <= maxTextYear && validDay(y, m, day)}
	if end < len(s) && (s[end] == 'T' || s[end] == 't') {
		if c, n := scanClock(s, end+1); n > 0 {
			d.hour, d.minute, d.hasTime = c.hour, c.minute, true
			end += 1 + n
		}
		// A 'T' with no readable time after it joins the date to a word: the
		// right boundary refuses it.
	}
	return d, end
}

// clock is a time of day as written after a date's 'T'.
type clock struct {
	hour, minute, second, nanosecond int
	offset                           int // seconds east of UTC; 0 also when no zone was written
}

// scanClock reads HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM] at s[i] and returns
// its length, or 0. Seconds are optional because Spine sends
// Composition.date without them; a leap second reads as :59, so the minute
// and the day shown are those written.
func scanClock(s string, i int) (c clock, n int) {
	if !twoDigitsAt(s, i) || i+2 >= len(s) || s[i+2] != ':' || !twoDigitsAt(s, i+3) {
		return clock{}, 0
	}
	c.hour = int(s[i]-'0')*10 + int(s[i+1]-'0')
	c.minute = int(s[i+3]-'0')*10 + int(s[i+4]-'0')
	if c.hour > 23 || c.minute > 59 {
		return clock{}, 0
	}
	j := i + 5
	if j+2 < len(s) && s[j] == ':' && twoDigitsAt(s, j+1) {
		sec := int(s[j+1]-'0')*10 + int(s[j+2]-'0')
		if sec > 60 {
			return clock{}, 0
		}
		c.second = min(sec, 59)
		j += 3
		if j+1 < len(s) && s[j] == '.' && isASCIIDigit(s[j+1]) {
			j++
			for scale := 100000000; j < len(s) && isASCIIDigit(s[j]); j++ {
				c.nanosecond += int(s[j]-'0') * scale
				scale /= 10
			}
		}
	}
	if j < len(s) {
		switch s[j] {
		case 'Z', 'z':
			j++
		case '+', '-':
			if n := zoneOffsetLen(s, j+1); n > 0 {
				c.offset = (int(s[j+1]-'0')*10+int(s[j+2]-'0'))*3600 +
					(int(s[j+n-1]-'0')*10+int(s[j+n]-'0'))*60
				if s[j] == '-' {
					c.offset = -c.offset
				}
				j += 1 + n
			}
		}
	}
	return c, j - i
}

// zoneOffsetLen is the length of HH:MM or HHMM at s[i], a valid zone offset,
// or 0.
func zoneOffsetLen(s string, i int) int {
	if !twoDigitsAt(s, i) || int(s[i]-'0')*10+int(s[i+1]-'0') > 14 {
		return 0
	}
	j := i + 2
	if j < len(s) && s[j] == ':' {
		j++
	}
	if !twoDigitsAt(s, j) || s[j] > '5' || (j+2 < len(s) && isASCIIDigit(s[j+2])) {
		return 0
	}
	return j + 2 - i
}

// scanMonthYear reads a month name, ' ' or '-', and a four-digit year at s[i].
func scanMonthYear(s string, i int) (d textDate, end int) {
	// Most words are not followed by a year: look for it first.
	k := i
	for k < len(s) && isASCIILetter(s[k]) {
		k++
	}
	_, w := nameSeparator(s, k)
	if w == 0 || k+w >= len(s) || !isASCIIDigit(s[k+w]) {
		return textDate{}, i
	}
	month, _ := scanMonthName(s, i)
	if month == 0 {
		return textDate{}, i
	}
	year, n := scanDigits(s, k+w)
	d = textDate{year: year, month: month, valid: n == 4 && year >= minTextYear && year <= maxTextYear}
	return d, k + w + n
}

// accept reports whether d, found at text[i:end], is a date to rewrite, and
// settles a two-digit year's century.
func (d *textDate) accept(text string, i, end int, b DateBounds) bool {
	if !d.valid || !leftDateBoundary(text, i) || !rightDateBoundary(text, end) ||
		unitFollows(text, end) {
		return false
	}
	// A number a space before a month and year ("x12 May 2020") is a day
	// this did not read: the whole is not a month and year either. (After a
	// hyphen, leftDateBoundary has refused it.)
	if d.day == 0 {
		before, ok := strings.CutSuffix(text[:i], " ")
		if !ok {
			before, ok = strings.CutSuffix(text[:i], "\u00a0")
		}
		if ok && before != "" && isASCIIDigit(before[len(before)-1]) {
			return false
		}
	}
	if !d.twoDigitYear {
		return true
	}
	// "12 May 20 3" is more likely a dose than a date; a time may follow.
	if end+1 < len(text) && text[end] == ' ' && isASCIIDigit(text[end+1]) && !isClockTime(text, end+1) {
		return false
	}
	var in [2]bool
	for c, century := range [2]int{1900, 2000} {
		y := century + d.year
		in[c] = validDay(y, d.month, d.day) && within(y, d.month, d.day, b)
	}
	switch {
	case in[0] && !in[1]:
		d.year += 1900
	case in[1] && !in[0]:
		d.year += 2000
	default:
		return false
	}
	d.twoDigitYear = false
	return true
}

// within reports whether the day y-m-d lies within b, by calendar day on each
// bound's own calendar.
func within(y, m, d int, b DateBounds) bool {
	key := y*10000 + m*100 + d
	if !b.NotBefore.IsZero() {
		by, bm, bd := b.NotBefore.Date()
		if key < by*10000+int(bm)*100+bd {
			return false
		}
	}
	hi := b.NotAfter
	if hi.IsZero() {
		hi = time.Now()
	}
	hy, hm, hd := hi.Date()
	return key <= hy*10000+int(hm)*100+hd
}

// format appends d in the SCR's form to buf and returns the length.
func (d *textDate) format(buf []byte) int {
	if d.day > 0 {
		buf = append(buf, byte('0'+d.day/10), byte('0'+d.day%10), '-')
	}
	buf = append(buf, monthAbbr[d.month-1]...)
	buf = append(buf, '-',
		byte('0'+d.year/1000), byte('0'+d.year/100%10), byte('0'+d.year/10%10), byte('0'+d.year%10))
	if d.hasTime {
		buf = append(buf, ' ', byte('0'+d.hour/10), byte('0'+d.hour%10), ':',
			byte('0'+d.minute/10), byte('0'+d.minute%10))
	}
	return len(buf)
}

var monthAbbr = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

var monthNames = [12]string{"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"}

// scanMonthName reads a whole word at s[i] that names a month, in any case:
// its three-letter abbreviation, its full name, or "Sept". It returns the
// month (1–12) and the word's length, or 0.
func scanMonthName(s string, i int) (month, n int) {
	for i+n < len(s) && isASCIILetter(s[i+n]) {
		n++
	}
	if n < 3 || n > len("september") {
		return 0, 0
	}
	// One switch on the first three letters, as this runs on every word of
	// a cell that has a digit.
	switch uint32(s[i]|0x20)<<16 | uint32(s[i+1]|0x20)<<8 | uint32(s[i+2]|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n':
		month = 1
	case 'f'<<16 | 'e'<<8 | 'b':
		month = 2
	case 'm'<<16 | 'a'<<8 | 'r':
		month = 3
	case 'a'<<16 | 'p'<<8 | 'r':
		month = 4
	case 'm'<<16 | 'a'<<8 | 'y':
		month = 5
	case 'j'<<16 | 'u'<<8 | 'n':
		month = 6
	case 'j'<<16 | 'u'<<8 | 'l':
		month = 7
	case 'a'<<16 | 'u'<<8 | 'g':
		month = 8
	case 's'<<16 | 'e'<<8 | 'p':
		month = 9
	case 'o'<<16 | 'c'<<8 | 't':
		month = 10
	case 'n'<<16 | 'o'<<8 | 'v':
		month = 11
	case 'd'<<16 | 'e'<<8 | 'c':
		month = 12
	default:
		return 0, 0
	}
	name := monthNames[month-1]
	if n == 3 || (n == len(name) && lowerEquals(s[i+3:i+n], name[3:])) ||
		(month == 9 && n == 4 && s[i+3]|0x20 == 't') {
		return month, n
	}
	return 0, 0
}

// lowerEquals reports whether the ASCII letters s, in any case, are the
// lower-case letters want.
func lowerEquals(s, want string) bool {
	if len(s) != len(want) {
		return false
	}
	for k := 0; k < len(s); k++ {
		if s[k]|0x20 != want[k] {
			return false
		}
	}
	return true
}

// nameSeparator is what may stand between the parts of a date written with a
// month name: a space, a no-break space or a hyphen. It returns the
// separator ('-' or ' ') and its width in bytes, or 0.
func nameSeparator(s string, i int) (byte, int) {
	if i >= len(s) {
		return 0, 0
	}
	switch s[i] {
	case ' ', '-':
		return s[i], 1
	case 0xC2: // U+00A0 NO-BREAK SPACE, as &nbsp; in the narrative decodes
		if i+1 < len(s) && s[i+1] == 0xA0 {
			return ' ', 2
		}
	}
	return 0, 0
}

// leftDateBoundary reports whether a date may start at s[i]: not inside a
// word or a number, nor the second half of a range or fraction ("1-2 May
// 2019", "3/12/05/2019").
func leftDateBoundary(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, size := utf8.DecodeLastRuneInString(s[:i])
	if isWordRune(r) {
		return false
	}
	if i == size {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(s[:i-size])
	switch r {
	case '-', '/', '.', '+':
		return !isWordRune(before)
	case ':':
		return !unicode.IsDigit(before)
	}
	return true
}

// rightDateBoundary reports whether a date may end at s[i], the mirror of
// leftDateBoundary; a percentage sign makes the digits a number.
func rightDateBoundary(s string, i int) bool {
	if i == len(s) {
		return true
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if isWordRune(r) || r == '%' {
		return false
	}
	if i+size == len(s) {
		return true
	}
	after, _ := utf8.DecodeRuneInString(s[i+size:])
	switch r {
	case '-', '/':
		return !isWordRune(after)
	case '.', ':', ',', '+':
		return !unicode.IsDigit(after)
	}
	return true
}

// unitFollows reports whether a unit of measure follows s[:i] after one
// space, as in "May 2000 units": then the number is a dose, not a year.
func unitFollows(s string, i int) bool {
	if i+1 >= len(s) || s[i] != ' ' || !isASCIILetter(s[i+1]) {
		return false
	}
	j := i + 1
	for j < len(s) && isASCIILetter(s[j]) {
		j++
		if j-i-1 > len("micrograms") {
			return false
		}
	}
	if j < len(s) && isASCIIAlnum(s[j]) {
		return false
	}
	var low [len("micrograms")]byte
	for k := i + 1; k < j; k++ {
		low[k-i-1] = s[k] | 0x20
	}
	switch string(low[:j-i-1]) {
	case "mg", "mcg", "ug", "g", "kg", "microgram", "micrograms", "nanogram", "nanograms", "ng",
		"ml", "l", "mmol", "unit", "units", "iu", "tablet", "tablets", "tab", "tabs",
		"capsule", "capsules", "cap", "caps", "dose", "doses", "puff", "puffs",
		"drop", "drops", "sachet", "sachets", "patch", "patches":
		return true
	}
	return false
}

// isClockTime reports whether HH:MM, not joined to more digits, is at s[i].
func isClockTime(s string, i int) bool {
	if !twoDigitsAt(s, i) || i+2 >= len(s) || s[i+2] != ':' || !twoDigitsAt(s, i+3) {
		return false
	}
	return s[i] <= '2' && (s[i] < '2' || s[i+1] <= '3') && s[i+3] <= '5' &&
		(i+5 == len(s) || !isASCIIDigit(s[i+5]))
}

// validDay reports whether y-m-d is a day of the calendar.
func validDay(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// scanDigits reads the run of ASCII digits at s[i]: its value (capped, as
// only short runs are dates) and its length.
func scanDigits(s string, i int) (v, n int) {
	for i+n < len(s) && isASCIIDigit(s[i+n]) {
		if n < 9 {
			v = v*10 + int(s[i+n]-'0')
		}
		n++
	}
	return v, n
}

func twoDigitsAt(s string, i int) bool {
	return i+1 < len(s) && isASCIIDigit(s[i]) && isASCIIDigit(s[i+1])
}

func isOrdinalSuffix(a, b byte) bool {
	a, b = a|0x20, b|0x20
	return a == 's' && b == 't' || a == 'n' && b == 'd' || a == 'r' && b == 'd' || a == 't' && b == 'h'
}

func hasASCIIDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isASCIIDigit(s[i]) {
			return true
		}
	}
	return false
}

func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isASCIIAlnum(c byte) bool  { return isASCIIDigit(c) || isASCIILetter(c) }

// isWordRune reports a rune that continues a word or number, so that a date
// joined to it is not a date ("12mg", "Y90017", "é12").
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r)) || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// parseFHIRDateTime reads the date and time of a FHIR dateTime, s being a
// valid yyyy-mm-dd (y, m, d) followed by 'T' and the rest. It is lenient
// where senders are: no seconds, any fraction of a second, a space for the
// 'T', and no zone, read as the clock time written (in UTC, so it shows as
// written). ok is false for anything else.
func parseFHIRDateTime(s string, y, m, d int) (t time.Time, ok bool) {
	if len(s) < 11 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') {
		return time.Time{}, false
	}
	c, n := scanClock(s, 11)
	if n == 0 || 11+n != len(s) {
		return time.Time{}, false
	}
	loc := time.UTC
	if c.offset != 0 {
		loc = time.FixedZone("", c.offset)
	}
	return time.Date(y, time.Month(m), d, c.hour, c.minute, c.second, c.nanosecond, loc), true
}
