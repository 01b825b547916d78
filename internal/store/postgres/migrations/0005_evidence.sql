-- Vigil schema, version 5: evidence (internal/evidence). The content is in
-- the blob store, named by sha256; these tables hold the metadata and the
-- chain of custody. Both are append-only: a trigger refuses UPDATE, DELETE
-- and TRUNCATE.

CREATE TABLE evidence (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	incident_id   bigint NOT NULL REFERENCES incidents (id),
	sha256        text NOT NULL CHECK (length(sha256) = 64),
	size          bigint NOT NULL CHECK (size >= 0),
	media_type    text NOT NULL,
	file_name     text NOT NULL,
	description   text NOT NULL,
	acquired_by   text NOT NULL,
	acquired_at   timestamptz NOT NULL,
	acquired_from text NOT NULL
);

CREATE INDEX evidence_incident_id ON evidence (incident_id, id);
CREATE INDEX evidence_sha256 ON evidence (sha256);

-- details is text, byte for byte as written.
CREATE TABLE evidence_custody (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	evidence_id bigint NOT NULL REFERENCES evidence (id),
	action      text NOT NULL
		CHECK (action IN ('acquired', 'accessed', 'exported', 'transferred', 'verified')),
	by_actor    text NOT NULL,
	at          timestamptz NOT NULL,
	reason      text NOT NULL,
	details     text NOT NULL
);

CREATE INDEX evidence_custody_evidence_id ON evidence_custody (evidence_id, id);

CREATE FUNCTION evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
	FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER evidence_append_only_truncate BEFORE TRUNCATE ON evidence
	FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER evidence_custody_append_only BEFORE UPDATE OR DELETE ON evidence_custody
	FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER evidence_custody_append_only_truncate BEFORE TRUNCATE ON evidence_custody
	FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
