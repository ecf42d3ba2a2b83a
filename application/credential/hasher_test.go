package credential_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"time"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/credential"
)

var (
	_ app.CellHasher   = (*fakeHasher)(nil)
	_ app.CellVerifier = (*fakeHasher)(nil)
)

// fakeHasher derives a verifier as SHA-256 over salt and cell, and remembers what it hashed. With
// store set, it counts calls made while a store callback runs (they must never happen).
type fakeHasher struct {
	store *credentialtest.CardStore
	err   error

	mu          sync.Mutex
	calls       int
	insideCalls int
	hashed      [][]string
	secrets     []credential.Secret
}

func fakeVerifier(salt []byte, index int, cell string) []byte {
	sum := sha256.Sum256(append(append(slices.Clone(salt), byte(index), byte(index>>8)), cell...))
	return sum[:16]
}

func (h *fakeHasher) Hash(ctx context.Context, cells []string) (credential.Secret, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.store != nil && h.store.InCallback() {
		h.insideCalls++
	}
	h.hashed = append(h.hashed, slices.Clone(cells))
	if h.err != nil {
		return credential.Secret{}, h.err
	}
	if err := ctx.Err(); err != nil {
		return credential.Secret{}, err
	}
	salt := make([]byte, credential.SaltLength)
	salt[0], salt[1] = 0xfa, byte(h.calls)
	secret := credential.Secret{Scheme: "fake-sha256", Salt: salt, Verifiers: make([][]byte, len(cells))}
	for i, c := range cells {
		secret.Verifiers[i] = fakeVerifier(salt, i, c)
	}
	h.secrets = append(h.secrets, secret)
	return secret, nil
}

// Verify checks a cell against a secret the fake made, in constant time.
func (h *fakeHasher) Verify(secret credential.Secret, index int, value string) (bool, error) {
	if index < 0 || index >= len(secret.Verifiers) {
		return false, errors.New("no such cell")
	}
	return subtle.ConstantTimeCompare(fakeVerifier(secret.Salt, index, value), secret.Verifiers[index]) == 1, nil
}

func (h *fakeHasher) counts() (calls, inside int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, h.insideCalls
}

func (h *fakeHasher) lastHashed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.hashed) == 0 {
		return nil
	}
	return h.hashed[len(h.hashed)-1]
}

// clock is a fixed clock.
func clock(at time.Time) app.Clock { return func() time.Time { return at } }
