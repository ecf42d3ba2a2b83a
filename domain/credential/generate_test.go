package credential_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
)

// cyclingReader yields 0, 1, ..., 255, 0, 1, ... forever: every byte value equally often.
type cyclingReader struct{ next byte }

func (r *cyclingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// failingReader yields its bytes, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestGenerateCellsShape(t *testing.T) {
	for _, l := range []credential.Layout{
		defaultLayout(),
		{Rows: 1, Cols: 1, CellLength: 12, Charset: credential.CharsetDigits},
		{Rows: 3, Cols: 5, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true},
		{Rows: 99, Cols: 26, CellLength: 4, Charset: credential.CharsetCrockford32},
	} {
		cells, err := credential.GenerateCells(l, nil)
		if err != nil {
			t.Fatalf("%+v: got error %v, want nil", l, err)
		}
		if len(cells) != l.Cells() {
			t.Fatalf("%+v: got %d cells, want %d", l, len(cells), l.Cells())
		}
		alphabet := l.Charset.Alphabet()
		for i, c := range cells {
			if len(c) != l.CellLength {
				t.Fatalf("%+v cell %d: got length %d, want %d", l, i, len(c), l.CellLength)
			}
			for _, r := range c {
				if !strings.ContainsRune(alphabet, r) {
					t.Fatalf("%+v cell %d %q: got %q, want only %q", l, i, c, r, alphabet)
				}
			}
			if got := l.Charset.Normalize(c); got != c {
				t.Fatalf("cell %q is not canonical: Normalize gives %q", c, got)
			}
		}
	}
}

func TestGenerateCellsDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		layout credential.Layout
		input  []byte
		want   []string
	}{
		{"digits skip bytes 250-255", credential.Layout{Rows: 1, Cols: 1, CellLength: 6, Charset: credential.CharsetDigits},
			[]byte{255, 0, 250, 1, 253, 2, 249, 251, 252, 254, 3, 4}, []string{"012934"}},
		{"digits modulo below 250", credential.Layout{Rows: 1, Cols: 2, CellLength: 6, Charset: credential.CharsetDigits},
			[]byte{10, 21, 32, 43, 54, 65, 76, 87, 98, 109, 240, 248}, []string{"012345", "678908"}},
		{"crockford uses every byte", credential.Layout{Rows: 1, Cols: 2, CellLength: 4, Charset: credential.CharsetCrockford32},
			[]byte{0, 31, 32, 255, 250, 251, 252, 253}, []string{"0Z0Z", "TVWX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := credential.GenerateCells(tt.layout, bytes.NewReader(tt.input))
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestGenerateCellsHasNoModuloBias feeds every byte value equally often: with rejection sampling
// each digit comes out exactly equally often, while a plain modulo would favour 0-5.
func TestGenerateCellsHasNoModuloBias(t *testing.T) {
	tests := []struct {
		name   string
		layout credential.Layout
		want   int // occurrences of each character
	}{
		// 2500 digits = 10 rounds of the 250 accepted byte values, 25 of each digit per round.
		{"digits", credential.Layout{Rows: 10, Cols: 25, CellLength: 10, Charset: credential.CharsetDigits}, 250},
		// 2560 characters = 10 rounds of 256 byte values, 8 of each character per round.
		{"crockford32", credential.Layout{Rows: 20, Cols: 16, CellLength: 8, Charset: credential.CharsetCrockford32}, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := credential.GenerateCells(tt.layout, &cyclingReader{})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			counts := map[rune]int{}
			for _, c := range cells {
				for _, r := range c {
					counts[r]++
				}
			}
			for _, r := range tt.layout.Charset.Alphabet() {
				if counts[r] != tt.want {
					t.Errorf("%q: got %d occurrences, want %d", r, counts[r], tt.want)
				}
			}
		})
	}
}

func TestGenerateCellsReaderErrors(t *testing.T) {
	errBoom := errors.New("entropy source broken")
	digits := credential.Layout{Rows: 1, Cols: 2, CellLength: 6, Charset: credential.CharsetDigits}
	tests := []struct {
		name    string
		layout  credential.Layout
		reader  io.Reader
		wantErr error
	}{
		{"error at once", defaultLayout(), &failingReader{err: errBoom}, errBoom},
		{"error midway", defaultLayout(), &failingReader{data: make([]byte, 100), err: errBoom}, errBoom},
		{"one byte short", defaultLayout(), bytes.NewReader(make([]byte, 168*4-1)), io.EOF},
		{"only rejected bytes", digits, bytes.NewReader(bytes.Repeat([]byte{250, 255}, 100)), io.EOF},
		{"rejected bytes leave it short", digits, bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 250}), io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := credential.GenerateCells(tt.layout, tt.reader)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %d cells, error %v; want an error wrapping %v", len(cells), err, tt.wantErr)
			}
			if cells != nil {
				t.Errorf("got %d cells with the error, want none", len(cells))
			}
		})
	}
}

// TestGenerateCellsUniform is a loose chi-square check over crypto/rand. The bounds sit near a
// p-value of 1e-12, so a correct generator never trips them, while a biased one would.
func TestGenerateCellsUniform(t *testing.T) {
	tests := []struct {
		name   string
		layout credential.Layout
		bound  float64
	}{
		{"digits", credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: credential.CharsetDigits}, 90},            // 9 dof
		{"crockford32", credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: credential.CharsetCrockford32}, 130}, // 31 dof
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, err := credential.GenerateCells(tt.layout, nil)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			counts := map[rune]int{}
			total := 0
			for _, c := range cells {
				for _, r := range c {
					counts[r]++
					total++
				}
			}
			alphabet := tt.layout.Charset.Alphabet()
			expected := float64(total) / float64(len(alphabet))
			chi2 := 0.0
			for _, r := range alphabet {
				d := float64(counts[r]) - expected
				chi2 += d * d / expected
			}
			if chi2 > tt.bound {
				t.Errorf("chi-square over %d characters: got %.1f, want at most %.0f (counts %v)", total, chi2, tt.bound, counts)
			}
		})
	}
}

func TestGenerateCellsDiffer(t *testing.T) {
	a, err1 := credential.GenerateCells(defaultLayout(), nil)
	b, err2 := credential.GenerateCells(defaultLayout(), nil)
	if err1 != nil || err2 != nil {
		t.Fatalf("got errors %v, %v; want nil", err1, err2)
	}
	if slices.Equal(a, b) {
		t.Errorf("two cards from crypto/rand: got the same cells, want different ones")
	}
}

func TestNewSalt(t *testing.T) {
	a, err1 := credential.NewSalt()
	b, err2 := credential.NewSalt()
	if err1 != nil || err2 != nil {
		t.Fatalf("got errors %v, %v; want nil", err1, err2)
	}
	if len(a) != credential.SaltLength || credential.SaltLength != 16 {
		t.Errorf("got a %d-byte salt (SaltLength %d), want 16", len(a), credential.SaltLength)
	}
	if bytes.Equal(a, b) {
		t.Errorf("two salts: got equal %x, want different", a)
	}
}

func BenchmarkGenerateCells(b *testing.B) {
	l := defaultLayout()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := credential.GenerateCells(l, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*l.Cells()), "ns/cell")
}
