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

// CardPolicies finds the policy a card is generated under.
type CardPolicies interface {
	// PolicyOfCard returns the current policy of the card under key, or a
	// *credential.NotFoundError when the card is not under that path.
	PolicyOfCard(ctx context.Context, key CardKey) (credential.Policy, error)
}

// ReplaceOTPCard gives a credential a newly generated card (API.md section 4.1).
type ReplaceOTPCard struct {
	policies   CardPolicies
	cards      CardUpdater
	hasher     CellHasher
	now        Clock
	tracer     trace.Tracer
	maxAuthAge time.Duration
}

// NewReplaceOTPCard builds the use case; maxAuthAge is the freshness a self-admin caller needs.
func NewReplaceOTPCard(policies CardPolicies, cards CardUpdater, hasher CellHasher, now Clock,
	tracer trace.Tracer, maxAuthAge time.Duration) *ReplaceOTPCard {
	return &ReplaceOTPCard{policies: policies, cards: cards, hasher: hasher, now: now, tracer: tracer,
		maxAuthAge: maxAuthAge}
}

// ReplaceCommand asks for a new card.
type ReplaceCommand struct {
	Caller caller.Caller
	Key    CardKey
	// Version, when set, must equal the stored version.
	Version *int32
	Comment string
}

// Do replaces the card. Errors: access errors, *credential.NotFoundError,
// *credential.VersionConflictError, credential.ErrArchived, credential.ErrInvalid.
func (uc *ReplaceOTPCard) Do(ctx context.Context, cmd ReplaceCommand) (Issued, error) {
	ctx, span := uc.tracer.Start(ctx, "ReplaceOTPCard")
	defer span.End()
	err := cmd.Caller.Principal.Authorize(access.Request{
		Client: cmd.Key.ClientExtID, User: cmd.Key.UserExtID,
		Rights: []access.Right{access.CredentialModify, access.CredentialView},
		Self:   access.SelfFresh, MaxAuthAge: uc.maxAuthAge,
	}, uc.now())
	if err != nil {
		return Issued{}, err
	}
	if err := credential.ValidateComment(cmd.Comment); err != nil {
		return Issued{}, err
	}
	policy, err := uc.policies.PolicyOfCard(ctx, cmd.Key)
	if err != nil {
		return Issued{}, fmt.Errorf("replace otp card %s: %w", cmd.Key.ExtID, err)
	}
	grid, clear, err := newGrid(ctx, uc.hasher, policy.Parameters.Layout)
	if err != nil {
		return Issued{}, fmt.Errorf("replace otp card %s: %w", cmd.Key.ExtID, err)
	}
	var issued Issued
	err = uc.cards.Update(ctx, cmd.Key, func(card *credential.OTPCard) ([]event.Event, error) {
		if err := card.CheckVersion(cmd.Version); err != nil {
			return nil, err
		}
		if err := card.Replace(grid, cmd.Comment, uc.now()); err != nil {
			return nil, err
		}
		issued = Issued{Card: card, Clear: clear}
		return []event.Event{cardEvent(event.OTPCardReplaced, card, cmd.Caller.Meta())}, nil
	})
	if err != nil {
		return Issued{}, fmt.Errorf("replace otp card %s: %w", cmd.Key.ExtID, err)
	}
	return issued, nil
}
