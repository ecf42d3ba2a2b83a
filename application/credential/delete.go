package credential

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
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
	cards      CardDeleter
	now        Clock
	tracer     trace.Tracer
	maxAuthAge time.Duration
}

// NewDeleteOTPCard builds the use case; maxAuthAge is the freshness a self-admin caller needs.
func NewDeleteOTPCard(cards CardDeleter, now Clock, tracer trace.Tracer, maxAuthAge time.Duration) *DeleteOTPCard {
	return &DeleteOTPCard{cards: cards, now: now, tracer: tracer, maxAuthAge: maxAuthAge}
}

// Do deletes the card. Errors: access errors, *fault.NotFoundError.
func (uc *DeleteOTPCard) Do(ctx context.Context, c caller.Caller, key CardKey) error {
	ctx, span := uc.tracer.Start(ctx, "DeleteOTPCard")
	defer span.End()
	err := c.Principal.Authorize(access.Request{
		Client: key.ClientExtID, User: key.UserExtID,
		Rights: []access.Right{access.CredentialDelete},
		Self:   access.SelfFresh, MaxAuthAge: uc.maxAuthAge,
	}, uc.now())
	if err != nil {
		return err
	}
	err = uc.cards.Delete(ctx, key, func(card *credential.OTPCard) ([]event.Event, error) {
		ev := cardEvent(credential.CardDeleted, card, c.Meta())
		ev.Time = credential.Later(uc.now(), ev.Time) // never before the card's last change
		return []event.Event{ev}, nil
	})
	if err != nil {
		return fmt.Errorf("delete otp card %s: %w", key.ExtID, err)
	}
	return nil
}
