-- Demo content, entitlements and accounts for the local run and the end-to-end tests.
-- Idempotent: loading it twice changes nothing. Info-hashes are placeholders (the first 20 bytes
-- of SHA-256 of the content id) until content is ingested from real files.
--
-- content (sip:<id>@p2p.localhost)   licence
--   big-buck-bunny                    free
--   sintel                            purchase, 2.99 EUR (paid when bought: sessions cost nothing more)
--   tears-of-steel                    rental 48 h, 1.99 EUR
--   live-match                        per byte, 0.05 EUR per MiB (no entitlement needed)
--   local-news                        free, only in 262-01 (network-verified locality)
-- subscribers (digest for direct clients: username <name>-impi, password <name>-secret, realm
-- p2p.localhost)
--   sip:alice@ims.localhost   owns sintel and tears-of-steel, prepaid 10.00 EUR
--   sip:bob@ims.localhost     no entitlements, prepaid 1.00 EUR
--   sip:carol@ims.localhost   owns sintel, prepaid 0.00 EUR (out of credit for per-byte content)

INSERT INTO rights.content (content_id, title, owner, info_hash_v1, size_bytes, price_model,
                            price_minor, currency, rental_seconds, owner_share_bp, territories)
VALUES
  ('big-buck-bunny', 'Big Buck Bunny', 'blender-foundation',
   substring(sha256('big-buck-bunny') from 1 for 20), 276134947, 'free', 0, 'EUR', 0, 7000, '{}'),
  ('sintel', 'Sintel', 'blender-foundation',
   substring(sha256('sintel') from 1 for 20), 129241752, 'purchase', 299, 'EUR', 0, 7000, '{}'),
  ('tears-of-steel', 'Tears of Steel', 'blender-foundation',
   substring(sha256('tears-of-steel') from 1 for 20), 185765954, 'rental', 199, 'EUR', 172800,
   7000, '{}'),
  ('live-match', 'Live Match', 'sports-league',
   substring(sha256('live-match') from 1 for 20), 734003200, 'per_byte', 5, 'EUR', 0, 6000, '{}'),
  ('local-news', 'Local News', 'operator-news',
   substring(sha256('local-news') from 1 for 20), 10485760, 'free', 0, 'EUR', 0, 0, '{262-01}')
ON CONFLICT (content_id) DO NOTHING;

INSERT INTO rights.entitlement (subject, kind, content_ids, expires_at)
SELECT s, k, ids, e FROM (VALUES
  ('sip:alice@ims.localhost', 'purchase', '{sintel}'::text[], NULL::timestamptz),
  ('sip:alice@ims.localhost', 'rental', '{tears-of-steel}'::text[], now() + interval '48 hours'),
  ('sip:carol@ims.localhost', 'purchase', '{sintel}'::text[], NULL::timestamptz)
) AS v (s, k, ids, e)
WHERE NOT EXISTS (SELECT 1 FROM rights.entitlement x WHERE x.subject = v.s AND x.content_ids = v.ids);

INSERT INTO tracker.content (content_id, info_hash, name, size_bytes)
SELECT content_id, info_hash_v1, title, size_bytes FROM rights.content
ON CONFLICT (content_id) DO NOTHING;

INSERT INTO charging.account (subject, kind, currency, balance_minor)
VALUES ('sip:alice@ims.localhost', 'prepaid', 'EUR', 1000),
       ('sip:bob@ims.localhost', 'prepaid', 'EUR', 100),
       ('sip:carol@ims.localhost', 'prepaid', 'EUR', 0)
ON CONFLICT (subject) DO NOTHING;

INSERT INTO charging.ledger (subject, amount_minor, currency, cause, actor, idempotency_key)
SELECT subject, balance_minor, currency, 'opening balance', 'demo', 'demo-opening-' || subject
FROM charging.account WHERE subject LIKE 'sip:%@ims.localhost' AND balance_minor > 0
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

INSERT INTO sip.subscriber_credential (username, realm, identity, ha1_md5, ha1_sha256)
SELECT n || '-impi', 'p2p.localhost', 'sip:' || n || '@ims.localhost',
       md5(n || '-impi:p2p.localhost:' || n || '-secret'),
       encode(sha256(convert_to(n || '-impi:p2p.localhost:' || n || '-secret', 'UTF8')), 'hex')
FROM unnest(ARRAY['alice', 'bob', 'carol']) AS n
ON CONFLICT (username) DO NOTHING;
