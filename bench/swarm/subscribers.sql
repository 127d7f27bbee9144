-- Subscribers of the swarm experiments (bench/swarm, tests/e2e/swarm_cells_test.sh): terminals
-- sip:ue<k>@ims.localhost for k = 1..:subscribers, each with digest credentials as
-- tools/demo/demo.sql gives alice (username <name>-impi, password <name>-secret, realm p2p.localhost) and a prepaid account
-- of 1,000.00 EUR with its opening ledger row. Idempotent.
--
--   psql -v subscribers=40 -f bench/swarm/subscribers.sql

CREATE TEMP TABLE swarm_subscriber AS
SELECT 'ue' || k AS name FROM generate_series(1, :subscribers) AS k;

INSERT INTO sip.subscriber_credential (username, realm, identity, ha1_md5, ha1_sha256)
SELECT name || '-impi', 'p2p.localhost', 'sip:' || name || '@ims.localhost',
       md5(name || '-impi:p2p.localhost:' || name || '-secret'),
       encode(sha256(convert_to(name || '-impi:p2p.localhost:' || name || '-secret', 'UTF8')), 'hex')
FROM swarm_subscriber
ON CONFLICT (username) DO NOTHING;

INSERT INTO charging.account (subject, kind, currency, balance_minor)
SELECT 'sip:' || name || '@ims.localhost', 'prepaid', 'EUR', 100000 FROM swarm_subscriber
ON CONFLICT (subject) DO NOTHING;

INSERT INTO charging.ledger (subject, amount_minor, currency, cause, actor, idempotency_key)
SELECT 'sip:' || name || '@ims.localhost', 100000, 'EUR', 'opening balance', 'swarm',
       'swarm-opening-' || name
FROM swarm_subscriber
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
