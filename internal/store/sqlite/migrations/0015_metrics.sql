-- Vigil schema, version 15: the response metrics (internal/metrics;
-- docs/metrics.md). incident_facts holds one row per incident with its
-- milestones, written in the transaction of every change of the incident
-- (store.FactOf), so that the metrics read one narrow table instead of
-- every record. services is a JSON array; times are Unix microseconds
-- (NULL: not reached), which read faster than text.

CREATE TABLE incident_facts (
	incident_id  INTEGER PRIMARY KEY REFERENCES incidents (id),
	severity     TEXT NOT NULL,
	category     TEXT NOT NULL,
	services     TEXT NOT NULL,
	first_event  INTEGER,
	detected     INTEGER,
	acknowledged INTEGER,
	confirmed    INTEGER,
	contained    INTEGER,
	eradicated   INTEGER,
	recovered    INTEGER,
	closed       INTEGER
) STRICT;

CREATE INDEX incident_facts_detected ON incident_facts (detected);

-- The incidents stored before: detected was always the opening time, and
-- the first classification's time was not kept (confirmed stays NULL).
-- Stored times are text "2006-01-02T15:04:05.000000Z": whole seconds from
-- strftime, microseconds from the digits after the point.
INSERT INTO incident_facts (incident_id, severity, category, services, first_event, detected,
	acknowledged, contained, eradicated, recovered, closed)
SELECT id, severity, category, services,
	CAST(strftime('%s', substr(first_event, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(first_event, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(detected, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(detected, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(acknowledged, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(acknowledged, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(contained, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(contained, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(eradicated, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(eradicated, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(recovered, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(recovered, 21, 6) AS INTEGER),
	CAST(strftime('%s', substr(closed, 1, 19)) AS INTEGER) * 1000000 +
		CAST(substr(closed, 21, 6) AS INTEGER)
FROM (SELECT i.id, i.severity, i.category,
	coalesce(json_extract(i.record, '$.record.resources.services'), '[]') AS services,
	(SELECT min(a.event_time) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
		WHERE ia.incident_id = i.id) AS first_event,
	i.opened AS detected,
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.from_phase = 'detected') AS acknowledged,
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'eradication') AS contained,
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'recovery') AS eradicated,
	(SELECT min(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'post-incident') AS recovered,
	CASE WHEN i.phase = 'closed' THEN (SELECT max(p.at) FROM incident_phase_changes p
		WHERE p.incident_id = i.id AND p.to_phase = 'closed') END AS closed
	FROM incidents i);

-- The false-positive rates count each rule's alerts by triage state over a
-- time window; notifications are read by creation time.
CREATE INDEX alerts_rule_created_state ON alerts (rule_id, created, state);
CREATE INDEX notifications_created ON notifications (created) WHERE incident_id IS NOT NULL;
