package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// notKnown is what the screen shows for a value the record does not give,
// as the NHS Common User Interface (CUI) asks: never a blank that could be
// read as "none".
const notKnown = "Not Known"

// formatDate formats a record date as the CUI and the SCR do (see
// recordview.Date); formatDateTime shows the time too.
func formatDate(d client.FHIRDate) string { return recordview.Date(d) }

// formatDateTime formats an instant as "22-Oct-2010 14:05": the 24-hour
// clock, in local time. The zero time is "Not Known".
func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return notKnown
	}
	return t.Local().Format("02-Jan-2006 15:04")
}

// formatAge is the patient's age for the banner, after the CUI's age rules
// simplified to the whole days a birth date gives (the CUI's minutes and
// hours for a newborn need a birth time, which PDS does not send, and its
// second unit, "16y 3m", is left out for brevity):
//
//   - under 4 weeks: days, "3d" (the day of birth is "0d")
//   - 4 weeks to under 1 year: whole weeks, "5w"
//   - 1 year to under 2 years: whole months, "14m"
//   - 2 years and over: whole years, "16y"
//
// Ages count calendar days on now's calendar (pass local time); a birthday
// on 29 February comes on 1 March in other years. The age is "" when the
// birth date is unknown, only a month or a year (an age from it could be
// wrong by one), or after now.
func formatAge(birth client.FHIRDate, now time.Time) string {
	if birth.Precision != client.PrecisionDay && birth.Precision != client.PrecisionTime {
		return ""
	}
	by, bm, bd := birth.Time.Date()
	ny, nm, nd := now.Date()
	b := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	n := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	if n.Before(b) {
		return ""
	}
	months := (ny-by)*12 + int(nm) - int(bm)
	if nd < bd {
		months--
	}
	// Whole days between two UTC midnights: no daylight saving in UTC.
	days := int(n.Sub(b) / (24 * time.Hour))
	switch {
	case months >= 24:
		return strconv.Itoa(months/12) + "y"
	case months >= 12:
		return strconv.Itoa(months) + "m"
	case days >= 28:
		return strconv.Itoa(days/7) + "w"
	}
	return strconv.Itoa(days) + "d"
}

// formatNHSNumber is the number as the NHS prints it, "900 000 0009".
func formatNHSNumber(n client.NHSNumber) string { return n.String() }

// formatName is a name as the CUI patient banner shows it: recordview.Name.
func formatName(n client.PersonName) string { return recordview.Name(n) }

// formatGender is PDS's gender code as words: "Female", or "Not Known".
func formatGender(g string) string {
	switch strings.ToLower(g) {
	case "male":
		return "Male"
	case "female":
		return "Female"
	case "other":
		return "Other"
	case "", "unknown":
		return notKnown
	}
	return g
}
