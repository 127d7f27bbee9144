-- Accounts and their ledger, credit-control sessions with idempotent answers, accounting
-- records, gapless CDRs and billing consumers' cursors.
CREATE TABLE account (
  subject            text PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('prepaid', 'postpaid')),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance_minor      bigint NOT NULL DEFAULT 0,
  reserved_minor     bigint NOT NULL DEFAULT 0 CHECK (reserved_minor >= 0),
  credit_limit_minor bigint NOT NULL DEFAULT 0 CHECK (credit_limit_minor >= 0),
  incentive_minor    bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- Every movement of money; a balance is the sum of its account's rows.
CREATE TABLE ledger (
  id              bigserial PRIMARY KEY,
  subject         text NOT NULL REFERENCES account (subject),
  amount_minor    bigint NOT NULL,
  currency        text NOT NULL,
  cause           text NOT NULL,
  session_id      text,
  actor           text NOT NULL DEFAULT '',
  idempotency_key text UNIQUE,
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_subject ON ledger (subject, at);

CREATE TABLE cc_session (
  session_id          text PRIMARY KEY,
  subject             text NOT NULL,
  icid                text NOT NULL DEFAULT '',
  content_id          text NOT NULL DEFAULT '',
  owner               text NOT NULL DEFAULT '',
  price_model         text NOT NULL DEFAULT '',
  price_minor         bigint NOT NULL DEFAULT 0,
  currency            text NOT NULL DEFAULT 'EUR',
  reserved_minor      bigint NOT NULL DEFAULT 0,
  charged_minor       bigint NOT NULL DEFAULT 0,
  bytes_down          bigint NOT NULL DEFAULT 0,
  bytes_up            bigint NOT NULL DEFAULT 0,
  state               text NOT NULL CHECK (state IN ('open', 'not_applicable', 'terminated')),
  last_request_number bigint NOT NULL DEFAULT 0,
  locality            text NOT NULL DEFAULT '',
  node_id             text NOT NULL DEFAULT '',
  opened_at           timestamptz NOT NULL DEFAULT now(),
  closed_at           timestamptz
);

-- The answer given to each (session, request number): a retransmission gets it again.
CREATE TABLE cc_answer (
  session_id     text NOT NULL,
  request_number bigint NOT NULL,
  answer         bytea NOT NULL,
  PRIMARY KEY (session_id, request_number)
);

CREATE TABLE acct_record (
  session_id    text NOT NULL,
  record_number bigint NOT NULL,
  record_type   text NOT NULL,
  cdr_sequence  bigint NOT NULL DEFAULT 0,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, record_number)
);

-- One row holds the last CDR number; taking the next one in the CDR's own transaction keeps
-- the sequence gapless (a rollback gives the number back).
CREATE TABLE cdr_counter (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  last_sequence bigint NOT NULL
);
INSERT INTO cdr_counter VALUES (true, 0);

CREATE TABLE cdr (
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

CREATE TABLE billing_cursor (
  consumer       text PRIMARY KEY,
  acked_sequence bigint NOT NULL DEFAULT 0
);
