package credential

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
)

// GenerateCells draws every cell of a card of that layout from r (crypto/rand.Reader when nil),
// uniformly over the charset: bytes that would bias a modulo are rejected.
func GenerateCells(l Layout, r io.Reader) ([]string, error) {
	if r == nil {
		r = rand.Reader
	}
	alphabet := l.Charset.Alphabet()
	n := len(alphabet)
	limit := 256 - 256%n // bytes >= limit would favour the first 256%n characters
	src := bufio.NewReaderSize(r, l.Cells()*l.CellLength+64)
	cells := make([]string, l.Cells())
	buf := make([]byte, l.CellLength)
	for i := range cells {
		for j := 0; j < l.CellLength; {
			b, err := src.ReadByte()
			if err != nil {
				return nil, fmt.Errorf("generate cells: %w", err)
			}
			if int(b) >= limit {
				continue
			}
			buf[j] = alphabet[int(b)%n]
			j++
		}
		cells[i] = string(buf)
	}
	return cells, nil
}

// NewSalt returns the 16 random bytes that salt one card's verifiers.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("card salt: %w", err)
	}
	return salt, nil
}

// SaltLength is the length of a card's salt in bytes.
const SaltLength = 16
