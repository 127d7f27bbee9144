-- charging.cdr becomes a table partitioned by day (UTC) of record_closure_time, so that old days
-- can be detached or dropped whole and settlement reads only the days of its period. Every column
-- and every existing row is kept. A partitioned table cannot keep UNIQUE (session_id) across its
-- partitions: charging.cdr_session does, filled by a trigger in the CDR's own transaction, so a
-- second CDR for a session still fails with unique_violation (and its sequence number is given
-- back by the rollback). It also keeps sequence unique across partitions.
ALTER TABLE cdr RENAME TO cdr_unpartitioned;
ALTER INDEX cdr_pkey RENAME TO cdr_unpartitioned_pkey;
ALTER INDEX cdr_session_id_key RENAME TO cdr_unpartitioned_session_id_key;

CREATE TABLE cdr (LIKE cdr_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (record_closure_time);
-- Rows of a day without its partition land here; ensure_cdr_partitions moves them out.
CREATE TABLE cdr_default PARTITION OF cdr DEFAULT;

-- One row per CDR: the session's claim to its only CDR, and its sequence number's.
CREATE TABLE cdr_session (
  session_id text PRIMARY KEY,
  sequence   bigint NOT NULL UNIQUE
);

-- A row inserted again with its own sequence (an UPDATE that moves it to another partition) is
-- fine; another CDR for the session is a unique_violation.
CREATE FUNCTION claim_cdr_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO charging.cdr_session AS s (session_id, sequence)
    VALUES (NEW.session_id, NEW.sequence)
    ON CONFLICT (session_id) DO UPDATE SET sequence = EXCLUDED.sequence
    WHERE s.sequence = EXCLUDED.sequence;
  IF NOT FOUND THEN
    RAISE unique_violation USING
      MESSAGE = format('session %s already has its CDR', NEW.session_id),
      CONSTRAINT = 'cdr_session_pkey';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER cdr_claim_session AFTER INSERT ON cdr
  FOR EACH ROW EXECUTE FUNCTION claim_cdr_session();

-- Creates the daily partitions charging.cdr_pYYYYMMDD for the UTC days [first_day,
-- first_day + days) that do not exist yet, moving any rows of those days out of cdr_default.
-- Returns how many it created. Takes SHARE UPDATE EXCLUSIVE on charging.cdr only when one is
-- missing: CDR writes and reads go on; concurrent callers (replicas) wait for each other.
CREATE FUNCTION ensure_cdr_partitions(first_day date, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  created integer := 0;
  missing boolean := false;
  d date;
  part text;
  lo timestamptz;
  hi timestamptz;
BEGIN
  IF days < 0 OR days > 3660 THEN
    RAISE invalid_parameter_value USING MESSAGE = format('days must be 0..3660, not %s', days);
  END IF;
  FOR i IN 0 .. days - 1 LOOP
    d := first_day + i;
    IF to_regclass(format('charging.%I', 'cdr_p' || to_char(d, 'YYYYMMDD'))) IS NULL THEN
      missing := true;
      EXIT;
    END IF;
  END LOOP;
  IF NOT missing THEN
    RETURN 0;
  END IF;
  -- Serialises callers; taking a table lock also makes this transaction see what they created.
  LOCK TABLE charging.cdr IN SHARE UPDATE EXCLUSIVE MODE;
  FOR i IN 0 .. days - 1 LOOP
    d := first_day + i;
    part := 'cdr_p' || to_char(d, 'YYYYMMDD');
    CONTINUE WHEN to_regclass(format('charging.%I', part)) IS NOT NULL;
    lo := d::timestamp AT TIME ZONE 'UTC';
    hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
    EXECUTE format('CREATE TABLE charging.%I'
                   ' (LIKE charging.cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH moved AS (DELETE FROM charging.cdr_default'
                   ' WHERE record_closure_time >= %L AND record_closure_time < %L RETURNING *)'
                   ' INSERT INTO charging.%I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE charging.cdr ATTACH PARTITION charging.%I'
                   ' FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    created := created + 1;
  END LOOP;
  RETURN created;
END
$$;

-- A partition for every day that has CDRs, and for today and the next seven days.
SELECT ensure_cdr_partitions(day, 1)
  FROM (SELECT DISTINCT (record_closure_time AT TIME ZONE 'UTC')::date AS day
          FROM cdr_unpartitioned) days;
SELECT ensure_cdr_partitions((now() AT TIME ZONE 'UTC')::date, 8);

INSERT INTO cdr SELECT * FROM cdr_unpartitioned ORDER BY sequence;
DROP TABLE cdr_unpartitioned;

-- The key must include the partition key; sequence alone is kept unique by cdr_session.
ALTER TABLE cdr ADD CONSTRAINT cdr_pkey PRIMARY KEY (sequence, record_closure_time);
