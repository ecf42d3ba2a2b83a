package jwtauth

import (
	"encoding/json"
	"errors"
	"time"

	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/otpcard/otpcard/domain/access"
)

// tokenClaims is the claim set of admin and self-admin tokens. The registered claims are checked
// by the jwt parser; check covers the rest.
type tokenClaims struct {
	jwt.RegisteredClaims
	AuthTime       *jwt.NumericDate `json:"auth_time,omitempty"`
	RawRoles       json.RawMessage  `json:"roles,omitempty"`
	RawPermissions json.RawMessage  `json:"permissions,omitempty"`
	RawClients     json.RawMessage  `json:"clients,omitempty"`

	roles, permissions, clients []string
}

// check requires sub, decodes roles, permissions and clients, and refuses an auth_time in the
// future beyond the leeway (it would stretch every freshness check).
func (c *tokenClaims) check(now time.Time, leeway time.Duration) error {
	if c.Subject == "" {
		return errors.New("sub missing")
	}
	if len(c.Subject) > 255 || strings.ContainsFunc(c.Subject, unicode.IsControl) || !utf8.ValidString(c.Subject) {
		return errors.New("sub is not a printable name of at most 255 bytes")
	}
	if c.AuthTime != nil && c.AuthTime.After(now.Add(leeway)) {
		return errors.New("auth_time in the future")
	}
	var err error
	if c.roles, err = access.ClaimList("roles", c.RawRoles); err != nil {
		return err
	}
	if c.permissions, err = access.ClaimList("permissions", c.RawPermissions); err != nil {
		return err
	}
	if c.clients, err = access.ClaimList("clients", c.RawClients); err != nil {
		return err
	}
	return nil
}
