// Package extid holds the rules of external ids: the stable names by which clients address every
// entity (API.md section 1).
package extid

import (
	"crypto/rand"
	"fmt"

	"github.com/otpcard/otpcard/domain/fault"
)

// MaxLength is the longest extId accepted.
const MaxLength = 64

// ErrInvalid reports an extId outside the grammar 1-64 characters of [A-Za-z0-9._~:-].
var ErrInvalid = fault.New(fault.Invalid, "errors.invalidData", "invalid extId")

// Validate returns an error wrapping ErrInvalid when s is not a well-formed extId.
func Validate(s string) error {
	if len(s) == 0 || len(s) > MaxLength {
		return fmt.Errorf("%w: must be 1-%d characters", ErrInvalid, MaxLength)
	}
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			return fmt.Errorf("%w: only A-Z a-z 0-9 . _ ~ : - are allowed", ErrInvalid)
		}
	}
	return nil
}

func allowed(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '.' || c == '_' || c == '~' || c == ':' || c == '-':
		return true
	}
	return false
}

// New returns a random version 4 UUID string from crypto/rand, the extId given to entities
// created without one.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
