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
