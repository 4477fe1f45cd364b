package explain

import "regexp"

// Dates as the CUI (the NHS's Common User Interface) writes them,
// 03-Feb-1994, said in words for a screen reader or a braille display: the
// viewer's plain mode (ui) and scr doctor --plain spell them out the same
// way, with SpellDates.

var (
	monthNames = map[string]string{
		"Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "May": "May", "Jun": "June",
		"Jul": "July", "Aug": "August", "Sep": "September", "Oct": "October", "Nov": "November", "Dec": "December",
	}
	// dayMonthYear is a date as the CUI writes it, 03-Feb-1994; monthYear
	// one to the month, Feb-1994.
	dayMonthYear = regexp.MustCompile(`\b(\d{1,2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4})\b`)
	monthYear    = regexp.MustCompile(`\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4})\b`)
)

// SpellDates writes every date in s that is in the CUI's form in words:
// "03-Feb-1994" is "03 February 1994", "Oct-2010" is "October 2010". The
// rest of s is left as it is.
func SpellDates(s string) string {
	s = dayMonthYear.ReplaceAllStringFunc(s, func(d string) string {
		m := dayMonthYear.FindStringSubmatch(d)
		return m[1] + " " + monthNames[m[2]] + " " + m[3]
	})
	return monthYear.ReplaceAllStringFunc(s, func(d string) string {
		m := monthYear.FindStringSubmatch(d)
		return monthNames[m[1]] + " " + m[2]
	})
}
