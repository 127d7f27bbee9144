-- Every usage flush (once a second) adds to the counters of each session that moved bytes and to
-- its gathering outbox row. None of the columns it changes is indexed, so with room left on the
-- page PostgreSQL updates the row in place (a HOT update: one heap record, no new entry in any of
-- the table's indexes); with full pages (fillfactor 100) each such update wrote a new tuple on
-- another page and an entry in every index (five to six WAL records a row instead of one).
-- Rows written before this migration move to roomier pages as they are next updated.
ALTER TABLE session SET (fillfactor = 70);
ALTER TABLE usage_outbox SET (fillfactor = 50);
