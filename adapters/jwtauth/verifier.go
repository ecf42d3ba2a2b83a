// Package jwtauth verifies the JWTs of API.md section 2 (RFC 8725) and turns them into access
// principals, and mints HS256 tokens for the `otpcard token` command and for tests.
package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/domain/access"
)

// ErrInvalidToken is wrapped by every verification failure. The wrapping message may name the
// reason for logs; callers must never show it to the client.
var ErrInvalidToken = errors.New("invalid token")

// MaxTokenLength is the longest token accepted; longer ones are rejected before parsing.
const MaxTokenLength = 8 << 10

// MinSecretLength is the shortest HS256 secret accepted, in bytes.
const MinSecretLength = 32

// DefaultLeeway is the clock skew allowed on exp, nbf and iat when Config.Leeway is zero.
const DefaultLeeway = 60 * time.Second

// Config configures a Verifier. At least one key source (HS256Secret, JWKSFile, JWKSURL) is
// required.
type Config struct {
	// Issuer is the required iss claim.
	Issuer string
	// Audience must be among the token's aud claim.
	Audience string
	// HS256Secret is the literal HMAC key (OTPCARD_JWT_HS256_SECRET), at least 32 bytes when set.
	// HS256 is accepted only when it is set.
	HS256Secret []byte
	// JWKSFile is the path of a JWKS JSON file with RS256, ES256 (P-256) or EdDSA (Ed25519) keys.
	JWKSFile string
	// JWKSURL is fetched at New and again when a token names an unknown kid or the keys are
	// older than five minutes, never more than once a minute.
	JWKSURL string
	// Leeway is the clock skew allowed on exp, nbf and iat; zero means DefaultLeeway.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches JWKSURL; nil means a client with a five-second timeout.
	HTTPClient *http.Client
}

// Verifier checks tokens against the configured keys and claims. It is safe for concurrent use.
type Verifier struct {
	secret []byte
	keys   *keyStore // nil without a JWKS
	parser *jwt.Parser
	leeway time.Duration
	now    func() time.Time
}

// New builds a Verifier, reading the JWKS file and fetching the JWKS URL when configured.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("jwt config: issuer and audience are required")
	}
	if len(cfg.HS256Secret) == 0 && cfg.JWKSFile == "" && cfg.JWKSURL == "" {
		return nil, errors.New("jwt config: no key configured (HS256 secret, JWKS file or JWKS URL)")
	}
	if len(cfg.HS256Secret) > 0 && len(cfg.HS256Secret) < MinSecretLength {
		return nil, fmt.Errorf("jwt config: HS256 secret has %d bytes, want at least %d",
			len(cfg.HS256Secret), MinSecretLength)
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("jwt config: negative leeway")
	}
	v := &Verifier{leeway: cfg.Leeway, now: cfg.Now}
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	if v.now == nil {
		v.now = time.Now
	}
	var methods []string
	if len(cfg.HS256Secret) > 0 {
		v.secret = append([]byte(nil), cfg.HS256Secret...)
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSFile != "" || cfg.JWKSURL != "" {
		ks, err := newKeyStore(ctx, cfg.JWKSFile, cfg.JWKSURL, cfg.HTTPClient, v.now)
		if err != nil {
			return nil, err
		}
		v.keys = ks
		methods = append(methods, asymmetricAlgs()...)
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(v.now),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithStrictDecoding(),
	)
	return v, nil
}

// Admin verifies an `Authorization: Bearer` token and returns the admin principal named by its
// sub, roles, permissions and clients claims. An absent clients claim means every client.
func (v *Verifier) Admin(ctx context.Context, raw string) (access.Principal, error) {
	c, err := v.verify(ctx, raw)
	if err != nil {
		return access.Principal{}, err
	}
	return access.NewAdmin(c.Subject, c.roles, c.permissions, c.clients), nil
}

// SelfAdmin verifies an `X-Token` token and returns the self-admin principal of the user whose
// extId is sub, authenticated at auth_time (or iat when auth_time is absent; the zero time when
// both are absent).
func (v *Verifier) SelfAdmin(ctx context.Context, raw string) (access.Principal, error) {
	c, err := v.verify(ctx, raw)
	if err != nil {
		return access.Principal{}, err
	}
	var at time.Time
	switch {
	case c.AuthTime != nil:
		at = c.AuthTime.Time
	case c.IssuedAt != nil:
		at = c.IssuedAt.Time
	}
	return access.NewSelfAdmin(c.Subject, at), nil
}

// verify checks the token's size, header, signature and claims.
func (v *Verifier) verify(ctx context.Context, raw string) (*tokenClaims, error) {
	if raw == "" {
		return nil, invalid(errors.New("empty token"))
	}
	if len(raw) > MaxTokenLength {
		return nil, invalid(fmt.Errorf("token longer than %d bytes", MaxTokenLength))
	}
	var c tokenClaims
	_, err := v.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		return v.keyFor(ctx, t)
	})
	if err != nil {
		return nil, invalid(err)
	}
	if err := c.check(v.now(), v.leeway); err != nil {
		return nil, invalid(err)
	}
	return &c, nil
}

// keyFor picks the verification key for a token whose alg already passed the allowlist.
func (v *Verifier) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	if err := checkHeader(t.Header); err != nil {
		return nil, err
	}
	kid, err := headerKID(t.Header)
	if err != nil {
		return nil, err
	}
	alg := t.Method.Alg()
	if alg == jwt.SigningMethodHS256.Alg() {
		if v.secret == nil {
			return nil, errors.New("HS256 not configured")
		}
		// With a JWKS, a kid names one of its public keys, never the shared secret.
		if kid != "" && v.keys != nil {
			return nil, errors.New("HS256 token names a kid")
		}
		return v.secret, nil
	}
	if v.keys == nil {
		return nil, fmt.Errorf("algorithm %s not configured", alg)
	}
	return v.keys.key(ctx, kid, alg)
}

// checkHeader rejects the header parameters that would let the token choose its own key
// (RFC 8725 section 3.10) or demand extensions this verifier does not implement (RFC 7515 crit).
func checkHeader(h map[string]any) error {
	for _, name := range [...]string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, ok := h[name]; ok {
			return fmt.Errorf("header %s not allowed", name)
		}
	}
	return nil
}

func headerKID(h map[string]any) (string, error) {
	raw, ok := h["kid"]
	if !ok {
		return "", nil
	}
	kid, ok := raw.(string)
	if !ok {
		return "", errors.New("kid is not a string")
	}
	return kid, nil
}

func invalid(err error) error {
	return fmt.Errorf("verify token: %w: %w", ErrInvalidToken, err)
}
