-- module: credential
-- Renewal with overlap (API.md section 10.3): a renewed card and its successor name each other,
-- and the renewed card records when it got its successor (the fallback period counts from then).
-- Deleting one card of a pair drops the link on the other. The indexes serve those deletes and
-- the lifecycle job's look-up of renewed cards.
ALTER TABLE otp_cards
    ADD COLUMN predecessor_ext_id text REFERENCES otp_cards (ext_id) ON DELETE SET NULL,
    ADD COLUMN successor_ext_id text REFERENCES otp_cards (ext_id) ON DELETE SET NULL,
    ADD COLUMN renewed_at timestamptz;
CREATE INDEX otp_cards_predecessor ON otp_cards (predecessor_ext_id) WHERE predecessor_ext_id IS NOT NULL;
CREATE INDEX otp_cards_successor ON otp_cards (successor_ext_id) WHERE successor_ext_id IS NOT NULL;
