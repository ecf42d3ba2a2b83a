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
	// PolicyOfCard returns the current policy of the card under key and the state of the user
	// who holds it, or a *fault.NotFoundError when the card is not under that path.
	PolicyOfCard(ctx context.Context, key CardKey) (credential.Policy, credential.Holder, error)
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

// Access is what a caller needs to replace a card of the user: CredentialModify and
// CredentialView, or being that user with a fresh self-admin token.
func (uc *ReplaceOTPCard) Access(clientExtID, userExtID string) access.Request {
	return access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialModify, access.CredentialView},
		Self:   access.SelfFresh, MaxAuthAge: uc.maxAuthAge}
}

// Do replaces the card. A card whose validity has ended gets a fresh one under its policy's
// lifetime, and the event says so (data.validityRestarted). Errors: access errors,
// access.ErrUserNotUsable (the user is archived), *fault.NotFoundError,
// *fault.VersionConflictError, credential.ErrArchived, fault.ErrInvalid.
func (uc *ReplaceOTPCard) Do(ctx context.Context, cmd ReplaceCommand) (Issued, error) {
	ctx, span := uc.tracer.Start(ctx, "ReplaceOTPCard")
	defer span.End()
	if err := cmd.Caller.Principal.Authorize(uc.Access(cmd.Key.ClientExtID, cmd.Key.UserExtID), uc.now()); err != nil {
		return Issued{}, err
	}
	if err := credential.ValidateComment(cmd.Comment); err != nil {
		return Issued{}, err
	}
	policy, holder, err := uc.policies.PolicyOfCard(ctx, cmd.Key)
	if err != nil {
		return Issued{}, fmt.Errorf("replace otp card %s: %w", cmd.Key.ExtID, err)
	}
	// Read before the transaction, without a lock on the user: a replace that saw the user
	// unarchived is one that happened before the archive, which changes no card.
	if err := holder.CanReceiveCards(); err != nil {
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
		restarted, err := card.Replace(grid, cmd.Comment, policy.Parameters.CredentialLifetime, uc.now())
		if err != nil {
			return nil, err
		}
		issued = Issued{Card: card, Clear: clear}
		ev := cardEvent(credential.CardReplaced, card, cmd.Caller.Meta())
		if restarted {
			s := card.Snapshot()
			ev.Data["validityRestarted"] = "true"
			ev.Data["validFrom"] = s.ValidFrom.UTC().Format(time.RFC3339)
			ev.Data["validTo"] = s.ValidTo.UTC().Format(time.RFC3339)
		}
		return []event.Event{ev}, nil
	})
	if err != nil {
		return Issued{}, fmt.Errorf("replace otp card %s: %w", cmd.Key.ExtID, err)
	}
	return issued, nil
}
