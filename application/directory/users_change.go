package directory

import (
	"context"
	"fmt"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// ListUsers returns a page of a client's users, narrowed by filter. Errors: access errors,
// *fault.NotFoundError.
func (uc *Users) ListUsers(ctx context.Context, c caller.Caller, clientExtID string, filter UserFilter, page listing.Page) (listing.Result[directory.User], error) {
	ctx, span := uc.tracer.Start(ctx, "ListUsers")
	defer span.End()
	err := c.Principal.Authorize(access.Request{Client: clientExtID, Rights: []access.Right{access.UserView}}, uc.now())
	if err != nil {
		return listing.Result[directory.User]{}, err
	}
	res, err := uc.store.List(ctx, clientExtID, filter, page)
	if err != nil {
		return res, fmt.Errorf("list users of %s: %w", clientExtID, err)
	}
	return res, nil
}

// ChangeUser applies a partial change to a user; with version set, only while the user is at
// that version. It records user.changed; a change that repeats the stored values returns the user
// as it is, with no new version and no event. Errors: access errors, *fault.NotFoundError,
// fault.ErrInvalid, *fault.VersionConflictError, fault.ErrVersionConflict,
// fault.ErrDuplicate (the loginId is taken in the client).
func (uc *Users) ChangeUser(ctx context.Context, c caller.Caller, clientExtID, userExtID string, version *int32, ch directory.UserChange) (directory.User, error) {
	ctx, span := uc.tracer.Start(ctx, "ChangeUser")
	defer span.End()
	now := uc.now()
	err := c.Principal.Authorize(access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.UserModify}}, now)
	if err != nil {
		return directory.User{}, err
	}
	var changed directory.User
	err = uc.changer.Update(ctx, clientExtID, userExtID, func(u *directory.User) ([]event.Event, error) {
		if err := u.CheckVersion(version); err != nil {
			return nil, err
		}
		did, err := u.Change(ch, uc.now())
		if err != nil {
			return nil, err
		}
		changed = *u
		if !did {
			return nil, nil
		}
		ev := entityEvent(directory.UserChanged, u.LastModified, c.Meta(), u.ClientExtID, u.ExtID, u.Version)
		ev.Data = commentData(ch.Comment)
		return []event.Event{ev}, nil
	})
	if err != nil {
		return directory.User{}, fmt.Errorf("change user %s: %w", userExtID, err)
	}
	return changed, nil
}

// DeleteUser deletes a user with its OTP cards; it records user.deleted and one otp-card.deleted
// per card. Errors: access errors, *fault.NotFoundError.
func (uc *Users) DeleteUser(ctx context.Context, c caller.Caller, clientExtID, userExtID string) error {
	ctx, span := uc.tracer.Start(ctx, "DeleteUser")
	defer span.End()
	now := uc.now()
	err := c.Principal.Authorize(access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.UserDelete}}, now)
	if err != nil {
		return err
	}
	err = uc.changer.Delete(ctx, clientExtID, userExtID, func(r UserRemoval) ([]event.Event, error) {
		meta := c.Meta()
		now := uc.now()
		events := make([]event.Event, 0, len(r.Cards)+1)
		for _, card := range r.Cards {
			events = append(events, event.Event{Type: credential.CardDeleted, Time: later(now, card.LastModified), Actor: meta.Actor,
				ClientExtID: r.User.ClientExtID, UserExtID: r.User.ExtID, CredentialExt: card.ExtID,
				PolicyExtID: card.PolicyExtID, Version: card.Version, RequestID: meta.RequestID,
				Data: map[string]string{"stateName": string(card.State)}})
		}
		events = append(events, entityEvent(directory.UserDeleted, later(now, r.User.LastModified), meta,
			r.User.ClientExtID, r.User.ExtID, r.User.Version))
		return events, nil
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", userExtID, err)
	}
	return nil
}
