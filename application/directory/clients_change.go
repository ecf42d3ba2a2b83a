package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// ChangeClient applies a partial change to a client; with version set, only while the client is
// at that version. It records client.changed; a change that repeats the stored values returns the
// client as it is, with no new version and no event. Errors: access errors, *fault.NotFoundError,
// fault.ErrInvalid, *fault.VersionConflictError, fault.ErrVersionConflict,
// fault.ErrDuplicate (the name is taken).
func (uc *Clients) ChangeClient(ctx context.Context, c caller.Caller, extID string, version *int32, ch directory.ClientChange) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "ChangeClient")
	defer span.End()
	now := uc.now()
	err := c.Principal.Authorize(access.Request{Client: extID, Rights: []access.Right{access.ClientModify}}, now)
	if err != nil {
		return directory.Client{}, err
	}
	var changed directory.Client
	err = uc.changer.Update(ctx, extID, func(client *directory.Client) ([]event.Event, error) {
		if err := client.CheckVersion(version); err != nil {
			return nil, err
		}
		did, err := client.Change(ch, uc.now())
		if err != nil {
			return nil, err
		}
		changed = *client
		if !did {
			return nil, nil
		}
		ev := entityEvent(directory.ClientChanged, client.LastModified, c.Meta(), client.ExtID, "", client.Version)
		ev.Data = commentData(ch.Comment)
		return []event.Event{ev}, nil
	})
	if err != nil {
		return directory.Client{}, fmt.Errorf("change client %s: %w", extID, err)
	}
	return changed, nil
}

// DeleteClient deletes a client that has no users, with its policies; it records client.deleted
// and one policy.deleted per policy. Errors: access errors, *fault.NotFoundError,
// directory.ErrHasDependents.
func (uc *Clients) DeleteClient(ctx context.Context, c caller.Caller, extID string) error {
	ctx, span := uc.tracer.Start(ctx, "DeleteClient")
	defer span.End()
	now := uc.now()
	err := c.Principal.Authorize(access.Request{Client: extID, Rights: []access.Right{access.ClientDelete}}, now)
	if err != nil {
		return err
	}
	err = uc.changer.Delete(ctx, extID, func(r ClientRemoval) ([]event.Event, error) {
		if err := r.Client.CheckDeletable(r.Users); err != nil {
			return nil, err
		}
		meta := c.Meta()
		now := later(uc.now(), r.Client.LastModified)
		events := []event.Event{entityEvent(directory.ClientDeleted, now, meta, r.Client.ExtID, "", r.Client.Version)}
		for _, p := range r.Policies {
			events = append(events, event.Event{Type: credential.PolicyDeleted, Time: now, Actor: meta.Actor,
				ClientExtID: r.Client.ExtID, PolicyExtID: p.ExtID, Version: p.Version, RequestID: meta.RequestID})
		}
		return events, nil
	})
	if err != nil {
		return fmt.Errorf("delete client %s: %w", extID, err)
	}
	return nil
}

// commentData carries a modification comment into an event; nil without one.
func commentData(comment string) map[string]string {
	if comment == "" {
		return nil
	}
	return map[string]string{"modificationComment": comment}
}

// later returns the later of two instants: an event is never recorded before the change it follows.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
