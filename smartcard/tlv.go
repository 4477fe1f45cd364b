package smartcard

import (
	"errors"
	"fmt"
)

// TLV is one BER-TLV data object (ISO/IEC 7816-4 5.2, as used by SP 800-73-4).
// Tag holds the tag bytes as read, e.g. 0x5FC105; Value aliases the parsed buffer.
type TLV struct {
	Tag   uint32
	Value []byte
}

// Constructed reports whether the object holds further objects (bit b6 of the
// first tag byte).
func (t TLV) Constructed() bool {
	first := t.Tag
	for first > 0xFF {
		first >>= 8
	}
	return first&0x20 != 0
}

// ErrMalformedTLV is returned for bytes that are not well-formed BER-TLV.
var ErrMalformedTLV = errors.New("smartcard: malformed BER-TLV")

// maxTagBytes bounds tag numbers; PIV uses at most three bytes.
const maxTagBytes = 4

// ParseTLV splits b into the data objects at its top level. Padding bytes 00 and FF
// between objects are skipped (ISO/IEC 7816-4 5.2).
func ParseTLV(b []byte) ([]TLV, error) {
	var out []TLV
	for len(b) > 0 {
		if b[0] == 0x00 || b[0] == 0xFF {
			b = b[1:]
			continue
		}
		t, rest, err := parseOne(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		b = rest
	}
	return out, nil
}

func parseOne(b []byte) (TLV, []byte, error) {
	tag, n := uint32(b[0]), 1
	if b[0]&0x1F == 0x1F { // tag number in the following bytes, b8 set on all but the last
		for {
			if n >= len(b) {
				return TLV{}, nil, fmt.Errorf("%w: tag cut short", ErrMalformedTLV)
			}
			if n >= maxTagBytes {
				return TLV{}, nil, fmt.Errorf("%w: tag longer than %d bytes", ErrMalformedTLV, maxTagBytes)
			}
			tag = tag<<8 | uint32(b[n])
			n++
			if b[n-1]&0x80 == 0 {
				break
			}
		}
	}
	if n >= len(b) {
		return TLV{}, nil, fmt.Errorf("%w: tag %X has no length", ErrMalformedTLV, tag)
	}
	length, lenBytes := int(b[n]), 1
	if length > 0x7F {
		k := length & 0x7F
		if k == 0 || k > 3 {
			return TLV{}, nil, fmt.Errorf("%w: tag %X: unsupported length form %02X", ErrMalformedTLV, tag, b[n])
		}
		if n+1+k > len(b) {
			return TLV{}, nil, fmt.Errorf("%w: tag %X: length cut short", ErrMalformedTLV, tag)
		}
		length = 0
		for _, c := range b[n+1 : n+1+k] {
			length = length<<8 | int(c)
		}
		lenBytes += k
	}
	start := n + lenBytes
	if length > len(b)-start {
		return TLV{}, nil, fmt.Errorf("%w: tag %X: %d bytes announced, %d present", ErrMalformedTLV, tag, length, len(b)-start)
	}
	return TLV{Tag: tag, Value: b[start : start+length]}, b[start+length:], nil
}

// FindTLV returns the value of the first top-level object with the given tag.
func FindTLV(b []byte, tag uint32) ([]byte, error) {
	objs, err := ParseTLV(b)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.Tag == tag {
			return o.Value, nil
		}
	}
	return nil, fmt.Errorf("%w: tag %X not found", ErrMalformedTLV, tag)
}

// AppendTLV appends tag, the BER length of value and value to dst.
func AppendTLV(dst []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xFFFFFF:
		dst = append(dst, byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFFFF:
		dst = append(dst, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		dst = append(dst, byte(tag>>8), byte(tag))
	default:
		dst = append(dst, byte(tag))
	}
	switch n := len(value); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, value...)
}
