package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// PolicyStore keeps OTP card policies.
//
// Locking: every write first takes the client's policy lock (a transaction-scoped advisory lock
// on the client's extId: the directory's client row is not the credential module's to lock),
// which serializes the policy writes of one client, then the policy's row lock. A client's
// policies exist exactly while the client does (its default is created and its policies deleted
// with it, through the directory's seam), so a client without a default policy is an unknown
// client. Moving the default flag clears the old default before setting the new one, so the
// partial unique index policies_one_default never sees two. Deleting takes the policy row FOR
// UPDATE, which conflicts with the FOR KEY SHARE lock CardStore.Create takes before inserting a
// card under the policy: a card cannot slip in between the use check and the delete.
type PolicyStore struct {
	db *bun.DB
}

// NewPolicyStore builds the store.
func NewPolicyStore(db *bun.DB) *PolicyStore { return &PolicyStore{db: db} }

var (
	_ appcredential.PolicyStore    = (*PolicyStore)(nil)
	_ appcredential.ClientPolicies = (*PolicyStore)(nil)
)

func policyNotFound(extID string) error {
	return &fault.NotFoundError{Entity: "policy", ExtID: extID}
}

// Get returns the policy of that client.
func (s *PolicyStore) Get(ctx context.Context, clientExtID, extID string) (credential.Policy, error) {
	var row policyRow
	q := s.db.NewSelect().Model(&row).Where("ext_id = ?", extID).Where("client_ext_id = ?", clientExtID)
	if err := selectOne(ctx, q, policyNotFound(extID)); err != nil {
		return credential.Policy{}, err
	}
	return row.policy()
}

// List returns a page of the client's policies, oldest first.
func (s *PolicyStore) List(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[credential.Policy], error) {
	var res listing.Result[credential.Policy]
	if err := checkPolicyClient(ctx, s.db, clientExtID); err != nil {
		return res, err
	}
	var rows []policyRow
	q := s.db.NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).
		OrderExpr("created, ext_id").Limit(int64(page.Limit) + 1)
	if page.After != nil {
		q = q.Where("(created, ext_id) > (?, ?)", page.After.Created, page.After.ExtID)
	}
	if err := q.Scan(ctx); err != nil {
		return res, translate(err)
	}
	policies := make([]credential.Policy, 0, len(rows))
	for _, r := range rows {
		p, err := r.policy()
		if err != nil {
			return res, err
		}
		policies = append(policies, p)
	}
	return listing.Trim(policies, page.Limit, func(p credential.Policy) listing.Cursor {
		return listing.Cursor{Created: p.Created, ExtID: p.ExtID}
	}), nil
}

// Create saves a new policy and its events; see appcredential.PolicyWriter.
func (s *PolicyStore) Create(ctx context.Context, p credential.Policy, events []event.Event, demote appcredential.PolicyChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := lockPolicyClient(ctx, tx, p.ClientExtID); err != nil {
			return err
		}
		if p.Default {
			if err := demoteDefault(ctx, tx, p.ClientExtID, p.ExtID, demote); err != nil {
				return err
			}
		}
		return insertPolicy(ctx, tx, p, events)
	})
}

// insertPolicy saves a new policy and its events; a taken extId is fault.ErrDuplicate.
func insertPolicy(ctx context.Context, tx bun.Tx, p credential.Policy, events []event.Event) error {
	row := newPolicyRow(p)
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		if isCode(err, uniqueViolation) {
			return fmt.Errorf("%w: a policy with extId %s exists", fault.ErrDuplicate, p.ExtID)
		}
		return translate(err)
	}
	return insertEvents(ctx, tx, events)
}

// Update changes one policy under the client's policy lock and its own row lock; see
// appcredential.PolicyWriter.
func (s *PolicyStore) Update(ctx context.Context, clientExtID, extID string, fn, demote appcredential.PolicyChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		p, err := lockPolicy(ctx, tx, clientExtID, extID, "NO KEY UPDATE")
		if err != nil {
			return err
		}
		loaded := p
		events, err := fn(&p)
		if err != nil {
			return err
		}
		if p.Version == loaded.Version {
			return nil
		}
		if p.Default && !loaded.Default {
			if err := demoteDefault(ctx, tx, clientExtID, extID, demote); err != nil {
				return err
			}
		}
		if err := savePolicy(ctx, tx, p, loaded.Version); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// Delete removes one policy no card uses; see appcredential.PolicyWriter.
func (s *PolicyStore) Delete(ctx context.Context, clientExtID, extID string, fn appcredential.PolicyChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		p, err := lockPolicy(ctx, tx, clientExtID, extID, "UPDATE")
		if err != nil {
			return err
		}
		events, err := fn(&p)
		if err != nil {
			return err
		}
		cards, err := tx.NewSelect().Model((*cardRow)(nil)).Where("policy_ext_id = ?", extID).Count(ctx)
		if err != nil {
			return translate(err)
		}
		if cards > 0 {
			return policyInUse(extID, cards)
		}
		if _, err := tx.NewDelete().Model((*policyRow)(nil)).Where("ext_id = ?", extID).Exec(ctx); err != nil {
			if isCode(err, foreignKeyViolation) {
				return policyInUse(extID, 1)
			}
			return translate(err)
		}
		return insertEvents(ctx, tx, events)
	})
}

func policyInUse(extID string, cards int64) error {
	return fmt.Errorf("%w: policy %s is used by %d OTP card(s), archived ones included; delete them first",
		credential.ErrInUse, extID, cards)
}

// policyLockSpace is the first key of the advisory locks that serialize a client's policy writes.
const policyLockSpace = 7_302

// lockPolicyClient takes the client's policy lock for a policy write, or returns a
// *fault.NotFoundError naming the client when it has no policies (so no longer exists).
func lockPolicyClient(ctx context.Context, tx bun.Tx, clientExtID string) error {
	if err := lockPolicies(ctx, tx, clientExtID); err != nil {
		return err
	}
	return checkPolicyClient(ctx, tx, clientExtID)
}

// lockPolicies takes the client's policy lock until the transaction ends.
func lockPolicies(ctx context.Context, tx bun.Tx, clientExtID string) error {
	_, err := tx.NewRaw("SELECT pg_advisory_xact_lock(?, hashtext(?))", policyLockSpace, clientExtID).Exec(ctx)
	return translate(err)
}

// checkPolicyClient returns a *fault.NotFoundError naming the client unless it has its default
// policy, which every client has from its creation to its deletion.
func checkPolicyClient(ctx context.Context, db bun.IDB, clientExtID string) error {
	exists, err := db.NewSelect().Model((*policyRow)(nil)).Where("client_ext_id = ?", clientExtID).
		Where("default_policy").Exists(ctx)
	if err != nil {
		return translate(err)
	}
	if !exists {
		return &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	return nil
}

// CreateDefault saves the first policy of a new client; see appcredential.ClientPolicies.
func (s *PolicyStore) CreateDefault(ctx context.Context, p credential.Policy, events []event.Event) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := lockPolicies(ctx, tx, p.ClientExtID); err != nil {
			return err
		}
		return insertPolicy(ctx, tx, p, events)
	})
}

// DeleteAll deletes every policy of a client; see appcredential.ClientPolicies.
func (s *PolicyStore) DeleteAll(ctx context.Context, clientExtID string, fn func([]credential.Policy) []event.Event) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := lockPolicies(ctx, tx, clientExtID); err != nil {
			return err
		}
		var rows []policyRow
		err := tx.NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).
			OrderExpr("created, ext_id").For("UPDATE").Scan(ctx)
		if err != nil {
			return translate(err)
		}
		policies := make([]credential.Policy, len(rows))
		for i, r := range rows {
			if policies[i], err = r.policy(); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model((*policyRow)(nil)).Where("client_ext_id = ?", clientExtID).Exec(ctx); err != nil {
			if isCode(err, foreignKeyViolation) {
				return fmt.Errorf("%w: a policy of client %s is still used by an OTP card", credential.ErrInUse, clientExtID)
			}
			return translate(err)
		}
		return insertEvents(ctx, tx, fn(policies))
	})
}

// lockPolicy takes the client's policy lock for a policy write, then loads the policy of that
// client with the row lock strength given.
func lockPolicy(ctx context.Context, tx bun.Tx, clientExtID, extID, strength string) (credential.Policy, error) {
	if err := lockPolicyClient(ctx, tx, clientExtID); err != nil {
		return credential.Policy{}, err
	}
	var row policyRow
	q := tx.NewSelect().Model(&row).Where("ext_id = ?", extID).Where("client_ext_id = ?", clientExtID).For(strength)
	if err := selectOne(ctx, q, policyNotFound(extID)); err != nil {
		return credential.Policy{}, err
	}
	return row.policy()
}

// demoteDefault passes the client's current default policy (other than newDefault) to demote and
// saves it with demote's events. The caller holds the client's policy lock, so the default read
// here stays the default until the transaction ends.
func demoteDefault(ctx context.Context, tx bun.Tx, clientExtID, newDefault string, demote appcredential.PolicyChange) error {
	var row policyRow
	err := tx.NewSelect().Model(&row).Where("client_ext_id = ?", clientExtID).Where("default_policy").
		Where("ext_id <> ?", newDefault).For("NO KEY UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return translate(err)
	}
	old, err := row.policy()
	if err != nil {
		return err
	}
	events, err := demote(&old)
	if err != nil {
		return err
	}
	if err := savePolicy(ctx, tx, old, row.Version); err != nil {
		return err
	}
	return insertEvents(ctx, tx, events)
}

// savePolicy writes the changeable columns of p, guarded by the version it was loaded at.
func savePolicy(ctx context.Context, tx bun.Tx, p credential.Policy, loaded int32) error {
	row := newPolicyRow(p)
	res, err := tx.NewUpdate().Model(&row).
		Column("name", "description", "default_policy", "parameters", "last_modified", "version").
		WherePK().Where("client_ext_id = ?", p.ClientExtID).Where("version = ?", loaded).Exec(ctx)
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: policy %s moved past version %d", fault.ErrVersionConflict, p.ExtID, loaded)
	}
	return nil
}

// sharePolicy takes a FOR KEY SHARE lock on the policy a new card is created under, so that a
// concurrent PolicyStore.Delete either sees the card or has already removed the policy; the latter
// is credential.ErrUnknownPolicy, never a foreign-key failure. The lock does not block PATCHes of
// the policy.
func sharePolicy(ctx context.Context, tx bun.Tx, clientExtID, policyExtID string) error {
	var locked string
	q := tx.NewSelect().Table("policies").Column("ext_id").
		Where("ext_id = ?", policyExtID).Where("client_ext_id = ?", clientExtID).For("KEY SHARE")
	gone := fmt.Errorf("%w: policy %s no longer exists in client %s", credential.ErrUnknownPolicy, policyExtID, clientExtID)
	return selectOne(ctx, q, gone, &locked)
}
