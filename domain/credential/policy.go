package credential

import (
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/extid"
)

// PolicyType is the only policy type otpcard supports.
const PolicyType = "OTPCardPolicy"

// Policy is an OTPCardPolicy configuration of a client.
type Policy struct {
	ExtID        string
	ClientExtID  string
	Name         string
	Description  string
	Default      bool
	Parameters   Parameters
	Created      time.Time
	LastModified time.Time
	Version      int32
}

// NewDefaultPolicy is the policy every new client receives.
func NewDefaultPolicy(clientExtID string, now time.Time) Policy {
	return Policy{
		ExtID:        extid.New(),
		ClientExtID:  clientExtID,
		Name:         "Default OTP card policy",
		Description:  "Created with the client",
		Default:      true,
		Parameters:   DefaultParameters(),
		Created:      now,
		LastModified: now,
		Version:      1,
	}
}

// NewPolicy validates a fresh policy: its extId (an empty one is generated), its name (required)
// and description, and its parameters.
func NewPolicy(p Policy, now time.Time) (Policy, error) {
	if p.ExtID == "" {
		p.ExtID = extid.New()
	}
	if err := extid.Validate(p.ExtID); err != nil {
		return Policy{}, fmt.Errorf("policy extId: %w", err)
	}
	if err := p.validateText(); err != nil {
		return Policy{}, err
	}
	if err := p.Parameters.Validate(); err != nil {
		return Policy{}, err
	}
	p.Created, p.LastModified, p.Version = now, now, 1
	return p, nil
}
