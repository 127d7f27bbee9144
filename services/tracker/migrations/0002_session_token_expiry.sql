-- When a session's token expires: a closed session's announces are refused until then (after
-- it the token is refused anyway). Rows from before this migration have none.
ALTER TABLE session ADD COLUMN token_expires_at timestamptz;
