-- Digest credentials of subscribers who reach sip-edge directly (not through a trusted CSCF).
-- Passwords are never stored: HA1 = H(username:realm:password) per algorithm, in lower-case hex.
CREATE TABLE subscriber_credential (
  username   text PRIMARY KEY CHECK (username <> ''),  -- the private identity used in digest
  realm      text NOT NULL,
  identity   text NOT NULL CHECK (identity ~* '^(sip|sips|tel):'),  -- the public identity it proves
  ha1_md5    text NOT NULL CHECK (ha1_md5 ~ '^[0-9a-f]{32}$'),
  ha1_sha256 text NOT NULL CHECK (ha1_sha256 ~ '^[0-9a-f]{64}$'),
  enabled    boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);
