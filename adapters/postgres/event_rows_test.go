package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// More events than one INSERT carries are recorded in several, all in the caller's transaction.
func TestInsertEventsInChunks(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, pgtest.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	events := make([]event.Event, 2*eventsPerInsert+3)
	for i := range events {
		events[i] = event.Event{Type: credential.CardCreated, Time: time.Now(), Version: int32(i + 1),
			Actor: event.Actor{Subject: "chunks", Mode: "admin"}, CredentialExt: "chunked"}
	}
	if err := runInTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		return insertEvents(ctx, tx, events)
	}); err != nil {
		t.Fatalf("insert %d events: %v", len(events), err)
	}
	var n, maxVersion int
	if err := db.NewRaw(`SELECT count(*), max(version) FROM events WHERE credential_ext_id = 'chunked'`).
		Scan(ctx, &n, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if n != len(events) || maxVersion != len(events) {
		t.Errorf("got %d events up to version %d, want %d", n, maxVersion, len(events))
	}
}
