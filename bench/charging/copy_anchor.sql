-- The COPY anchor's table and data (bench/charging/run.sh): rows shaped like a CDR, 20 columns
-- as charging.cdr had them in migration 0001, with its primary key and its unique session id, so
-- COPY maintains the same two indexes a CDR insert does. Run with psql -v rows=N -f this > FILE:
-- creates the empty table and writes N rows in COPY text format to FILE, which run.sh then loads
-- with a timed `COPY bench_cdr FROM STDIN`.
CREATE TABLE bench_cdr (
  sequence         bigint PRIMARY KEY,
  record_type      text NOT NULL,
  session_id       text NOT NULL UNIQUE,
  icid             text NOT NULL,
  served_identity  text NOT NULL,
  content_id       text NOT NULL,
  owner            text NOT NULL,
  start_time       timestamptz NOT NULL,
  stop_time        timestamptz NOT NULL,
  duration_seconds bigint NOT NULL,
  bytes_down       bigint NOT NULL,
  bytes_up         bigint NOT NULL,
  units            bigint NOT NULL,
  charge_minor     bigint NOT NULL,
  currency         text NOT NULL,
  incentive_minor  bigint NOT NULL DEFAULT 0,
  locality         text NOT NULL,
  cause            text NOT NULL,
  node_id          text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

COPY (
  SELECT n, 'session', 'bench-' || (n * 2654435761 % 4294967296) || '-' || n, 'icid-bench-' || n,
         'sip:sub' || n % 10000 || '@ims.example.net', 'c' || 1 + n % 100000, 'owner' || n % 100,
         now() - interval '1 minute', now(), 60, 26214400 - n % 7, n % 3 * 1048576, 26214400, 125,
         'EUR', 0, '262-01/area-' || n % 20 || '/cell-' || n % 500, 'normal', 'bench-edge-0', now()
  FROM generate_series(1, :rows) AS n
) TO STDOUT;
