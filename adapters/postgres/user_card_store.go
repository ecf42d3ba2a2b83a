package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ appcredential.UserCardUpdater = (*CardStore)(nil)

// userCardRow is a card with the policy it runs under, read in one statement.
type userCardRow struct {
	cardRow
	Policy      policyRow `bun:"embed:policy__"`
	HolderState string    `bun:"holder_state"`
}

// UpdateUserCard locks the user's cards and changes them; see appcredential.UserCardUpdater.
// Concurrent challenges and logins of one user are serialized by these row locks.
func (s *CardStore) UpdateUserCard(ctx context.Context, clientExtID, userExtID string, fn appcredential.UserCardChange) error {
	return s.changeUserCards(ctx, clientExtID, userExtID, false, fn)
}

// RenewUserCard is UpdateUserCard that first locks the holder's row, as Create and a user delete
// do (holder, then cards: one order, so none of them deadlock), so that the user's cards it hands
// fn are all there are while fn judges the two-card limit; it inserts the change's new card
// too; see appcredential.UserCardUpdater.
func (s *CardStore) RenewUserCard(ctx context.Context, clientExtID, userExtID string, fn appcredential.UserCardChange) error {
	return s.changeUserCards(ctx, clientExtID, userExtID, true, fn)
}

// changeUserCards runs fn over the user's locked cards and saves its change in one transaction.
func (s *CardStore) changeUserCards(ctx context.Context, clientExtID, userExtID string, renew bool, fn appcredential.UserCardChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		// A renewal locks the holder's row first (see RenewUserCard). The cards are locked oldest
		// first, the order every other transaction that locks a user's cards uses (user delete),
		// so that the two can never deadlock; handed out newest first. Each card comes with its
		// policy in the same statement; only the cards are locked, so the policy is the one
		// committed when the statement started: a policy change that commits while this waits for
		// a card's lock applies from the next challenge or login, as if it had committed a moment
		// later.
		var holder credential.Holder
		var err error
		if renew {
			if holder, err = lockHolder(ctx, tx, clientExtID, userExtID); err != nil {
				return err
			}
		}
		var rows []userCardRow
		if err := s.lockUserCards.scan(ctx, s.db, tx, &rows, userExtID, clientExtID); err != nil {
			return err
		}
		slices.Reverse(rows)
		switch {
		case renew:
		case len(rows) == 0:
			if holder, err = s.checkUser(ctx, tx, clientExtID, userExtID); err != nil {
				return err
			}
		default:
			holder = credential.HolderOf(rows[0].HolderState)
		}
		cards := make([]appcredential.UserCard, len(rows))
		loaded := map[*credential.OTPCard]*cardRow{}
		for i := range rows {
			r := &rows[i]
			policy, err := r.Policy.policy()
			if err != nil {
				return err
			}
			card, err := r.card()
			if err != nil {
				return err
			}
			cards[i] = appcredential.UserCard{Card: card, Policy: policy}
			loaded[card] = &r.cardRow
		}
		change, err := fn(appcredential.UserCards{Holder: holder, Cards: cards})
		if err != nil || (len(change.Changed) == 0 && change.New == nil) {
			return err
		}
		for _, card := range change.Changed {
			if loaded[card] == nil {
				return fmt.Errorf("update user card: the callback returned a card it was not given")
			}
		}
		if change.New != nil {
			if !renew {
				return fmt.Errorf("update user card: a new card is saved by RenewUserCard only")
			}
			row := newCardRow(change.New)
			if err := insertCard(ctx, tx, &row); err != nil {
				return err
			}
		}
		for _, card := range change.Changed {
			if err := updateCard(ctx, tx, loaded[card], card); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, change.Events)
	})
}

// lockHolder locks the holder's row and returns its state, or a *fault.NotFoundError naming
// the user.
func lockHolder(ctx context.Context, tx bun.Tx, clientExtID, userExtID string) (credential.Holder, error) {
	var state string
	q := tx.NewSelect().Table("holders").Column("state").
		Where("ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).For("UPDATE")
	if err := selectOne(ctx, q, &fault.NotFoundError{Entity: "user", ExtID: userExtID}, &state); err != nil {
		return 0, err
	}
	return credential.HolderOf(state), nil
}
