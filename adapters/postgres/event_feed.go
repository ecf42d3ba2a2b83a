package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/event"
)

// EventFeed hands committed events to subscribers through per-subscriber cursors.
type EventFeed struct {
	db *bun.DB
}

// NewEventFeed builds the feed.
func NewEventFeed(db *bun.DB) *EventFeed { return &EventFeed{db: db} }

var _ outbox.Feed = (*EventFeed)(nil)

type cursorRow struct {
	bun.BaseModel `bun:"table:event_cursors"`

	Subscriber string `bun:"subscriber,pk"`
	LastTxID   int64  `bun:"last_txid"`
	LastID     int64  `bun:"last_id"`
}

type storedEventRow struct {
	eventRow `bun:",extend"`
	TxID     int64 `bun:"txid"`
}

// newestPosition is the position after the newest event that every transaction still running
// started after: a cursor placed there skips the history and misses nothing to come, since
// events of transactions still running have a txid at or above the snapshot's xmin.
const newestPosition = `SELECT COALESCE(n.txid, 0) AS last_txid, COALESCE(n.id, 0) AS last_id ` +
	`FROM (SELECT 1) AS one LEFT JOIN (SELECT txid, id FROM events ` +
	`WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint ORDER BY txid DESC, id DESC LIMIT 1) AS n ON true`

// Subscribe places a cursor after the newest event for each subscriber that has none and
// deletes the cursors of subscribers not named; see outbox.Feed.
func (f *EventFeed) Subscribe(ctx context.Context, subscribers []string) error {
	return runInTx(ctx, f.db, func(ctx context.Context, tx bun.Tx) error {
		for _, s := range subscribers {
			if err := createCursor(ctx, tx, s); err != nil {
				return err
			}
		}
		_, err := tx.NewDelete().Model((*cursorRow)(nil)).Where("subscriber NOT IN (?)", bun.In(slices.Concat(subscribers, []string{""}))).Exec(ctx)
		if err != nil {
			return fmt.Errorf("forget event cursors: %w", translate(err))
		}
		return nil
	})
}

// createCursor places the subscriber's cursor after the newest event unless it has one.
func createCursor(ctx context.Context, db bun.IDB, subscriber string) error {
	_, err := db.NewRaw(`INSERT INTO event_cursors (subscriber, last_txid, last_id) `+
		`SELECT ?, n.last_txid, n.last_id FROM (`+newestPosition+`) AS n ON CONFLICT DO NOTHING`, subscriber).Exec(ctx)
	if err != nil {
		return fmt.Errorf("event cursor of %s: %w", subscriber, translate(err))
	}
	return nil
}

// Rewind moves a subscriber's cursor to the oldest event still in the outbox, so that it receives
// the history again, on an operator's explicit request (API.md section 7); it returns how many
// events lie ahead of it. The subscriber's deliveries in flight finish first: Rewind waits for the
// advisory lock that a claim holds.
func (f *EventFeed) Rewind(ctx context.Context, subscriber string) (int, error) {
	var ahead int
	err := runInTx(ctx, f.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("SELECT pg_advisory_xact_lock(?, hashtext(?))", cursorLockSpace, subscriber).Exec(ctx); err != nil {
			return translate(err)
		}
		_, err := tx.NewRaw(`INSERT INTO event_cursors (subscriber, last_txid, last_id) VALUES (?, 0, 0) `+
			`ON CONFLICT (subscriber) DO UPDATE SET last_txid = 0, last_id = 0, updated = now()`, subscriber).Exec(ctx)
		if err != nil {
			return translate(err)
		}
		return tx.NewRaw("SELECT count(*) FROM events").Scan(ctx, &ahead)
	})
	if err != nil {
		return 0, fmt.Errorf("rewind %s: %w", subscriber, err)
	}
	return ahead, nil
}

// Claim delivers the next committed events to one subscriber; see outbox.Feed. Events are read
// only from transactions older than every transaction still running, in (txid, id) order, so an
// event committed late never lands behind the cursor. The cursor row's lock makes one instance at
// a time deliver to a subscriber; the others skip it.
func (f *EventFeed) Claim(ctx context.Context, subscriber string, limit int, deliver func([]event.Stored) (int, error)) (int, error) {
	if err := createCursor(ctx, f.db, subscriber); err != nil {
		return 0, err
	}
	var accepted int
	var deliverErr error
	err := runInTx(ctx, f.db, func(ctx context.Context, tx bun.Tx) error {
		// An advisory lock, not a row lock: it gives the transaction no xid while it delivers, so
		// a slow subscriber does not hold back the snapshot horizon of the others.
		var claimed bool
		if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?, hashtext(?))", cursorLockSpace, subscriber).Scan(ctx, &claimed); err != nil {
			return translate(err)
		}
		if !claimed {
			return nil // another instance is delivering
		}
		var cur cursorRow
		if err := tx.NewSelect().Model(&cur).Where("subscriber = ?", subscriber).Scan(ctx); err != nil {
			return translate(err)
		}
		var rows []storedEventRow
		err := tx.NewSelect().Model(&rows).
			Where("(txid, id) > (?, ?)", cur.LastTxID, cur.LastID).
			Where("txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint").
			OrderExpr("txid, id").Limit(int64(limit)).Scan(ctx)
		if err != nil {
			return translate(err)
		}
		if len(rows) == 0 {
			return nil
		}
		events := make([]event.Stored, len(rows))
		for i, r := range rows {
			events[i] = r.stored()
		}
		accepted, deliverErr = deliver(events)
		if accepted == 0 {
			return nil
		}
		last := rows[accepted-1]
		_, err = tx.NewUpdate().Model(&cursorRow{Subscriber: subscriber, LastTxID: last.TxID, LastID: last.ID}).
			Column("last_txid", "last_id").Set("updated = now()").WherePK().Exec(ctx)
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("deliver events to %s: %w", subscriber, err)
	}
	if deliverErr != nil {
		return accepted, fmt.Errorf("deliver events to %s: %w", subscriber, deliverErr)
	}
	return accepted, nil
}

func (r storedEventRow) stored() event.Stored {
	return event.Stored{ID: r.ID, Event: r.event()}
}

// cursorLockSpace is the first key of the advisory locks that guard event cursors.
const cursorLockSpace = 7_301
