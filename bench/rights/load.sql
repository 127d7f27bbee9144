-- The rights benchmark's data set: :contents content items and :subjects subscribers with ten
-- entitlements each (psql -v contents=100000 -v subjects=100000 -f load.sql).
-- rights_authorize_load draws its requests from the same formulas; keep the two in step.
--
-- content i (1..:contents): "c<i>", owner "owner<i % 100>", price model by i % 10:
--   0-1 free, 2 per_byte, 3-5 purchase, 6-7 rental, 8-9 subscription;
--   i % 50 = 0 only in territory 262-01 (the requests' network), i % 50 = 25 only in 208-10;
--   i % 997 = 0 withdrawn.
-- entitlement n (0..:subjects*10-1): subject "sip:user<n / 10>@ims.example.net", k = n % 10,
--   h = (n * 2654435761) mod 2^32:
--   k 0-4 purchase of content 1 + h % :contents; k 5 rental of it (expires in 7 days);
--   k 6 the same rental expired yesterday; k 7-8 subscription to owner "owner<h % 100>";
--   k 9 purchase of content 1 + h % :contents, revoked.
-- Only the columns of services/rights/migrations/0001_catalogue.sql are written.
\set ON_ERROR_STOP on
-- Nobody listens yet: skip per-row triggers (change notifications) while bulk loading.
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

BEGIN;
TRUNCATE rights.content, rights.entitlement;

INSERT INTO rights.content (content_id, title, owner, info_hash_v1, size_bytes, price_model,
                            price_minor, currency, rental_seconds, owner_share_bp, territories,
                            withdrawn_at)
SELECT 'c' || i,
       'Title ' || i,
       'owner' || (i % 100),
       decode(lpad(to_hex(i), 40, '0'), 'hex'),
       1000000 + i * 1000,
       (ARRAY['free', 'free', 'per_byte', 'purchase', 'purchase', 'purchase', 'rental', 'rental',
              'subscription', 'subscription'])[i % 10 + 1],
       (ARRAY[0, 0, 2, 299, 299, 299, 199, 199, 0, 0])[i % 10 + 1],
       'EUR',
       CASE WHEN i % 10 IN (6, 7) THEN 172800 ELSE 0 END,
       7000,
       CASE i % 50 WHEN 0 THEN '{262-01}'::text[] WHEN 25 THEN '{208-10}'::text[]
                   ELSE '{}'::text[] END,
       CASE WHEN i % 997 = 0 THEN now() END
FROM generate_series(1, :contents) AS i;

INSERT INTO rights.entitlement (subject, kind, content_ids, owner, expires_at, revoked_at)
SELECT 'sip:user' || (n / 10) || '@ims.example.net',
       CASE WHEN n % 10 IN (5, 6) THEN 'rental'
            WHEN n % 10 IN (7, 8) THEN 'subscription'
            ELSE 'purchase' END,
       CASE WHEN n % 10 IN (7, 8) THEN '{}'::text[]
            ELSE ARRAY['c' || (1 + h % :contents)] END,
       CASE WHEN n % 10 IN (7, 8) THEN 'owner' || (h % 100) END,
       CASE n % 10 WHEN 5 THEN now() + interval '7 days'
                   WHEN 6 THEN now() - interval '1 day' END,
       CASE WHEN n % 10 = 9 THEN now() END
FROM (SELECT n, (n * 2654435761) % 4294967296 AS h
      FROM generate_series(0::bigint, :subjects * 10 - 1) AS n) AS g;
COMMIT;

VACUUM ANALYZE rights.content;
VACUUM ANALYZE rights.entitlement;
