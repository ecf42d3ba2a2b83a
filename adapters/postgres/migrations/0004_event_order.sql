-- Each entity's events leave the outbox in the order of its versions (API.md section 9).
--
-- The dispatcher hands out events in (txid, id) order, and only from transactions older than every
-- one still running, so that no late commit slips behind a cursor. A transaction's id is assigned
-- at its first write, which may come before it waits for an entity's row lock (a login locks all of
-- a user's cards, a user deletion locks the user first): a transaction that took its id early could
-- then commit an entity's version 9 after another, with a later id, committed version 8, and the
-- two would be delivered the wrong way round.
--
-- So an event records as txid the later of its own transaction's id and the txid of the entity's
-- latest event (which committed before this transaction took the entity's lock, since every event
-- of an entity is written under that entity's lock). Per entity, (txid, id) then follows the order
-- of the versions, and txid < xmin still means that the writing transaction has ended, because the
-- recorded txid is never smaller than the writer's own. `entity` names the entity ("credential:c1",
-- "policy:p1", "user:u1", "client:c1"); events recorded before this migration have none.
ALTER TABLE events ADD COLUMN entity text NOT NULL DEFAULT '';
CREATE INDEX events_entity ON events (entity, id);
-- Nothing reads events by credential alone; events_entity serves the lookup of an entity's latest.
DROP INDEX events_credential;
