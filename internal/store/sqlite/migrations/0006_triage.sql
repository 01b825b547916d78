-- Vigil schema, version 6: triage of alerts (grouping, states), suppressions,
-- support cases and vulnerability reports.

ALTER TABLE alerts ADD COLUMN group_key TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN group_fields TEXT NOT NULL DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN match_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN first_seen TEXT;
ALTER TABLE alerts ADD COLUMN last_seen TEXT;
ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'new';
ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';

UPDATE alerts SET first_seen = created, last_seen = created;

CREATE INDEX alerts_group ON alerts (rule_id, group_key, id);
CREATE INDEX alerts_state ON alerts (state, id);

CREATE TABLE suppressions (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id    TEXT NOT NULL,
	fields     TEXT NOT NULL DEFAULT '{}',
	reason     TEXT NOT NULL,
	alert_id   INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	expires    TEXT,
	hits       INTEGER NOT NULL DEFAULT 0,
	last_hit   TEXT
) STRICT;

CREATE INDEX suppressions_rule_id ON suppressions (rule_id, id);

CREATE TABLE vulnerabilities (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	severity    TEXT NOT NULL,
	deadline    TEXT NOT NULL,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	tenant      TEXT NOT NULL DEFAULT '',
	case_id     INTEGER,
	alert_id    INTEGER REFERENCES alerts (id),
	created     TEXT NOT NULL,
	updated     TEXT NOT NULL,
	version     INTEGER NOT NULL
) STRICT;

CREATE INDEX vulnerabilities_state ON vulnerabilities (state, id);

CREATE TABLE cases (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant           TEXT NOT NULL,
	title            TEXT NOT NULL,
	seen             TEXT NOT NULL,
	service          TEXT NOT NULL,
	seen_at          TEXT,
	level            TEXT NOT NULL,
	state            TEXT NOT NULL,
	assignee         TEXT NOT NULL DEFAULT '',
	reporter         TEXT NOT NULL DEFAULT '',
	incident_id      INTEGER REFERENCES incidents (id),
	vulnerability_id INTEGER REFERENCES vulnerabilities (id),
	created          TEXT NOT NULL,
	updated          TEXT NOT NULL,
	version          INTEGER NOT NULL
) STRICT;

CREATE INDEX cases_tenant ON cases (tenant, id);
CREATE INDEX cases_state ON cases (state, id);
