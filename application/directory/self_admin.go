package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/fault"
)

// UserStates tells a user's state by its extId alone; extIds are unique across clients.
type UserStates interface {
	// UserState returns the state of the user with that extId, or a *fault.NotFoundError.
	UserState(ctx context.Context, userExtID string) (directory.UserState, error)
}

// SelfAdmins admits self-admin callers: only users who may authenticate use their tokens.
type SelfAdmins struct {
	users UserStates
}

// NewSelfAdmins builds the gate.
func NewSelfAdmins(users UserStates) *SelfAdmins { return &SelfAdmins{users: users} }

// Admit refuses a self-admin caller whose user is disabled or archived with an error wrapping
// access.ErrUserNotUsable (API.md section 3): a token issued before the user was disabled must not
// read or change the user's cards. A caller whose user does not exist is admitted here; each use
// case refuses it as it refuses any stranger. Admin callers are always admitted.
func (g *SelfAdmins) Admit(ctx context.Context, c caller.Caller) error {
	if c.Principal.Mode() != access.ModeSelfAdmin {
		return nil
	}
	state, err := g.users.UserState(ctx, c.Principal.Subject())
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("self-admin user: %w", err)
	}
	if state != directory.UserActive {
		return fmt.Errorf("%w: the user is %s", access.ErrUserNotUsable, state)
	}
	return nil
}
