package smartcard

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseTLV(t *testing.T) {
	long := bytes.Repeat([]byte{0x42}, 300)
	tests := []struct {
		name string
		in   []byte
		want []TLV
	}{
		{"one-byte tag", []byte{0x53, 0x02, 1, 2}, []TLV{{0x53, []byte{1, 2}}}},
		{"three-byte tag", []byte{0x5F, 0xC1, 0x05, 0x01, 9}, []TLV{{0x5FC105, []byte{9}}}},
		{"empty value", []byte{0xFE, 0x00}, []TLV{{0xFE, []byte{}}}},
		{"81 length", append([]byte{0x70, 0x81, 0x80}, long[:128]...), []TLV{{0x70, long[:128]}}},
		{"82 length", append([]byte{0x70, 0x82, 0x01, 0x2C}, long...), []TLV{{0x70, long}}},
		{"sequence with padding", []byte{0x00, 0x71, 0x01, 0x01, 0xFF, 0xFE, 0x00}, []TLV{{0x71, []byte{1}}, {0xFE, []byte{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTLV(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d objects, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].Tag != tt.want[i].Tag || !bytes.Equal(got[i].Value, tt.want[i].Value) {
					t.Errorf("object %d = %X % X, want %X % X", i, got[i].Tag, got[i].Value, tt.want[i].Tag, tt.want[i].Value)
				}
				// Encoding what was parsed gives canonical bytes that parse the same.
				again, err := ParseTLV(AppendTLV(nil, got[i].Tag, got[i].Value))
				if err != nil || len(again) != 1 || again[0].Tag != got[i].Tag || !bytes.Equal(again[0].Value, got[i].Value) {
					t.Errorf("object %d does not survive AppendTLV: %v", i, err)
				}
			}
		})
	}
}

func TestParseTLVMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"tag cut short":       {0x5F},
		"multi-byte tag open": {0x5F, 0xC1},
		"no length":           {0x53},
		"indefinite length":   {0x53, 0x80, 0x00, 0x00},
		"length cut short":    {0x53, 0x82, 0x01},
		"value cut short":     {0x53, 0x05, 1, 2},
		"five-byte tag":       {0x5F, 0x81, 0x82, 0x83, 0x04, 0x00},
		"length of 4 bytes":   {0x53, 0x84, 0, 0, 0, 1, 0},
	} {
		if _, err := ParseTLV(b); !errors.Is(err, ErrMalformedTLV) {
			t.Errorf("%s: ParseTLV(% X) error = %v, want ErrMalformedTLV", name, b, err)
		}
	}
}

func TestTLVConstructed(t *testing.T) {
	for tag, want := range map[uint32]bool{0x7C: true, 0x53: false, 0x5FC105: false, 0x7F49: true, 0x61: true} {
		if got := (TLV{Tag: tag}).Constructed(); got != want {
			t.Errorf("TLV{%X}.Constructed() = %t, want %t", tag, got, want)
		}
	}
}

func TestFindTLV(t *testing.T) {
	b := AppendTLV(AppendTLV(nil, 0x82, []byte{1}), 0x81, []byte{2, 3})
	v, err := FindTLV(b, 0x81)
	if err != nil || !bytes.Equal(v, []byte{2, 3}) {
		t.Fatalf("FindTLV = % X, %v", v, err)
	}
	if _, err := FindTLV(b, 0x99); !errors.Is(err, ErrMalformedTLV) {
		t.Fatalf("missing tag: err = %v", err)
	}
}
