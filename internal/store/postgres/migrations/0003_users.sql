-- Vigil schema, version 3: users, their sign-in sessions, and tenant-scoped
-- tokens (internal/auth).

CREATE TABLE users (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name          text NOT NULL UNIQUE,
	display_name  text NOT NULL DEFAULT '',
	email         text NOT NULL DEFAULT '',
	roles         text[] NOT NULL,
	tenant        text NOT NULL DEFAULT '',
	password_hash text NOT NULL DEFAULT '',
	disabled      boolean NOT NULL DEFAULT false,
	created       timestamptz NOT NULL,
	updated       timestamptz NOT NULL
);

CREATE INDEX users_tenant ON users (tenant, id);

-- id is the SHA-256 of the secret in the session cookie.
CREATE TABLE sessions (
	id        bytea PRIMARY KEY,
	user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created   timestamptz NOT NULL,
	last_seen timestamptz NOT NULL,
	expires   timestamptz NOT NULL,
	csrf      text NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

ALTER TABLE tokens ADD COLUMN tenant text NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN created_by text NOT NULL DEFAULT '';
