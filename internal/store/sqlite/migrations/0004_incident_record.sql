-- Vigil schema, version 4: the full incident record (issue #3).
-- Queried fields are columns; the rest of the record is one JSON document.
-- version counts changes (optimistic concurrency). Incidents from before
-- read back with a default record ('{}').

ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority INTEGER;       -- 1 … 4, NULL: not derived
ALTER TABLE incidents ADD COLUMN severity_level INTEGER; -- 0 … 4, NULL: not decided
ALTER TABLE incidents ADD COLUMN record TEXT NOT NULL DEFAULT '{}';

CREATE INDEX incidents_phase ON incidents (phase, id);
CREATE INDEX incidents_priority ON incidents (priority, id);
CREATE INDEX incidents_category ON incidents (category, id);

-- The append-only parts of the record: rows are inserted, never changed.
CREATE TABLE incident_actions (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	seq         INTEGER NOT NULL,
	by          TEXT NOT NULL,
	at          TEXT NOT NULL,
	what        TEXT NOT NULL,
	result      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, seq)
) STRICT;

CREATE TABLE incident_comments (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	seq         INTEGER NOT NULL,
	by          TEXT NOT NULL,
	at          TEXT NOT NULL,
	text        TEXT NOT NULL,
	PRIMARY KEY (incident_id, seq)
) STRICT;

-- at is UTC; location is the time zone name of the person who moved it.
CREATE TABLE incident_phase_changes (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	seq         INTEGER NOT NULL,
	from_phase  TEXT NOT NULL,
	to_phase    TEXT NOT NULL,
	at          TEXT NOT NULL,
	location    TEXT NOT NULL,
	by          TEXT NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, seq)
) STRICT;

CREATE TRIGGER incident_actions_append_only BEFORE UPDATE ON incident_actions
BEGIN SELECT RAISE(ABORT, 'incident_actions is append-only'); END;
CREATE TRIGGER incident_actions_no_delete BEFORE DELETE ON incident_actions
BEGIN SELECT RAISE(ABORT, 'incident_actions is append-only'); END;
CREATE TRIGGER incident_comments_append_only BEFORE UPDATE ON incident_comments
BEGIN SELECT RAISE(ABORT, 'incident_comments is append-only'); END;
CREATE TRIGGER incident_comments_no_delete BEFORE DELETE ON incident_comments
BEGIN SELECT RAISE(ABORT, 'incident_comments is append-only'); END;
CREATE TRIGGER incident_phase_changes_append_only BEFORE UPDATE ON incident_phase_changes
BEGIN SELECT RAISE(ABORT, 'incident_phase_changes is append-only'); END;
CREATE TRIGGER incident_phase_changes_no_delete BEFORE DELETE ON incident_phase_changes
BEGIN SELECT RAISE(ABORT, 'incident_phase_changes is append-only'); END;

-- A lookup of each incident's indicators (normalized kind and value), for
-- related-incident suggestions; rewritten from the record on every update.
CREATE TABLE incident_indicators (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	PRIMARY KEY (incident_id, kind, value)
) STRICT;

CREATE INDEX incident_indicators_value ON incident_indicators (kind, value);
