package credential

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// CardDeleter removes cards.
type CardDeleter interface {
	// Delete loads the card under key with a row lock, calls fn, and when fn returns nil deletes
	// the card and records the events in one transaction. It returns a *fault.NotFoundError
	// or fn's error.
	Delete(ctx context.Context, key CardKey, fn CardChange) error
}

// DeleteOTPCard removes a card for good.
type DeleteOTPCard struct {
	cards CardDeleter
	frame caller.Frame
	// maxAuthAge is the freshness a self-admin caller needs.
	maxAuthAge time.Duration
}

// DeleteCardCommand names the card.
type DeleteCardCommand struct {
	Caller caller.Caller
	Key    CardKey
	// Version, when set, must equal the stored version (the console deletes the card it showed).
	Version *int32
}

// Deleted tells what a delete removed: the card at its last version.
type Deleted struct {
	ExtID   string
	Version int32
}

// Do deletes the card and records otp-card.deleted. Errors: access errors, *fault.NotFoundError,
// *fault.VersionConflictError (a stale Version).
func (uc *DeleteOTPCard) Do(ctx context.Context, cmd DeleteCardCommand) (Deleted, error) {
	req := access.Request{
		Client: cmd.Key.ClientExtID, User: cmd.Key.UserExtID,
		Rights: []access.Right{access.CredentialDelete},
		Self:   access.SelfFresh, MaxAuthAge: uc.maxAuthAge,
	}
	return caller.Run(ctx, uc.frame, "DeleteOTPCard", cmd.Caller, req, func(ctx context.Context) (Deleted, error) {
		var deleted Deleted
		err := uc.cards.Delete(ctx, cmd.Key, func(card *credential.OTPCard) ([]event.Event, error) {
			if err := card.CheckVersion(cmd.Version); err != nil {
				return nil, err
			}
			ev := cardEvent(credential.CardDeleted, card, cmd.Caller.Meta())
			ev.Time = credential.Later(uc.frame.Now(), ev.Time) // never before the card's last change
			deleted = Deleted{ExtID: card.ExtID(), Version: card.Version()}
			return []event.Event{ev}, nil
		})
		return deleted, fault.Wrap(err, "delete otp card %s", cmd.Key.ExtID)
	})
}
