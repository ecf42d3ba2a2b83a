package credential

import (
	"context"
	"fmt"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// Issued is a card right after generation, with its cells in clear. The clear cells exist only
// in this value, on the way to the caller's response.
type Issued struct {
	Card  *credential.OTPCard
	Clear []string
	// ChallengeSize is how many cells a challenge of the card asks, for the printed instructions.
	ChallengeSize int
}

// newGrid generates the cells of a card of that layout and hashes them. It runs outside any
// transaction: hashing a card costs milliseconds of CPU that must not hold a row lock.
func newGrid(ctx context.Context, hasher CellHasher, l credential.Layout) (credential.Grid, []string, error) {
	cells, err := credential.GenerateCells(l, nil)
	if err != nil {
		return credential.Grid{}, nil, err
	}
	secret, err := hasher.Hash(ctx, cells)
	if err != nil {
		return credential.Grid{}, nil, fmt.Errorf("hash cells: %w", err)
	}
	grid, err := credential.NewGrid(l, secret)
	if err != nil {
		return credential.Grid{}, nil, err
	}
	return grid, cells, nil
}

// reissueGrid is the first step of a replace and of a renewal: the current policy of the card
// under key, and new cells generated and hashed under it, outside any transaction. It is read
// without a lock on the user: a change that saw the user unarchived is one that happened before
// the archive, which changes no card; a user who may receive no cards is refused
// (access.ErrUserNotUsable).
func reissueGrid(ctx context.Context, policies CardPolicies, hasher CellHasher, key CardKey) (credential.Policy, credential.Grid, []string, error) {
	policy, holder, err := policies.PolicyOfCard(ctx, key)
	if err != nil {
		return credential.Policy{}, credential.Grid{}, nil, err
	}
	if err := holder.CanReceiveCards(); err != nil {
		return credential.Policy{}, credential.Grid{}, nil, err
	}
	grid, clear, err := newGrid(ctx, hasher, policy.Parameters.Layout)
	return policy, grid, clear, err
}

// cardEvent records a change of a card.
func cardEvent(t event.Type, card *credential.OTPCard, meta event.Meta) event.Event {
	s := card.Snapshot()
	return event.Event{
		Type: t, Time: s.LastModified, Actor: meta.Actor,
		ClientExtID: s.ClientExtID, UserExtID: s.UserExtID, CredentialExt: s.ExtID,
		PolicyExtID: s.PolicyExtID, Version: s.Version, RequestID: meta.RequestID,
		Data: map[string]string{"stateName": string(s.State)},
	}
}
