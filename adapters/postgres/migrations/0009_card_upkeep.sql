-- module: credential
-- The lifecycle job (API.md section 10.4). A card records whether the job has announced that it
-- is close to expiry and that it expired (section 10.2), so that each is told once; a replace
-- that restarts the validity clears both.
ALTER TABLE otp_cards
    ADD COLUMN close_to_expiry_announced boolean NOT NULL DEFAULT false,
    ADD COLUMN expiry_announced boolean NOT NULL DEFAULT false;

-- Cards that were close to expiry or expired before the job existed count as announced, so that
-- its first run does not tell years-old news. The threshold is the card policy's
-- closeToExpirationThreshold in days, 10 when the policy leaves it at its default (the default of
-- this release, written here as a fact of the past).
UPDATE otp_cards AS c
SET close_to_expiry_announced = true,
    expiry_announced = c.valid_to <= now()
FROM policies AS p
WHERE p.ext_id = c.policy_ext_id
  AND c.valid_to <= now() + make_interval(days => coalesce((p.parameters ->> 'closeToExpirationThreshold')::int, 10));

-- What the job looks up on every run: an index range per policy (or one for every policy) that
-- reaches only the cards that are due, in indexes that leave out what is announced, archived or
-- not renewed:
--   cards of a policy whose validity ends before the policy's threshold, closeness not announced;
CREATE INDEX otp_cards_close_to_expiry_due ON otp_cards (policy_ext_id, valid_to)
    WHERE NOT close_to_expiry_announced AND state <> 'archived';
--   cards that expired, expiry not announced;
CREATE INDEX otp_cards_expiry_due ON otp_cards (valid_to)
    WHERE NOT expiry_announced AND state <> 'archived';
--   renewed cards of a policy still in service, by the time of their renewal.
CREATE INDEX otp_cards_fallback_due ON otp_cards (policy_ext_id, renewed_at)
    WHERE successor_ext_id IS NOT NULL AND state <> 'archived';

-- The service's jobs: one row per job, the start of its last run, so that instances that each
-- run a scheduler run a job once per interval between them (the instance holding the job's
-- advisory lock runs it).
CREATE TABLE job_runs (
    name        text PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz
);
