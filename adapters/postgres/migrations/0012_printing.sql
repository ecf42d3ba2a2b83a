-- module: printing
-- The printing module (API.md section 11.2). print_senders and print_addressees are its copies of
-- what letters print about clients (names, print settings) and users (name, postal address,
-- language), kept in step by the directory's seam inside the directory's transactions, as
-- holders is for the credential module; what exists now is copied here. print_batches and
-- print_batch_chunks hold the batches: a chunk's letters and manifest are age ciphertext only.
CREATE TABLE print_senders (
    client_ext_id      text PRIMARY KEY,
    name               text NOT NULL DEFAULT '',
    display_name       jsonb NOT NULL DEFAULT '{}',
    recipients         text[] NOT NULL DEFAULT '{}',
    helpdesk_contact   jsonb NOT NULL DEFAULT '{}',
    in_person_handover boolean NOT NULL DEFAULT false
);
INSERT INTO print_senders (client_ext_id, name, display_name, recipients, helpdesk_contact, in_person_handover)
SELECT ext_id, name, display_name,
       coalesce(ARRAY(SELECT jsonb_array_elements_text(print_settings -> 'recipients')), '{}'),
       coalesce(print_settings -> 'helpdeskContact', '{}'),
       coalesce((print_settings ->> 'inPersonHandover')::boolean, false)
FROM clients;

CREATE TABLE print_addressees (
    user_ext_id     text PRIMARY KEY,
    client_ext_id   text NOT NULL,
    language_code   text NOT NULL DEFAULT '',
    title           text NOT NULL DEFAULT '',
    first_name      text NOT NULL DEFAULT '',
    family_name     text NOT NULL DEFAULT '',
    street          text NOT NULL DEFAULT '',
    house_number    text NOT NULL DEFAULT '',
    address_line1   text NOT NULL DEFAULT '',
    address_line2   text NOT NULL DEFAULT '',
    post_office_box text NOT NULL DEFAULT '',
    postal_code     text NOT NULL DEFAULT '',
    city            text NOT NULL DEFAULT '',
    country_code    text NOT NULL DEFAULT ''
);
INSERT INTO print_addressees (user_ext_id, client_ext_id, language_code, title, first_name, family_name, street,
                              house_number, address_line1, address_line2, post_office_box, postal_code, city, country_code)
SELECT ext_id, client_ext_id, coalesce(profile ->> 'languageCode', ''),
       coalesce(profile -> 'name' ->> 'Title', ''), coalesce(profile -> 'name' ->> 'FirstName', ''),
       coalesce(profile -> 'name' ->> 'FamilyName', ''),
       coalesce(profile -> 'address' ->> 'Street', ''), coalesce(profile -> 'address' ->> 'HouseNumber', ''),
       coalesce(profile -> 'address' ->> 'AddressLine1', ''), coalesce(profile -> 'address' ->> 'AddressLine2', ''),
       trim(coalesce(profile -> 'address' ->> 'PostOfficeBoxText', '') || ' ' ||
            coalesce(profile -> 'address' ->> 'PostOfficeBoxNumber', '')),
       coalesce(profile -> 'address' ->> 'PostalCode', ''), coalesce(profile -> 'address' ->> 'City', ''),
       coalesce(profile -> 'address' ->> 'CountryCode', '')
FROM users;

CREATE TABLE print_batches (
    id            uuid PRIMARY KEY,
    client_ext_id text NOT NULL,
    job_id        text NOT NULL DEFAULT '',
    recipients    text[] NOT NULL,
    created       timestamptz NOT NULL,
    letters       integer NOT NULL DEFAULT 0,
    chunks        integer NOT NULL DEFAULT 0,
    sealed        boolean NOT NULL DEFAULT false,
    expires       timestamptz NOT NULL
);
CREATE INDEX print_batches_client ON print_batches (client_ext_id, created, id);
CREATE INDEX print_batches_expires ON print_batches (expires);

CREATE TABLE print_batch_chunks (
    batch_id uuid NOT NULL REFERENCES print_batches (id) ON DELETE CASCADE,
    n        integer NOT NULL,
    letters  bytea NOT NULL,
    manifest bytea NOT NULL,
    PRIMARY KEY (batch_id, n)
);
