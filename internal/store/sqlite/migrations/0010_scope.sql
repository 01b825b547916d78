-- Vigil schema, version 10: the inventory, tenants and their contacts, and
-- incident scopes (internal/scope; docs/inventory.md). Inventory entries are
-- JSON documents keyed by kind and ID; one row holds the inventory's
-- revision, which every change moves on. Scope revisions are never changed
-- or deleted (triggers refuse it); incident_tenants holds the tenants the
-- latest revision affects, with the paths that made them affected.

CREATE TABLE inventory_entries (
	kind TEXT NOT NULL CHECK (kind IN ('region', 'datacenter', 'service', 'farm', 'server')),
	id   TEXT NOT NULL,
	doc  TEXT NOT NULL,
	PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE inventory_revision (
	one      INTEGER PRIMARY KEY CHECK (one = 1),
	revision INTEGER NOT NULL CHECK (revision >= 0),
	updated  TEXT
) STRICT;

INSERT INTO inventory_revision (one, revision) VALUES (1, 0);

CREATE TABLE tenants (
	id      TEXT PRIMARY KEY,
	version INTEGER NOT NULL CHECK (version >= 1),
	doc     TEXT NOT NULL
) STRICT;

CREATE TABLE tenant_contacts (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	version  INTEGER NOT NULL CHECK (version >= 1),
	verified TEXT,
	doc      TEXT NOT NULL
) STRICT;

CREATE INDEX tenant_contacts_tenant ON tenant_contacts (tenant, id);
CREATE INDEX tenant_contacts_verified ON tenant_contacts (verified);

CREATE TABLE incident_scopes (
	incident_id INTEGER NOT NULL REFERENCES incidents (id),
	revision    INTEGER NOT NULL CHECK (revision >= 1),
	doc         TEXT NOT NULL,
	PRIMARY KEY (incident_id, revision)
) STRICT;

CREATE TRIGGER incident_scopes_no_update BEFORE UPDATE ON incident_scopes
BEGIN SELECT RAISE(ABORT, 'scope revisions are never changed'); END;
CREATE TRIGGER incident_scopes_no_delete BEFORE DELETE ON incident_scopes
BEGIN SELECT RAISE(ABORT, 'scope revisions are never deleted'); END;

CREATE TABLE incident_tenants (
	incident_id    INTEGER NOT NULL REFERENCES incidents (id),
	tenant         TEXT NOT NULL,
	since_revision INTEGER NOT NULL,
	since          TEXT NOT NULL,
	doc            TEXT NOT NULL,
	PRIMARY KEY (incident_id, tenant)
) STRICT;

CREATE INDEX incident_tenants_tenant ON incident_tenants (tenant, incident_id);
