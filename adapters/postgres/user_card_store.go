package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
)

var _ appcredential.UserCardUpdater = (*CardStore)(nil)

// UpdateUserCard locks the user's cards and changes one; see appcredential.UserCardUpdater.
// Concurrent challenges and logins of one user are serialized by these row locks.
func (s *CardStore) UpdateUserCard(ctx context.Context, clientExtID, userExtID string, fn appcredential.UserCardChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		// Locked oldest first, the order every other transaction that locks a user's cards uses
		// (user delete), so that the two can never deadlock; handed out newest first.
		var rows []cardRow
		err := tx.NewSelect().Model(&rows).
			Where("user_ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).
			OrderExpr("created, ext_id").For("UPDATE").Scan(ctx)
		if err != nil {
			return translate(err)
		}
		slices.Reverse(rows)
		if len(rows) == 0 {
			if err := userExists(ctx, tx, clientExtID, userExtID); err != nil {
				return err
			}
		}
		policies, err := policiesByExtID(ctx, tx, rows)
		if err != nil {
			return err
		}
		cards := make([]appcredential.UserCard, len(rows))
		loaded := map[*credential.OTPCard]int32{}
		for i, r := range rows {
			card, err := r.card()
			if err != nil {
				return err
			}
			cards[i] = appcredential.UserCard{Card: card, Policy: policies[r.PolicyExtID]}
			loaded[card] = r.Version
		}
		changed, events, err := fn(cards)
		if err != nil || changed == nil {
			return err
		}
		version, ok := loaded[changed]
		if !ok {
			return fmt.Errorf("update user card: the callback returned a card it was not given")
		}
		row := newCardRow(changed)
		res, err := tx.NewUpdate().Model(&row).ExcludeColumn("ext_id", "client_ext_id", "user_ext_id", "created").
			WherePK().Where("version = ?", version).Exec(ctx)
		if err != nil {
			return translate(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: credential %s moved past version %d", credential.ErrVersionConflict, row.ExtID, version)
		}
		return insertEvents(ctx, tx, events)
	})
}

// policiesByExtID loads the policies the cards run under.
func policiesByExtID(ctx context.Context, db bun.IDB, cards []cardRow) (map[string]credential.Policy, error) {
	out := map[string]credential.Policy{}
	if len(cards) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(cards))
	for _, c := range cards {
		ids = append(ids, c.PolicyExtID)
	}
	var rows []policyRow
	if err := db.NewSelect().Model(&rows).Where("ext_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		p, err := r.policy()
		if err != nil {
			return nil, err
		}
		out[r.ExtID] = p
	}
	return out, nil
}
