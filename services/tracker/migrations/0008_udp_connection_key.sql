-- The key of the UDP tracker's connection ids (BEP 15), shared by every replica and kept across
-- restarts: a client's connection id stays valid when the tracker restarts or its swarm moves
-- to another replica (with a key per process, its announces were dropped until it timed out
-- and connected again). 16 bytes from gen_random_uuid (cryptographically random, built in).
CREATE TABLE udp_connection_key (
  id  integer PRIMARY KEY CHECK (id = 1),
  key bytea NOT NULL CHECK (length(key) = 16)
);
INSERT INTO udp_connection_key (id, key)
  VALUES (1, decode(replace(gen_random_uuid()::text, '-', ''), 'hex'));
