package credential_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// sampleCells returns n distinct cells of the given length over the crockford32 alphabet.
func sampleCells(n, length int) []string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	cells := make([]string, n)
	for i := range cells {
		b := make([]byte, length)
		v := i
		for j := range b {
			b[length-1-j] = alphabet[v%32]
			v /= 32
		}
		cells[i] = string(b)
	}
	return cells
}

func TestOTPStringDefaultCard(t *testing.T) {
	l := defaultLayout()
	o := credential.OTPString{Rows: l.Rows, Cols: l.Cols, Uses: make([]int, l.Cells()), Cells: credential.Masked(l)}
	parts := strings.Split(o.String(), "|")
	if len(parts) != 4 {
		t.Fatalf("got %d parts, want 4", len(parts))
	}
	want := []string{"12", "14", strings.Repeat("0", 168), strings.Repeat("*", 168*4)}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d: got %q, want %q", i, parts[i], want[i])
		}
	}
}

func TestMasked(t *testing.T) {
	for _, l := range []credential.Layout{
		defaultLayout(),
		{Rows: 1, Cols: 1, CellLength: 12, Charset: credential.CharsetDigits},
		{Rows: 99, Cols: 26, CellLength: 2, Charset: credential.CharsetCrockford32},
	} {
		cells := credential.Masked(l)
		if len(cells) != l.Cells() {
			t.Fatalf("%dx%d: got %d cells, want %d", l.Rows, l.Cols, len(cells), l.Cells())
		}
		for i, c := range cells {
			if want := strings.Repeat("*", l.CellLength); c != want {
				t.Fatalf("%dx%d cell %d: got %q, want %q", l.Rows, l.Cols, i, c, want)
			}
		}
	}
}

func TestOTPStringRoundTrip(t *testing.T) {
	uses := func(n int, f func(i int) int) []int {
		u := make([]int, n)
		for i := range u {
			u[i] = f(i)
		}
		return u
	}
	tests := []struct {
		name string
		o    credential.OTPString
	}{
		{"default masked", credential.OTPString{Rows: 12, Cols: 14, Uses: make([]int, 168), Cells: credential.Masked(defaultLayout())}},
		{"default clear with challenge", credential.OTPString{Rows: 12, Cols: 14,
			Uses: uses(168, func(i int) int { return i % 2 }), Cells: sampleCells(168, 4), Challenge: "B7"}},
		{"numeric challenge", credential.OTPString{Rows: 12, Cols: 14, Uses: make([]int, 168),
			Cells: sampleCells(168, 4), Challenge: "031"}},
		{"1x1", credential.OTPString{Rows: 1, Cols: 1, Uses: []int{9}, Cells: []string{"123456789012"}}},
		{"largest card", credential.OTPString{Rows: 99, Cols: 26, Uses: uses(2574, func(i int) int { return i % 10 }),
			Cells: sampleCells(2574, 3), Challenge: "2574"}},
		{"3x5 of 6 digits", credential.OTPString{Rows: 3, Cols: 5, Uses: make([]int, 15),
			Cells: slices.Repeat([]string{"012345"}, 15), Challenge: "E3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.o.String()
			got, err := credential.ParseOTPString(s)
			if err != nil {
				t.Fatalf("ParseOTPString(%.60q...): got error %v, want nil", s, err)
			}
			if got.Rows != tt.o.Rows || got.Cols != tt.o.Cols || got.Challenge != tt.o.Challenge {
				t.Errorf("got %dx%d challenge %q, want %dx%d challenge %q",
					got.Rows, got.Cols, got.Challenge, tt.o.Rows, tt.o.Cols, tt.o.Challenge)
			}
			if !slices.Equal(got.Uses, tt.o.Uses) {
				t.Errorf("Uses: got %v, want %v", got.Uses, tt.o.Uses)
			}
			if !slices.Equal(got.Cells, tt.o.Cells) {
				t.Errorf("Cells: got %v, want %v", got.Cells, tt.o.Cells)
			}
			if again := got.String(); again != s {
				t.Errorf("re-encoded: got %q, want %q", again, s)
			}
		})
	}
}

func TestOTPStringCountersSaturate(t *testing.T) {
	o := credential.OTPString{Rows: 1, Cols: 7, Uses: []int{0, 1, 8, 9, 10, 250, -3}, Cells: sampleCells(7, 2)}
	s := o.String()
	if got, want := strings.Split(s, "|")[2], "0189990"; got != want {
		t.Fatalf("counters: got %q, want %q", got, want)
	}
	p, err := credential.ParseOTPString(s)
	if err != nil {
		t.Fatalf("ParseOTPString: got error %v, want nil", err)
	}
	if want := []int{0, 1, 8, 9, 9, 9, 0}; !slices.Equal(p.Uses, want) {
		t.Errorf("parsed counters: got %v, want %v", p.Uses, want)
	}
}

func TestOTPStringChallengePart(t *testing.T) {
	o := credential.OTPString{Rows: 1, Cols: 2, Uses: []int{0, 0}, Cells: []string{"AB", "CD"}}
	if got, want := o.String(), "1|2|00|ABCD"; got != want {
		t.Errorf("without challenge: got %q, want %q", got, want)
	}
	o.Challenge = "B1"
	if got, want := o.String(), "1|2|00|ABCD|B1"; got != want {
		t.Errorf("with challenge: got %q, want %q", got, want)
	}
}

func TestParseOTPStringRejectsMalformed(t *testing.T) {
	zeros := func(n int) string { return strings.Repeat("0", n) }
	stars := func(n int) string { return strings.Repeat("*", n) }
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"one part", "12"},
		{"three parts", "1|1|0"},
		{"six parts", "1|1|0|AB|A1|x"},
		{"rows not a number", "x|1|0|AB"},
		{"cols not a number", "1|y|0|AB"},
		{"rows empty", "|1|0|AB"},
		{"rows 0", "0|1||AB"},
		{"rows 100", "100|1|" + zeros(100) + "|" + stars(200)},
		{"rows negative", "-1|1|0|AB"},
		{"rows with plus", "+1|1|0|AB"},
		{"cols with plus", "1|+1|0|AB"},
		{"rows with space", " 1|1|0|AB"},
		{"cols 0", "1|0||AB"},
		{"cols 27", "1|27|" + zeros(27) + "|" + stars(54)},
		{"counter not a digit", "2|2|00a0|" + stars(8)},
		{"counter negative sign", "2|2|-000|" + stars(8)},
		{"counters short", "2|2|000|" + stars(8)},
		{"counters long", "2|2|00000|" + stars(8)},
		{"card empty", "2|2|0000|"},
		{"card not a multiple of the cells", "2|2|0000|" + stars(7)},
		{"card shorter than the cells", "2|2|0000|" + stars(3)},
		{"empty challenge", "2|2|0000|" + stars(8) + "|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := credential.ParseOTPString(tt.in)
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("ParseOTPString(%q): got %+v, %v; want an error wrapping ErrInvalid", tt.in, got, err)
			}
		})
	}
}

func TestParseOTPStringBounds(t *testing.T) {
	for _, tc := range []struct{ rows, cols int }{{1, 1}, {99, 1}, {1, 26}, {99, 26}} {
		n := tc.rows * tc.cols
		s := fmt.Sprintf("%d|%d|%s|%s", tc.rows, tc.cols, strings.Repeat("0", n), strings.Repeat("*", 2*n))
		o, err := credential.ParseOTPString(s)
		if err != nil {
			t.Errorf("%dx%d: got error %v, want nil", tc.rows, tc.cols, err)
			continue
		}
		if len(o.Cells) != n || o.Cells[n-1] != "**" {
			t.Errorf("%dx%d: got %d cells ending %q, want %d ending \"**\"", tc.rows, tc.cols, len(o.Cells), o.Cells[n-1], n)
		}
	}
}

func BenchmarkOTPString(b *testing.B) {
	o := credential.OTPString{Rows: 12, Cols: 14, Uses: make([]int, 168), Cells: sampleCells(168, 4), Challenge: "B7"}
	b.ReportAllocs()
	for b.Loop() {
		_ = o.String()
	}
}

func BenchmarkParseOTPString(b *testing.B) {
	s := credential.OTPString{Rows: 12, Cols: 14, Uses: make([]int, 168), Cells: sampleCells(168, 4), Challenge: "B7"}.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := credential.ParseOTPString(s); err != nil {
			b.Fatal(err)
		}
	}
}
