-- module: directory
-- The help-desk console's user search (API.md 12): a case-insensitive prefix of loginId, first
-- name, family name or e-mail within a client, each served by an index rather than a scan of the
-- client's users.
CREATE INDEX users_search_login ON users (client_ext_id, lower(login_id) text_pattern_ops);
CREATE INDEX users_search_first_name ON users (client_ext_id, lower(profile -> 'name' ->> 'FirstName') text_pattern_ops);
CREATE INDEX users_search_family_name ON users (client_ext_id, lower(profile -> 'name' ->> 'FamilyName') text_pattern_ops);
CREATE INDEX users_search_email ON users (client_ext_id, lower(profile -> 'contacts' ->> 'Email') text_pattern_ops);
