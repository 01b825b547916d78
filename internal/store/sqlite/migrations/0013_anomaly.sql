-- Vigil schema, version 13: the anomaly models (issue #6). An alert raised by
-- a model keeps its explanation (JSON: model, baseline, observed, score,
-- text; '' for rule alerts), and the models keep their state (templates,
-- rate histories, learned values) between restarts, one row per name.

ALTER TABLE alerts ADD COLUMN explanation TEXT NOT NULL DEFAULT '';

CREATE TABLE anomaly_state (
	name  TEXT PRIMARY KEY,
	data  BLOB NOT NULL,
	saved TEXT NOT NULL
) STRICT;
