-- Vigil schema, version 2: the hash-chained audit trail (internal/audit).
-- details is kept as text, byte for byte, because the hash covers it.

CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,
	time        TEXT NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	tenant      TEXT NOT NULL,
	details     TEXT NOT NULL,
	prev_hash   BLOB NOT NULL,
	hash        BLOB NOT NULL
) STRICT;

CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_time ON audit_log (time);

-- The one row that records the chain's last seq and hash, moved in the
-- transaction of every append, so that deleting entries from the end shows.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB NOT NULL
) STRICT;

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
