package credential

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// CreatePolicyCommand describes a new policy of a client.
type CreatePolicyCommand struct {
	Caller      caller.Caller
	ClientExtID string
	// ExtID is generated when empty.
	ExtID, Name, Description string
	// PolicyType is OTPCardPolicy when nil.
	PolicyType *string
	// Default makes the new policy the client's default; the previous default loses the flag.
	Default bool
	// Parameters are read on top of the defaults of API.md section 5.2.
	Parameters map[string]string
}

// CreatePolicy creates a policy of a client.
type CreatePolicy struct {
	policies PolicyWriter
	frame    caller.Frame
}

// Do creates the policy; made the default, the client's previous default loses the flag in the
// same transaction. Errors: access errors, credential.ErrUnknownPolicy (a policy type
// other than OTPCardPolicy), credential.ErrPolicyViolation (parameters), fault.ErrInvalid and
// extid.ErrInvalid (texts, extId), *fault.NotFoundError (client), fault.ErrDuplicate.
func (uc *CreatePolicy) Do(ctx context.Context, cmd CreatePolicyCommand) (credential.Policy, error) {
	req := policyRight(cmd.ClientExtID, access.PolicyCreate)
	return caller.Run(ctx, uc.frame, "CreatePolicy", cmd.Caller, req, func(ctx context.Context) (credential.Policy, error) {
		if cmd.PolicyType != nil {
			if err := credential.CheckPolicyType(*cmd.PolicyType); err != nil {
				return credential.Policy{}, err
			}
		}
		params, err := credential.ParseParameters(cmd.Parameters)
		if err != nil {
			return credential.Policy{}, err
		}
		now := uc.frame.Now()
		p, err := credential.NewPolicy(credential.Policy{ExtID: cmd.ExtID, ClientExtID: cmd.ClientExtID,
			Name: cmd.Name, Description: cmd.Description, Default: cmd.Default, Parameters: params}, now)
		if err != nil {
			return credential.Policy{}, err
		}
		events := []event.Event{policyEvent(credential.PolicyCreated, p, cmd.Caller, nil)}
		err = uc.policies.Create(ctx, p, events, demoteFor(cmd.Caller, p.ExtID, now))
		return p, fault.Wrap(err, "create policy %s", p.ExtID)
	})
}

// ModifyPolicyCommand is a PATCH of a policy: nil members stay as they are.
type ModifyPolicyCommand struct {
	Caller             caller.Caller
	ClientExtID, ExtID string
	Name, Description  *string
	Default            *bool
	// Parameters, when not nil, replace the policy's parameters whole: names left out fall back
	// to their defaults.
	Parameters map[string]string
	// Version, when set, must be the stored version (optimistic locking).
	Version *int32
}

// ModifyPolicy changes a policy (a PATCH).
type ModifyPolicy struct {
	policies PolicyWriter
	frame    caller.Frame
}

// Do changes the policy and returns it as stored. Making it the default moves the flag
// from the client's previous default in the same transaction; unsetting the flag of the default
// policy is refused (credential.ErrDefaultRequired). Errors: access errors,
// credential.ErrPolicyViolation, fault.ErrInvalid, credential.ErrDefaultRequired,
// *fault.VersionConflictError, fault.ErrVersionConflict, *fault.NotFoundError.
func (uc *ModifyPolicy) Do(ctx context.Context, cmd ModifyPolicyCommand) (credential.Policy, error) {
	req := policyRight(cmd.ClientExtID, access.PolicyModify)
	return caller.Run(ctx, uc.frame, "ModifyPolicy", cmd.Caller, req, func(ctx context.Context) (credential.Policy, error) {
		edit := credential.PolicyEdit{Name: cmd.Name, Description: cmd.Description, Default: cmd.Default}
		if cmd.Parameters != nil {
			params, err := credential.ParseParameters(cmd.Parameters)
			if err != nil {
				return credential.Policy{}, err
			}
			edit.Parameters = &params
		}
		now := uc.frame.Now()
		var result credential.Policy
		err := uc.policies.Update(ctx, cmd.ClientExtID, cmd.ExtID, func(p *credential.Policy) ([]event.Event, error) {
			if err := p.CheckVersion(cmd.Version); err != nil {
				return nil, err
			}
			changed, err := p.Modify(edit, now)
			result = *p // what Do returns once Update succeeds
			if err != nil || len(changed) == 0 {
				return nil, err
			}
			return []event.Event{policyEvent(credential.PolicyChanged, *p, cmd.Caller, changedData(changed))}, nil
		}, demoteFor(cmd.Caller, cmd.ExtID, now))
		return result, fault.Wrap(err, "modify policy %s", cmd.ExtID)
	})
}

// DeletePolicy deletes a policy no card uses.
type DeletePolicy struct {
	policies PolicyWriter
	frame    caller.Frame
}

// DeletePolicyCommand names the policy.
type DeletePolicyCommand struct {
	Caller             caller.Caller
	ClientExtID, ExtID string
}

// Do deletes the policy and records policy.deleted. The client's default policy cannot be
// deleted (credential.ErrInUse, like a policy in use): a client always keeps one. Errors: access
// errors, *fault.NotFoundError, credential.ErrInUse.
func (uc *DeletePolicy) Do(ctx context.Context, cmd DeletePolicyCommand) (Deleted, error) {
	req := policyRight(cmd.ClientExtID, access.PolicyDelete)
	return caller.Run(ctx, uc.frame, "DeletePolicy", cmd.Caller, req, func(ctx context.Context) (Deleted, error) {
		now := uc.frame.Now()
		var deleted Deleted
		err := uc.policies.Delete(ctx, cmd.ClientExtID, cmd.ExtID, func(p *credential.Policy) ([]event.Event, error) {
			if err := p.CheckDeletable(); err != nil {
				return nil, err
			}
			ev := policyEvent(credential.PolicyDeleted, *p, cmd.Caller, nil)
			ev.Time = credential.Later(now, p.LastModified)
			deleted = Deleted{ExtID: p.ExtID, Version: p.Version}
			return []event.Event{ev}, nil
		})
		return deleted, fault.Wrap(err, "delete policy %s", cmd.ExtID)
	})
}
