-- Vigil schema, version 11: the tenants of each alert, inherited from its
-- events' inventory enrichment (docs/field-mapping.md), so that views can be
-- scoped to a tenant.

CREATE TABLE alert_tenants (
	alert_id BIGINT NOT NULL REFERENCES alerts (id),
	tenant   TEXT NOT NULL,
	PRIMARY KEY (alert_id, tenant)
);

CREATE INDEX alert_tenants_tenant ON alert_tenants (tenant, alert_id);
