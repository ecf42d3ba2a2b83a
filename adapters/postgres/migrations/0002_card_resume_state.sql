-- The state a tmp-locked card returns to when its lock ends.
ALTER TABLE otp_cards ADD COLUMN resume_state text NOT NULL DEFAULT '';
