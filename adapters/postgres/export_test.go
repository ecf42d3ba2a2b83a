package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/event"
)

// RecordedEvents reads every event of the log in the order it was recorded, for the tests of
// package postgres_test (the contract suites' Recorded).
func RecordedEvents(ctx context.Context, db *bun.DB) ([]event.Event, error) {
	var rows []eventRow
	if err := db.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	events := make([]event.Event, len(rows))
	for i, r := range rows {
		events[i] = r.event()
	}
	return events, nil
}
