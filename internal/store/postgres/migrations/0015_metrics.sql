-- Vigil schema, version 15: the response metrics (internal/metrics;
-- docs/metrics.md). incident_facts holds one row per incident with its
-- milestones, written in the transaction of every change of the incident
-- (store.FactOf), so that the metrics read one narrow table instead of
-- every record. services is a JSON array.

CREATE TABLE incident_facts (
	incident_id  BIGINT PRIMARY KEY REFERENCES incidents (id),
	severity     TEXT NOT NULL,
	category     TEXT NOT NULL,
	services     JSONB NOT NULL,
	first_event  TIMESTAMPTZ,
	detected     TIMESTAMPTZ,
	acknowledged TIMESTAMPTZ,
	confirmed    TIMESTAMPTZ,
	contained    TIMESTAMPTZ,
	eradicated   TIMESTAMPTZ,
	recovered    TIMESTAMPTZ,
	closed       TIMESTAMPTZ
);

CREATE INDEX incident_facts_detected ON incident_facts (detected);

-- The incidents stored before: detected was always the opening time, and
-- the first classification's time was not kept (confirmed stays NULL).
INSERT INTO incident_facts (incident_id, severity, category, services, first_event, detected,
	acknowledged, contained, eradicated, recovered, closed)
SELECT i.id, i.severity, i.category,
	coalesce(i.record -> 'record' -> 'resources' -> 'services', '[]'::jsonb),
	(SELECT min(a.event_time) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
		WHERE ia.incident_id = i.id),
	i.opened,
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.from_phase = 'detected'),
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'eradication'),
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'recovery'),
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'post-incident'),
	CASE WHEN i.phase = 'closed' THEN (SELECT max(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'closed') END
FROM incidents i;

-- The false-positive rates count alerts by rule and triage state over a
-- time window; notifications are read by creation time.
CREATE INDEX alerts_created_rule_state ON alerts (created, rule_id, state) INCLUDE (rule_title);
CREATE INDEX notifications_created ON notifications (created) WHERE incident_id IS NOT NULL;
