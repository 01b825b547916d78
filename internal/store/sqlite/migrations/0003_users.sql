-- Vigil schema, version 3: users, their sign-in sessions, and tenant-scoped
-- tokens (internal/auth). roles is a JSON array of role names.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	name          TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL DEFAULT '',
	email         TEXT NOT NULL DEFAULT '',
	roles         TEXT NOT NULL,
	tenant        TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       TEXT NOT NULL,
	updated       TEXT NOT NULL
) STRICT;

CREATE INDEX users_tenant ON users (tenant, id);

-- id is the SHA-256 of the secret in the session cookie.
CREATE TABLE sessions (
	id        BLOB PRIMARY KEY,
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created   TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	expires   TEXT NOT NULL,
	csrf      TEXT NOT NULL
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

ALTER TABLE tokens ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
