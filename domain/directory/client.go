// Package directory holds clients (tenants) and their users.
package directory

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otpcard/otpcard/domain/extid"
)

// Client is a tenant.
type Client struct {
	ExtID       string
	Name        string
	DisplayName map[string]string
	Remarks     string
	// Print are the settings of the client's print batches (ext, API.md section 11.2).
	Print        PrintSettings
	Created      time.Time
	LastModified time.Time
	Version      int32
}

// ReservedClientExtID cannot name a client: /clients/{id}/users and /{client}/users/{user} would
// address the same path.
const ReservedClientExtID = "clients"

// NewClient validates a fresh client; an empty extId is generated.
func NewClient(c Client, now time.Time) (Client, error) {
	if c.ExtID == "" {
		c.ExtID = extid.New()
	}
	if err := extid.Validate(c.ExtID); err != nil {
		return Client{}, &InvalidFieldError{"extId", err.Error()}
	}
	if c.ExtID == ReservedClientExtID {
		return Client{}, &InvalidFieldError{"extId", `"clients" is reserved: nevisIDM's paths use it for client collections`}
	}
	if err := c.validate(); err != nil {
		return Client{}, err
	}
	c.Created, c.LastModified, c.Version = now, now, 1
	return c, nil
}

func (c Client) validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return &InvalidFieldError{"name", "is required"}
	}
	if err := maxLen("name", c.Name, 255); err != nil {
		return err
	}
	for lang, v := range c.DisplayName {
		if !isLanguage(lang) {
			return &InvalidFieldError{"displayName", fmt.Sprintf("%q is not a language code", lang)}
		}
		if err := maxLen("displayName."+lang, v, 255); err != nil {
			return err
		}
	}
	return maxLen("remarks", c.Remarks, 4000)
}

func maxLen(field, v string, n int) error {
	if utf8.RuneCountInString(v) > n {
		return &InvalidFieldError{field, fmt.Sprintf("is longer than %d characters", n)}
	}
	return nil
}

// isLanguage accepts two-letter codes such as EN or de.
func isLanguage(s string) bool {
	if len(s) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
