-- The usage flush (once a second) wrote two rows for each session that moved bytes: the
-- session's totals and its gathering row in the outbox. Now it writes the session row only: what
-- a session gathers for its next INTERIM record is its totals less `queued_*`, the part already
-- cut into records. The gathering row stays as a marker (record_number 0, no bytes), inserted by
-- the flush that finds the session with nothing gathered, so that numbering finds the sessions
-- with usage to report without reading every open session. Numbering turns the marker into the
-- record (its number, the totals less queued) and sets queued to the totals, in one statement.
ALTER TABLE session
  ADD COLUMN queued_up   bigint NOT NULL DEFAULT 0,
  ADD COLUMN queued_down bigint NOT NULL DEFAULT 0;
-- Everything an open session metered was cut into records but what its gathering row holds.
-- (Closed sessions never gather again: their unreported_bytes_* are set.)
UPDATE session s SET
  queued_up = s.bytes_up - coalesce((SELECT sum(o.bytes_up) FROM usage_outbox o
                                      WHERE o.session_id = s.session_id AND NOT o.attempted), 0),
  queued_down = s.bytes_down - coalesce((SELECT sum(o.bytes_down) FROM usage_outbox o
                                          WHERE o.session_id = s.session_id AND NOT o.attempted), 0)
  WHERE s.closed_at IS NULL AND NOT s.operator_seed;
-- A record has its number (2, 3, ...), a marker 0: `attempted` said the same and goes, so that a
-- tracker of the version before, whose flush would add bytes to the markers too (counting them
-- twice), cannot prepare its statements against this schema and stops at start-up.
DROP INDEX usage_outbox_gathering;
UPDATE usage_outbox SET bytes_up = 0, bytes_down = 0 WHERE NOT attempted;
ALTER TABLE usage_outbox DROP COLUMN attempted;
CREATE UNIQUE INDEX usage_outbox_gathering ON usage_outbox (session_id) WHERE record_number = 0;
-- Outbox rows are no longer updated once a second (a marker is inserted, numbered once, deleted).
ALTER TABLE usage_outbox RESET (fillfactor);
