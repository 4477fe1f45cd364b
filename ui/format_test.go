package ui

import (
	"testing"
	"time"

	"github.com/scrterm/scr/client"
)

func TestFormatDate(t *testing.T) {
	day := time.Date(2010, 10, 22, 0, 0, 0, 0, time.UTC)
	// A dateTime keeps the calendar day of the offset it was sent with.
	late := time.Date(2020, 11, 17, 23, 30, 0, 0, time.FixedZone("", -5*3600))
	for _, tc := range []struct {
		name string
		d    client.FHIRDate
		want string
	}{
		{"day", client.FHIRDate{Time: day, Precision: client.PrecisionDay}, "22-Oct-2010"},
		{"month", client.FHIRDate{Time: day, Precision: client.PrecisionMonth}, "Oct-2010"},
		{"year", client.FHIRDate{Time: day, Precision: client.PrecisionYear}, "2010"},
		{"dateTime shows the date only", client.FHIRDate{Time: late, Precision: client.PrecisionTime}, "17-Nov-2020"},
		{"single-digit day is zero-padded", client.FHIRDate{Time: time.Date(2020, 5, 3, 0, 0, 0, 0, time.UTC), Precision: client.PrecisionDay}, "03-May-2020"},
		{"zero", client.FHIRDate{}, "Not Known"},
		{"a time without precision is still unknown", client.FHIRDate{Time: day}, "Not Known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatDate(tc.d); got != tc.want {
				t.Errorf("formatDate(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestFormatDateTime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2010, 10, 22, 14, 5, 0, 0, time.Local), "22-Oct-2010 14:05"},
		{time.Date(2010, 10, 22, 9, 3, 59, 0, time.Local), "22-Oct-2010 09:03"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.Local), "01-Jan-2026 00:00"},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, time.Local), "31-Dec-2026 23:59"},
		{time.Time{}, "Not Known"},
	} {
		if got := formatDateTime(tc.t); got != tc.want {
			t.Errorf("formatDateTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	// Shown in local time, whatever zone the instant came in.
	utc := time.Date(2010, 10, 22, 14, 5, 0, 0, time.UTC)
	if got, want := formatDateTime(utc), utc.Local().Format("02-Jan-2006 15:04"); got != want {
		t.Errorf("formatDateTime(UTC) = %q, want local %q", got, want)
	}
}

func TestFormatAge(t *testing.T) {
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	born := func(y int, m time.Month, d int) client.FHIRDate {
		return client.FHIRDate{Time: date(y, m, d), Precision: client.PrecisionDay}
	}
	noon := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	baby := born(2024, time.January, 10)
	for _, tc := range []struct {
		name  string
		birth client.FHIRDate
		now   time.Time
		want  string
	}{
		{"day of birth", baby, noon(2024, 1, 10), "0d"},
		{"3 days", baby, noon(2024, 1, 13), "3d"},
		{"27 days: still days", baby, noon(2024, 2, 6), "27d"},
		{"28 days: weeks", baby, noon(2024, 2, 7), "4w"},
		{"35 days", baby, noon(2024, 2, 14), "5w"},
		{"day before first birthday: weeks", baby, noon(2025, 1, 9), "52w"},
		{"first birthday: months", baby, noon(2025, 1, 10), "12m"},
		{"14 months", baby, noon(2025, 3, 10), "14m"},
		{"day before second birthday: months", baby, noon(2026, 1, 9), "23m"},
		{"second birthday: years", baby, noon(2026, 1, 10), "2y"},
		{"Jane Smith", born(2010, 10, 22), noon(2026, 11, 25), "16y"},
		{"day before a birthday", born(2010, 10, 22), noon(2026, 10, 21), "15y"},
		{"on a birthday", born(2010, 10, 22), noon(2026, 10, 22), "16y"},
		{"29 February, not yet in a common year", born(2020, 2, 29), noon(2023, 2, 28), "2y"},
		{"29 February, on 1 March", born(2020, 2, 29), noon(2023, 3, 1), "3y"},
		{"a dateTime birth counts its date", client.FHIRDate{Time: time.Date(2010, 10, 22, 23, 0, 0, 0, time.UTC), Precision: client.PrecisionTime}, noon(2026, 10, 22), "16y"},
		{"unknown", client.FHIRDate{}, noon(2026, 1, 1), ""},
		{"month only", client.FHIRDate{Time: date(2010, 10, 1), Precision: client.PrecisionMonth}, noon(2026, 1, 1), ""},
		{"year only", client.FHIRDate{Time: date(2010, 1, 1), Precision: client.PrecisionYear}, noon(2026, 1, 1), ""},
		{"born after now", born(2030, 1, 1), noon(2026, 1, 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatAge(tc.birth, tc.now); got != tc.want {
				t.Errorf("formatAge(%v, %v) = %q, want %q", tc.birth, tc.now, got, tc.want)
			}
		})
	}
}

func TestFormatNHSNumberAndGender(t *testing.T) {
	if got := formatNHSNumber("9000000009"); got != "900 000 0009" {
		t.Errorf("formatNHSNumber = %q", got)
	}
	for in, want := range map[string]string{"female": "Female", "male": "Male", "other": "Other", "unknown": "Not Known", "": "Not Known"} {
		if got := formatGender(in); got != want {
			t.Errorf("formatGender(%q) = %q, want %q", in, got, want)
		}
	}
}
