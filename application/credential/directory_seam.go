package credential

import (
	"context"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// This file is the credential module's side of the one seam between the directory and the
// credential module (appdirectory.Dependents): the only file of the module that knows the
// directory. tests/architecture_test.go allows exactly this.

// ClientPolicies creates and deletes a client's policies with the client.
type ClientPolicies interface {
	// CreateDefault saves the first policy of a new client, its default, with its events.
	// It returns fault.ErrDuplicate when the extId is taken or the client has its default
	// already.
	CreateDefault(ctx context.Context, p credential.Policy, events []event.Event) error
	// DeleteAll locks every policy of the client, calls fn with them, and deletes them with
	// fn's events. It returns credential.ErrInUse when a card still uses one.
	DeleteAll(ctx context.Context, clientExtID string, fn func([]credential.Policy) []event.Event) error
}

// Holders follows the users who hold cards.
type Holders interface {
	// SaveHolder records that the user holds cards in the client, in that state (a new user,
	// or a change of state).
	SaveHolder(ctx context.Context, clientExtID, userExtID string, h credential.Holder) error
	// DeleteHolder locks the holder and its cards in the client, calls fn with the cards (oldest
	// first), and deletes them and the holder with fn's events; a user who is no holder in that
	// client is no error and loses nothing.
	DeleteHolder(ctx context.Context, clientExtID, userExtID string, fn func([]*credential.OTPCard) []event.Event) error
}

// DirectorySeam is the credential module's part in the directory's changes: a new client gets
// its default policy, a deleted one takes its policies along; a user's state decides whether it
// may authenticate and receive cards; a deleted user takes its cards along, each recording
// otp-card.deleted. Every method runs inside the directory's transaction.
type DirectorySeam struct {
	policies ClientPolicies
	holders  Holders
	now      Clock
}

var _ appdirectory.Dependents = (*DirectorySeam)(nil)

// NewDirectorySeam builds the credential module's side of the seam.
func NewDirectorySeam(policies ClientPolicies, holders Holders, now Clock) *DirectorySeam {
	return &DirectorySeam{policies: policies, holders: holders, now: now}
}

// ClientCreated gives the new client its default OTP card policy.
func (d *DirectorySeam) ClientCreated(ctx context.Context, client directory.Client, meta event.Meta) error {
	p := credential.NewDefaultPolicy(client.ExtID, client.Created)
	ev := event.Event{Type: credential.PolicyCreated, Time: p.Created, Actor: meta.Actor, ClientExtID: client.ExtID,
		PolicyExtID: p.ExtID, Version: p.Version, RequestID: meta.RequestID}
	err := d.policies.CreateDefault(ctx, p, []event.Event{ev})
	return fault.Wrap(err, "default policy of client %s", client.ExtID)
}

// ClientSaved needs nothing: the module keeps nothing of a client's names or print settings.
func (*DirectorySeam) ClientSaved(context.Context, directory.Client) error { return nil }

// ClientDeleting deletes the client's policies, recording policy.deleted for each.
func (d *DirectorySeam) ClientDeleting(ctx context.Context, client directory.Client, meta event.Meta) error {
	now := d.now()
	err := d.policies.DeleteAll(ctx, client.ExtID, func(policies []credential.Policy) []event.Event {
		events := make([]event.Event, len(policies))
		for i, p := range policies {
			events[i] = event.Event{Type: credential.PolicyDeleted, Time: credential.Later(now, p.LastModified),
				Actor: meta.Actor, ClientExtID: client.ExtID, PolicyExtID: p.ExtID, Version: p.Version,
				RequestID: meta.RequestID}
		}
		return events
	})
	return fault.Wrap(err, "policies of client %s", client.ExtID)
}

// UserSaved records the user as a holder in its state.
func (d *DirectorySeam) UserSaved(ctx context.Context, user directory.User) error {
	err := d.holders.SaveHolder(ctx, user.ClientExtID, user.ExtID, credential.HolderOf(string(user.State)))
	return fault.Wrap(err, "holder %s", user.ExtID)
}

// UserDeleting deletes the user's cards, recording otp-card.deleted for each at its last version.
func (d *DirectorySeam) UserDeleting(ctx context.Context, user directory.User, meta event.Meta) error {
	now := d.now()
	err := d.holders.DeleteHolder(ctx, user.ClientExtID, user.ExtID, func(cards []*credential.OTPCard) []event.Event {
		events := make([]event.Event, len(cards))
		for i, card := range cards {
			events[i] = cardEvent(credential.CardDeleted, card, meta)
			events[i].Time = credential.Later(now, events[i].Time)
		}
		return events
	})
	return fault.Wrap(err, "cards of user %s", user.ExtID)
}
