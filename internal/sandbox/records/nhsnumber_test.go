package records

import "testing"

func TestValidNHSNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9000000009", true}, // the published test patient
		{"9000000017", true},
		{"9000000025", true},
		{"9434765919", true},
		{"9000000000", false}, // wrong check digit (PDS's own "invalid" example)
		{"9000000001", false},
		{"900000000", false},   // nine digits
		{"90000000099", false}, // eleven
		{"900 000 0009", false},
		{"900000000a", false},
		{"", false},
		{"1000000010", false}, // stem 100000001 has a check of 10: never issued
	}
	for _, tt := range tests {
		if got := ValidNHSNumber(tt.in); got != tt.want {
			t.Errorf("ValidNHSNumber(%q) = %t, want %t", tt.in, got, tt.want)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	if d, ok := CheckDigit("900000000"); !ok || d != '9' {
		t.Errorf("CheckDigit(900000000) = %q, %t; want '9', true", d, ok)
	}
	if d, ok := CheckDigit("943476591"); !ok || d != '9' {
		t.Errorf("CheckDigit(943476591) = %q, %t; want '9', true", d, ok)
	}
	if _, ok := CheckDigit("100000001"); ok {
		t.Error("CheckDigit(100000001) succeeded; its check is 10, which no number may have")
	}
	if _, ok := CheckDigit("12345678x"); ok {
		t.Error("CheckDigit accepted a letter")
	}
}
