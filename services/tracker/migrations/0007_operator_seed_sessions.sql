-- Sessions of the operator's own seeds (token roles seed and origin). Their announces count in
-- the session's totals, so what the origin uploaded is known, but none of it goes to charging:
-- the operator does not bill itself, and no subscriber account stands behind such a session.
ALTER TABLE session ADD COLUMN operator_seed boolean NOT NULL DEFAULT false;
