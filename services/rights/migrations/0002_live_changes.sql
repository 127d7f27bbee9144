-- What replicas need to serve Authorize from memory: every change their caches depend on is
-- announced on channel rights_change as "<kind>:<key>", delivered when the change commits.
--   content:<content_id>     a content row was inserted, updated or deleted
--   subject:<identity>       one of that subscriber's entitlements changed
--   revocation:<sequence>    a revocation was recorded
CREATE FUNCTION announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  key text;
BEGIN
  IF TG_TABLE_NAME = 'content' THEN
    key := 'content:' || coalesce(NEW.content_id, OLD.content_id);
  ELSIF TG_TABLE_NAME = 'entitlement' THEN
    key := 'subject:' || coalesce(NEW.subject, OLD.subject);
  ELSE
    key := 'revocation:' || NEW.sequence;
  END IF;
  PERFORM pg_notify('rights_change', key);
  RETURN NULL;
END;
$$;

CREATE TRIGGER content_changed AFTER INSERT OR UPDATE OR DELETE ON content
  FOR EACH ROW EXECUTE FUNCTION announce_change();
CREATE TRIGGER entitlement_changed AFTER INSERT OR UPDATE OR DELETE ON entitlement
  FOR EACH ROW EXECUTE FUNCTION announce_change();
CREATE TRIGGER revocation_recorded AFTER INSERT ON revocation
  FOR EACH ROW EXECUTE FUNCTION announce_change();

-- A revocation matters only while a token it matches can still be unexpired.
ALTER TABLE revocation ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '1 day';
CREATE INDEX revocation_expires ON revocation (expires_at);
ALTER TABLE entitlement ADD COLUMN revoke_reason text;
ALTER TABLE content ADD COLUMN withdraw_reason text;
CREATE INDEX entitlement_owner ON entitlement (owner) WHERE owner IS NOT NULL;
CREATE INDEX audit_at ON audit (at);

-- Devices holding live access per subscriber and content, for licences with a device limit.
-- A slot lasts until its token expires or is revoked.
CREATE TABLE device_slot (
  subject    text NOT NULL,
  content_id text NOT NULL,
  device     text NOT NULL,
  token_id   text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (subject, content_id, device)
);
CREATE INDEX device_slot_token ON device_slot (token_id);
