-- Vigil schema, version 20: the anomaly models (issue #6). An alert raised by
-- a model keeps its explanation (JSON: model, baseline, observed, score,
-- text; '' for rule alerts), and the models keep their state (templates,
-- rate histories, learned values) between restarts, one row per name.
-- (Versions 10 to 19 are set aside for another line of work.)

ALTER TABLE alerts ADD COLUMN explanation TEXT NOT NULL DEFAULT '';

CREATE TABLE anomaly_state (
	name  TEXT PRIMARY KEY,
	data  BLOB NOT NULL,
	saved TEXT NOT NULL
) STRICT;
