package directory

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/fault"
)

// AdmitSelfAdmin admits self-admin callers: only users who may authenticate use their tokens.
type AdmitSelfAdmin struct {
	users  UserStates
	tracer trace.Tracer
}

// Admitted is a caller the gate let through.
type Admitted struct {
	Caller caller.Caller
}

// Do refuses a self-admin caller whose user is disabled or archived with an error wrapping
// access.ErrUserNotUsable (API.md section 3): a token issued before the user was disabled must not
// read or change the user's cards. A caller whose user does not exist is admitted here; each use
// case refuses it as it refuses any stranger. Admin callers are always admitted.
func (uc *AdmitSelfAdmin) Do(ctx context.Context, c caller.Caller) (Admitted, error) {
	if c.Principal.Mode() != access.ModeSelfAdmin {
		return Admitted{Caller: c}, nil
	}
	ctx, span := uc.tracer.Start(ctx, "AdmitSelfAdmin")
	defer span.End()
	state, err := uc.users.UserState(ctx, c.Principal.Subject())
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return Admitted{Caller: c}, nil
	case err != nil:
		return Admitted{}, fmt.Errorf("self-admin user: %w", err)
	case state != directory.UserActive:
		return Admitted{}, fmt.Errorf("%w: the user is %s", access.ErrUserNotUsable, state)
	}
	return Admitted{Caller: c}, nil
}
