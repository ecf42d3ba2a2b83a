package credential_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

func TestCheckPolicyType(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantErr error
	}{
		{"", credential.ErrUnknownPolicy},
		{"OTPCardPolicy", nil},
		{"otpcardpolicy", credential.ErrUnknownPolicy},
		{"PasswordPolicy", credential.ErrUnknownPolicy},
	} {
		if err := credential.CheckPolicyType(tt.in); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("CheckPolicyType(%q): got %v, want %v", tt.in, err, tt.wantErr)
		}
	}
}

// storedPolicy is a policy at version 3 that is not the default.
func storedPolicy() credential.Policy {
	return credential.Policy{ExtID: "p1", ClientExtID: "client-a", Name: "Old", Description: "old text",
		Parameters: credential.DefaultParameters(), Created: t0, LastModified: t0, Version: 3}
}

func TestPolicyModify(t *testing.T) {
	later := t0.Add(time.Minute)
	digits := credential.DefaultParameters()
	digits.Layout.Charset, digits.Layout.CellLength = credential.CharsetDigits, 6
	weak := credential.DefaultParameters()
	weak.Layout.Charset, weak.Layout.CellLength = credential.CharsetDigits, 5
	tests := []struct {
		name        string
		isDefault   bool
		edit        credential.PolicyEdit
		wantChanged []string
		wantErr     error
		check       func(t *testing.T, p credential.Policy)
	}{
		{name: "nothing", edit: credential.PolicyEdit{}},
		{name: "same values", edit: credential.PolicyEdit{Name: new("Old"), Description: new("old text"),
			Default: new(false), Parameters: new(credential.DefaultParameters())}},
		{name: "name", edit: credential.PolicyEdit{Name: new("New")}, wantChanged: []string{"name"},
			check: func(t *testing.T, p credential.Policy) {
				if p.Name != "New" || p.Description != "old text" {
					t.Errorf("got name %q description %q, want New and the old description", p.Name, p.Description)
				}
			}},
		{name: "description cleared", edit: credential.PolicyEdit{Description: new("")}, wantChanged: []string{"description"}},
		{name: "made default", edit: credential.PolicyEdit{Default: new(true)}, wantChanged: []string{"defaultPolicy"},
			check: func(t *testing.T, p credential.Policy) {
				if !p.Default {
					t.Error("Default: got false, want true")
				}
			}},
		{name: "default stays default", isDefault: true, edit: credential.PolicyEdit{Default: new(true)}},
		{name: "default unset", isDefault: true, edit: credential.PolicyEdit{Default: new(false), Name: new("X")},
			wantErr: credential.ErrDefaultRequired},
		{name: "parameters", edit: credential.PolicyEdit{Parameters: &digits}, wantChanged: []string{"parameters"},
			check: func(t *testing.T, p credential.Policy) {
				if p.Parameters != digits {
					t.Errorf("Parameters: got %+v, want %+v", p.Parameters, digits)
				}
			}},
		{name: "weak parameters", edit: credential.PolicyEdit{Parameters: &weak}, wantErr: credential.ErrPolicyViolation},
		{name: "blank name", edit: credential.PolicyEdit{Name: new(" ")}, wantErr: fault.ErrInvalid},
		{name: "long description", edit: credential.PolicyEdit{Description: new(strings.Repeat("d", 4001))}, wantErr: fault.ErrInvalid},
		{name: "everything", edit: credential.PolicyEdit{Name: new("N"), Description: new("D"), Default: new(true), Parameters: &digits},
			wantChanged: []string{"name", "description", "defaultPolicy", "parameters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := storedPolicy()
			p.Default = tt.isDefault
			before := p
			changed, err := p.Modify(tt.edit, later)
			if refused(t, err, tt.wantErr) {
				if p != before {
					t.Errorf("policy: got %+v, want it unchanged %+v", p, before)
				}
				return
			}
			if !slices.Equal(changed, tt.wantChanged) {
				t.Errorf("changed: got %v, want %v", changed, tt.wantChanged)
			}
			switch {
			case len(tt.wantChanged) == 0 && p != before:
				t.Errorf("policy: got %+v, want it unchanged %+v", p, before)
			case len(tt.wantChanged) > 0 && (p.Version != 4 || !p.LastModified.Equal(later) || !p.Created.Equal(t0)):
				t.Errorf("got version %d, lastModified %v, created %v; want 4, %v, %v", p.Version, p.LastModified, p.Created, later, t0)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestPolicyDefaultRefusalsExplainThemselves(t *testing.T) {
	p := storedPolicy()
	p.Default = true
	_, err := p.Modify(credential.PolicyEdit{Default: new(false)}, t0)
	if err == nil || !strings.Contains(err.Error(), "always has one") || !strings.Contains(err.Error(), "p1") {
		t.Errorf("unset default: got %v, want a message naming p1 and why", err)
	}
	err = p.CheckDeletable()
	if !errors.Is(err, credential.ErrInUse) || !strings.Contains(err.Error(), "default policy") {
		t.Errorf("delete default: got %v, want ErrInUse explaining the default policy", err)
	}
	p.Default = false
	if err := p.CheckDeletable(); err != nil {
		t.Errorf("delete other: got %v, want nil", err)
	}
}

func TestPolicyDemote(t *testing.T) {
	p := storedPolicy()
	p.Default = true
	later := t0.Add(time.Hour)
	p.Demote(later)
	if p.Default || p.Version != 4 || !p.LastModified.Equal(later) {
		t.Errorf("got default %v version %d lastModified %v, want false, 4, %v", p.Default, p.Version, p.LastModified, later)
	}
}

func TestPolicyCheckVersion(t *testing.T) {
	p := storedPolicy()
	if err := p.CheckVersion(nil); err != nil {
		t.Errorf("no version: got %v, want nil", err)
	}
	if err := p.CheckVersion(new(int32(3))); err != nil {
		t.Errorf("current version: got %v, want nil", err)
	}
	err := p.CheckVersion(new(int32(2)))
	var vc *fault.VersionConflictError
	if !errors.As(err, &vc) || vc.Given != 2 || vc.Current != 3 || !errors.Is(err, fault.ErrVersionConflict) {
		t.Fatalf("stale version: got %v, want a VersionConflictError{2, 3}", err)
	}
	if got, want := err.Error(), "version 2 is stale; the policy is at version 3"; got != want {
		t.Errorf("message: got %q, want %q", got, want)
	}
}
