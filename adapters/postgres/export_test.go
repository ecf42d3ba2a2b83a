package postgres

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	appcredential "github.com/otpcard/otpcard/application/credential"

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

// ExplainDueHolders returns the plan of UpkeepStore.DueHolders for due (EXPLAIN, not run).
func ExplainDueHolders(ctx context.Context, db *bun.DB, due appcredential.LifecycleDue) (string, error) {
	ids, closeBefore, renewedBefore := dueArrays(due)
	var lines []string
	err := db.NewRaw("EXPLAIN "+dueHoldersSQL, pgdialect.Array(ids), pgdialect.Array(closeBefore), pgdialect.Array(renewedBefore),
		due.Now.UTC(), "", 500).Scan(ctx, &lines)
	return strings.Join(lines, "\n"), err
}
