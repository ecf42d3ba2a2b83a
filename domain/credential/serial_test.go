package credential_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

var printedSerial = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

func TestNewSerialIsPrintedInGroupsOfFour(t *testing.T) {
	seen := map[credential.Serial]bool{}
	for range 1000 {
		s, err := credential.NewSerial(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !printedSerial.MatchString(s.String()) {
			t.Fatalf("serial %q is not 12 crockford32 characters in groups of four", s)
		}
		if seen[s] {
			t.Fatalf("serial %q drawn twice in 1000 draws of 60 bits", s)
		}
		seen[s] = true
	}
}

func TestNewSerialUsesEveryCharacterOfTheAlphabet(t *testing.T) {
	// Bytes 0..255 in turn: each of the 32 characters is drawn equally often.
	src := bytes.Repeat(func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}(), 3)
	counts := map[rune]int{}
	r := bytes.NewReader(src)
	for range 64 {
		s, err := credential.NewSerial(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range s.String() {
			if ch != '-' {
				counts[ch]++
			}
		}
	}
	if len(counts) != 32 {
		t.Fatalf("%d distinct characters, want 32", len(counts))
	}
	for ch, n := range counts {
		if n != 24 {
			t.Fatalf("character %q drawn %d times, want 24 (no bias)", ch, n)
		}
	}
	if _, err := credential.NewSerial(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Fatal("a short random source must fail, not give a short serial")
	}
}

func TestParseSerialReadsWhatAUserTypes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"7QX2-B9KM-03TD", "7QX2-B9KM-03TD"},
		{"7qx2b9km03td", "7QX2-B9KM-03TD"},
		{"7QX2 B9KM 03TD", "7QX2-B9KM-03TD"},
		{"7QX2-B9KM-O3TD", "7QX2-B9KM-03TD"}, // O is 0
		{"1ILl-0Oo0-ABCD", "1111-0000-ABCD"}, // I and L are 1
		{"-7QX2--B9KM-03TD-", "7QX2-B9KM-03TD"},
	} {
		got, err := credential.ParseSerial(tc.in)
		if err != nil {
			t.Fatalf("ParseSerial(%q): %v", tc.in, err)
		}
		if got.String() != tc.want {
			t.Fatalf("ParseSerial(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "7QX2-B9KM-03T", "7QX2-B9KM-03TDX", "7QX2-B9KM-03TU", "7QX2_B9KM_03TD", "7QX2-B9KM-03TÄ"} {
		if _, err := credential.ParseSerial(bad); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("ParseSerial(%q) = %v, want fault.ErrInvalid", bad, err)
		}
	}
}
