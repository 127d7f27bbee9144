-- Ro credit control carried on by the tracker after sip-edge's INITIAL (NULL validity: none).
-- An UPDATE is written ahead as pending (its number and used units) before it is sent, so a
-- retry or a restart resends the same request, which charging answers once.
ALTER TABLE session
  ADD COLUMN cc_validity_seconds integer,
  ADD COLUMN cc_request_number   bigint NOT NULL DEFAULT 0,
  ADD COLUMN cc_granted_bytes    bigint,            -- bytes_down granted so far; NULL: not by bytes
  ADD COLUMN cc_update_at_bytes  bigint,            -- ask for more from here (NULL: final units)
  ADD COLUMN cc_final            boolean NOT NULL DEFAULT false,
  ADD COLUMN cc_due_at           timestamptz,       -- an UPDATE before the grant's validity ends
  ADD COLUMN cc_reported_down    bigint NOT NULL DEFAULT 0,
  ADD COLUMN cc_reported_up      bigint NOT NULL DEFAULT 0,
  ADD COLUMN cc_pending_down     bigint,
  ADD COLUMN cc_pending_up       bigint,
  ADD COLUMN cc_ended            text;              -- why access ended (out of credit, ...)

CREATE INDEX session_credit_open ON session (session_id)
  WHERE closed_at IS NULL AND cc_validity_seconds IS NOT NULL AND cc_ended IS NULL;
CREATE INDEX session_credit_pending ON session (session_id) WHERE cc_pending_down IS NOT NULL;
