package jwtauth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/domain/access"
)

// MintOptions describes a token for MintHS256.
type MintOptions struct {
	// Subject is the sub claim: the admin's name or the self-admin user's extId. Required.
	Subject string
	// Roles is the roles claim; omitted when empty.
	Roles []string
	// Permissions is the permissions claim; each gets the "AccessControl." prefix unless it has it
	// already. Omitted when empty.
	Permissions []string
	// Clients is the clients claim (the data room); emitted when non-empty or when HasClients.
	Clients []string
	// HasClients emits the clients claim even when Clients is empty (a data room of no client).
	HasClients bool
	// TTL is the token's lifetime (exp - iat). Required, positive.
	TTL time.Duration
	// AuthTime is the auth_time claim; zero means Now.
	AuthTime time.Time
	// Issuer is the iss claim. Required.
	Issuer string
	// Audience is the aud claim, written as a single string. Required.
	Audience string
	// Now is the issue time (iat and nbf); zero means the current time.
	Now time.Time
}

// MintHS256 signs a token with the HS256 secret (at least 32 bytes). The token carries the header
// typ JWT and the claims iss, aud, sub, iat, nbf, exp, auth_time, roles, permissions and clients.
func MintHS256(secret []byte, o MintOptions) (string, error) {
	switch {
	case len(secret) < MinSecretLength:
		return "", fmt.Errorf("mint token: secret has %d bytes, want at least %d", len(secret), MinSecretLength)
	case o.Subject == "":
		return "", errors.New("mint token: subject required")
	case o.Issuer == "" || o.Audience == "":
		return "", errors.New("mint token: issuer and audience required")
	case o.TTL <= 0:
		return "", errors.New("mint token: TTL must be positive")
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	authTime := o.AuthTime
	if authTime.IsZero() {
		authTime = now
	}
	claims := jwt.MapClaims{
		"iss":       o.Issuer,
		"aud":       o.Audience,
		"sub":       o.Subject,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(o.TTL).Unix(),
		"auth_time": authTime.Unix(),
	}
	if len(o.Roles) > 0 {
		claims["roles"] = append([]string{}, o.Roles...)
	}
	if len(o.Permissions) > 0 {
		perms := make([]string, 0, len(o.Permissions))
		for _, p := range o.Permissions {
			if !strings.HasPrefix(p, access.RightPrefix) {
				p = access.RightPrefix + p
			}
			perms = append(perms, p)
		}
		claims["permissions"] = perms
	}
	if len(o.Clients) > 0 || o.HasClients {
		claims["clients"] = append([]string{}, o.Clients...)
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	return signed, nil
}
