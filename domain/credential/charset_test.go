package credential_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

func TestCharsetNormalize(t *testing.T) {
	tests := []struct {
		name    string
		charset credential.Charset
		in      string
		want    string
	}{
		{"crockford canonical", credential.CharsetCrockford32, "K3X9", "K3X9"},
		{"crockford lower-case", credential.CharsetCrockford32, "abcz", "ABCZ"},
		{"crockford O as 0", credential.CharsetCrockford32, "O0oO", "0000"},
		{"crockford I and L as 1", credential.CharsetCrockford32, "iIlL", "1111"},
		{"crockford mixed", credential.CharsetCrockford32, "hoLd", "H01D"},
		{"crockford trims spaces", credential.CharsetCrockford32, "  k3x9 ", "K3X9"},
		{"crockford trims tabs and newlines", credential.CharsetCrockford32, "\tk3x9\r\n", "K3X9"},
		{"crockford keeps inner space", credential.CharsetCrockford32, "k3 x9", "K3 X9"},
		{"crockford empty", credential.CharsetCrockford32, "", ""},
		{"crockford only spaces", credential.CharsetCrockford32, "   ", ""},
		{"digits unchanged", credential.CharsetDigits, "012345", "012345"},
		{"digits trimmed", credential.CharsetDigits, " 012345\n", "012345"},
		{"digits get no letter mapping", credential.CharsetDigits, "O1l", "O1l"},
		{"digits keep case", credential.CharsetDigits, "ab", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.charset.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCharsetNormalizeKeepsAlphabet(t *testing.T) {
	for _, c := range []credential.Charset{credential.CharsetDigits, credential.CharsetCrockford32} {
		a := c.Alphabet()
		if got := c.Normalize(a); got != a {
			t.Errorf("%s: Normalize(alphabet) got %q, want %q", c, got, a)
		}
	}
}

func TestParseCharset(t *testing.T) {
	tests := []struct {
		in      string
		want    credential.Charset
		wantErr bool
	}{
		{"digits", credential.CharsetDigits, false},
		{"crockford32", credential.CharsetCrockford32, false},
		{"Digits", "", true},
		{"CROCKFORD32", "", true},
		{"hex", "", true},
		{"", "", true},
		{" digits", "", true},
	}
	for _, tt := range tests {
		got, err := credential.ParseCharset(tt.in)
		if tt.wantErr {
			if !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("ParseCharset(%q): got %q, %v; want an error wrapping ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCharset(%q): got %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestCharsetAlphabet(t *testing.T) {
	tests := []struct {
		charset  credential.Charset
		want     string
		wantBits float64
	}{
		{credential.CharsetDigits, "0123456789", math.Log2(10)},
		{credential.CharsetCrockford32, "0123456789ABCDEFGHJKMNPQRSTVWXYZ", 5},
	}
	for _, tt := range tests {
		if got := tt.charset.Alphabet(); got != tt.want {
			t.Errorf("%s: Alphabet got %q, want %q", tt.charset, got, tt.want)
		}
		if got := tt.charset.BitsPerChar(); math.Abs(got-tt.wantBits) > 1e-12 {
			t.Errorf("%s: BitsPerChar got %v, want %v", tt.charset, got, tt.wantBits)
		}
	}
	if a := credential.CharsetCrockford32.Alphabet(); strings.ContainsAny(a, "ILOU") {
		t.Errorf("crockford32 alphabet %q: got I, L, O or U, want none", a)
	}
}
