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
	// FindBySerial returns the card with that serial number in the client, and of that user
	// when userExtID is not empty; nil when there is none. It returns a *fault.NotFoundError when
	// the client, or the user given, does not exist.
	FindBySerial(ctx context.Context, clientExtID, userExtID string, serial credential.Serial) (*credential.OTPCard, error)
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
	// Serial, when not empty, keeps only the card with that serial number (0 or 1 card).
	Serial credential.Serial
	Page   listing.Page
}

// Do returns a page of the user's cards, oldest first. Errors: access errors,
// *fault.NotFoundError.
func (uc *ListOTPCards) Do(ctx context.Context, q ListCardsQuery) (listing.Result[*credential.OTPCard], error) {
	req := readAccess(q.ClientExtID, q.UserExtID)
	return caller.Run(ctx, uc.frame, "ListOTPCards", q.Caller, req, func(ctx context.Context) (listing.Result[*credential.OTPCard], error) {
		var res listing.Result[*credential.OTPCard]
		var err error
		if q.Serial != "" {
			res, err = bySerial(ctx, uc.cards, q.ClientExtID, q.UserExtID, q.Serial, q.Page)
		} else {
			res, err = uc.cards.List(ctx, q.ClientExtID, q.UserExtID, q.Page)
		}
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

// bySerial is the list of the one card with that serial number in the client (and of the user,
// when given), or an empty list: one page of the size asked for.
func bySerial(ctx context.Context, cards CardReader, clientExtID, userExtID string, serial credential.Serial, page listing.Page) (listing.Result[*credential.OTPCard], error) {
	res := listing.Result[*credential.OTPCard]{Limit: page.Limit}
	card, err := cards.FindBySerial(ctx, clientExtID, userExtID, serial)
	if err != nil || card == nil {
		return res, err
	}
	res.Items = []*credential.OTPCard{card}
	return res, nil
}

// FindOTPCardBySerial is the help desk's look-up: "the serial on my card is ..." (API.md section
// 10.1), across the users of a client.
type FindOTPCardBySerial struct {
	cards CardReader
	frame caller.Frame
}

// FindBySerialQuery names the client and the serial number.
type FindBySerialQuery struct {
	Caller      caller.Caller
	ClientExtID string
	Serial      credential.Serial
	Page        listing.Page
}

// Do returns the list of the client's card with that serial number: one card or none. Errors:
// access errors (CredentialView over the client), *fault.NotFoundError for an unknown client.
func (uc *FindOTPCardBySerial) Do(ctx context.Context, q FindBySerialQuery) (listing.Result[*credential.OTPCard], error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.CredentialView}}
	return caller.Run(ctx, uc.frame, "FindOTPCardBySerial", q.Caller, req, func(ctx context.Context) (listing.Result[*credential.OTPCard], error) {
		res, err := bySerial(ctx, uc.cards, q.ClientExtID, "", q.Serial, q.Page)
		if err != nil {
			return res, fault.Wrap(err, "find otp card %s in %s", q.Serial, q.ClientExtID)
		}
		now := uc.frame.Now()
		for _, card := range res.Items {
			card.EndExpiredLock(now)
		}
		return res, nil
	})
}
