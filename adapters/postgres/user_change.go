package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ appdirectory.UserChanger = (*UserStore)(nil)

// List returns a page of the client's users, oldest first; see appdirectory.UserStore. The page
// continues after the cursor's (created, extId), so items that existed before the first page
// appear exactly once however many users are added meanwhile.
func (s *UserStore) List(ctx context.Context, clientExtID string, filter appdirectory.UserFilter, page listing.Page) (listing.Result[directory.User], error) {
	var res listing.Result[directory.User]
	exists, err := s.db.NewSelect().Model((*clientRow)(nil)).Where("ext_id = ?", clientExtID).Exists(ctx)
	if err != nil {
		return res, translate(err)
	}
	if !exists {
		return res, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	var rows []userRow
	q := s.db.NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).
		OrderExpr("created, ext_id").Limit(int64(page.Limit) + 1)
	if filter.LoginID != "" {
		q = q.Where("login_id = ?", filter.LoginID)
	}
	if filter.Search != "" {
		// Each prefix is served by an index of migration 0015 (lower(...) text_pattern_ops).
		prefix := likePrefix(strings.ToLower(filter.Search))
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("ext_id = ?", filter.Search).
				WhereOr("lower(login_id) LIKE ?", prefix).
				WhereOr("lower(profile -> 'name' ->> 'FirstName') LIKE ?", prefix).
				WhereOr("lower(profile -> 'name' ->> 'FamilyName') LIKE ?", prefix).
				WhereOr("lower(profile -> 'contacts' ->> 'Email') LIKE ?", prefix)
		})
	}
	if page.After != nil {
		q = q.Where("(created, ext_id) > (?, ?)", page.After.Created, page.After.ExtID)
	}
	if err := q.Scan(ctx); err != nil {
		return res, translate(err)
	}
	users := make([]directory.User, len(rows))
	for i, r := range rows {
		users[i] = r.user()
	}
	return listing.Trim(users, page.Limit, func(u directory.User) listing.Cursor {
		return listing.Cursor{Created: u.Created, ExtID: u.ExtID}
	}), nil
}

// Update changes one user under its row lock; see appdirectory.UserChanger.
func (s *UserStore) Update(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, *directory.User) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := lockUser(ctx, tx, clientExtID, userExtID)
		if err != nil {
			return err
		}
		user := row.user()
		events, err := fn(ctx, &user)
		if err != nil {
			return err
		}
		if user.Version == row.Version {
			return nil // fn changed nothing
		}
		next := newUserRow(user)
		res, err := tx.NewUpdate().Model(&next).Column("login_id", "user_state", "profile", "last_modified", "version").
			WherePK().Where("client_ext_id = ?", clientExtID).Where("version = ?", row.Version).Exec(ctx)
		if err != nil {
			if isCode(err, uniqueViolation) {
				return fmt.Errorf("%w: a user with loginId %q exists in client %s", fault.ErrDuplicate, user.LoginID, clientExtID)
			}
			return translate(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: user %s moved past version %d", fault.ErrVersionConflict, userExtID, row.Version)
		}
		return insertEvents(ctx, tx, events)
	})
}

// Delete removes one user under its row lock; see appdirectory.UserChanger. fn's dependents
// (the user's OTP cards) run in the transaction, after the user's lock, the order every
// transaction that locks a user and its cards keeps.
func (s *UserStore) Delete(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, directory.User) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := lockUser(ctx, tx, clientExtID, userExtID)
		if err != nil {
			return err
		}
		events, err := fn(ctx, row.user())
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*userRow)(nil)).Where("ext_id = ?", userExtID).Exec(ctx); err != nil {
			return translate(err)
		}
		return insertEvents(ctx, tx, events)
	})
}

func lockUser(ctx context.Context, tx bun.Tx, clientExtID, userExtID string) (userRow, error) {
	var row userRow
	q := tx.NewSelect().Model(&row).Where("ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).
		For("UPDATE")
	return row, selectOne(ctx, q, &fault.NotFoundError{Entity: "user", ExtID: userExtID})
}

// likePrefix is a LIKE pattern that matches what starts with s, its own % _ and \ taken literally.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}
