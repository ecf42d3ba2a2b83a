package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
)

// UpkeepStore finds the cards the lifecycle job has work for; see appcredential.LifecycleStore.
// The job changes them through CardStore.UpdateUserCard, under the cards' locks.
type UpkeepStore struct {
	db *bun.DB
}

// NewUpkeepStore builds the store.
func NewUpkeepStore(db *bun.DB) *UpkeepStore { return &UpkeepStore{db: db} }

var _ appcredential.LifecycleStore = (*UpkeepStore)(nil)

// AllCardPolicies returns the policies of every client; see appcredential.LifecycleStore.
func (s *UpkeepStore) AllCardPolicies(ctx context.Context) ([]credential.Policy, error) {
	var rows []policyRow
	if err := s.db.NewSelect().Model(&rows).Order("ext_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the card policies: %w", translate(err))
	}
	policies := make([]credential.Policy, len(rows))
	for i, r := range rows {
		p, err := r.policy()
		if err != nil {
			return nil, err
		}
		policies[i] = p
	}
	return policies, nil
}

// dueHoldersSQL finds the users with due cards after user $5, at most $6 of them: per policy
// ($1 extIds, $2 closeBefore, $3 renewedBefore, as parallel arrays), cards whose closeness is to be
// announced (index otp_cards_close_to_expiry_due) or whose fallback period is over
// (otp_cards_fallback_due), each read by a lateral look-up of its own so that every policy is one
// index range (a join of the list of policies against the cards would read the whole table once
// there are a few policies); and cards of any policy that expired by $4, expiry not announced
// (otp_cards_expiry_due). A renewed card whose successor is disabled or archived stays out of the
// look-up: it stays as it is (credential.OTPCard.RetireAfterFallback decides; this only narrows).
const dueHoldersSQL = `WITH due AS (
		SELECT * FROM unnest(?::text[], ?::timestamptz[], ?::timestamptz[]) AS d (policy_ext_id, close_before, renewed_before)
	)
	SELECT h.client_ext_id, h.user_ext_id FROM (
		SELECT c.client_ext_id, c.user_ext_id FROM due CROSS JOIN LATERAL (
			SELECT c.client_ext_id, c.user_ext_id FROM otp_cards AS c
			WHERE c.policy_ext_id = due.policy_ext_id AND NOT c.close_to_expiry_announced AND c.state <> 'archived'
				AND c.valid_to <= due.close_before
			OFFSET 0) AS c
		UNION
		SELECT c.client_ext_id, c.user_ext_id FROM otp_cards AS c
		WHERE NOT c.expiry_announced AND c.state <> 'archived' AND c.valid_to <= ?
		UNION
		SELECT c.client_ext_id, c.user_ext_id FROM due CROSS JOIN LATERAL (
			SELECT c.client_ext_id, c.user_ext_id, c.successor_ext_id FROM otp_cards AS c
			WHERE c.policy_ext_id = due.policy_ext_id AND c.successor_ext_id IS NOT NULL AND c.state <> 'archived'
				AND c.renewed_at <= due.renewed_before
			OFFSET 0) AS c
		WHERE EXISTS (SELECT 1 FROM otp_cards AS s
			WHERE s.ext_id = c.successor_ext_id AND s.state NOT IN ('archived', 'disabled'))
	) AS h
	WHERE h.user_ext_id > ?
	ORDER BY h.user_ext_id
	LIMIT ?`

// DueHolders returns the users with due cards; see appcredential.LifecycleStore.
func (s *UpkeepStore) DueHolders(ctx context.Context, due appcredential.LifecycleDue, after string, limit int) ([]appcredential.HolderKey, error) {
	ids, closeBefore, renewedBefore := dueArrays(due)
	var rows []struct {
		ClientExtID string `bun:"client_ext_id"`
		UserExtID   string `bun:"user_ext_id"`
	}
	err := s.db.NewRaw(dueHoldersSQL, pgdialect.Array(ids), pgdialect.Array(closeBefore), pgdialect.Array(renewedBefore),
		due.Now.UTC(), after, limit).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("find the due cards: %w", translate(err))
	}
	holders := make([]appcredential.HolderKey, len(rows))
	for i, r := range rows {
		holders[i] = appcredential.HolderKey{ClientExtID: r.ClientExtID, UserExtID: r.UserExtID}
	}
	return holders, nil
}

// dueArrays are the policies of due as the parallel arrays of dueHoldersSQL.
func dueArrays(due appcredential.LifecycleDue) (ids []string, closeBefore, renewedBefore []time.Time) {
	for id, p := range due.Policies {
		ids = append(ids, id)
		closeBefore = append(closeBefore, p.CloseBefore.UTC())
		renewedBefore = append(renewedBefore, p.RenewedBefore.UTC())
	}
	return ids, closeBefore, renewedBefore
}
