-- Vigil schema, version 8: notifications to people (internal/notify). The
-- outbox keeps every notification before it is sent and the log of every
-- delivery attempt; webhooks are the signed endpoints that receive them.

CREATE TABLE notifications (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idem_key     text NOT NULL UNIQUE,
	channel      text NOT NULL CHECK (channel IN ('email', 'webhook')),
	recipient    text NOT NULL,
	subject      text NOT NULL,
	body         text NOT NULL,
	incident_id  bigint REFERENCES incidents (id),
	trigger_name text NOT NULL,
	reason       text NOT NULL,
	created      timestamptz NOT NULL,
	state        text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dead')),
	attempts     integer NOT NULL CHECK (attempts >= 0),
	next_attempt timestamptz,
	last_error   text NOT NULL,
	updated      timestamptz NOT NULL
);

CREATE INDEX notifications_due ON notifications (state, next_attempt);
CREATE INDEX notifications_incident ON notifications (incident_id, id);

CREATE TABLE notification_deliveries (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	notification_id bigint NOT NULL REFERENCES notifications (id),
	at              timestamptz NOT NULL,
	ok              boolean NOT NULL,
	error           text NOT NULL,
	duration_ms     bigint NOT NULL
);

CREATE INDEX notification_deliveries_notification
	ON notification_deliveries (notification_id, id);

-- secret is kept as given: Vigil needs it to sign. triggers is a JSON array.
CREATE TABLE webhooks (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text NOT NULL UNIQUE,
	url        text NOT NULL,
	secret     text NOT NULL,
	triggers   text NOT NULL,
	created    timestamptz NOT NULL,
	created_by text NOT NULL
);
