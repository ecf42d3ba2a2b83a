-- module: rollout
-- Rollout jobs (API.md section 11.1). A job's items are fixed when it is stored; an instance
-- runs a job under a lease (claimed_by, lease_until) that each committed chunk extends, so that
-- another instance takes it over when the one running it is gone. An item's result commits with
-- its card, so an item done is never done again.
CREATE TABLE rollout_jobs (
    id                 uuid PRIMARY KEY,
    client_ext_id      text NOT NULL,
    kind               text NOT NULL,
    status             text NOT NULL,
    total              integer NOT NULL,
    done               integer NOT NULL DEFAULT 0,
    failed             integer NOT NULL DEFAULT 0,
    print_batch_id     text NOT NULL DEFAULT '',
    policy_ext_id      text NOT NULL DEFAULT '',
    modification_comment text NOT NULL DEFAULT '',
    created_by_subject text NOT NULL,
    created_by_mode    text NOT NULL,
    created            timestamptz NOT NULL,
    started            timestamptz,
    finished           timestamptz,
    claimed_by         text NOT NULL DEFAULT '',
    lease_until        timestamptz
);
CREATE INDEX rollout_jobs_client ON rollout_jobs (client_ext_id, created, id);
CREATE INDEX rollout_jobs_open ON rollout_jobs (created) WHERE status IN ('queued', 'running');
-- An import is staging while its file streams; one a crash cut off is swept.
CREATE INDEX rollout_jobs_staging ON rollout_jobs (created) WHERE status = 'staging';

CREATE TABLE rollout_items (
    job_id           uuid NOT NULL REFERENCES rollout_jobs (id) ON DELETE CASCADE,
    n                integer NOT NULL,
    user_ext_id      text NOT NULL,
    target_ext_id    text NOT NULL DEFAULT '',
    credential_ext_id text NOT NULL DEFAULT '',
    serial_number    text NOT NULL DEFAULT '',
    result           text NOT NULL DEFAULT 'pending',
    error_code       text NOT NULL DEFAULT '',
    row_number       integer NOT NULL DEFAULT 0,
    column_number    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, n)
);
CREATE INDEX rollout_items_pending ON rollout_items (job_id, n) WHERE result = 'pending';

-- An import's rows, staged while the file streamed: each card as verifiers only (salt, scheme,
-- verifiers and what the row said of the card), never a cell; dropped when the item is tried.
CREATE TABLE rollout_import_rows (
    job_id uuid NOT NULL REFERENCES rollout_jobs (id) ON DELETE CASCADE,
    n      integer NOT NULL,
    staged bytea NOT NULL,
    PRIMARY KEY (job_id, n)
);
