package credential

import (
	"context"
	"strings"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// PolicyChange decides, inside the store's transaction, a change of one stored policy and returns
// the events to record with it.
type PolicyChange func(p *credential.Policy) ([]event.Event, error)

// PolicyReader reads a client's OTP card policies.
type PolicyReader interface {
	// Get returns the policy with that extId in the client, or a *fault.NotFoundError naming
	// the policy (also when it belongs to another client).
	Get(ctx context.Context, clientExtID, extID string) (credential.Policy, error)
	// List returns a page of the client's policies, oldest first, or a *fault.NotFoundError
	// naming the client.
	List(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[credential.Policy], error)
}

// PolicyWriter changes a client's OTP card policies. Each method runs in one transaction holding
// the client's row lock, so the policies of one client change one at a time and the default flag
// moves without a moment with two defaults or none.
type PolicyWriter interface {
	// Create saves the new policy and its events. When the policy is the default, the client's
	// previous default is first passed to demote and saved with demote's events. Errors:
	// *fault.NotFoundError (client), fault.ErrDuplicate (extId taken), demote's error
	// unchanged.
	Create(ctx context.Context, p credential.Policy, events []event.Event, demote PolicyChange) error
	// Update loads the policy with a row lock and calls fn; when fn moved the policy's version, it
	// saves the policy guarded by the loaded version and records fn's events. When fn made the
	// policy the default, the client's previous default is first passed to demote and saved.
	// Errors: *fault.NotFoundError (client or policy), fn's or demote's error unchanged,
	// fault.ErrVersionConflict when a stored version moved.
	Update(ctx context.Context, clientExtID, extID string, fn, demote PolicyChange) error
	// Delete loads the policy with a row lock and calls fn; when fn returns nil, it deletes the
	// policy and records fn's events, unless a card uses the policy (credential.ErrInUse). Errors:
	// *fault.NotFoundError (client or policy), fn's error unchanged, credential.ErrInUse.
	Delete(ctx context.Context, clientExtID, extID string, fn PolicyChange) error
}

// PolicyStore keeps a client's OTP card policies.
type PolicyStore interface {
	PolicyReader
	PolicyWriter
}

// policyRight is what an admin needs for one policy use case in a client; self-admin callers
// never touch policies.
func policyRight(clientExtID string, right access.Right) access.Request {
	return access.Request{Client: clientExtID, Rights: []access.Right{right}}
}

// GetPolicy reads one policy of a client.
type GetPolicy struct {
	policies PolicyReader
	frame    caller.Frame
}

// GetPolicyQuery names the policy.
type GetPolicyQuery struct {
	Caller             caller.Caller
	ClientExtID, ExtID string
}

// Do returns the policy. Errors: access errors, *fault.NotFoundError.
func (uc *GetPolicy) Do(ctx context.Context, q GetPolicyQuery) (credential.Policy, error) {
	req := policyRight(q.ClientExtID, access.PolicyView)
	return caller.Run(ctx, uc.frame, "GetPolicy", q.Caller, req, func(ctx context.Context) (credential.Policy, error) {
		p, err := uc.policies.Get(ctx, q.ClientExtID, q.ExtID)
		return p, fault.Wrap(err, "get policy %s", q.ExtID)
	})
}

// ListPolicies pages through a client's policies.
type ListPolicies struct {
	policies PolicyReader
	frame    caller.Frame
}

// ListPoliciesQuery asks for one page of the client's policies.
type ListPoliciesQuery struct {
	Caller      caller.Caller
	ClientExtID string
	Page        listing.Page
}

// Do returns a page of the client's policies, oldest first. Errors: access errors,
// *fault.NotFoundError.
func (uc *ListPolicies) Do(ctx context.Context, q ListPoliciesQuery) (listing.Result[credential.Policy], error) {
	req := policyRight(q.ClientExtID, access.PolicyConfigurationView)
	return caller.Run(ctx, uc.frame, "ListPolicies", q.Caller, req, func(ctx context.Context) (listing.Result[credential.Policy], error) {
		res, err := uc.policies.List(ctx, q.ClientExtID, q.Page)
		return res, fault.Wrap(err, "list policies of %s", q.ClientExtID)
	})
}

// policyEvent records a change of p, at p's new version.
func policyEvent(t event.Type, p credential.Policy, c caller.Caller, data map[string]string) event.Event {
	meta := c.Meta()
	return event.Event{Type: t, Time: p.LastModified, Actor: meta.Actor, ClientExtID: p.ClientExtID,
		PolicyExtID: p.ExtID, Version: p.Version, RequestID: meta.RequestID, Data: data}
}

// demoteFor is the change of the client's previous default policy when the policy newDefault
// takes the flag at time now.
func demoteFor(c caller.Caller, newDefault string, now time.Time) PolicyChange {
	return func(old *credential.Policy) ([]event.Event, error) {
		old.Demote(now)
		return []event.Event{policyEvent(credential.PolicyChanged, *old, c,
			map[string]string{"changed": "defaultPolicy", "defaultPolicyNow": newDefault})}, nil
	}
}

// changedData lists the members a change touched, for the policy.changed event.
func changedData(members []string) map[string]string {
	return map[string]string{"changed": strings.Join(members, ",")}
}
