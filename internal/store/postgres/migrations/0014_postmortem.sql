-- Vigil schema, version 14: post-mortems and their follow-up items
-- (internal/postmortem; docs/postmortem.md). Each row keeps its object as a
-- JSON document beside the columns that are looked up. Neither is ever
-- deleted: triggers refuse DELETE. An incident has one post-mortem.

CREATE TABLE postmortems (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL UNIQUE REFERENCES incidents (id),
	version     BIGINT NOT NULL CHECK (version >= 1),
	signed_off  BOOLEAN NOT NULL DEFAULT FALSE,
	doc         JSONB NOT NULL
);

-- due is the day the item is due (midnight UTC), created when it was made.
CREATE TABLE follow_ups (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	kind        TEXT NOT NULL,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL,
	due         TIMESTAMPTZ NOT NULL,
	created     TIMESTAMPTZ NOT NULL,
	version     BIGINT NOT NULL CHECK (version >= 1),
	doc         JSONB NOT NULL
);

CREATE INDEX follow_ups_incident ON follow_ups (incident_id, id);
CREATE INDEX follow_ups_state ON follow_ups (state, id);
CREATE INDEX follow_ups_owner ON follow_ups (owner, id);

CREATE FUNCTION postmortem_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END $$;

CREATE TRIGGER postmortems_no_delete BEFORE DELETE ON postmortems
	FOR EACH ROW EXECUTE FUNCTION postmortem_never_deleted();
CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups
	FOR EACH ROW EXECUTE FUNCTION postmortem_never_deleted();
