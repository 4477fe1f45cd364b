package smartcard

import (
	"bytes"
	"testing"
)

// The parsers below read bytes from a card, which may be faulty or hostile: they
// must never panic and never read past what they were given.

func FuzzParseTLV(f *testing.F) {
	f.Add([]byte{0x53, 0x04, 0x70, 0x02, 0x30, 0x00})
	f.Add([]byte{0x7C, 0x82, 0x00, 0x03, 0x82, 0x01, 0x00})
	f.Add([]byte{0x5F, 0xC1, 0x05, 0x81, 0x01, 0x00, 0xFF, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := ParseTLV(b)
		if err != nil {
			return
		}
		var again []byte
		for _, o := range objs {
			again = AppendTLV(again, o.Tag, o.Value)
		}
		back, err := ParseTLV(again)
		if err != nil || len(back) != len(objs) {
			t.Fatalf("re-encoded objects do not parse: %v", err)
		}
		for i := range back {
			if back[i].Tag != objs[i].Tag || !bytes.Equal(back[i].Value, objs[i].Value) {
				t.Fatalf("object %d changed on re-encoding", i)
			}
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x53, 0x00, 0x61, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		data, sw, err := ParseResponse(b)
		if err != nil {
			return
		}
		if len(data) != len(b)-2 || sw.SW1() != b[len(b)-2] || sw.SW2() != b[len(b)-1] {
			t.Fatalf("ParseResponse(% X) = % X, %v", b, data, sw)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte{0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00})
	f.Add([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, ext, err := ParseCommand(b)
		if err != nil {
			return
		}
		enc, err := cmd.Encode(ext)
		if err != nil {
			t.Fatalf("parsed command does not encode: %v", err)
		}
		if again, _, err := ParseCommand(enc); err != nil || !bytes.Equal(again.Data, cmd.Data) || again.Ne != cmd.Ne {
			t.Fatalf("command changed on re-encoding: %v", err)
		}
	})
}

func FuzzCertObject(f *testing.F) {
	f.Add([]byte{0x70, 0x03, 0x30, 0x01, 0x00, 0x71, 0x01, 0x00, 0xFE, 0x00})
	f.Add([]byte{0x70, 0x02, 0x1F, 0x8B, 0x71, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseCertObject(b) // must not panic; any error is fine
	})
}
