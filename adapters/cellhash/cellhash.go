// Package cellhash computes the verifiers that stand in for card cells (API.md section 5.3):
// Argon2id over HMAC-SHA-256(pepper, salt || cell index || value). The pepper comes from
// configuration and never reaches the database; the scheme and its parameters are stored with
// every card, so they can change later without reissuing cards.
package cellhash

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/otpcard/otpcard/domain/credential"
)

// SchemeName names the verifier function.
const SchemeName = "argon2id-hmac-sha256"

// MinPepperLength is the shortest pepper accepted, in bytes.
const MinPepperLength = 32

// Params are the Argon2id parameters of a scheme.
type Params struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
	KeyLength uint32
}

// DefaultParams are API.md's defaults: 64 KiB, one pass, one lane, 16-byte verifiers.
var defaultParams = Params{MemoryKiB: 64, Passes: 1, Lanes: 1, KeyLength: 16}

// DefaultParams returns the parameters new cards are hashed with.
func DefaultParams() Params { return defaultParams }

// Scheme renders the scheme string stored with a card.
func (p Params) Scheme() string {
	return fmt.Sprintf("%s;m=%d,t=%d,p=%d,l=%d", SchemeName, p.MemoryKiB, p.Passes, p.Lanes, p.KeyLength)
}

// ParseScheme reads a stored scheme string.
func ParseScheme(s string) (Params, error) {
	var p Params
	n, err := fmt.Sscanf(s, "argon2id-hmac-sha256;m=%d,t=%d,p=%d,l=%d", &p.MemoryKiB, &p.Passes, &p.Lanes, &p.KeyLength)
	if err != nil || n != 4 || p.Scheme() != s {
		return Params{}, fmt.Errorf("unknown verifier scheme %q", s)
	}
	if p.MemoryKiB < 8 || p.Passes < 1 || p.Lanes < 1 || p.KeyLength < 16 || p.KeyLength > 64 {
		return Params{}, fmt.Errorf("verifier scheme %q: parameters out of range", s)
	}
	return p, nil
}

// Hasher hashes and verifies cells with one pepper.
type Hasher struct {
	pepper  []byte
	params  Params
	workers int
}

// New builds a hasher; the pepper must hold at least MinPepperLength bytes. workers bounds the
// parallelism of Hash (0: the number of usable cores).
func New(pepper []byte, params Params, workers int) (*Hasher, error) {
	if len(pepper) < MinPepperLength {
		return nil, fmt.Errorf("cell pepper must be at least %d bytes", MinPepperLength)
	}
	if _, err := ParseScheme(params.Scheme()); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Hasher{pepper: append([]byte(nil), pepper...), params: params, workers: workers}, nil
}

// Hash returns a fresh salt and one verifier per cell, computed in parallel across the workers.
func (h *Hasher) Hash(ctx context.Context, cells []string) (credential.Secret, error) {
	salt, err := credential.NewSalt()
	if err != nil {
		return credential.Secret{}, err
	}
	verifiers := make([][]byte, len(cells))
	workers := min(h.workers, len(cells))
	var wg sync.WaitGroup
	next := make(chan int, len(cells))
	for i := range cells {
		next <- i
	}
	close(next)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				verifiers[i] = derive(h.pepper, salt, i, cells[i], h.params)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return credential.Secret{}, err
	}
	return credential.Secret{Scheme: h.params.Scheme(), Salt: salt, Verifiers: verifiers}, nil
}

// ErrBadSecret reports a stored secret this hasher cannot use.
var ErrBadSecret = errors.New("unusable card secret")

// Verify reports, in constant time over the verifier, whether value is cell index of the card.
// The value must already be in the charset's canonical form.
func (h *Hasher) Verify(secret credential.Secret, index int, value string) (bool, error) {
	p, err := ParseScheme(secret.Scheme)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrBadSecret, err)
	}
	if index < 0 || index >= len(secret.Verifiers) {
		return false, fmt.Errorf("%w: no cell %d", ErrBadSecret, index)
	}
	got := derive(h.pepper, secret.Salt, index, value, p)
	return subtle.ConstantTimeCompare(got, secret.Verifiers[index]) == 1, nil
}

func derive(pepper, salt []byte, index int, value string, p Params) []byte {
	mac := hmac.New(sha256.New, pepper)
	mac.Write(salt)
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], uint32(index))
	mac.Write(idx[:])
	mac.Write([]byte(value))
	return argon2.IDKey(mac.Sum(nil), salt, p.Passes, p.MemoryKiB, p.Lanes, p.KeyLength)
}
