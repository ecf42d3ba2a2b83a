-- module: credential
-- Multi-cell challenges (API.md section 6, policy parameter challengeSize): the outstanding
-- challenge of a card is the list of the cells asked, in the order asked, no longer one cell.
-- An outstanding challenge of one cell becomes a list of that cell.
--
-- Written as a new column rather than ALTER COLUMN ... TYPE, which rewrites the whole table with
-- its verifiers and rebuilds every index under an exclusive lock (50 s per million cards on a
-- 2-core machine); this way only the cards with a challenge outstanding are written (3 s). The
-- column ends up last in the table, which no statement depends on.
ALTER TABLE otp_cards RENAME COLUMN challenge TO challenge_one_cell;
ALTER TABLE otp_cards ADD COLUMN challenge smallint[];
UPDATE otp_cards SET challenge = ARRAY[challenge_one_cell]::smallint[] WHERE challenge_one_cell IS NOT NULL;
ALTER TABLE otp_cards DROP COLUMN challenge_one_cell;
