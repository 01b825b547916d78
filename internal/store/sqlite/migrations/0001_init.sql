-- Vigil schema, version 1. Times are UTC text, "2006-01-02T15:04:05.000000Z",
-- so that they sort as they compare; NULL stands for the zero time.

CREATE TABLE events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	time        TEXT,
	received    TEXT NOT NULL,
	source_file TEXT NOT NULL DEFAULT '',
	source_line INTEGER NOT NULL DEFAULT 0,
	fields      TEXT NOT NULL
) STRICT;

CREATE INDEX events_time ON events (time);

CREATE TABLE incidents (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	number   TEXT NOT NULL UNIQUE,
	title    TEXT NOT NULL,
	severity TEXT NOT NULL,
	status   TEXT NOT NULL,
	phase    TEXT NOT NULL,
	opened   TEXT NOT NULL,
	updated  TEXT NOT NULL
) STRICT;

CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_severity ON incidents (severity, id);
CREATE INDEX incidents_opened ON incidents (opened);

-- The last incident number given out in each year.
CREATE TABLE incident_numbers (
	year INTEGER PRIMARY KEY,
	last INTEGER NOT NULL
) STRICT;

CREATE TABLE alerts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id     TEXT NOT NULL,
	rule_title  TEXT NOT NULL,
	level       TEXT NOT NULL,
	tags        TEXT NOT NULL DEFAULT '[]',
	event_time  TEXT,
	created     TEXT NOT NULL,
	incident_id INTEGER REFERENCES incidents (id)
) STRICT;

CREATE INDEX alerts_rule_id ON alerts (rule_id, id);
CREATE INDEX alerts_level ON alerts (level, id);
CREATE INDEX alerts_incident_id ON alerts (incident_id, id);
CREATE INDEX alerts_created ON alerts (created);

-- pos keeps the order of the alert's events.
CREATE TABLE alert_events (
	alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	pos      INTEGER NOT NULL,
	event_id INTEGER NOT NULL REFERENCES events (id),
	PRIMARY KEY (alert_id, pos)
) STRICT;

CREATE INDEX alert_events_event_id ON alert_events (event_id);

CREATE TABLE incident_alerts (
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	PRIMARY KEY (incident_id, alert_id)
) STRICT;

CREATE INDEX incident_alerts_alert_id ON incident_alerts (alert_id);

CREATE TABLE tokens (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	name    TEXT NOT NULL UNIQUE,
	hash    BLOB NOT NULL UNIQUE,
	role    TEXT NOT NULL,
	created TEXT NOT NULL,
	expires TEXT,
	revoked INTEGER NOT NULL DEFAULT 0
) STRICT;
