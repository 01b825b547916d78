-- Vigil schema, version 6: triage of alerts (grouping, states), suppressions,
-- support cases and vulnerability reports.

ALTER TABLE alerts ADD COLUMN group_key text NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN group_fields jsonb NOT NULL DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN match_count bigint NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN first_seen timestamptz;
ALTER TABLE alerts ADD COLUMN last_seen timestamptz;
ALTER TABLE alerts ADD COLUMN state text NOT NULL DEFAULT 'new';
ALTER TABLE alerts ADD COLUMN assignee text NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN state_reason text NOT NULL DEFAULT '';

UPDATE alerts SET first_seen = created, last_seen = created;

CREATE INDEX alerts_group ON alerts (rule_id, group_key, id);
CREATE INDEX alerts_state ON alerts (state, id);

CREATE TABLE suppressions (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	rule_id    text NOT NULL,
	fields     jsonb NOT NULL DEFAULT '{}',
	reason     text NOT NULL,
	alert_id   bigint REFERENCES alerts (id) ON DELETE SET NULL,
	created_by text NOT NULL DEFAULT '',
	created    timestamptz NOT NULL,
	expires    timestamptz,
	hits       bigint NOT NULL DEFAULT 0,
	last_hit   timestamptz
);

CREATE INDEX suppressions_rule_id ON suppressions (rule_id, id);

CREATE TABLE vulnerabilities (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title       text NOT NULL,
	kind        text NOT NULL,
	description text NOT NULL DEFAULT '',
	severity    text NOT NULL,
	deadline    timestamptz NOT NULL,
	state       text NOT NULL,
	owner       text NOT NULL DEFAULT '',
	tenant      text NOT NULL DEFAULT '',
	case_id     bigint,
	alert_id    bigint REFERENCES alerts (id),
	created     timestamptz NOT NULL,
	updated     timestamptz NOT NULL,
	version     bigint NOT NULL
);

CREATE INDEX vulnerabilities_state ON vulnerabilities (state, id);

CREATE TABLE cases (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant           text NOT NULL,
	title            text NOT NULL,
	seen             text NOT NULL,
	service          text NOT NULL,
	seen_at          timestamptz,
	level            text NOT NULL,
	state            text NOT NULL,
	assignee         text NOT NULL DEFAULT '',
	reporter         text NOT NULL DEFAULT '',
	incident_id      bigint REFERENCES incidents (id),
	vulnerability_id bigint REFERENCES vulnerabilities (id),
	created          timestamptz NOT NULL,
	updated          timestamptz NOT NULL,
	version          bigint NOT NULL
);

CREATE INDEX cases_tenant ON cases (tenant, id);
CREATE INDEX cases_state ON cases (state, id);
