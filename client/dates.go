package client

import "time"

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
func DisplayDates(text string, b DateBounds) string {
	return text // TODO(dates helper): the real thing
}
