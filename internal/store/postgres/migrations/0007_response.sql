-- Vigil schema, version 7: the response team and the plans (internal/team,
-- internal/plan; docs/team.md). Each row keeps its object as a JSON
-- document beside the columns that are looked up. Engagements and watch
-- rules are never deleted: triggers refuse DELETE.

CREATE TABLE teams (
	id      TEXT PRIMARY KEY,
	version BIGINT NOT NULL CHECK (version >= 1),
	doc     JSONB NOT NULL
);

CREATE TABLE incident_engagements (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	doc         JSONB NOT NULL
);

CREATE INDEX incident_engagements_incident ON incident_engagements (incident_id, id);

CREATE TABLE incident_tasks (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	version     BIGINT NOT NULL CHECK (version >= 1),
	doc         JSONB NOT NULL
);

CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

CREATE TABLE watch_rules (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	removed     BOOLEAN NOT NULL DEFAULT FALSE,
	doc         JSONB NOT NULL
);

CREATE INDEX watch_rules_incident ON watch_rules (incident_id, id);
CREATE INDEX watch_rules_removed ON watch_rules (removed, id);

CREATE FUNCTION response_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END $$;

CREATE TRIGGER incident_engagements_no_delete BEFORE DELETE ON incident_engagements
	FOR EACH ROW EXECUTE FUNCTION response_never_deleted();
CREATE TRIGGER watch_rules_no_delete BEFORE DELETE ON watch_rules
	FOR EACH ROW EXECUTE FUNCTION response_never_deleted();
