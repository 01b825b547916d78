-- Vigil schema, version 2: the hash-chained audit trail (internal/audit).
-- details is kept as text, not jsonb, byte for byte, because the hash
-- covers it.

CREATE TABLE audit_log (
	seq         bigint PRIMARY KEY,
	time        timestamptz NOT NULL,
	actor       text NOT NULL,
	action      text NOT NULL,
	object_type text NOT NULL,
	object_id   text NOT NULL,
	tenant      text NOT NULL,
	details     text NOT NULL,
	prev_hash   bytea NOT NULL,
	hash        bytea NOT NULL
);

CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_time ON audit_log (time);

-- The one row that records the chain's last seq and hash. Every append
-- locks it (SELECT ... FOR UPDATE), which serializes appends across nodes,
-- and moves it in the same transaction, so that deleting entries from the
-- end shows.
CREATE TABLE audit_head (
	id   integer PRIMARY KEY CHECK (id = 1),
	seq  bigint NOT NULL,
	hash bytea NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
