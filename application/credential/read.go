package credential

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// CardReader reads cards.
type CardReader interface {
	// Get returns the card under key or a *fault.NotFoundError.
	Get(ctx context.Context, key CardKey) (*credential.OTPCard, error)
	// List returns a page of the user's cards, oldest first, or a *fault.NotFoundError when
	// the user is not in that client.
	List(ctx context.Context, clientExtID, userExtID string, page listing.Page) (listing.Result[*credential.OTPCard], error)
}

// readAccess is who may read a user's cards: CredentialView, or the user itself.
func readAccess(clientExtID, userExtID string) access.Request {
	return access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialView}, Self: access.SelfRead}
}

// GetOTPCard reads one card (its cells are never known again).
type GetOTPCard struct {
	cards CardReader
	frame caller.Frame
}

// GetCardQuery names the card.
type GetCardQuery struct {
	Caller caller.Caller
	Key    CardKey
}

// Do returns the card as it stands now (a temporary lock whose time is up shows as ended).
// Errors: access errors, *fault.NotFoundError.
func (uc *GetOTPCard) Do(ctx context.Context, q GetCardQuery) (*credential.OTPCard, error) {
	req := readAccess(q.Key.ClientExtID, q.Key.UserExtID)
	return caller.Run(ctx, uc.frame, "GetOTPCard", q.Caller, req, func(ctx context.Context) (*credential.OTPCard, error) {
		card, err := uc.cards.Get(ctx, q.Key)
		if err != nil {
			return nil, fault.Wrap(err, "get otp card %s", q.Key.ExtID)
		}
		card.EndExpiredLock(uc.frame.Now())
		return card, nil
	})
}

// ListOTPCards pages through a user's cards.
type ListOTPCards struct {
	cards CardReader
	frame caller.Frame
}

// ListCardsQuery asks for one page of the user's cards.
type ListCardsQuery struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
	Page                   listing.Page
}

// Do returns a page of the user's cards, oldest first. Errors: access errors,
// *fault.NotFoundError.
func (uc *ListOTPCards) Do(ctx context.Context, q ListCardsQuery) (listing.Result[*credential.OTPCard], error) {
	req := readAccess(q.ClientExtID, q.UserExtID)
	return caller.Run(ctx, uc.frame, "ListOTPCards", q.Caller, req, func(ctx context.Context) (listing.Result[*credential.OTPCard], error) {
		res, err := uc.cards.List(ctx, q.ClientExtID, q.UserExtID, q.Page)
		if err != nil {
			return res, fault.Wrap(err, "list otp cards of %s", q.UserExtID)
		}
		now := uc.frame.Now()
		for _, card := range res.Items {
			card.EndExpiredLock(now)
		}
		return res, nil
	})
}
