-- Each module keeps to its own tables (issue 12): the directory owns clients and users, the
-- credential module owns policies, OTP cards and holders.
--
-- holders is the credential module's view of the users who hold cards: which client each belongs
-- to and whether it may authenticate and receive cards. The directory keeps it up to date through
-- its seam (appdirectory.Dependents), inside the transaction that creates, changes or deletes the
-- user, so it never differs from users; the hot statements of challenge and login read it with
-- the cards instead of reading the directory's table.
CREATE TABLE holders (
    ext_id        text PRIMARY KEY,
    client_ext_id text NOT NULL,
    state         text NOT NULL,
    UNIQUE (ext_id, client_ext_id)
);
INSERT INTO holders (ext_id, client_ext_id, state) SELECT ext_id, client_ext_id, user_state FROM users;

-- Cards hang on their holder; deleting a user deletes its cards (with their events) first.
ALTER TABLE otp_cards DROP CONSTRAINT otp_cards_user_ext_id_client_ext_id_fkey;
ALTER TABLE otp_cards ADD CONSTRAINT otp_cards_holder
    FOREIGN KEY (user_ext_id, client_ext_id) REFERENCES holders (ext_id, client_ext_id);

-- A client's policies are created and deleted with it through the same seam; nothing in the
-- credential module refers to the directory's tables.
ALTER TABLE policies DROP CONSTRAINT policies_client_ext_id_fkey;
