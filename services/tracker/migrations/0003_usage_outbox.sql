-- Usage metered from announces, waiting to be delivered to charging as Rf INTERIM records.
-- A session has at most one row still gathering usage (attempted = false), so the queue is
-- bounded by the open sessions however long charging is away. A row gets its record number
-- when a delivery first picks it (attempted = true) and keeps it: a resent row is the same
-- record, which charging counts once.
ALTER TABLE session ADD COLUMN interim_records integer NOT NULL DEFAULT 0;
-- Set at close: the usage never delivered, which the STOP record carries.
ALTER TABLE session ADD COLUMN unreported_bytes_up bigint;
ALTER TABLE session ADD COLUMN unreported_bytes_down bigint;

CREATE TABLE usage_outbox (
  id            bigserial PRIMARY KEY,
  session_id    text NOT NULL,
  record_number bigint NOT NULL DEFAULT 0,
  bytes_up      bigint NOT NULL,
  bytes_down    bigint NOT NULL,
  metered_at    timestamptz NOT NULL DEFAULT now(),
  attempted     boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX usage_outbox_gathering ON usage_outbox (session_id) WHERE NOT attempted;
CREATE INDEX usage_outbox_session ON usage_outbox (session_id);
