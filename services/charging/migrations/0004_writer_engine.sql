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

DROP INDEX cc_session_open_expiry;
-- What the engine loads when it becomes the writer: the sessions not terminated.
CREATE INDEX cc_session_not_terminated ON cc_session (session_id) WHERE state <> 'terminated';
ALTER TABLE cc_session SET (fillfactor = 80);
ALTER TABLE account SET (fillfactor = 80);

DROP TRIGGER cdr_claim_session ON cdr;
DROP FUNCTION claim_cdr_session();
