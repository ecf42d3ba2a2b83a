package credential

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otpcard/otpcard/domain/fault"
)

// Bounds of a policy's texts, the same as a client's name and remarks.
const (
	maxPolicyName        = 255
	maxPolicyDescription = 4000
)

// CheckPolicyType accepts the only supported type, OTPCardPolicy; others, the empty name
// included, wrap ErrUnknownPolicy.
func CheckPolicyType(t string) error {
	if t != PolicyType {
		return fmt.Errorf("%w: policyType %.64q is not supported; the only policy type is %s",
			ErrUnknownPolicy, t, PolicyType)
	}
	return nil
}

// validateText checks the name (required) and the description; errors wrap fault.ErrInvalid.
func (p Policy) validateText() error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("%w: policy name is required", fault.ErrInvalid)
	case utf8.RuneCountInString(p.Name) > maxPolicyName:
		return fmt.Errorf("%w: policy name is longer than %d characters", fault.ErrInvalid, maxPolicyName)
	case utf8.RuneCountInString(p.Description) > maxPolicyDescription:
		return fmt.Errorf("%w: policy description is longer than %d characters", fault.ErrInvalid, maxPolicyDescription)
	}
	return nil
}

// PolicyEdit is a partial change of a policy (a PATCH): nil members stay as they are. Parameters,
// when set, replace the old ones whole.
type PolicyEdit struct {
	Name, Description *string
	Default           *bool
	Parameters        *Parameters
}

// CheckVersion returns a *fault.VersionConflictError when the caller gave a version that is not
// the policy's; nil means the caller gave none (an unconditional write).
func (p Policy) CheckVersion(given *int32) error {
	return fault.CheckVersion("policy", given, p.Version)
}

// Modify applies the edit at time now and returns the names of the members that changed (API.md
// spelling). When any changed, the version grows by one; an edit that changes nothing leaves the
// policy as it was. Unsetting the default flag of the default policy is refused with
// ErrDefaultRequired: the flag moves only by making another policy the default, so a client is
// never without one. Invalid texts wrap fault.ErrInvalid, invalid parameters ErrPolicyViolation.
func (p *Policy) Modify(e PolicyEdit, now time.Time) ([]string, error) {
	next := *p
	var changed []string
	if e.Name != nil && *e.Name != p.Name {
		next.Name, changed = *e.Name, append(changed, "name")
	}
	if e.Description != nil && *e.Description != p.Description {
		next.Description, changed = *e.Description, append(changed, "description")
	}
	if e.Default != nil && *e.Default != p.Default {
		if !*e.Default {
			return nil, fmt.Errorf("%w: policy %s is the default policy of client %s; make another policy "+
				"the default instead, so that the client always has one", ErrDefaultRequired, p.ExtID, p.ClientExtID)
		}
		next.Default, changed = true, append(changed, "defaultPolicy")
	}
	if e.Parameters != nil && *e.Parameters != p.Parameters {
		if err := e.Parameters.Validate(); err != nil {
			return nil, err
		}
		next.Parameters, changed = *e.Parameters, append(changed, "parameters")
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if err := next.validateText(); err != nil {
		return nil, err
	}
	next.LastModified, next.Version = Later(now, p.LastModified), p.Version+1
	*p = next
	return changed, nil
}

// Demote clears the default flag at time now because another policy of the client became its
// default. It is a change of this policy too: its version grows by one.
func (p *Policy) Demote(now time.Time) {
	p.Default, p.LastModified, p.Version = false, Later(now, p.LastModified), p.Version+1
}

// CheckDeletable refuses to delete the client's default policy (wrapping ErrInUse): a client
// always keeps one, and new cards without a policyExtId are generated under it.
func (p Policy) CheckDeletable() error {
	if p.Default {
		return fmt.Errorf("%w: policy %s is the default policy of client %s; make another policy the "+
			"default first, so that the client always has one", ErrInUse, p.ExtID, p.ClientExtID)
	}
	return nil
}
