-- Vigil schema, version 7: the response team and the plans (internal/team,
-- internal/plan; docs/team.md). Each row keeps its object as a JSON
-- document beside the columns that are looked up. Engagements and watch
-- rules are never deleted: triggers refuse DELETE.

CREATE TABLE teams (
	id      TEXT NOT NULL UNIQUE,
	version INTEGER NOT NULL CHECK (version >= 1),
	doc     TEXT NOT NULL
) STRICT;

CREATE TABLE incident_engagements (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	doc         TEXT NOT NULL
) STRICT;

CREATE INDEX incident_engagements_incident ON incident_engagements (incident_id, id);

CREATE TABLE incident_tasks (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	version     INTEGER NOT NULL CHECK (version >= 1),
	doc         TEXT NOT NULL
) STRICT;

CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

CREATE TABLE watch_rules (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	removed     INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
	doc         TEXT NOT NULL
) STRICT;

CREATE INDEX watch_rules_incident ON watch_rules (incident_id, id);
CREATE INDEX watch_rules_removed ON watch_rules (removed, id);

CREATE TRIGGER incident_engagements_no_delete BEFORE DELETE ON incident_engagements
BEGIN SELECT RAISE(ABORT, 'engagements are never deleted'); END;
CREATE TRIGGER watch_rules_no_delete BEFORE DELETE ON watch_rules
BEGIN SELECT RAISE(ABORT, 'watch rules are never deleted'); END;
