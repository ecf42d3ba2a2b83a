-- Event delivery: each event remembers the transaction that wrote it, so the dispatcher can hand
-- out only events whose transactions (and every older one) have ended, in (txid, id) order; a
-- late-committing transaction can then never slip behind a subscriber's cursor.
ALTER TABLE events ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_delivery ON events (txid, id);

-- One cursor per subscriber; the instance that holds its row lock delivers, the others skip it.
CREATE TABLE event_cursors (
    subscriber text PRIMARY KEY,
    last_txid  bigint NOT NULL DEFAULT 0,
    last_id    bigint NOT NULL DEFAULT 0,
    updated    timestamptz NOT NULL DEFAULT now()
);

-- The audit trail, owned by the audit module: append-only, one row per event (redelivery of
-- the same event is ignored). Never a cell, verifier, salt, pepper or token.
CREATE TABLE audit_events (
    event_id          bigint PRIMARY KEY,
    type              text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    actor_subject     text NOT NULL,
    actor_mode        text NOT NULL,
    client_ext_id     text NOT NULL DEFAULT '',
    user_ext_id       text NOT NULL DEFAULT '',
    credential_ext_id text NOT NULL DEFAULT '',
    policy_ext_id     text NOT NULL DEFAULT '',
    version           integer NOT NULL,
    request_id        text NOT NULL DEFAULT '',
    data              jsonb NOT NULL DEFAULT '{}',
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_listing ON audit_events (occurred_at, event_id);
CREATE INDEX audit_events_client ON audit_events (client_ext_id, occurred_at, event_id);
CREATE INDEX audit_events_user ON audit_events (user_ext_id, occurred_at, event_id);
CREATE INDEX audit_events_credential ON audit_events (credential_ext_id, occurred_at, event_id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
