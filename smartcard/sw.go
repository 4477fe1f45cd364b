package smartcard

import (
	"errors"
	"fmt"
)

// StatusWord is the two trailer bytes SW1 SW2 of a response APDU (ISO/IEC 7816-4
// 5.1.3). It is kept whole so that callers can tell "2 tries left" from "blocked".
type StatusWord uint16

// Status words this package names or acts on.
const (
	SWSuccess                StatusWord = 0x9000
	SWWrongLength            StatusWord = 0x6700
	SWSecurityNotSatisfied   StatusWord = 0x6982 // e.g. PIN not verified
	SWAuthMethodBlocked      StatusWord = 0x6983 // PIN blocked
	SWConditionsNotSatisfied StatusWord = 0x6985
	SWIncorrectData          StatusWord = 0x6A80
	SWFuncNotSupported       StatusWord = 0x6A81
	SWFileNotFound           StatusWord = 0x6A82 // application or data object absent
	SWIncorrectP1P2          StatusWord = 0x6A86
	SWRefDataNotFound        StatusWord = 0x6A88
	SWLastCmdExpected        StatusWord = 0x6883 // chaining broken off
	SWChainingUnsupported    StatusWord = 0x6884
	SWInsNotSupported        StatusWord = 0x6D00
	SWClassNotSupported      StatusWord = 0x6E00
)

// SW1 and SW2 return the two bytes.
func (sw StatusWord) SW1() byte { return byte(sw >> 8) }
func (sw StatusWord) SW2() byte { return byte(sw) }

// OK reports whether the command completed normally (9000).
func (sw StatusWord) OK() bool { return sw == SWSuccess }

// TriesLeft reports the retry counter carried by 63Cx (ISO/IEC 7816-4 table 6,
// "counter provided by X"); ok is false for any other status word.
func (sw StatusWord) TriesLeft() (n int, ok bool) {
	if sw&0xFFF0 == 0x63C0 {
		return int(sw & 0x0F), true
	}
	return 0, false
}

// Blocked reports whether the referenced PIN or key is blocked (6983).
func (sw StatusWord) Blocked() bool { return sw == SWAuthMethodBlocked }

// String names the status word, e.g. "6983 (authentication method blocked)".
func (sw StatusWord) String() string {
	if n, ok := sw.TriesLeft(); ok {
		return fmt.Sprintf("%04X (verification failed, %d tries left)", uint16(sw), n)
	}
	switch sw.SW1() {
	case 0x61:
		return fmt.Sprintf("%04X (%d more bytes available)", uint16(sw), sw.SW2())
	case 0x6C:
		return fmt.Sprintf("%04X (wrong Le, exact length %d)", uint16(sw), sw.SW2())
	}
	if name, ok := swNames[sw]; ok {
		return fmt.Sprintf("%04X (%s)", uint16(sw), name)
	}
	return fmt.Sprintf("%04X", uint16(sw))
}

var swNames = map[StatusWord]string{
	SWSuccess:                "success",
	SWWrongLength:            "wrong length",
	SWSecurityNotSatisfied:   "security status not satisfied",
	SWAuthMethodBlocked:      "authentication method blocked",
	SWConditionsNotSatisfied: "conditions of use not satisfied",
	SWIncorrectData:          "incorrect data",
	SWFuncNotSupported:       "function not supported",
	SWFileNotFound:           "file or application not found",
	SWIncorrectP1P2:          "incorrect P1 P2",
	SWRefDataNotFound:        "referenced data not found",
	SWLastCmdExpected:        "last command of the chain expected",
	SWChainingUnsupported:    "command chaining not supported",
	SWInsNotSupported:        "instruction not supported",
	SWClassNotSupported:      "class not supported",
}

// StatusError is a command the card answered with anything but 9000. It keeps the
// instruction and the status word so the caller can act on 63Cx or 6983.
type StatusError struct {
	Op string // what was asked, e.g. "VERIFY"
	SW StatusWord
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("smartcard: %s: card answered %s", e.Op, e.SW)
}

// StatusOf returns the status word inside err, if err carries one.
func StatusOf(err error) (StatusWord, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.SW, true
	}
	return 0, false
}
