-- Tops charging.cdr up to :target CDRs for the pull measurement only (bench/charging/run.sh),
-- when the credit-control phase wrote fewer: copies of the CDRs it wrote, in turn, under new
-- sequence numbers and session ids, with cdr_counter moved along so the sequence stays gapless.
-- Runs while nothing else writes CDRs. Run with psql -v target=N.
BEGIN;
SELECT last_sequence FROM charging.cdr_counter FOR UPDATE \gset
CREATE TEMP TABLE extra ON COMMIT DROP AS
  SELECT c.*, s AS new_sequence
  FROM generate_series(:last_sequence + 1, :target) AS s
  JOIN charging.cdr c ON c.sequence = (s - 1) % :last_sequence + 1;
UPDATE extra SET sequence = new_sequence, session_id = session_id || '/copy-' || new_sequence;
ALTER TABLE extra DROP COLUMN new_sequence;
INSERT INTO charging.cdr SELECT * FROM extra ORDER BY sequence;
UPDATE charging.cdr_counter SET last_sequence = greatest(last_sequence, :target);
COMMIT;
