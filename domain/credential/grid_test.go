package credential_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// defaultLayout is the layout of the default policy: 12 rows, 14 columns, four crockford32 characters.
func defaultLayout() credential.Layout { return credential.DefaultParameters().Layout }

// testSecret is a well-formed secret of n verifiers; tag tells secrets apart.
func testSecret(n int, tag byte) credential.Secret {
	v := make([][]byte, n)
	for i := range v {
		v[i] = []byte{tag, byte(i), byte(i >> 8)}
	}
	salt := make([]byte, credential.SaltLength)
	salt[0] = tag
	return credential.Secret{Scheme: "test-scheme", Salt: salt, Verifiers: v}
}

// newTestGrid builds a fresh grid of layout l whose secret is marked with tag.
func newTestGrid(t *testing.T, l credential.Layout, tag byte) credential.Grid {
	t.Helper()
	g, err := credential.NewGrid(l, testSecret(l.Cells(), tag))
	if err != nil {
		t.Fatalf("NewGrid(%+v): got error %v, want nil", l, err)
	}
	return g
}

func TestNewGridValidation(t *testing.T) {
	l := defaultLayout()
	good := testSecret(l.Cells(), 1)
	tests := []struct {
		name    string
		layout  credential.Layout
		secret  func() credential.Secret
		wantErr error
	}{
		{"valid default", l, func() credential.Secret { return good }, nil},
		{"valid 1x1 digits", credential.Layout{Rows: 1, Cols: 1, CellLength: 6, Charset: credential.CharsetDigits},
			func() credential.Secret { return testSecret(1, 1) }, nil},
		{"invalid layout", credential.Layout{Rows: 0, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32},
			func() credential.Secret { return testSecret(0, 1) }, credential.ErrPolicyViolation},
		{"one verifier short", l, func() credential.Secret {
			s := good
			s.Verifiers = s.Verifiers[:l.Cells()-1]
			return s
		}, fault.ErrInvalid},
		{"one verifier too many", l, func() credential.Secret { return testSecret(l.Cells()+1, 1) }, fault.ErrInvalid},
		{"salt of 15 bytes", l, func() credential.Secret {
			s := good
			s.Salt = make([]byte, 15)
			return s
		}, fault.ErrInvalid},
		{"salt of 17 bytes", l, func() credential.Secret {
			s := good
			s.Salt = make([]byte, 17)
			return s
		}, fault.ErrInvalid},
		{"no salt", l, func() credential.Secret {
			s := good
			s.Salt = nil
			return s
		}, fault.ErrInvalid},
		{"no scheme", l, func() credential.Secret {
			s := good
			s.Scheme = ""
			return s
		}, fault.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := credential.NewGrid(tt.layout, tt.secret())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if got, want := g.Layout(), tt.layout; got != want {
					t.Errorf("Layout: got %+v, want %+v", got, want)
				}
				if got, want := g.Unused(), tt.layout.Cells(); got != want {
					t.Errorf("Unused: got %d, want %d", got, want)
				}
				if got, want := g.Uses(), make([]int, tt.layout.Cells()); !slices.Equal(got, want) {
					t.Errorf("Uses: got %v, want all zero", got)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want one wrapping %v", err, tt.wantErr)
			}
		})
	}
}

func TestRestoreGrid(t *testing.T) {
	l := credential.Layout{Rows: 2, Cols: 2, CellLength: 4, Charset: credential.CharsetCrockford32}
	tests := []struct {
		name       string
		uses       []int
		wantUses   []int
		wantUnused int
	}{
		{"uses kept", []int{0, 1, 3, 0}, []int{0, 1, 3, 0}, 2},
		{"all used", []int{1, 1, 1, 1}, []int{1, 1, 1, 1}, 0},
		{"wrong length becomes unused", []int{1, 1}, []int{0, 0, 0, 0}, 4},
		{"nil becomes unused", nil, []int{0, 0, 0, 0}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := credential.RestoreGrid(l, testSecret(4, 2), tt.uses)
			if got := g.Uses(); !slices.Equal(got, tt.wantUses) {
				t.Errorf("Uses: got %v, want %v", got, tt.wantUses)
			}
			if got := g.Unused(); got != tt.wantUnused {
				t.Errorf("Unused: got %d, want %d", got, tt.wantUnused)
			}
			if got := g.Secret().Salt[0]; got != 2 {
				t.Errorf("Secret: got salt tag %d, want 2", got)
			}
		})
	}
}

func TestGridUsesReturnsCopy(t *testing.T) {
	l := credential.Layout{Rows: 1, Cols: 3, CellLength: 4, Charset: credential.CharsetCrockford32}
	g := credential.RestoreGrid(l, testSecret(3, 1), []int{0, 2, 0})
	u := g.Uses()
	u[0] = 9
	if got := g.Uses(); !slices.Equal(got, []int{0, 2, 0}) {
		t.Errorf("after mutating a returned slice: got %v, want [0 2 0]", got)
	}
}

func TestGridOTP(t *testing.T) {
	l := credential.Layout{Rows: 2, Cols: 3, CellLength: 4, Charset: credential.CharsetCrockford32, Coordinate: true}
	g := credential.RestoreGrid(l, testSecret(6, 1), []int{0, 1, 0, 12, 0, 0})
	clear := []string{"AAAA", "BBBB", "CCCC", "DDDD", "EEEE", "FFFF"}
	mask := strings.Repeat("****", 6)
	tests := []struct {
		name  string
		clear []string
		want  string
	}{
		{"masked", nil, "2|3|010900|" + mask},
		{"clear", clear, "2|3|010900|AAAABBBBCCCCDDDDEEEEFFFF"},
		{"clear of the wrong length is masked", clear[:5], "2|3|010900|" + mask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.OTP(tt.clear).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
