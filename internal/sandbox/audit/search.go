package audit

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// parseSearch turns the query of GET /AuditEvent into a Filter:
//
//   - patient=[https://fhir.nhs.uk/Id/nhs-number|]{nhs}: a Subject Access
//     Request, every access to that patient's records by anyone, in any
//     organisation;
//   - without patient: the privacy alerts raised in the caller's own
//     organisation (org), the privacy officer's report;
//   - date=[eq|ge|gt|le|lt]{YYYY[-MM[-DD]] or dateTime}, repeatable, all must
//     hold; a date without an offset is a UTC day;
//   - type=[https://fhir.nhs.uk/CodeSystem/SCR-AlertType|]{1|2}[,…]: only
//     privacy alerts of those types.
//
// Anything else is refused rather than ignored: a misspelt parameter silently
// dropped would turn one patient's report into everyone's.
func parseSearch(q url.Values, org string) (Filter, error) {
	var f Filter
	for key, vals := range q {
		switch key {
		case "patient":
			if len(vals) != 1 {
				return Filter{}, invalid("give 'patient' once")
			}
			nhs, err := parsePatient(vals[0])
			if err != nil {
				return Filter{}, err
			}
			f.Patient = nhs
		case "date":
			for _, v := range vals {
				if err := narrowDates(&f, v); err != nil {
					return Filter{}, err
				}
			}
		case "type":
			if len(vals) != 1 {
				return Filter{}, invalid("give 'type' once, with a comma between types")
			}
			for code := range strings.SplitSeq(vals[0], ",") {
				if system, c, ok := strings.Cut(code, "|"); ok {
					if system != systemAlertType {
						return Filter{}, invalid("'type' system must be %s", systemAlertType)
					}
					code = c
				}
				if _, ok := alertTypes[code]; !ok {
					return Filter{}, invalid("'type' %q: supported values are 1, 2", code)
				}
				if !slices.Contains(f.AlertTypes, code) {
					f.AlertTypes = append(f.AlertTypes, code)
				}
			}
		default:
			return Filter{}, invalid("unsupported search parameter %q: use patient, date and type", key)
		}
	}
	if f.Patient == "" {
		f.OrgCode, f.Kinds = org, []Kind{PrivacyAlert}
	}
	return f, nil
}

// parsePatient reads a patient token: an NHS number, optionally with its system.
func parsePatient(v string) (string, error) {
	if system, nhs, ok := strings.Cut(v, "|"); ok {
		if system != systemNHSNumber {
			return "", invalid("'patient' system must be %s", systemNHSNumber)
		}
		v = nhs
	}
	if !validNHSNumber(v) {
		return "", &invalidError{wire.SpineInvalidNHSNumber, fmt.Sprintf("'patient' %q is not a valid NHS number", v)}
	}
	return v, nil
}

// narrowDates applies one date parameter to f's [From, To). The value stands
// for an interval (a whole day for a date, a second for a dateTime to the
// second), and each prefix is read as FHIR does for a point in time.
func narrowDates(f *Filter, v string) error {
	prefix := "eq"
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, v = v[:2], v[2:]
	}
	start, end, err := parseFHIRTime(v)
	if err != nil {
		return invalid("'date' %q is not a FHIR date or dateTime", v)
	}
	from, to := time.Time{}, time.Time{}
	switch prefix {
	case "eq":
		from, to = start, end
	case "ge":
		from = start
	case "gt":
		from = end
	case "le":
		to = end
	case "lt":
		to = start
	default:
		return invalid("'date' prefix %q: supported are eq, ge, gt, le, lt", prefix)
	}
	if !from.IsZero() && from.After(f.From) {
		f.From = from
	}
	if !to.IsZero() && (f.To.IsZero() || to.Before(f.To)) {
		f.To = to
	}
	return nil
}

// parseFHIRTime reads a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD, taken as UTC) or
// dateTime (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)) as the interval [start, end)
// it stands for at its precision.
func parseFHIRTime(s string) (start, end time.Time, err error) {
	for _, p := range []struct {
		layout  string
		y, m, d int
	}{{"2006", 1, 0, 0}, {"2006-01", 0, 1, 0}, {"2006-01-02", 0, 0, 1}} {
		if len(s) == len(p.layout) {
			t, err := time.Parse(p.layout, s)
			if err != nil {
				return time.Time{}, time.Time{}, err
			}
			return t, t.AddDate(p.y, p.m, p.d), nil
		}
	}
	if len(s) < len("2006-01-02T15:04:05Z") || s[10] != 'T' {
		return time.Time{}, time.Time{}, fmt.Errorf("%q is not a FHIR date or dateTime", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	t = t.UTC()
	precision := time.Second
	if i := strings.IndexByte(s, '.'); i >= 0 {
		digits := len(s[i+1:]) - len(strings.TrimLeft(s[i+1:], "0123456789"))
		for range min(digits, 9) {
			precision /= 10
		}
	}
	return t, t.Add(precision), nil
}
