package cellhash_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/domain/credential"
)

var (
	pepper      = bytes.Repeat([]byte("p"), 32)
	otherPepper = bytes.Repeat([]byte("q"), 32)
)

// newHasher builds a hasher with the default parameters.
func newHasher(t testing.TB, pepper []byte, workers int) *cellhash.Hasher {
	t.Helper()
	h, err := cellhash.New(pepper, cellhash.DefaultParams(), workers)
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	return h
}

// cells returns n distinct four-character cells.
func cells(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("C%03d", i)
	}
	return out
}

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		pepper []byte
		params cellhash.Params
		ok     bool
	}{
		{"32-byte pepper", pepper, cellhash.DefaultParams(), true},
		{"64-byte pepper", bytes.Repeat([]byte{7}, 64), cellhash.DefaultParams(), true},
		{"31-byte pepper", pepper[:31], cellhash.DefaultParams(), false},
		{"empty pepper", nil, cellhash.DefaultParams(), false},
		{"key length 8", pepper, cellhash.Params{MemoryKiB: 64, Passes: 1, Lanes: 1, KeyLength: 8}, false},
		{"no passes", pepper, cellhash.Params{MemoryKiB: 64, Passes: 0, Lanes: 1, KeyLength: 16}, false},
		{"stronger parameters", pepper, cellhash.Params{MemoryKiB: 256, Passes: 2, Lanes: 2, KeyLength: 32}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := cellhash.New(tt.pepper, tt.params, 0)
			if tt.ok && (err != nil || h == nil) {
				t.Fatalf("got %v, %v; want a hasher, nil", h, err)
			}
			if !tt.ok && (err == nil || h != nil) {
				t.Fatalf("got %v, %v; want nil, an error", h, err)
			}
		})
	}
}

func TestNewCopiesThePepper(t *testing.T) {
	p := bytes.Clone(pepper)
	h := newHasher(t, p, 1)
	secret, err := h.Hash(context.Background(), []string{"ABCD"})
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}
	p[0] ^= 0xff
	if ok, err := h.Verify(secret, 0, "ABCD"); !ok || err != nil {
		t.Errorf("after changing the caller's pepper slice: got %v, %v; want true, nil", ok, err)
	}
}

func TestHash(t *testing.T) {
	h := newHasher(t, pepper, 0)
	in := cells(168)
	secret, err := h.Hash(context.Background(), in)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if got, want := secret.Scheme, "argon2id-hmac-sha256;m=64,t=1,p=1,l=16"; got != want {
		t.Errorf("Scheme: got %q, want %q", got, want)
	}
	if got := len(secret.Salt); got != 16 {
		t.Errorf("Salt: got %d bytes, want 16", got)
	}
	if got := len(secret.Verifiers); got != 168 {
		t.Fatalf("Verifiers: got %d, want 168", got)
	}
	for i, v := range secret.Verifiers {
		if len(v) != 16 {
			t.Errorf("verifier %d: got %d bytes, want 16", i, len(v))
		}
	}
	if _, err := credential.NewGrid(credential.DefaultParameters().Layout, secret); err != nil {
		t.Errorf("NewGrid(secret): got %v, want nil", err)
	}
}

// TestHashFormula pins the stored verifier format of API.md section 5.3:
// Argon2id(HMAC-SHA-256(pepper, salt || uint32 big-endian index || value), salt).
func TestHashFormula(t *testing.T) {
	secret, err := newHasher(t, pepper, 2).Hash(context.Background(), []string{"AB12", "ZZZZ", "0000"})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	for i, value := range []string{"AB12", "ZZZZ", "0000"} {
		mac := hmac.New(sha256.New, pepper)
		mac.Write(secret.Salt)
		mac.Write([]byte{0, 0, 0, byte(i)})
		mac.Write([]byte(value))
		want := argon2.IDKey(mac.Sum(nil), secret.Salt, 1, 64, 1, 16)
		if !bytes.Equal(secret.Verifiers[i], want) {
			t.Errorf("verifier %d: got %x, want %x", i, secret.Verifiers[i], want)
		}
	}
}

func TestVerify(t *testing.T) {
	h := newHasher(t, pepper, 0)
	secret, err := h.Hash(context.Background(), []string{"ABCD", "EFGH", "JKMN"})
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}
	otherSalt := secret
	otherSalt.Salt = bytes.Clone(secret.Salt)
	otherSalt.Salt[0] ^= 1
	tests := []struct {
		name   string
		hasher *cellhash.Hasher
		secret credential.Secret
		index  int
		value  string
		want   bool
	}{
		{"right value and index", h, secret, 1, "EFGH", true},
		{"first cell", h, secret, 0, "ABCD", true},
		{"last cell", h, secret, 2, "JKMN", true},
		{"wrong value", h, secret, 1, "EFGJ", false},
		{"value of another cell", h, secret, 1, "ABCD", false},
		{"wrong index", h, secret, 0, "EFGH", false},
		{"not normalized", h, secret, 1, "efgh", false},
		{"empty value", h, secret, 1, "", false},
		{"other pepper", newHasher(t, otherPepper, 0), secret, 1, "EFGH", false},
		{"other salt", h, otherSalt, 1, "EFGH", false},
		{"one worker verifies what many hashed", newHasher(t, pepper, 1), secret, 2, "JKMN", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.hasher.Verify(tt.secret, tt.index, tt.value)
			if err != nil || got != tt.want {
				t.Errorf("Verify(%d, %q): got %v, %v; want %v, nil", tt.index, tt.value, got, err, tt.want)
			}
		})
	}
}

func TestVerifyBadSecret(t *testing.T) {
	h := newHasher(t, pepper, 0)
	secret, err := h.Hash(context.Background(), []string{"ABCD", "EFGH"})
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}
	badScheme := secret
	badScheme.Scheme = "bcrypt"
	tests := []struct {
		name   string
		secret credential.Secret
		index  int
	}{
		{"index -1", secret, -1},
		{"index past the card", secret, 2},
		{"unknown scheme", badScheme, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(tt.secret, tt.index, "ABCD")
			if ok || !errors.Is(err, cellhash.ErrBadSecret) {
				t.Errorf("got %v, %v; want false, an error wrapping ErrBadSecret", ok, err)
			}
		})
	}
}

// TestVerifyUsesTheStoredScheme: cards keep verifying after the default parameters change.
func TestVerifyUsesTheStoredScheme(t *testing.T) {
	strong, err := cellhash.New(pepper, cellhash.Params{MemoryKiB: 128, Passes: 2, Lanes: 2, KeyLength: 32}, 0)
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	secret, err := strong.Hash(context.Background(), []string{"ABCD"})
	if err != nil {
		t.Fatalf("Hash: got error %v, want nil", err)
	}
	if secret.Scheme != "argon2id-hmac-sha256;m=128,t=2,p=2,l=32" || len(secret.Verifiers[0]) != 32 {
		t.Fatalf("got scheme %q and a %d-byte verifier, want m=128,t=2,p=2,l=32 and 32 bytes", secret.Scheme, len(secret.Verifiers[0]))
	}
	if ok, err := newHasher(t, pepper, 0).Verify(secret, 0, "ABCD"); !ok || err != nil {
		t.Errorf("default hasher verifying a stronger card: got %v, %v; want true, nil", ok, err)
	}
}

func TestVerifiersDiffer(t *testing.T) {
	h := newHasher(t, pepper, 0)
	same := []string{"AAAA", "AAAA", "AAAA", "AAAA"}
	a, err1 := h.Hash(context.Background(), same)
	b, err2 := h.Hash(context.Background(), same)
	if err1 != nil || err2 != nil {
		t.Fatalf("Hash: got errors %v, %v; want nil", err1, err2)
	}
	seen := map[string]string{}
	for card, s := range map[string]credential.Secret{"first": a, "second": b} {
		for i, v := range s.Verifiers {
			if where, dup := seen[string(v)]; dup {
				t.Errorf("%s card cell %d: got the verifier of %s, want every verifier distinct", card, i, where)
			}
			seen[string(v)] = fmt.Sprintf("%s card cell %d", card, i)
		}
	}
	if bytes.Equal(a.Salt, b.Salt) {
		t.Errorf("salts of two cards: got equal %x, want different", a.Salt)
	}
}

func TestHashCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, workers := range []int{1, 4} {
		secret, err := newHasher(t, pepper, workers).Hash(ctx, cells(168))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: got %v, want context.Canceled", workers, err)
		}
		if secret.Verifiers != nil || secret.Salt != nil {
			t.Errorf("%d workers: got a partial secret, want none", workers)
		}
	}
}

func TestHashNoCells(t *testing.T) {
	secret, err := newHasher(t, pepper, 0).Hash(context.Background(), nil)
	if err != nil || len(secret.Verifiers) != 0 || len(secret.Salt) != 16 {
		t.Errorf("got %d verifiers, %d-byte salt, %v; want 0, 16, nil", len(secret.Verifiers), len(secret.Salt), err)
	}
}

func TestParseScheme(t *testing.T) {
	valid := []cellhash.Params{
		cellhash.DefaultParams(),
		{MemoryKiB: 8, Passes: 1, Lanes: 1, KeyLength: 16},
		{MemoryKiB: 19456, Passes: 2, Lanes: 4, KeyLength: 32},
		{MemoryKiB: 65536, Passes: 3, Lanes: 255, KeyLength: 64},
	}
	for _, p := range valid {
		got, err := cellhash.ParseScheme(p.Scheme())
		if err != nil || got != p {
			t.Errorf("ParseScheme(%q): got %+v, %v; want %+v, nil", p.Scheme(), got, err, p)
		}
	}
	if got := cellhash.DefaultParams().Scheme(); got != "argon2id-hmac-sha256;m=64,t=1,p=1,l=16" {
		t.Errorf("DefaultParams().Scheme(): got %q, want argon2id-hmac-sha256;m=64,t=1,p=1,l=16", got)
	}
	for _, s := range []string{
		"", "junk", "argon2id-hmac-sha256", "argon2id-hmac-sha256;m=64,t=1,p=1",
		"argon2i-hmac-sha256;m=64,t=1,p=1,l=16", "ARGON2ID-HMAC-SHA256;m=64,t=1,p=1,l=16",
		"argon2id-hmac-sha256;m=064,t=1,p=1,l=16", "argon2id-hmac-sha256;m=64,t=1,p=1,l=16,x=1",
		"argon2id-hmac-sha256;m=64,t=1,p=1,l=16 ", " argon2id-hmac-sha256;m=64,t=1,p=1,l=16",
		"argon2id-hmac-sha256;m=64, t=1,p=1,l=16", "argon2id-hmac-sha256;t=1,m=64,p=1,l=16",
		"argon2id-hmac-sha256;m=-64,t=1,p=1,l=16", "argon2id-hmac-sha256;m=+64,t=1,p=1,l=16",
		"argon2id-hmac-sha256;m=7,t=1,p=1,l=16", "argon2id-hmac-sha256;m=64,t=0,p=1,l=16",
		"argon2id-hmac-sha256;m=64,t=1,p=0,l=16", "argon2id-hmac-sha256;m=64,t=1,p=256,l=16",
		"argon2id-hmac-sha256;m=64,t=1,p=1,l=15", "argon2id-hmac-sha256;m=64,t=1,p=1,l=65",
		"argon2id-hmac-sha256;m=4294967296,t=1,p=1,l=16",
	} {
		if p, err := cellhash.ParseScheme(s); err == nil {
			t.Errorf("ParseScheme(%q): got %+v, nil; want an error", s, p)
		}
	}
}
