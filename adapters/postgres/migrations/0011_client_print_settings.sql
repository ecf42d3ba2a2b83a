-- module: directory
-- A client's print settings (API.md section 11.2): the age recipients of its print batches, the
-- help-desk contact printed on its letters and whether its cards may be handed over in person.
-- They are part of the client: setting them is a change of the client (client.changed).
ALTER TABLE clients ADD COLUMN print_settings jsonb NOT NULL DEFAULT '{}';
