-- Vigil schema, version 10: the inventory, tenants and their contacts, and
-- incident scopes (internal/scope; docs/inventory.md). Inventory entries are
-- JSON documents keyed by kind and ID; one row holds the inventory's
-- revision, which every change moves on. Scope revisions are never changed
-- or deleted (triggers refuse it); incident_tenants holds the tenants the
-- latest revision affects, with the paths that made them affected.

CREATE TABLE inventory_entries (
	kind TEXT NOT NULL CHECK (kind IN ('region', 'datacenter', 'service', 'farm', 'server')),
	id   TEXT NOT NULL,
	doc  JSONB NOT NULL,
	PRIMARY KEY (kind, id)
);

CREATE TABLE inventory_revision (
	one      INTEGER PRIMARY KEY CHECK (one = 1),
	revision BIGINT NOT NULL CHECK (revision >= 0),
	updated  TIMESTAMPTZ
);

INSERT INTO inventory_revision (one, revision) VALUES (1, 0);

CREATE TABLE tenants (
	id      TEXT PRIMARY KEY,
	version BIGINT NOT NULL CHECK (version >= 1),
	doc     JSONB NOT NULL
);

CREATE TABLE tenant_contacts (
	id       BIGSERIAL PRIMARY KEY,
	tenant   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	version  BIGINT NOT NULL CHECK (version >= 1),
	verified TIMESTAMPTZ,
	doc      JSONB NOT NULL
);

CREATE INDEX tenant_contacts_tenant ON tenant_contacts (tenant, id);
CREATE INDEX tenant_contacts_verified ON tenant_contacts (verified);

CREATE TABLE incident_scopes (
	incident_id BIGINT NOT NULL REFERENCES incidents (id),
	revision    BIGINT NOT NULL CHECK (revision >= 1),
	doc         JSONB NOT NULL,
	PRIMARY KEY (incident_id, revision)
);

CREATE FUNCTION incident_scopes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'scope revisions are never changed or deleted';
END $$;

CREATE TRIGGER incident_scopes_no_change BEFORE UPDATE OR DELETE ON incident_scopes
	FOR EACH ROW EXECUTE FUNCTION incident_scopes_immutable();

CREATE TABLE incident_tenants (
	incident_id    BIGINT NOT NULL REFERENCES incidents (id),
	tenant         TEXT NOT NULL,
	since_revision BIGINT NOT NULL,
	since          TIMESTAMPTZ NOT NULL,
	doc            JSONB NOT NULL,
	PRIMARY KEY (incident_id, tenant)
);

CREATE INDEX incident_tenants_tenant ON incident_tenants (tenant, incident_id);
