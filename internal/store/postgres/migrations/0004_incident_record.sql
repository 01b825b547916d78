-- Vigil schema, version 4: the full incident record (issue #3).
-- Queried fields are columns; the rest of the record is one JSON document.
-- version counts changes (optimistic concurrency). Incidents from before
-- read back with a default record ('{}').

ALTER TABLE incidents ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE incidents ADD COLUMN category text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority smallint;       -- 1 … 4, NULL: not derived
ALTER TABLE incidents ADD COLUMN severity_level smallint; -- 0 … 4, NULL: not decided
ALTER TABLE incidents ADD COLUMN record jsonb NOT NULL DEFAULT '{}';

CREATE INDEX incidents_phase ON incidents (phase, id);
CREATE INDEX incidents_priority ON incidents (priority, id);
CREATE INDEX incidents_category ON incidents (category, id);

-- The append-only parts of the record: rows are inserted, never changed.
CREATE TABLE incident_actions (
	incident_id bigint NOT NULL REFERENCES incidents (id),
	seq         integer NOT NULL,
	by          text NOT NULL,
	at          timestamptz NOT NULL,
	what        text NOT NULL,
	result      text NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, seq)
);

CREATE TABLE incident_comments (
	incident_id bigint NOT NULL REFERENCES incidents (id),
	seq         integer NOT NULL,
	by          text NOT NULL,
	at          timestamptz NOT NULL,
	text        text NOT NULL,
	PRIMARY KEY (incident_id, seq)
);

-- at is the instant; location is the time zone name of the person who
-- moved it.
CREATE TABLE incident_phase_changes (
	incident_id bigint NOT NULL REFERENCES incidents (id),
	seq         integer NOT NULL,
	from_phase  text NOT NULL,
	to_phase    text NOT NULL,
	at          timestamptz NOT NULL,
	location    text NOT NULL,
	by          text NOT NULL,
	reason      text NOT NULL DEFAULT '',
	PRIMARY KEY (incident_id, seq)
);

CREATE FUNCTION incident_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER incident_actions_append_only BEFORE UPDATE OR DELETE ON incident_actions
	FOR EACH ROW EXECUTE FUNCTION incident_append_only();
CREATE TRIGGER incident_comments_append_only BEFORE UPDATE OR DELETE ON incident_comments
	FOR EACH ROW EXECUTE FUNCTION incident_append_only();
CREATE TRIGGER incident_phase_changes_append_only BEFORE UPDATE OR DELETE
	ON incident_phase_changes FOR EACH ROW EXECUTE FUNCTION incident_append_only();

-- A lookup of each incident's indicators (normalized kind and value), for
-- related-incident suggestions; rewritten from the record on every update.
CREATE TABLE incident_indicators (
	incident_id bigint NOT NULL REFERENCES incidents (id),
	kind        text NOT NULL,
	value       text NOT NULL,
	PRIMARY KEY (incident_id, kind, value)
);

CREATE INDEX incident_indicators_value ON incident_indicators (kind, value);
