-- A short key per session for UDP announce URLs (udp://host:port/s/<key>): a BEP 41 URL path
-- must fit 255 bytes in the clients that send one option only (libtorrent), and a token with a
-- long public identity and a locality does not. The key stands for the session's token, kept
-- here so that any replica can resolve it.
ALTER TABLE session ADD COLUMN announce_key text UNIQUE;
ALTER TABLE session ADD COLUMN token text;
