-- module: credential
-- Serial numbers (API.md section 10.1): every card carries one, printed on it, so that a user and
-- a help desk can tell two cards apart. New cards get theirs from the service (crypto/rand); the
-- cards that exist get one here, drawn from gen_random_uuid (a cryptographic source): twelve
-- crockford32 characters from the low five bits of twelve random bytes of a version 4 UUID
-- (byte 6 carries the version and is left out), printed in groups of four.
ALTER TABLE otp_cards ADD COLUMN serial_number text;

CREATE FUNCTION pg_temp.otpcard_new_serial() RETURNS text LANGUAGE sql VOLATILE AS $fn$
    SELECT string_agg(
               substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.b, p.pos) % 32 + 1, 1)
                   || CASE WHEN p.n IN (4, 8) THEN '-' ELSE '' END,
               '' ORDER BY p.n)
    FROM (SELECT uuid_send(gen_random_uuid()) AS b) AS r,
         unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]) WITH ORDINALITY AS p(pos, n)
$fn$;

-- One serial per card, drawn again for the rare card whose serial another card drew first.
DO $do$
BEGIN
    UPDATE otp_cards SET serial_number = pg_temp.otpcard_new_serial();
    LOOP
        UPDATE otp_cards SET serial_number = pg_temp.otpcard_new_serial()
        WHERE ctid IN (SELECT d.ctid FROM (
            SELECT ctid, row_number() OVER (PARTITION BY serial_number ORDER BY created, ext_id) AS n
            FROM otp_cards) AS d WHERE d.n > 1);
        EXIT WHEN NOT FOUND;
    END LOOP;
END
$do$;

DROP FUNCTION pg_temp.otpcard_new_serial();

ALTER TABLE otp_cards ALTER COLUMN serial_number SET NOT NULL;
-- Unique across the service, and the index the serial filters and the challenge body look up.
CREATE UNIQUE INDEX otp_cards_serial ON otp_cards (serial_number);
