-- Catalogue with licences, entitlements, revocations and the audit trail.
CREATE TABLE content (
  content_id     text PRIMARY KEY CHECK (content_id ~ '^[A-Za-z0-9._~-]{1,128}$'),
  title          text NOT NULL,
  owner          text NOT NULL,
  info_hash_v1   bytea NOT NULL UNIQUE CHECK (length(info_hash_v1) = 20),
  info_hash_v2   bytea CHECK (info_hash_v2 IS NULL OR length(info_hash_v2) = 32),
  size_bytes     bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  price_model    text NOT NULL
                 CHECK (price_model IN ('free', 'purchase', 'rental', 'subscription', 'per_byte')),
  price_minor    bigint NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
  currency       text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
  rental_seconds bigint NOT NULL DEFAULT 0,
  owner_share_bp integer NOT NULL DEFAULT 7000 CHECK (owner_share_bp BETWEEN 0 AND 10000),
  territories    text[] NOT NULL DEFAULT '{}',
  window_start   timestamptz,
  window_end     timestamptz,
  device_limit   integer NOT NULL DEFAULT 0,
  withdrawn_at   timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_owner ON content (owner);

CREATE TABLE entitlement (
  entitlement_id bigserial PRIMARY KEY,
  subject        text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('purchase', 'rental', 'subscription')),
  content_ids    text[] NOT NULL DEFAULT '{}',
  owner          text,
  expires_at     timestamptz,
  revoked_at     timestamptz,
  granted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entitlement_subject ON entitlement (subject);
CREATE INDEX entitlement_content ON entitlement USING gin (content_ids);

CREATE TABLE revocation (
  sequence      bigserial PRIMARY KEY,
  token_id      text,
  subject       text,
  content_id    text,
  issued_before timestamptz,
  reason        text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  action     text NOT NULL,
  subject    text,
  content_id text,
  result     text NOT NULL,
  reason     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_subject ON audit (subject, at);
CREATE INDEX audit_content ON audit (content_id, at);
