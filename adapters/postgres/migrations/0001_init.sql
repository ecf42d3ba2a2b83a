-- Clients (tenants), their users, OTP card policies, OTP cards and the event log.
-- extIds are unique per entity type across the whole service and never change.

CREATE TABLE clients (
    ext_id        text PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    display_name  jsonb NOT NULL DEFAULT '{}',
    remarks       text NOT NULL DEFAULT '',
    created       timestamptz NOT NULL,
    last_modified timestamptz NOT NULL,
    version       integer NOT NULL
);
CREATE INDEX clients_listing ON clients (created, ext_id);

CREATE TABLE users (
    ext_id        text PRIMARY KEY,
    client_ext_id text NOT NULL REFERENCES clients (ext_id),
    login_id      text NOT NULL,
    user_state    text NOT NULL,
    profile       jsonb NOT NULL DEFAULT '{}',
    created       timestamptz NOT NULL,
    last_modified timestamptz NOT NULL,
    version       integer NOT NULL,
    UNIQUE (client_ext_id, login_id),
    UNIQUE (ext_id, client_ext_id)
);
CREATE INDEX users_listing ON users (client_ext_id, created, ext_id);

CREATE TABLE policies (
    ext_id         text PRIMARY KEY,
    client_ext_id  text NOT NULL REFERENCES clients (ext_id),
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    policy_type    text NOT NULL,
    default_policy boolean NOT NULL,
    parameters     jsonb NOT NULL,
    created        timestamptz NOT NULL,
    last_modified  timestamptz NOT NULL,
    version        integer NOT NULL,
    UNIQUE (ext_id, client_ext_id)
);
CREATE UNIQUE INDEX policies_one_default ON policies (client_ext_id) WHERE default_policy;
CREATE INDEX policies_listing ON policies (client_ext_id, created, ext_id);

-- No cell is stored: each card keeps a salt and one fixed-length verifier per cell,
-- concatenated in row-major order, and one use counter byte per cell.
CREATE TABLE otp_cards (
    ext_id                 text PRIMARY KEY,
    client_ext_id          text NOT NULL,
    user_ext_id            text NOT NULL,
    policy_ext_id          text NOT NULL,
    state                  text NOT NULL,
    state_change_reason    text NOT NULL DEFAULT '',
    state_change_detail    text NOT NULL DEFAULT '',
    valid_from             timestamptz NOT NULL,
    valid_to               timestamptz NOT NULL,
    last_successful_login  timestamptz,
    last_failed_login      timestamptz,
    successful_login_count integer NOT NULL DEFAULT 0,
    failed_login_count     integer NOT NULL DEFAULT 0,
    modification_comment   text NOT NULL DEFAULT '',
    grid_rows              smallint NOT NULL,
    grid_cols              smallint NOT NULL,
    cell_length            smallint NOT NULL,
    cell_charset           text NOT NULL,
    coordinate_format      boolean NOT NULL,
    verifier_scheme        text NOT NULL,
    salt                   bytea NOT NULL,
    verifiers              bytea NOT NULL,
    uses                   bytea NOT NULL,
    challenge              integer,
    locked_until           timestamptz,
    created                timestamptz NOT NULL,
    last_modified          timestamptz NOT NULL,
    version                integer NOT NULL,
    FOREIGN KEY (user_ext_id, client_ext_id) REFERENCES users (ext_id, client_ext_id) ON DELETE CASCADE,
    FOREIGN KEY (policy_ext_id, client_ext_id) REFERENCES policies (ext_id, client_ext_id)
);
CREATE INDEX otp_cards_listing ON otp_cards (user_ext_id, created, ext_id);
CREATE INDEX otp_cards_policy ON otp_cards (policy_ext_id);

-- Every change records an event in the same transaction. Never a cell, verifier or token.
CREATE TABLE events (
    id                bigserial PRIMARY KEY,
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
    data              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_credential ON events (credential_ext_id, id);
