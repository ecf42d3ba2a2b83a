package credential

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
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
	now      Clock
	tracer   trace.Tracer
}

// Do creates the policy; made the default, the client's previous default loses the flag in the
// same transaction. Errors: access errors, credential.ErrUnknownPolicy (a policy type
// other than OTPCardPolicy), credential.ErrPolicyViolation (parameters), fault.ErrInvalid and
// extid.ErrInvalid (texts, extId), *fault.NotFoundError (client), fault.ErrDuplicate.
func (uc *CreatePolicy) Do(ctx context.Context, cmd CreatePolicyCommand) (credential.Policy, error) {
	ctx, span := uc.tracer.Start(ctx, "CreatePolicy")
	defer span.End()
	if err := cmd.Caller.Principal.Authorize(policyRight(cmd.ClientExtID, access.PolicyCreate), uc.now()); err != nil {
		return credential.Policy{}, err
	}
	if cmd.PolicyType != nil {
		if err := credential.CheckPolicyType(*cmd.PolicyType); err != nil {
			return credential.Policy{}, err
		}
	}
	params, err := credential.ParseParameters(cmd.Parameters)
	if err != nil {
		return credential.Policy{}, err
	}
	now := uc.now()
	p, err := credential.NewPolicy(credential.Policy{ExtID: cmd.ExtID, ClientExtID: cmd.ClientExtID,
		Name: cmd.Name, Description: cmd.Description, Default: cmd.Default, Parameters: params}, now)
	if err != nil {
		return credential.Policy{}, err
	}
	events := []event.Event{policyEvent(credential.PolicyCreated, p, cmd.Caller, nil)}
	if err := uc.policies.Create(ctx, p, events, demoteFor(cmd.Caller, p.ExtID, now)); err != nil {
		return credential.Policy{}, fmt.Errorf("create policy %s: %w", p.ExtID, err)
	}
	return p, nil
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
	now      Clock
	tracer   trace.Tracer
}

// Do changes the policy and returns it as stored. Making it the default moves the flag
// from the client's previous default in the same transaction; unsetting the flag of the default
// policy is refused (credential.ErrDefaultRequired). Errors: access errors,
// credential.ErrPolicyViolation, fault.ErrInvalid, credential.ErrDefaultRequired,
// *fault.VersionConflictError, fault.ErrVersionConflict, *fault.NotFoundError.
func (uc *ModifyPolicy) Do(ctx context.Context, cmd ModifyPolicyCommand) (credential.Policy, error) {
	ctx, span := uc.tracer.Start(ctx, "ModifyPolicy")
	defer span.End()
	if err := cmd.Caller.Principal.Authorize(policyRight(cmd.ClientExtID, access.PolicyModify), uc.now()); err != nil {
		return credential.Policy{}, err
	}
	edit := credential.PolicyEdit{Name: cmd.Name, Description: cmd.Description, Default: cmd.Default}
	if cmd.Parameters != nil {
		params, err := credential.ParseParameters(cmd.Parameters)
		if err != nil {
			return credential.Policy{}, err
		}
		edit.Parameters = &params
	}
	now := uc.now()
	var result credential.Policy
	err := uc.policies.Update(ctx, cmd.ClientExtID, cmd.ExtID, func(p *credential.Policy) ([]event.Event, error) {
		if err := p.CheckVersion(cmd.Version); err != nil {
			return nil, err
		}
		changed, err := p.Modify(edit, now)
		if err != nil {
			return nil, err
		}
		result = *p
		if len(changed) == 0 {
			return nil, nil
		}
		return []event.Event{policyEvent(credential.PolicyChanged, *p, cmd.Caller, changedData(changed))}, nil
	}, demoteFor(cmd.Caller, cmd.ExtID, now))
	if err != nil {
		return credential.Policy{}, fmt.Errorf("modify policy %s: %w", cmd.ExtID, err)
	}
	return result, nil
}

// DeletePolicy deletes a policy no card uses.
type DeletePolicy struct {
	policies PolicyWriter
	now      Clock
	tracer   trace.Tracer
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
	ctx, span := uc.tracer.Start(ctx, "DeletePolicy")
	defer span.End()
	now := uc.now()
	if err := cmd.Caller.Principal.Authorize(policyRight(cmd.ClientExtID, access.PolicyDelete), now); err != nil {
		return Deleted{}, err
	}
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
	if err != nil {
		return Deleted{}, fmt.Errorf("delete policy %s: %w", cmd.ExtID, err)
	}
	return deleted, nil
}
