package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/event"
)

// This file is what the contract suites (directorytest, credentialtest) need of PostgreSQL: a
// fresh store for each case, and the events the stores recorded.

// contractDB opens one migrated database for a whole contract suite and returns fresh, which
// empties every table of it for the next case: a fresh store at a small part of the cost of a new
// database (emptying takes milliseconds; creating and migrating one takes a good part of a
// second). The cases of a suite run one after another.
func contractDB(t *testing.T) (fresh func(t *testing.T) *bun.DB) {
	t.Helper()
	db := openDB(t)
	var tables []string
	err := db.NewRaw("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "+
		"AND tablename <> 'schema_migrations' ORDER BY tablename").Scan(t.Context(), &tables)
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables: got %v (%v), want the migrated tables", tables, err)
	}
	truncate := "TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY"
	return func(t *testing.T) *bun.DB {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), truncate); err != nil {
			t.Fatalf("empty the tables: %v", err)
		}
		return db
	}
}

// recordedEvents reads every event the stores recorded, in the order they were recorded.
func recordedEvents(t *testing.T, db *bun.DB) []event.Event {
	t.Helper()
	var rows []struct {
		Type            string            `bun:"type"`
		OccurredAt      time.Time         `bun:"occurred_at"`
		ActorSubject    string            `bun:"actor_subject"`
		ActorMode       string            `bun:"actor_mode"`
		ClientExtID     string            `bun:"client_ext_id"`
		UserExtID       string            `bun:"user_ext_id"`
		CredentialExtID string            `bun:"credential_ext_id"`
		PolicyExtID     string            `bun:"policy_ext_id"`
		Version         int32             `bun:"version"`
		RequestID       string            `bun:"request_id"`
		Data            map[string]string `bun:"data,type:jsonb"`
	}
	err := db.NewRaw("SELECT type, occurred_at, actor_subject, actor_mode, client_ext_id, user_ext_id, "+
		"credential_ext_id, policy_ext_id, version, request_id, data FROM events ORDER BY id").Scan(t.Context(), &rows)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	events := make([]event.Event, len(rows))
	for i, r := range rows {
		events[i] = event.Event{Type: event.Type(r.Type), Time: r.OccurredAt, Actor: event.Actor{Subject: r.ActorSubject,
			Mode: r.ActorMode}, ClientExtID: r.ClientExtID, UserExtID: r.UserExtID, CredentialExt: r.CredentialExtID,
			PolicyExtID: r.PolicyExtID, Version: r.Version, RequestID: r.RequestID, Data: r.Data}
	}
	return events
}
