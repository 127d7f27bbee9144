-- Tariff versions, incentive pools per swarm and hour, and what sessions and CDRs need for
-- validity times, reservation expiry, incentives, settlement and the TS 32.298 record fields.
CREATE TABLE tariff (
  tariff_id                         text PRIMARY KEY CHECK (tariff_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  effective_from                    timestamptz NOT NULL UNIQUE,
  currency                          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  incentive_per_gib_minor           bigint NOT NULL DEFAULT 0 CHECK (incentive_per_gib_minor >= 0),
  incentive_same_area_per_gib_minor bigint NOT NULL DEFAULT 0
                                    CHECK (incentive_same_area_per_gib_minor >= 0),
  incentive_same_cell_per_gib_minor bigint NOT NULL DEFAULT 0
                                    CHECK (incentive_same_cell_per_gib_minor >= 0),
  validity_seconds                  bigint NOT NULL CHECK (validity_seconds > 0),
  per_byte_grant_bytes              bigint NOT NULL CHECK (per_byte_grant_bytes > 0),
  actor                             text NOT NULL DEFAULT '',
  created_at                        timestamptz NOT NULL DEFAULT now()
);
-- In force until an operator adds one: no incentives, one-hour validity, 100 MiB grants.
INSERT INTO tariff (tariff_id, effective_from, currency, validity_seconds, per_byte_grant_bytes,
                    actor)
  VALUES ('default', 'epoch', 'EUR', 3600, 104857600, 'migration');

ALTER TABLE cc_session
  ADD COLUMN owner_share_bp        integer NOT NULL DEFAULT 0,
  ADD COLUMN tariff_id             text NOT NULL DEFAULT 'default',
  ADD COLUMN granted_bytes         bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up_same_cell    bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up_same_area    bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up_credited     bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up_over_claimed bigint NOT NULL DEFAULT 0,
  ADD COLUMN incentive_minor       bigint NOT NULL DEFAULT 0,
  ADD COLUMN last_activity         timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN expires_at            timestamptz,
  ADD COLUMN access_network_info   text NOT NULL DEFAULT '',
  ADD COLUMN called_party          text NOT NULL DEFAULT '',
  ADD COLUMN close_cause           text,
  ADD COLUMN cdr_sequence          bigint NOT NULL DEFAULT 0;
-- The sweeper's work list: open sessions whose reservation outlived its validity.
CREATE INDEX cc_session_open_expiry ON cc_session (expires_at) WHERE state = 'open';

-- Per swarm (content) and hour: downloads reported, uploads credited and refused. Credit for a
-- swarm and hour never exceeds what its downloaders reported receiving.
CREATE TABLE incentive_pool (
  content_id            text NOT NULL,
  period_start          timestamptz NOT NULL,
  bytes_down            bigint NOT NULL DEFAULT 0,
  bytes_up_credited     bigint NOT NULL DEFAULT 0,
  bytes_up_over_claimed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (content_id, period_start)
);

ALTER TABLE cdr
  ADD COLUMN sip_method               text NOT NULL DEFAULT 'INVITE',
  ADD COLUMN node_address             text NOT NULL DEFAULT '',
  ADD COLUMN called_party             text NOT NULL DEFAULT '',
  ADD COLUMN record_opening_time      timestamptz,
  ADD COLUMN record_closure_time      timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN cause_for_record_closing text NOT NULL DEFAULT 'normal_release'
             CHECK (cause_for_record_closing IN ('normal_release', 'unsuccessful_service_delivery',
                    'time_limit', 'service_change', 'management_intervention')),
  ADD COLUMN incomplete               boolean NOT NULL DEFAULT false,
  ADD COLUMN access_network_info      text NOT NULL DEFAULT '',
  ADD COLUMN price_model              text NOT NULL DEFAULT '',
  ADD COLUMN rated_price_minor        bigint NOT NULL DEFAULT 0,
  ADD COLUMN tariff_id                text NOT NULL DEFAULT '',
  ADD COLUMN bytes_up_credited        bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up_over_claimed    bigint NOT NULL DEFAULT 0,
  ADD COLUMN owner_share_bp           integer NOT NULL DEFAULT 0,
  ADD COLUMN owner_share_minor        bigint NOT NULL DEFAULT 0;

-- What an accounting-only session's CDR needs when its STOP never comes.
ALTER TABLE acct_record
  ADD COLUMN subject             text NOT NULL DEFAULT '',
  ADD COLUMN icid                text NOT NULL DEFAULT '',
  ADD COLUMN content_id          text NOT NULL DEFAULT '',
  ADD COLUMN locality            text NOT NULL DEFAULT '',
  ADD COLUMN node_id             text NOT NULL DEFAULT '',
  ADD COLUMN called_party        text NOT NULL DEFAULT '',
  ADD COLUMN access_network_info text NOT NULL DEFAULT '',
  ADD COLUMN bytes_down          bigint NOT NULL DEFAULT 0,
  ADD COLUMN bytes_up            bigint NOT NULL DEFAULT 0;
CREATE INDEX acct_record_at ON acct_record (at);

-- How far each consumer has pulled: an ack may not pass it, and CDRs up to it are resent with
-- the retransmission flag.
ALTER TABLE billing_cursor ADD COLUMN pulled_sequence bigint NOT NULL DEFAULT 0;
