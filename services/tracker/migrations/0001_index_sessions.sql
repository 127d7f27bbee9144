-- The content index, content sessions with their metered usage, and subscriber presence.
CREATE TABLE content (
  content_id             text PRIMARY KEY,
  info_hash              bytea NOT NULL UNIQUE CHECK (length(info_hash) = 20),
  info_hash_v2_truncated bytea UNIQUE CHECK (length(info_hash_v2_truncated) = 20),
  name                   text NOT NULL,
  size_bytes             bigint NOT NULL CHECK (size_bytes >= 0),
  metainfo               bytea,
  indexed_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE session (
  session_id       text PRIMARY KEY,
  token_id         text NOT NULL,
  info_hash        bytea NOT NULL,
  subject          text NOT NULL,
  locality         text NOT NULL DEFAULT '',
  opened_at        timestamptz NOT NULL DEFAULT now(),
  closed_at        timestamptz,
  close_cause      text,
  bytes_down       bigint NOT NULL DEFAULT 0,
  bytes_up         bigint NOT NULL DEFAULT 0,
  bytes_up_in_cell bigint NOT NULL DEFAULT 0
);
CREATE INDEX session_open ON session (info_hash) WHERE closed_at IS NULL;

CREATE TABLE presence (
  subject    text PRIMARY KEY,
  locality   text NOT NULL,
  verified   boolean NOT NULL,
  expires_at timestamptz NOT NULL
);
