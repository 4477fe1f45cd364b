package smartcard

import (
	"bytes"
	"errors"
	"testing"
)

func TestCommandEncode(t *testing.T) {
	data300 := bytes.Repeat([]byte{0xAB}, 300)
	tests := []struct {
		name     string
		cmd      Command
		extended bool
		want     []byte
		wantErr  bool
	}{
		{"case 1", Command{INS: 0xA4}, false, []byte{0, 0xA4, 0, 0}, false},
		{"case 2S Le 256 encodes 00", Command{INS: 0xC0, Ne: 256}, false, []byte{0, 0xC0, 0, 0, 0}, false},
		{"case 2S", Command{INS: 0xC0, Ne: 16}, false, []byte{0, 0xC0, 0, 0, 16}, false},
		{"case 3S", Command{INS: 0x20, P2: 0x80, Data: []byte{1, 2}}, false, []byte{0, 0x20, 0, 0x80, 2, 1, 2}, false},
		{"case 4S", Command{CLA: 0x10, INS: 0x87, Data: []byte{9}, Ne: 256}, false, []byte{0x10, 0x87, 0, 0, 1, 9, 0}, false},
		{"case 2E", Command{INS: 0xCB, Ne: 65536}, true, []byte{0, 0xCB, 0, 0, 0, 0, 0}, false},
		{"case 2E small", Command{INS: 0xCB, Ne: 300}, true, []byte{0, 0xCB, 0, 0, 0, 1, 0x2C}, false},
		{"case 3E", Command{INS: 0xDB, Data: []byte{7}}, true, []byte{0, 0xDB, 0, 0, 0, 0, 1, 7}, false},
		{"case 4E", Command{INS: 0x87, Data: []byte{7}, Ne: 65536}, true, []byte{0, 0x87, 0, 0, 0, 0, 1, 7, 0, 0}, false},
		{"short data too long", Command{Data: data300}, false, nil, true},
		{"short Ne too big", Command{Ne: 257}, false, nil, true},
		{"negative Ne", Command{Ne: -1}, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cmd.Encode(tt.extended)
			if tt.wantErr {
				if !errors.Is(err, ErrMalformedAPDU) {
					t.Fatalf("Encode() error = %v, want ErrMalformedAPDU", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Encode() = % X, want % X", got, tt.want)
			}
			back, ext, err := ParseCommand(got)
			if err != nil {
				t.Fatalf("ParseCommand(% X): %v", got, err)
			}
			if ext != tt.extended && len(tt.cmd.Data)+tt.cmd.Ne > 0 {
				t.Errorf("ParseCommand extended = %t, want %t", ext, tt.extended)
			}
			if back.CLA != tt.cmd.CLA || back.INS != tt.cmd.INS || back.P1 != tt.cmd.P1 || back.P2 != tt.cmd.P2 ||
				!bytes.Equal(back.Data, tt.cmd.Data) || back.Ne != tt.cmd.Ne {
				t.Errorf("round trip = %+v, want %+v", back, tt.cmd)
			}
		})
	}
}

func TestParseCommandMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"too short":           {0, 0xA4, 0},
		"Lc beyond data":      {0, 0xA4, 4, 0, 5, 1, 2},
		"extended Lc no data": {0, 0xA4, 4, 0, 0, 0, 5, 1},
		"extended trailing":   {0, 0xA4, 4, 0, 0, 0, 1, 1, 2, 3, 4},
	} {
		if _, _, err := ParseCommand(b); !errors.Is(err, ErrMalformedAPDU) {
			t.Errorf("%s: ParseCommand(% X) error = %v, want ErrMalformedAPDU", name, b, err)
		}
	}
}

func TestParseResponse(t *testing.T) {
	data, sw, err := ParseResponse([]byte{1, 2, 0x63, 0xC2})
	if err != nil || !bytes.Equal(data, []byte{1, 2}) || sw != 0x63C2 {
		t.Fatalf("ParseResponse = % X, %v, %v", data, sw, err)
	}
	if _, _, err := ParseResponse([]byte{0x90}); !errors.Is(err, ErrMalformedAPDU) {
		t.Fatalf("one-byte response: err = %v", err)
	}
}

func TestStatusWord(t *testing.T) {
	tests := []struct {
		sw        StatusWord
		text      string
		tries     int
		triesOK   bool
		blocked   bool
		sw1, sw2  byte
		succeeded bool
	}{
		{0x9000, "9000 (success)", 0, false, false, 0x90, 0x00, true},
		{0x63C2, "63C2 (verification failed, 2 tries left)", 2, true, false, 0x63, 0xC2, false},
		{0x63C0, "63C0 (verification failed, 0 tries left)", 0, true, false, 0x63, 0xC0, false},
		{0x6983, "6983 (authentication method blocked)", 0, false, true, 0x69, 0x83, false},
		{0x6982, "6982 (security status not satisfied)", 0, false, false, 0x69, 0x82, false},
		{0x6A82, "6A82 (file or application not found)", 0, false, false, 0x6A, 0x82, false},
		{0x6D00, "6D00 (instruction not supported)", 0, false, false, 0x6D, 0x00, false},
		{0x6110, "6110 (16 more bytes available)", 0, false, false, 0x61, 0x10, false},
		{0x6C08, "6C08 (wrong Le, exact length 8)", 0, false, false, 0x6C, 0x08, false},
		{0x6F00, "6F00", 0, false, false, 0x6F, 0x00, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.sw.String(); got != tt.text {
				t.Errorf("String() = %q", got)
			}
			n, ok := tt.sw.TriesLeft()
			if n != tt.tries || ok != tt.triesOK {
				t.Errorf("TriesLeft() = %d, %t", n, ok)
			}
			if tt.sw.Blocked() != tt.blocked || tt.sw.OK() != tt.succeeded {
				t.Errorf("Blocked() = %t, OK() = %t", tt.sw.Blocked(), tt.sw.OK())
			}
			if tt.sw.SW1() != tt.sw1 || tt.sw.SW2() != tt.sw2 {
				t.Errorf("SW1 SW2 = %02X %02X", tt.sw.SW1(), tt.sw.SW2())
			}
		})
	}
	err := error(&StatusError{Op: "VERIFY", SW: 0x63C1})
	if sw, ok := StatusOf(err); !ok || sw != 0x63C1 {
		t.Errorf("StatusOf = %v, %t", sw, ok)
	}
	if _, ok := StatusOf(errors.New("other")); ok {
		t.Error("StatusOf found a status word in a plain error")
	}
}
