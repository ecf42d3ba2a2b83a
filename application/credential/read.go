package credential

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
)

// CardReader reads cards.
type CardReader interface {
	// Get returns the card under key or a *fault.NotFoundError.
	Get(ctx context.Context, key CardKey) (*credential.OTPCard, error)
	// List returns a page of the user's cards, oldest first, or a *fault.NotFoundError when
	// the user is not in that client.
	List(ctx context.Context, clientExtID, userExtID string, page listing.Page) (listing.Result[*credential.OTPCard], error)
}

// ReadOTPCards answers GetOTPCard and ListOTPCards.
type ReadOTPCards struct {
	cards  CardReader
	now    Clock
	tracer trace.Tracer
}

// NewReadOTPCards builds the read use cases.
func NewReadOTPCards(cards CardReader, now Clock, tracer trace.Tracer) *ReadOTPCards {
	return &ReadOTPCards{cards: cards, now: now, tracer: tracer}
}

func (uc *ReadOTPCards) authorize(c caller.Caller, clientExtID, userExtID string) error {
	return c.Principal.Authorize(access.Request{
		Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialView}, Self: access.SelfRead,
	}, uc.now())
}

// GetOTPCard returns one card (its cells are never known again). Errors: access errors,
// *fault.NotFoundError.
func (uc *ReadOTPCards) GetOTPCard(ctx context.Context, c caller.Caller, key CardKey) (*credential.OTPCard, error) {
	ctx, span := uc.tracer.Start(ctx, "GetOTPCard")
	defer span.End()
	if err := uc.authorize(c, key.ClientExtID, key.UserExtID); err != nil {
		return nil, err
	}
	card, err := uc.cards.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get otp card %s: %w", key.ExtID, err)
	}
	card.EndExpiredLock(uc.now())
	return card, nil
}

// ListOTPCards returns a page of a user's cards. Errors: access errors,
// *fault.NotFoundError.
func (uc *ReadOTPCards) ListOTPCards(ctx context.Context, c caller.Caller, clientExtID, userExtID string,
	page listing.Page) (listing.Result[*credential.OTPCard], error) {
	ctx, span := uc.tracer.Start(ctx, "ListOTPCards")
	defer span.End()
	if err := uc.authorize(c, clientExtID, userExtID); err != nil {
		return listing.Result[*credential.OTPCard]{}, err
	}
	res, err := uc.cards.List(ctx, clientExtID, userExtID, page)
	if err != nil {
		return res, fmt.Errorf("list otp cards of %s: %w", userExtID, err)
	}
	now := uc.now()
	for _, card := range res.Items {
		card.EndExpiredLock(now)
	}
	return res, nil
}
