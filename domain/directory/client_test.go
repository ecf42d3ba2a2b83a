package directory_test

import (
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/fault"
)

var (
	t0     = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// checkInvalidField fails unless err is an *InvalidFieldError on field that wraps ErrInvalid.
func checkInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	var inv *directory.InvalidFieldError
	if !errors.As(err, &inv) || inv.Field != field {
		t.Fatalf("got error %v, want an InvalidFieldError on %s", err, field)
	}
	if !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("got error %v, want one wrapping ErrInvalid", err)
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := directory.NewClient(directory.Client{Name: "Acme", Remarks: "r", DisplayName: map[string]string{"EN": "Acme Ltd"}}, t0)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if !uuidV4.MatchString(c.ExtID) {
		t.Errorf("ExtID: got %q, want a generated v4 UUID", c.ExtID)
	}
	if c.Version != 1 || !c.Created.Equal(t0) || !c.LastModified.Equal(t0) {
		t.Errorf("got version %d created %v modified %v, want 1, %v, %v", c.Version, c.Created, c.LastModified, t0, t0)
	}
	if c.Name != "Acme" || c.Remarks != "r" || !maps.Equal(c.DisplayName, map[string]string{"EN": "Acme Ltd"}) {
		t.Errorf("got %+v, want the input kept", c)
	}
	other, _ := directory.NewClient(directory.Client{Name: "Acme"}, t0)
	if other.ExtID == c.ExtID {
		t.Errorf("two generated extIds: got %q twice, want distinct", c.ExtID)
	}
}

func TestNewClientValidation(t *testing.T) {
	tests := []struct {
		name      string
		in        directory.Client
		wantField string // empty: valid
	}{
		{"minimal", directory.Client{Name: "a"}, ""},
		{"given extId", directory.Client{ExtID: "acme-1", Name: "Acme"}, ""},
		{"name 255 characters", directory.Client{Name: strings.Repeat("ä", 255)}, ""},
		{"display names", directory.Client{Name: "a", DisplayName: map[string]string{"EN": "x", "de": "y", "Fr": "z"}}, ""},
		{"display name 255 characters", directory.Client{Name: "a", DisplayName: map[string]string{"EN": strings.Repeat("ü", 255)}}, ""},
		{"remarks 4000 characters", directory.Client{Name: "a", Remarks: strings.Repeat("ö", 4000)}, ""},
		{"bad extId", directory.Client{ExtID: "a b", Name: "a"}, "extId"},
		{"extId too long", directory.Client{ExtID: strings.Repeat("a", 65), Name: "a"}, "extId"},
		{"no name", directory.Client{}, "name"},
		{"blank name", directory.Client{Name: " \t "}, "name"},
		{"name 256 characters", directory.Client{Name: strings.Repeat("ä", 256)}, "name"},
		{"three-letter language", directory.Client{Name: "a", DisplayName: map[string]string{"ENG": "x"}}, "displayName"},
		{"one-letter language", directory.Client{Name: "a", DisplayName: map[string]string{"E": "x"}}, "displayName"},
		{"empty language", directory.Client{Name: "a", DisplayName: map[string]string{"": "x"}}, "displayName"},
		{"digit in language", directory.Client{Name: "a", DisplayName: map[string]string{"E1": "x"}}, "displayName"},
		{"punctuation in language", directory.Client{Name: "a", DisplayName: map[string]string{"@[": "x"}}, "displayName"},
		{"region code", directory.Client{Name: "a", DisplayName: map[string]string{"en-GB": "x"}}, "displayName"},
		{"display name 256 characters", directory.Client{Name: "a", DisplayName: map[string]string{"EN": strings.Repeat("ü", 256)}}, "displayName.EN"},
		{"remarks 4001 characters", directory.Client{Name: "a", Remarks: strings.Repeat("ö", 4001)}, "remarks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := directory.NewClient(tt.in, t0)
			if tt.wantField != "" {
				checkInvalidField(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if tt.in.ExtID != "" && c.ExtID != tt.in.ExtID {
				t.Errorf("ExtID: got %q, want %q", c.ExtID, tt.in.ExtID)
			}
		})
	}
}

func TestDirectoryErrorTypes(t *testing.T) {
	nf := &fault.NotFoundError{Entity: "user", ExtID: "u1"}
	if got, want := nf.Error(), `user "u1" not found`; got != want {
		t.Errorf("NotFoundError: got %q, want %q", got, want)
	}
	if !errors.Is(nf, fault.ErrNotFound) {
		t.Errorf("NotFoundError: got no ErrNotFound match, want errors.Is to hold")
	}
	inv := &directory.InvalidFieldError{Field: "name", Reason: "is required"}
	if got, want := inv.Error(), "name: is required"; got != want {
		t.Errorf("InvalidFieldError: got %q, want %q", got, want)
	}
}
