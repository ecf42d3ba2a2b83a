package credential

import (
	"fmt"

	"github.com/otpcard/otpcard/domain/fault"
)

// Secret is how a card's cells are kept: one verifier per cell, computed by the named scheme over
// the server's pepper, the card's salt, the cell's index and its value. The cells themselves are
// never kept.
type Secret struct {
	// Scheme names the verifier function and its parameters, for example
	// "argon2id-hmac-sha256;m=64,t=1,p=1,l=16".
	Scheme    string
	Salt      []byte
	Verifiers [][]byte
}

// Grid is a card's value object: its layout, its secret and how often each cell was used.
type Grid struct {
	layout Layout
	secret Secret
	uses   []int
}

// NewGrid builds the grid of a freshly generated card, every cell unused.
func NewGrid(l Layout, s Secret) (Grid, error) {
	if err := l.Validate(); err != nil {
		return Grid{}, err
	}
	if len(s.Verifiers) != l.Cells() || len(s.Salt) != SaltLength || s.Scheme == "" {
		return Grid{}, fmt.Errorf("%w: grid needs %d verifiers, a %d-byte salt and a scheme",
			fault.ErrInvalid, l.Cells(), SaltLength)
	}
	for _, v := range s.Verifiers {
		if len(v) == 0 || len(v) != len(s.Verifiers[0]) {
			return Grid{}, fmt.Errorf("%w: verifiers must all have the same length", fault.ErrInvalid)
		}
	}
	return Grid{layout: l, secret: s, uses: make([]int, l.Cells())}, nil
}

// RestoreGrid rebuilds a stored grid; adapters only.
func RestoreGrid(l Layout, s Secret, uses []int) Grid {
	if len(uses) != l.Cells() {
		uses = make([]int, l.Cells())
	}
	return Grid{layout: l, secret: s, uses: uses}
}

// Layout is the grid's shape.
func (g Grid) Layout() Layout { return g.layout }

// Secret returns the verifiers, for storage and verification.
func (g Grid) Secret() Secret { return g.secret }

// Uses returns a copy of the use count of each cell.
func (g Grid) Uses() []int { return append([]int(nil), g.uses...) }

// Unused counts the cells never used successfully.
func (g Grid) Unused() int {
	n := 0
	for _, u := range g.uses {
		if u == 0 {
			n++
		}
	}
	return n
}

// OTP renders the grid as an otp string, without a challenge. clear holds the cells in clear (only
// right after generation); nil masks every cell.
func (g Grid) OTP(clear []string) OTPString {
	cells := clear
	if len(cells) != g.layout.Cells() {
		cells = Masked(g.layout)
	}
	return OTPString{Rows: g.layout.Rows, Cols: g.layout.Cols, Uses: g.Uses(), Cells: cells}
}
