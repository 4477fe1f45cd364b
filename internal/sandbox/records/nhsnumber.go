package records

// An NHS number is ten digits, the last a modulus 11 check digit over the first
// nine (NHS Data Dictionary, "NHS Number"): each digit is weighted 10 down to 2,
// the check digit is 11 minus the weighted sum modulo 11, a result of 11 is
// written 0, and a result of 10 means the nine digits are never issued.

// CheckDigit returns the check digit that completes the nine-digit stem of an
// NHS number, and false when stem is not nine ASCII digits or no check digit can
// complete it.
func CheckDigit(stem string) (byte, bool) {
	if len(stem) != 9 {
		return 0, false
	}
	sum := 0
	for i := range 9 {
		c := stem[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * (10 - i)
	}
	switch check := 11 - sum%11; check {
	case 10:
		return 0, false
	case 11:
		return '0', true
	default:
		return byte('0' + check), true
	}
}

// ValidNHSNumber reports whether s is an NHS number: ten ASCII digits, the last
// the check digit of the first nine. It accepts no spaces or dashes; the viewer
// strips those before asking.
func ValidNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	check, ok := CheckDigit(s[:9])
	return ok && s[9] == check
}
