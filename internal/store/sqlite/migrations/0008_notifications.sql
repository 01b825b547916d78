-- Vigil schema, version 8: notifications to people (internal/notify). The
-- outbox keeps every notification before it is sent and the log of every
-- delivery attempt; webhooks are the signed endpoints that receive them.

CREATE TABLE notifications (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	idem_key     TEXT NOT NULL UNIQUE,
	channel      TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
	recipient    TEXT NOT NULL,
	subject      TEXT NOT NULL,
	body         TEXT NOT NULL,
	incident_id  INTEGER REFERENCES incidents (id),
	trigger_name TEXT NOT NULL,
	reason       TEXT NOT NULL,
	created      TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dead')),
	attempts     INTEGER NOT NULL CHECK (attempts >= 0),
	next_attempt TEXT,
	last_error   TEXT NOT NULL,
	updated      TEXT NOT NULL
) STRICT;

CREATE INDEX notifications_due ON notifications (state, next_attempt);
CREATE INDEX notifications_incident ON notifications (incident_id, id);

CREATE TABLE notification_deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	notification_id INTEGER NOT NULL REFERENCES notifications (id),
	at              TEXT NOT NULL,
	ok              INTEGER NOT NULL CHECK (ok IN (0, 1)),
	error           TEXT NOT NULL,
	duration_ms     INTEGER NOT NULL
) STRICT;

CREATE INDEX notification_deliveries_notification
	ON notification_deliveries (notification_id, id);

-- secret is kept as given: Vigil needs it to sign. triggers is a JSON array.
CREATE TABLE webhooks (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL UNIQUE,
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	triggers   TEXT NOT NULL,
	created    TEXT NOT NULL,
	created_by TEXT NOT NULL
) STRICT;
