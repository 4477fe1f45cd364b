package client

import (
	"errors"
	"testing"
)

func TestParseNHSNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   NHSNumber
		reason InvalidNHSNumberReason
	}{
		{in: "9434765919", want: "9434765919"},
		{in: "943 476 5919", want: "9434765919"},
		{in: "943-476-5919", want: "9434765919"},
		{in: "9434765919\r\n", want: "9434765919"}, // barcode scanner
		{in: "9434765919\n", want: "9434765919"},
		{in: "9000000009", want: "9000000009"},
		{in: "4010232137", want: "4010232137"},
		{in: "0000000000", want: "0000000000"}, // 11 − 0 = 11 means 0
		{in: "943476591", reason: NHSNumberLength},
		{in: "94347659190", reason: NHSNumberLength},
		{in: "", reason: NHSNumberLength},
		{in: "943 476 591x", reason: NHSNumberCharacters},
		{in: "943\t476 5919", reason: NHSNumberCharacters},
		{in: "９４３４７６５９１９", reason: NHSNumberCharacters}, // full-width digits are not digits here
		{in: "9434765918", reason: NHSNumberCheckDigit},
		{in: "9434765991", reason: NHSNumberCheckDigit}, // transposed
		{in: "0000000060", reason: NHSNumberCheckDigit}, // check digit would be 10
	}
	for _, tt := range tests {
		got, err := ParseNHSNumber(tt.in)
		if tt.reason == 0 {
			if err != nil || got != tt.want {
				t.Errorf("ParseNHSNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var inv *InvalidNHSNumberError
		if !errors.As(err, &inv) || inv.Reason != tt.reason || inv.Input != tt.in {
			t.Errorf("ParseNHSNumber(%q) = %q, %v; want reason %v", tt.in, got, err, tt.reason)
		}
	}
}

func TestNHSCheckDigitEdges(t *testing.T) {
	// Sum ≡ 0 (mod 11): 11 - 0 = 11, which means 0.
	if got := nhsCheckDigit([]byte("000000000")); got != 0 {
		t.Errorf("check digit of 000000000 = %d, want 0", got)
	}
	// Sum ≡ 1 (mod 11): 11 - 1 = 10, which no valid number has; 000000006
	// sums 6×2 = 12 ≡ 1.
	if got := nhsCheckDigit([]byte("000000006")); got != -1 {
		t.Errorf("check digit of 000000006 = %d, want -1 (invalid)", got)
	}
	if _, err := ParseNHSNumber("0000000060"); err == nil {
		t.Error("accepted a number whose check digit would be 10")
	}
}

func TestNHSNumberString(t *testing.T) {
	if got := NHSNumber("9434765919").String(); got != "943 476 5919" {
		t.Errorf("String() = %q", got)
	}
	if got := NHSNumber("").String(); got != "" {
		t.Errorf("String() of empty = %q", got)
	}
}
