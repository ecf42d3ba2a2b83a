// Package credential holds the OTP card use cases. Each declares the small ports it needs; the
// postgres adapter implements them.
package credential

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// CardKey addresses a card under its path: client, user, credential.
type CardKey struct {
	ClientExtID, UserExtID, ExtID string
}

// CardChange is what an update callback decides: the events to record with the change.
type CardChange func(card *credential.OTPCard) ([]event.Event, error)

// CardUpdater changes one card in a transaction.
type CardUpdater interface {
	// Update loads the card under key with a row lock, calls fn, and when fn returns nil saves the
	// card guarded by its loaded version and records the events, all in one transaction. It
	// returns a *fault.NotFoundError when the card is not under that path, fn's error
	// unchanged, or fault.ErrVersionConflict when the stored version moved.
	Update(ctx context.Context, key CardKey, fn CardChange) error
}

// CellHasher turns the cells of a new card into its secret.
type CellHasher interface {
	// Hash returns a fresh random salt, the scheme and one verifier per cell, in order.
	Hash(ctx context.Context, cells []string) (credential.Secret, error)
}

// Clock tells the time; the use cases never read the system clock themselves.
type Clock func() time.Time
