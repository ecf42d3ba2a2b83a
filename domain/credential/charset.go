package credential

import (
	"fmt"
	"math"
	"strings"

	"github.com/otpcard/otpcard/domain/fault"
)

// Charset is the alphabet of a card's cells.
type Charset string

// The two alphabets of API.md section 5.2.
const (
	CharsetDigits      Charset = "digits"
	CharsetCrockford32 Charset = "crockford32"
)

const (
	digitsAlphabet    = "0123456789"
	crockfordAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// ParseCharset returns the charset with that name.
func ParseCharset(name string) (Charset, error) {
	switch Charset(name) {
	case CharsetDigits, CharsetCrockford32:
		return Charset(name), nil
	}
	return "", fmt.Errorf("%w: unknown charset %q", fault.ErrInvalid, name)
}

// Alphabet returns the characters cells are drawn from.
func (c Charset) Alphabet() string {
	if c == CharsetDigits {
		return digitsAlphabet
	}
	return crockfordAlphabet
}

// BitsPerChar is log2 of the alphabet size.
func (c Charset) BitsPerChar() float64 { return math.Log2(float64(len(c.Alphabet()))) }

// Normalize turns what a user typed into the canonical form of a cell: crockford32 is read
// case-insensitively with O as 0 and I, L as 1; surrounding spaces are ignored.
func (c Charset) Normalize(input string) string {
	s := strings.TrimSpace(input)
	if c != CharsetCrockford32 {
		return s
	}
	s = strings.ToUpper(s)
	return strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s)
}
