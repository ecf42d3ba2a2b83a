package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"strings"
	"unicode"
	"unicode/utf8"
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
	if c.roles, err = stringArray("roles", c.RawRoles); err != nil {
		return err
	}
	if c.permissions, err = stringArray("permissions", c.RawPermissions); err != nil {
		return err
	}
	if c.clients, err = stringArray("clients", c.RawClients); err != nil {
		return err
	}
	return nil
}

// stringArray decodes an optional claim that must be an array of strings. It returns nil for an
// absent claim and a non-nil slice for a present one, even when empty.
func stringArray(name string, raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	var items []*string
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, fmt.Errorf("claim %s is not an array of strings", name)
	}
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s == nil {
			return nil, fmt.Errorf("claim %s is not an array of strings", name)
		}
		out = append(out, *s)
	}
	return out, nil
}
