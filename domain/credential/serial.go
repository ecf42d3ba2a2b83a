package credential

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/otpcard/otpcard/domain/fault"
)

// SerialLength is the number of crockford32 characters of a serial number, printed in groups of
// SerialGroup (API.md section 10.1): 60 random bits.
const (
	SerialLength = 12
	SerialGroup  = 4
)

// Serial is a card's serial number in its printed form, `7QX2-B9KM-03TD`: random, unique across
// the service, printed on the card so that a user and a help desk can tell two cards apart. It
// is no secret. The zero value means the card has none (it was issued before serials existed).
type Serial string

// NewSerial draws a serial number from r (crypto/rand.Reader when nil), each character uniform
// over the crockford32 alphabet (32 divides 256, so no byte is rejected).
func NewSerial(r io.Reader) (Serial, error) {
	if r == nil {
		r = rand.Reader
	}
	var raw [SerialLength]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return "", fmt.Errorf("serial number: %w", err)
	}
	for i, b := range raw {
		raw[i] = crockfordAlphabet[int(b)%len(crockfordAlphabet)]
	}
	return formatSerial(string(raw[:])), nil
}

// ParseSerial reads a serial number as a user types it: case-insensitively, O as 0, I and L as
// 1, hyphens and spaces anywhere ignored. It returns the printed form, or fault.ErrInvalid.
func ParseSerial(input string) (Serial, error) {
	compact := strings.NewReplacer("-", "", " ", "").Replace(input)
	compact = CharsetCrockford32.Normalize(compact)
	if len(compact) != SerialLength {
		return "", fmt.Errorf("%w: a serial number has %d characters of crockford32, in groups of %d",
			fault.ErrInvalid, SerialLength, SerialGroup)
	}
	for _, ch := range compact {
		if !strings.ContainsRune(crockfordAlphabet, ch) {
			// The alphabet is named, not listed: a message that spelled it out would hold four
			// characters in a row that a cell may be, and answers never show a cell.
			return "", fmt.Errorf("%w: a serial number has only the characters of crockford32 (digits and letters but I, L, O and U)",
				fault.ErrInvalid)
		}
	}
	return formatSerial(compact), nil
}

// formatSerial groups twelve characters as printed.
func formatSerial(compact string) Serial {
	var b strings.Builder
	for i := 0; i < len(compact); i += SerialGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(compact[i : i+SerialGroup])
	}
	return Serial(b.String())
}

// String is the printed form.
func (s Serial) String() string { return string(s) }
