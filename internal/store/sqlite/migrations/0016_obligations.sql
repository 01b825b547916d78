-- Vigil schema, version 16: incident facts and obligation records
-- (internal/obligation; docs/regulations.md). Facts are an append-only
-- history: the latest row per (incident, tenant, name) is current; tenant
-- '' is the incident's own fact. An obligation record keeps the computed
-- obligation and its handling (regulation.Record) as JSON beside the
-- columns that are looked up; one per (incident, key). Neither is ever
-- deleted; facts are never changed.

CREATE TABLE obligation_facts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	tenant      TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	truth       TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	by_actor    TEXT NOT NULL,
	doc         TEXT NOT NULL
) STRICT;

CREATE INDEX obligation_facts_incident ON obligation_facts (incident_id, id);

-- deadline and overdue_since are NULL when unset; withdrawn is 1 for an
-- obligation the latest computation no longer makes.
CREATE TABLE obligations (
	incident_id      INTEGER NOT NULL REFERENCES incidents (id),
	obligation_key   TEXT NOT NULL,
	tenant           TEXT NOT NULL DEFAULT '',
	state            TEXT NOT NULL,
	deadline         TEXT,
	overdue_since    TEXT,
	withdrawn        INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
	exercise         INTEGER NOT NULL DEFAULT 0 CHECK (exercise IN (0, 1)),
	version          INTEGER NOT NULL CHECK (version >= 1),
	created          TEXT NOT NULL,
	updated          TEXT NOT NULL,
	withdrawn_reason TEXT NOT NULL DEFAULT '',
	obligation       TEXT NOT NULL,
	record           TEXT NOT NULL,
	PRIMARY KEY (incident_id, obligation_key)
) STRICT;

CREATE INDEX obligations_open ON obligations (withdrawn, state, deadline);
CREATE INDEX obligations_tenant ON obligations (tenant, incident_id);

CREATE TRIGGER obligation_facts_no_update BEFORE UPDATE ON obligation_facts
BEGIN SELECT RAISE(ABORT, 'incident facts are never changed'); END;
CREATE TRIGGER obligation_facts_no_delete BEFORE DELETE ON obligation_facts
BEGIN SELECT RAISE(ABORT, 'incident facts are never deleted'); END;
CREATE TRIGGER obligations_no_delete BEFORE DELETE ON obligations
BEGIN SELECT RAISE(ABORT, 'obligation records are never deleted'); END;
