-- Vigil schema, version 5: evidence (internal/evidence). The content is in
-- the blob store, named by sha256; these tables hold the metadata and the
-- chain of custody. Both are append-only: triggers refuse UPDATE and DELETE.

CREATE TABLE evidence (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id   INTEGER NOT NULL REFERENCES incidents (id),
	sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
	size          INTEGER NOT NULL CHECK (size >= 0),
	media_type    TEXT NOT NULL,
	file_name     TEXT NOT NULL,
	description   TEXT NOT NULL,
	acquired_by   TEXT NOT NULL,
	acquired_at   TEXT NOT NULL,
	acquired_from TEXT NOT NULL
) STRICT;

CREATE INDEX evidence_incident_id ON evidence (incident_id, id);
CREATE INDEX evidence_sha256 ON evidence (sha256);

CREATE TABLE evidence_custody (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	evidence_id INTEGER NOT NULL REFERENCES evidence (id),
	action      TEXT NOT NULL
		CHECK (action IN ('acquired', 'accessed', 'exported', 'transferred', 'verified')),
	by_actor    TEXT NOT NULL,
	at          TEXT NOT NULL,
	reason      TEXT NOT NULL,
	details     TEXT NOT NULL
) STRICT;

CREATE INDEX evidence_custody_evidence_id ON evidence_custody (evidence_id, id);

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_custody_no_update BEFORE UPDATE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'evidence custody is append-only'); END;
CREATE TRIGGER evidence_custody_no_delete BEFORE DELETE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'evidence custody is append-only'); END;
