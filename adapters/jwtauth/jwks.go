package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// minRSABits is the smallest RSA modulus accepted from a JWKS.
const minRSABits = 2048

// asymmetricAlgs lists the JWKS algorithms this package verifies.
func asymmetricAlgs() []string { return []string{"RS256", "ES256", "EdDSA"} }

// publicKey is one usable key of a JWKS.
type publicKey struct {
	kid string
	alg string // the JWK's alg member; empty when absent
	key any    // *rsa.PublicKey, *ecdsa.PublicKey (P-256) or ed25519.PublicKey
}

// fits reports whether the key may verify a token signed with alg: the key type must match the
// algorithm, and so must the key's alg member when present.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch k.key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// jwk is the JSON form of a key (RFC 7517, 7518, 8037).
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// parseJWKS reads a JWK set. Keys meant for other uses or of unsupported types, curves or
// algorithms are skipped; a malformed supported key, or a set without any usable key, is an error.
func parseJWKS(data []byte) ([]publicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	var keys []publicKey
	for i, raw := range set.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("parse jwks: key %d: %w", i, err)
		}
		k, ok, err := j.publicKey()
		if err != nil {
			return nil, fmt.Errorf("parse jwks: key %d (kid %q): %w", i, j.Kid, err)
		}
		if ok {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("parse jwks: no usable RS256, ES256 or EdDSA key")
	}
	return keys, nil
}

// publicKey converts the JWK; ok is false for keys this package does not use.
func (j jwk) publicKey() (publicKey, bool, error) {
	if j.Use != "" && j.Use != "sig" {
		return publicKey{}, false, nil
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return publicKey{}, false, nil
	}
	if j.Alg != "" && !slices.Contains(asymmetricAlgs(), j.Alg) {
		return publicKey{}, false, nil
	}
	var (
		key any
		err error
	)
	switch {
	case j.Kty == "RSA":
		key, err = j.rsaKey()
	case j.Kty == "EC" && j.Crv == "P-256":
		key, err = j.p256Key()
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		key, err = j.ed25519Key()
	default:
		return publicKey{}, false, nil
	}
	if err != nil {
		return publicKey{}, false, err
	}
	k := publicKey{kid: j.Kid, alg: j.Alg, key: key}
	if k.alg != "" && !k.fits(k.alg) {
		return publicKey{}, false, fmt.Errorf("alg %s does not fit key type %s", j.Alg, j.Kty)
	}
	return k, true, nil
}

func (j jwk) rsaKey() (*rsa.PublicKey, error) {
	n, err := b64Field("n", j.N)
	if err != nil {
		return nil, err
	}
	e, err := b64Field("e", j.E)
	if err != nil {
		return nil, err
	}
	if len(e) > 4 {
		return nil, errors.New("rsa exponent too large")
	}
	exp := int(new(big.Int).SetBytes(e).Int64())
	if exp < 3 || exp%2 == 0 {
		return nil, errors.New("rsa exponent invalid")
	}
	mod := new(big.Int).SetBytes(n)
	if mod.BitLen() < minRSABits {
		return nil, fmt.Errorf("rsa modulus has %d bits, want at least %d", mod.BitLen(), minRSABits)
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

func (j jwk) p256Key() (*ecdsa.PublicKey, error) {
	x, err := b64Field("x", j.X)
	if err != nil {
		return nil, err
	}
	y, err := b64Field("y", j.Y)
	if err != nil {
		return nil, err
	}
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("P-256 coordinates must be 32 bytes")
	}
	key, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), slices.Concat([]byte{4}, x, y))
	if err != nil {
		return nil, fmt.Errorf("P-256 point: %w", err)
	}
	return key, nil
}

func (j jwk) ed25519Key() (ed25519.PublicKey, error) {
	x, err := b64Field("x", j.X)
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("Ed25519 key must be %d bytes", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

// b64Field decodes a required base64url member, tolerating padding.
func b64Field(name, s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("member %s missing", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", name, err)
	}
	return b, nil
}
