-- The SIP sessions benchmark's data set (psql -v subscribers=10000 -v contents=1000 -f ...),
-- loaded after the migrations and before the services start. The SIPp injection file
-- (bench/sip/run.sh) pairs subscriber k with content k % contents; keep the two in step.
--
-- subscriber k (0..:subscribers-1): sip:sub<k>@ims.localhost, a prepaid EUR account holding
--   1,000,000.00 EUR (with its opening ledger row), and a subscription to owner "studio" that
--   never expires.
-- content i (0..:contents-1): "clip<i>", owner "studio", in rights' catalogue and the tracker's
--   index (info-hash: the first 20 bytes of SHA-256 of the id, as tools/demo/demo.sql):
--   even i: subscription (entitled by the subscription; charging: no credit control, the
--           accounting STOP writes the CDR);
--   odd i:  per_byte, 5 EUR cents per MiB (no entitlement needed; charging reserves at INITIAL,
--           the tracker gets the grant, TERMINATION settles and writes the CDR).
-- The sessions move no bytes, so every reservation is released in full and no balance shrinks:
-- entitlement and credit hold however long the run.
\set ON_ERROR_STOP on
-- Nobody listens yet: skip the per-row change notifications of rights' triggers.
SET session_replication_role = replica;
SET synchronous_commit = off;

BEGIN;
INSERT INTO rights.content (content_id, title, owner, info_hash_v1, size_bytes, price_model,
                            price_minor, currency, rental_seconds, owner_share_bp, territories)
SELECT 'clip' || i, 'Clip ' || i, 'studio',
       substring(sha256(convert_to('clip' || i, 'UTF8')) from 1 for 20), 100000000 + i,
       CASE WHEN i % 2 = 0 THEN 'subscription' ELSE 'per_byte' END,
       CASE WHEN i % 2 = 0 THEN 0 ELSE 5 END, 'EUR', 0, 7000, '{}'
FROM generate_series(0, :contents - 1) AS i;

INSERT INTO rights.entitlement (subject, kind, content_ids, owner, expires_at)
SELECT 'sip:sub' || k || '@ims.localhost', 'subscription', '{}', 'studio', NULL
FROM generate_series(0, :subscribers - 1) AS k;

INSERT INTO tracker.content (content_id, info_hash, name, size_bytes)
SELECT content_id, info_hash_v1, title, size_bytes FROM rights.content;

INSERT INTO charging.account (subject, kind, currency, balance_minor)
SELECT 'sip:sub' || k || '@ims.localhost', 'prepaid', 'EUR', 100000000
FROM generate_series(0, :subscribers - 1) AS k;

INSERT INTO charging.ledger (subject, amount_minor, currency, cause, actor, idempotency_key)
SELECT subject, balance_minor, currency, 'opening balance', 'bench', 'bench-opening-' || subject
FROM charging.account;
COMMIT;

ANALYZE;
