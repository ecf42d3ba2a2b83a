package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/event"
)

type eventRow struct {
	bun.BaseModel `bun:"table:events"`

	ID int64 `bun:"id,pk,autoincrement"`
	eventFields
}

// eventFields are the columns of an event, in the event log and in the audit trail alike.
type eventFields struct {
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

// fieldsOf are the columns of e; absent data is stored as an empty object.
func fieldsOf(e event.Event) eventFields {
	data := e.Data
	if data == nil {
		data = map[string]string{}
	}
	return eventFields{Type: string(e.Type), OccurredAt: e.Time.UTC(), ActorSubject: e.Actor.Subject,
		ActorMode: e.Actor.Mode, ClientExtID: e.ClientExtID, UserExtID: e.UserExtID,
		CredentialExtID: e.CredentialExt, PolicyExtID: e.PolicyExtID, Version: e.Version,
		RequestID: e.RequestID, Data: data}
}

// event is the event the columns hold.
func (f eventFields) event() event.Event {
	return event.Event{Type: event.Type(f.Type), Time: f.OccurredAt.UTC(),
		Actor:       event.Actor{Subject: f.ActorSubject, Mode: f.ActorMode},
		ClientExtID: f.ClientExtID, UserExtID: f.UserExtID, CredentialExt: f.CredentialExtID,
		PolicyExtID: f.PolicyExtID, Version: f.Version, RequestID: f.RequestID, Data: f.Data}
}

// eventsPerInsert bounds one INSERT's rows: 12 arguments each stay well below PostgreSQL's
// 65535 parameters, and the statements a connection prepares stay few (one per row count).
const eventsPerInsert = 64

// eventColumns are the columns insertEvents writes, the last two of them computed.
const eventColumns = `"type", "occurred_at", "actor_subject", "actor_mode", "client_ext_id", "user_ext_id", ` +
	`"credential_ext_id", "policy_ext_id", "version", "request_id", "data", "entity", "txid"`

// eventTxID is the txid an event records: its transaction's id, or the txid of its entity's
// latest event when that is later, so that each entity's events are delivered in the order of its
// versions (see migration 0004). %d is the placeholder of the entity.
const eventTxID = `GREATEST(pg_current_xact_id()::text::bigint, ` +
	`COALESCE((SELECT e.txid FROM events AS e WHERE e.entity = $%d ORDER BY e.id DESC LIMIT 1), 0))`

// insertEvents records events inside the caller's transaction, which holds the lock of each
// event's entity. Each statement carries the values as arguments, so its text depends only on
// the number of events: it is prepared once per connection (one round trip, no planning per
// insert).
func insertEvents(ctx context.Context, tx bun.Tx, events []event.Event) error {
	for chunk := range slices.Chunk(events, eventsPerInsert) {
		var b strings.Builder
		b.WriteString(`INSERT INTO "events" (` + eventColumns + `) VALUES `)
		args := make([]any, 0, 12*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, "+eventTxID+")",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+12)
			data := e.Data
			if data == nil {
				data = map[string]string{}
			}
			args = append(args, string(e.Type), e.Time.UTC(), e.Actor.Subject, e.Actor.Mode, e.ClientExtID,
				e.UserExtID, e.CredentialExt, e.PolicyExtID, e.Version, e.RequestID, data, e.Entity())
		}
		if _, err := execPrepared(ctx, tx, "events insert", b.String(), args...); err != nil {
			return fmt.Errorf("record events: %w", err)
		}
	}
	return nil
}
