-- module: notify
-- The notify module (API.md section 11.3). notify_recipients is its copy of the users it may
-- write to (address, language, name), kept in step by the directory's seam inside the
-- directory's transactions, as holders is for the credential module; the users that exist now
-- are copied from their profiles. notify_deliveries remembers the events whose notice has ended,
-- so that an event delivered again sends no second mail.
CREATE TABLE notify_recipients (
    user_ext_id   text PRIMARY KEY,
    client_ext_id text NOT NULL,
    email         text NOT NULL DEFAULT '',
    language_code text NOT NULL DEFAULT '',
    first_name    text NOT NULL DEFAULT '',
    family_name   text NOT NULL DEFAULT ''
);
INSERT INTO notify_recipients (user_ext_id, client_ext_id, email, language_code, first_name, family_name)
SELECT ext_id, client_ext_id,
       coalesce(profile -> 'contacts' ->> 'Email', ''), coalesce(profile ->> 'languageCode', ''),
       coalesce(profile -> 'name' ->> 'FirstName', ''), coalesce(profile -> 'name' ->> 'FamilyName', '')
FROM users;

CREATE TABLE notify_deliveries (
    event_id bigint PRIMARY KEY,
    outcome  text NOT NULL,
    ended_at timestamptz NOT NULL
);
