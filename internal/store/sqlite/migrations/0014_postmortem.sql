-- Vigil schema, version 14: post-mortems and their follow-up items
-- (internal/postmortem; docs/postmortem.md). Each row keeps its object as a
-- JSON document beside the columns that are looked up. Neither is ever
-- deleted: triggers refuse DELETE. An incident has one post-mortem.

CREATE TABLE postmortems (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL UNIQUE REFERENCES incidents (id),
	version     INTEGER NOT NULL CHECK (version >= 1),
	signed_off  INTEGER NOT NULL DEFAULT 0 CHECK (signed_off IN (0, 1)),
	doc         TEXT NOT NULL
) STRICT;

-- due is the day the item is due (midnight UTC), created when it was made.
CREATE TABLE follow_ups (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	kind        TEXT NOT NULL,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL,
	due         TEXT NOT NULL,
	created     TEXT NOT NULL,
	version     INTEGER NOT NULL CHECK (version >= 1),
	doc         TEXT NOT NULL
) STRICT;

CREATE INDEX follow_ups_incident ON follow_ups (incident_id, id);
CREATE INDEX follow_ups_state ON follow_ups (state, id);
CREATE INDEX follow_ups_owner ON follow_ups (owner, id);

CREATE TRIGGER postmortems_no_delete BEFORE DELETE ON postmortems
BEGIN SELECT RAISE(ABORT, 'post-mortems are never deleted'); END;
CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups
BEGIN SELECT RAISE(ABORT, 'follow-ups are never deleted'); END;
