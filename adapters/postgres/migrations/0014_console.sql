-- module: console
-- The help-desk console's sign-in (API.md section 12): one-time links and sessions, each kept by
-- the SHA-256 of its secret, never the secret; the grant is the operator's subject, roles,
-- permissions and data room. Expired rows are deleted as links and sessions are used.
CREATE TABLE console_links (
    secret_hash bytea PRIMARY KEY,
    grant_json  jsonb NOT NULL,
    created     timestamptz NOT NULL,
    expires     timestamptz NOT NULL,
    used        boolean NOT NULL DEFAULT false
);
CREATE TABLE console_sessions (
    secret_hash bytea PRIMARY KEY,
    grant_json  jsonb NOT NULL,
    csrf        text NOT NULL,
    created     timestamptz NOT NULL,
    expires     timestamptz NOT NULL
);
CREATE INDEX console_links_expires ON console_links (expires);
CREATE INDEX console_sessions_expires ON console_sessions (expires);
