package credential_test

import (
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

func TestNewDefaultPolicy(t *testing.T) {
	p := credential.NewDefaultPolicy("client-a", t0)
	if !uuidV4.MatchString(p.ExtID) {
		t.Errorf("ExtID: got %q, want a v4 UUID", p.ExtID)
	}
	if p.ClientExtID != "client-a" || !p.Default || p.Version != 1 || !p.Created.Equal(t0) || !p.LastModified.Equal(t0) {
		t.Errorf("got %+v, want a default policy of client-a at version 1 created %v", p, t0)
	}
	if p.Parameters != credential.DefaultParameters() {
		t.Errorf("Parameters: got %+v, want the defaults", p.Parameters)
	}
}

func TestNewPolicy(t *testing.T) {
	weak := credential.DefaultParameters()
	weak.Layout.CellLength = 3
	tests := []struct {
		name    string
		in      credential.Policy
		wantErr error
	}{
		{"generated extId", credential.Policy{ClientExtID: "client-a", Name: "n", Parameters: credential.DefaultParameters()}, nil},
		{"given extId", credential.Policy{ExtID: "strong", Name: "n", Parameters: credential.DefaultParameters()}, nil},
		{"bad extId", credential.Policy{ExtID: "a/b", Name: "n", Parameters: credential.DefaultParameters()}, extid.ErrInvalid},
		{"weak cells", credential.Policy{Name: "n", Parameters: weak}, credential.ErrPolicyViolation},
		{"zero parameters", credential.Policy{Name: "n"}, credential.ErrPolicyViolation},
		{"no name", credential.Policy{Parameters: credential.DefaultParameters()}, fault.ErrInvalid},
		{"blank name", credential.Policy{Name: " \t", Parameters: credential.DefaultParameters()}, fault.ErrInvalid},
		{"name of 255 characters", credential.Policy{Name: strings.Repeat("ä", 255), Parameters: credential.DefaultParameters()}, nil},
		{"name of 256 characters", credential.Policy{Name: strings.Repeat("ä", 256), Parameters: credential.DefaultParameters()}, fault.ErrInvalid},
		{"description of 4000 characters", credential.Policy{Name: "n", Description: strings.Repeat("ö", 4000), Parameters: credential.DefaultParameters()}, nil},
		{"description of 4001 characters", credential.Policy{Name: "n", Description: strings.Repeat("ö", 4001), Parameters: credential.DefaultParameters()}, fault.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := credential.NewPolicy(tt.in, t0)
			if refused(t, err, tt.wantErr) {
				return
			}
			if tt.in.ExtID != "" && p.ExtID != tt.in.ExtID || tt.in.ExtID == "" && !uuidV4.MatchString(p.ExtID) {
				t.Errorf("ExtID: got %q, want %q or a generated UUID", p.ExtID, tt.in.ExtID)
			}
			if p.Version != 1 || !p.Created.Equal(t0) || !p.LastModified.Equal(t0) {
				t.Errorf("got version %d created %v modified %v, want 1, %v, %v", p.Version, p.Created, p.LastModified, t0, t0)
			}
		})
	}
}
