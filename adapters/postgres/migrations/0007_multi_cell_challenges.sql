-- module: credential
-- Multi-cell challenges (API.md section 6, policy parameter challengeSize): the outstanding
-- challenge of a card is the list of the cells asked, in the order asked, no longer one cell.
-- An outstanding challenge of one cell becomes a list of that cell.
ALTER TABLE otp_cards ALTER COLUMN challenge TYPE smallint[]
    USING CASE WHEN challenge IS NULL THEN NULL ELSE ARRAY[challenge]::smallint[] END;
