package virtual

import (
	"errors"
	"testing"

	"github.com/scrterm/scr/smartcard"
)

// Control bytes in a fuzz script, in place of an APDU length.
const (
	fuzzReset  = 0xFF
	fuzzReseat = 0xFE // Remove then Insert
)

// script encodes APDUs as a fuzz input: each is a length byte then the bytes.
func script(apdus ...[]byte) []byte {
	var out []byte
	for _, a := range apdus {
		if a == nil {
			out = append(out, fuzzReset)
			continue
		}
		out = append(out, byte(len(a)))
		out = append(out, a...)
	}
	return out
}

// FuzzTransmit runs any sequence of APDUs, resets and reinsertions through a
// card: it must never panic and must always answer with a status word.
func FuzzTransmit(f *testing.F) {
	ids := []Identity{testIdentity(f, p256), testIdentity(f, rsa2048), testIdentity(f, p384)}

	f.Add(byte(0), script(selectPIV, getCert, b("00 C0 00 00 00"), getCHUID, getDiscovery))
	f.Add(byte(0), script(selectPIV, verifyRight, gaP256(make([]byte, 32))))
	f.Add(byte(0), script(selectPIV, verifyWrong, verifyWrong, verifyWrong, verifyRight, verifyStatus))
	f.Add(byte(1), script(selectPIV, verifyRight, b("10 87 07 9A 03 7C 82 01"), b("00 87 07 9A 02 06 82 00")))
	f.Add(byte(4), script(selectPIV, getCert, nil, b("00 C0 00 00 10"), b("00 C0 00 00"), getCertExtended))
	f.Add(byte(2), script(b("00 A4 04 00 05 A0 00 00 03 08"), b("00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 10")))
	f.Add(byte(0), []byte{4, 0x10, 0xCB, 0x3F, 0xFF, fuzzReseat, 4, 0x00, 0xCB, 0x3F, 0xFF})

	f.Fuzz(func(t *testing.T, setup byte, in []byte) {
		c, err := New(ids[int(setup&0x03)%len(ids)], Options{CompressCert: setup&0x04 != 0})
		if err != nil {
			t.Fatal(err)
		}
		for len(in) > 0 {
			n := int(in[0])
			in = in[1:]
			switch n {
			case fuzzReset:
				c.Reset()
				continue
			case fuzzReseat:
				c.Remove()
				if _, err := c.Transmit(selectPIV); !errors.Is(err, smartcard.ErrCardRemoved) {
					t.Fatalf("Transmit on a removed card: %v", err)
				}
				c.Insert()
				continue
			}
			apdu := in[:min(n, len(in))]
			in = in[len(apdu):]
			resp, err := c.Transmit(apdu)
			if err != nil {
				t.Fatalf("Transmit(% X): %v", apdu, err)
			}
			if len(resp) < 2 {
				t.Fatalf("Transmit(% X) = % X: no status word", apdu, resp)
			}
		}
	})
}
