-- Vigil schema, version 16: incident facts and obligation records
-- (internal/obligation; docs/regulations.md). Facts are an append-only
-- history: the latest row per (incident, tenant, name) is current; tenant
-- '' is the incident's own fact. An obligation record keeps the computed
-- obligation and its handling (regulation.Record) as JSON beside the
-- columns that are looked up; one per (incident, key). Neither is ever
-- deleted; facts are never changed.

CREATE TABLE obligation_facts (
	id          BIGSERIAL PRIMARY KEY,
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	tenant      TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	truth       TEXT NOT NULL,
	recorded_at TIMESTAMPTZ NOT NULL,
	by_actor    TEXT NOT NULL,
	doc         JSONB NOT NULL
);

CREATE INDEX obligation_facts_incident ON obligation_facts (incident_id, id);

-- deadline and overdue_since are NULL when unset; withdrawn is true for an
-- obligation the latest computation no longer makes.
CREATE TABLE obligations (
	incident_id      BIGINT NOT NULL REFERENCES incidents (id),
	obligation_key   TEXT NOT NULL,
	tenant           TEXT NOT NULL DEFAULT '',
	state            TEXT NOT NULL,
	deadline         TIMESTAMPTZ,
	overdue_since    TIMESTAMPTZ,
	withdrawn        BOOLEAN NOT NULL DEFAULT FALSE,
	exercise         BOOLEAN NOT NULL DEFAULT FALSE,
	version          BIGINT NOT NULL CHECK (version >= 1),
	created          TIMESTAMPTZ NOT NULL,
	updated          TIMESTAMPTZ NOT NULL,
	withdrawn_reason TEXT NOT NULL DEFAULT '',
	obligation       JSONB NOT NULL,
	record           JSONB NOT NULL,
	PRIMARY KEY (incident_id, obligation_key)
);

CREATE INDEX obligations_open ON obligations (withdrawn, state, deadline);
CREATE INDEX obligations_tenant ON obligations (tenant, incident_id);

CREATE FUNCTION obligation_facts_never_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'incident facts are never changed or deleted';
END $$;

CREATE FUNCTION obligations_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'obligation records are never deleted';
END $$;

CREATE TRIGGER obligation_facts_no_change BEFORE UPDATE OR DELETE ON obligation_facts
	FOR EACH ROW EXECUTE FUNCTION obligation_facts_never_changed();
CREATE TRIGGER obligations_no_delete BEFORE DELETE ON obligations
	FOR EACH ROW EXECUTE FUNCTION obligations_never_deleted();
