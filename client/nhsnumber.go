package client

import (
	"fmt"
	"strings"
)

// NHSNumber is a valid ten-digit NHS number, digits only. Only ParseNHSNumber
// makes one from outside input, so holding one means the check digit was
// right.
type NHSNumber string

// String formats the number as the NHS prints it, 3-3-4: "943 476 5919".
func (n NHSNumber) String() string {
	if len(n) != 10 {
		return string(n)
	}
	return string(n[:3]) + " " + string(n[3:6]) + " " + string(n[6:])
}

// InvalidNHSNumberReason says what is wrong with a number, so the screen can
// say "an NHS number has 10 digits" rather than "that number is not valid"
// when a digit is missing.
type InvalidNHSNumberReason int

const (
	// NHSNumberLength: not exactly ten digits.
	NHSNumberLength InvalidNHSNumberReason = iota + 1
	// NHSNumberCharacters: something other than digits, spaces and dashes.
	NHSNumberCharacters
	// NHSNumberCheckDigit: ten digits whose last is not their modulus 11
	// check digit: most often a mistyped or transposed digit.
	NHSNumberCheckDigit
)

func (r InvalidNHSNumberReason) String() string {
	switch r {
	case NHSNumberLength:
		return "an NHS number has 10 digits"
	case NHSNumberCharacters:
		return "an NHS number has only digits"
	case NHSNumberCheckDigit:
		return "the check digit does not match: a digit is probably mistyped"
	}
	return fmt.Sprintf("InvalidNHSNumberReason(%d)", int(r))
}

// InvalidNHSNumberError is ParseNHSNumber's only error.
type InvalidNHSNumberError struct {
	Input  string // as typed or scanned
	Reason InvalidNHSNumberReason
}

func (e *InvalidNHSNumberError) Error() string {
	// %q: the input may hold anything a keyboard or scanner sends.
	return fmt.Sprintf("client: %q is not an NHS number: %s", e.Input, e.Reason)
}

// ParseNHSNumber accepts a number as people type and print it, "943 476 5919"
// or "943-476-5919", and as a barcode scanner sends it, with a trailing CR or
// LF. It requires exactly ten digits whose last is the modulus 11 check digit
// of the other nine.
func ParseNHSNumber(s string) (NHSNumber, error) {
	var digits [10]byte
	n := 0
	for _, r := range strings.TrimRight(s, "\r\n") {
		switch {
		case r >= '0' && r <= '9':
			if n < len(digits) {
				digits[n] = byte(r)
			}
			n++
		case r == ' ' || r == '-':
		default:
			return "", &InvalidNHSNumberError{Input: s, Reason: NHSNumberCharacters}
		}
	}
	if n != len(digits) {
		return "", &InvalidNHSNumberError{Input: s, Reason: NHSNumberLength}
	}
	if nhsCheckDigit(digits[:9]) != int(digits[9]-'0') {
		return "", &InvalidNHSNumberError{Input: s, Reason: NHSNumberCheckDigit}
	}
	return NHSNumber(digits[:]), nil
}

// nhsCheckDigit is the modulus 11 check digit of nine ASCII digits: weights
// 10 down to 2, 11 minus the remainder, 11 meaning 0. It returns -1 for 10,
// which no valid number has, so no digit compares equal to it.
func nhsCheckDigit(nine []byte) int {
	sum := 0
	for i, d := range nine {
		sum += int(d-'0') * (10 - i)
	}
	switch c := 11 - sum%11; c {
	case 11:
		return 0
	case 10:
		return -1
	default:
		return c
	}
}
