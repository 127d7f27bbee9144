-- The charging engine (services/charging/engine.h) keeps accounts and sessions in memory and
-- writes whole batches. A session keeps its answers in its own row (per answer: request number,
-- 8 bytes, and length, 4 bytes, big-endian, then the answer), so that one row write per request
-- serves retransmissions; answers of event-only sessions move into rows of their own. The sweeper scans memory, so its index goes, and session and account rows are updated in
-- place (fill factor) without touching their indexes. CDRs claim their session in the batch's
-- own statement instead of a trigger per row.
ALTER TABLE cc_session ADD COLUMN answers bytea;

CREATE TEMPORARY TABLE packed ON COMMIT DROP AS
  SELECT session_id, max(request_number) AS last_request_number,
         string_agg(int8send(request_number) || int4send(length(answer)) || answer, ''::bytea
                    ORDER BY request_number) AS answers
    FROM cc_answer GROUP BY session_id;

UPDATE cc_session s SET answers = p.answers FROM packed p WHERE s.session_id = p.session_id;

-- EVENT answers had no session row: each gets a closed one (subject unknown then).
INSERT INTO cc_session (session_id, subject, state, last_request_number, answers, closed_at,
                        close_cause)
SELECT p.session_id, '', 'terminated', p.last_request_number, p.answers, now(), 'migrated'
  FROM packed p
 WHERE NOT EXISTS (SELECT 1 FROM cc_session s WHERE s.session_id = p.session_id);

DROP TABLE cc_answer;

-- What the engine loads when it becomes the writer: sessions opened in the last 30 days and
-- not terminated. Indexes only on columns a session never changes keep its updates HOT.
DROP INDEX cc_session_open_expiry;
CREATE INDEX cc_session_opened ON cc_session (opened_at);
-- Accounting sessions still open are found by their START and INTERIM records; STOP and EVENT
-- records (an ingest's bulk) stay out of the index.
DROP INDEX acct_record_at;
CREATE INDEX acct_record_open_at ON acct_record (at) WHERE record_type IN ('start', 'interim');
-- The writer engine is the ledger's only writer and writes rows only for accounts it holds; the
-- foreign key's check locked every account row once more per movement (FOR KEY SHARE). That
-- no row names a missing account is checked by query (docs/charging.md, "Reconciliation").
ALTER TABLE ledger DROP CONSTRAINT ledger_subject_fkey;
-- Only operators' adjustments carry an idempotency key: the engine's ledger rows stay out.
ALTER TABLE ledger DROP CONSTRAINT ledger_idempotency_key_key;
CREATE UNIQUE INDEX ledger_idempotency_key ON ledger (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
ALTER TABLE cc_session SET (fillfactor = 80);
-- Reservations live in the sessions (cc_session.reserved_minor of the open ones): the account
-- row changes only with its balance.
ALTER TABLE account DROP COLUMN reserved_minor;
ALTER TABLE account SET (fillfactor = 80);

DROP TRIGGER cdr_claim_session ON cdr;
DROP FUNCTION claim_cdr_session();
