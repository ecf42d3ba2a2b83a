package extid_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/extid"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"one character", "a", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"every letter and digit", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", true},
		{"dot", ".", true},
		{"underscore", "_", true},
		{"tilde", "~", true},
		{"colon", ":", true},
		{"hyphen", "-", true},
		{"all punctuation", "a.b_c~d:e-f", true},
		{"uuid", "3f2c1b7e-9a4d-4e8f-b1c2-0d9e8f7a6b5c", true},
		{"urn-like", "urn:otpcard:card:1", true},
		{"empty", "", false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"space", "a b", false},
		{"leading space", " a", false},
		{"trailing space", "a ", false},
		{"slash", "a/b", false},
		{"backslash", `a\b`, false},
		{"dot-dot-slash", "../a", false},
		{"question mark", "a?b", false},
		{"hash", "a#b", false},
		{"percent", "a%20b", false},
		{"plus", "a+b", false},
		{"at", "a@b", false},
		{"asterisk", "a*", false},
		{"pipe", "a|b", false},
		{"tab", "a\tb", false},
		{"newline", "a\n", false},
		{"NUL", "a\x00", false},
		{"umlaut", "kärtchen", false},
		{"emoji", "😀", false},
		{"fullwidth A", "Ａ", false},
		{"32 two-byte runes", strings.Repeat("é", 32), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := extid.Validate(tt.in)
			if tt.ok {
				if err != nil {
					t.Fatalf("Validate(%q): got %v, want nil", tt.in, err)
				}
				return
			}
			if !errors.Is(err, extid.ErrInvalid) {
				t.Fatalf("Validate(%q): got %v, want an error wrapping ErrInvalid", tt.in, err)
			}
		})
	}
	if extid.MaxLength != 64 {
		t.Errorf("MaxLength: got %d, want 64", extid.MaxLength)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNew(t *testing.T) {
	const n = 2000
	seen := make(map[string]bool, n)
	for range n {
		id := extid.New()
		if !uuidV4.MatchString(id) {
			t.Fatalf("New: got %q, want a lower-case v4 UUID", id)
		}
		if err := extid.Validate(id); err != nil {
			t.Fatalf("Validate(New()=%q): got %v, want nil", id, err)
		}
		if seen[id] {
			t.Fatalf("New: got %q twice in %d calls, want distinct ids", id, n)
		}
		seen[id] = true
	}
}
