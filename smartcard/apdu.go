package smartcard

import (
	"errors"
	"fmt"
)

// Length limits of command APDUs (ISO/IEC 7816-4 5.1).
const (
	MaxShortData    = 255
	MaxShortLe      = 256
	MaxExtendedData = 65535
	MaxExtendedLe   = 65536
)

// Command is a command APDU. Ne is the number of response bytes expected: 0 means
// no Le field, MaxShortLe or MaxExtendedLe mean "as many as there are".
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
}

// ErrMalformedAPDU is returned for a command or response that breaks ISO/IEC 7816-4
// framing.
var ErrMalformedAPDU = errors.New("smartcard: malformed APDU")

// Encode writes the APDU in short form, or in extended form when extended is true
// (ISO/IEC 7816-4 5.1, cases 1 to 4).
func (c Command) Encode(extended bool) ([]byte, error) {
	maxData, maxNe := MaxShortData, MaxShortLe
	if extended {
		maxData, maxNe = MaxExtendedData, MaxExtendedLe
	}
	if len(c.Data) > maxData || c.Ne < 0 || c.Ne > maxNe {
		return nil, fmt.Errorf("%w: %d data bytes, Ne %d do not fit (extended=%t)", ErrMalformedAPDU, len(c.Data), c.Ne, extended)
	}
	b := make([]byte, 0, 4+3+len(c.Data)+3)
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	switch {
	case !extended:
		if len(c.Data) > 0 {
			b = append(b, byte(len(c.Data)))
			b = append(b, c.Data...)
		}
		if c.Ne > 0 {
			b = append(b, byte(c.Ne)) // 256 encodes as 00
		}
	default:
		if len(c.Data) > 0 {
			b = append(b, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
			b = append(b, c.Data...)
		}
		if c.Ne > 0 {
			if len(c.Data) == 0 {
				b = append(b, 0) // case 2E starts with a zero byte
			}
			b = append(b, byte(c.Ne>>8), byte(c.Ne)) // 65536 encodes as 0000
		}
	}
	return b, nil
}

// ParseCommand decodes a command APDU in short or extended form; extended reports
// which. It is what a card does with the bytes a reader sends.
func ParseCommand(b []byte) (c Command, extended bool, err error) {
	if len(b) < 4 {
		return c, false, fmt.Errorf("%w: %d bytes", ErrMalformedAPDU, len(b))
	}
	c = Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
	case len(body) == 1: // case 2S
		c.Ne = leValue(int(body[0]), MaxShortLe)
	case body[0] != 0 && len(body) == 1+int(body[0]): // case 3S
		c.Data = body[1:]
	case body[0] != 0 && len(body) == 2+int(body[0]): // case 4S
		c.Data = body[1 : len(body)-1]
		c.Ne = leValue(int(body[len(body)-1]), MaxShortLe)
	case body[0] == 0 && len(body) == 3: // case 2E
		extended = true
		c.Ne = leValue(int(body[1])<<8|int(body[2]), MaxExtendedLe)
	case body[0] == 0 && len(body) > 3:
		extended = true
		n := int(body[1])<<8 | int(body[2])
		rest := body[3:]
		switch {
		case n > 0 && len(rest) == n: // case 3E
			c.Data = rest
		case n > 0 && len(rest) == n+2: // case 4E
			c.Data = rest[:n]
			c.Ne = leValue(int(rest[n])<<8|int(rest[n+1]), MaxExtendedLe)
		default:
			return c, false, fmt.Errorf("%w: Lc %d with %d bytes", ErrMalformedAPDU, n, len(rest))
		}
	default:
		return c, false, fmt.Errorf("%w: body of %d bytes", ErrMalformedAPDU, len(body))
	}
	return c, extended, nil
}

// leValue maps an encoded Le of zero to its maximum (ISO/IEC 7816-4 5.1).
func leValue(le, max int) int {
	if le == 0 {
		return max
	}
	return le
}

// ParseResponse splits a response APDU into its data and status word.
func ParseResponse(b []byte) (data []byte, sw StatusWord, err error) {
	if len(b) < 2 {
		return nil, 0, fmt.Errorf("%w: response of %d bytes", ErrMalformedAPDU, len(b))
	}
	n := len(b) - 2
	return b[:n], StatusWord(b[n])<<8 | StatusWord(b[n+1]), nil
}
