-- Vigil schema, version 30: the preparation program (internal/readiness;
-- docs/readiness.md). Each row keeps its object as a JSON document beside
-- the columns that are looked up. Completions, findings, exercises and
-- exercise marks are never deleted: triggers refuse DELETE.

CREATE TABLE readiness_policy (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version BIGINT NOT NULL CHECK (version >= 1),
	doc     JSONB NOT NULL
);

CREATE TABLE training_people (
	name    TEXT PRIMARY KEY,
	version BIGINT NOT NULL CHECK (version >= 1),
	doc     JSONB NOT NULL
);

CREATE TABLE training_completions (
	id     BIGSERIAL PRIMARY KEY,
	person TEXT NOT NULL REFERENCES training_people (name),
	course TEXT NOT NULL,
	doc    JSONB NOT NULL
);

CREATE INDEX training_completions_person ON training_completions (person, id);

CREATE TABLE exercises (
	id      BIGSERIAL PRIMARY KEY,
	version BIGINT NOT NULL CHECK (version >= 1),
	doc     JSONB NOT NULL
);

-- ref is NULL when the finding has none; a ref is unique per source, so
-- that importing a report twice adds nothing.
CREATE TABLE findings (
	id          BIGSERIAL PRIMARY KEY,
	source      TEXT NOT NULL,
	ref         TEXT,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	severity    TEXT NOT NULL,
	exercise_id BIGINT REFERENCES exercises (id),
	version     BIGINT NOT NULL CHECK (version >= 1),
	doc         JSONB NOT NULL
);

CREATE UNIQUE INDEX findings_source_ref ON findings (source, ref);
CREATE INDEX findings_state ON findings (state, id);
CREATE INDEX findings_owner ON findings (owner, id);
CREATE INDEX findings_exercise ON findings (exercise_id, id);

-- The alerts and incidents that events of an exercise raised: nothing
-- notifies for them (docs/readiness.md).
CREATE TABLE exercise_marks (
	kind        TEXT NOT NULL CHECK (kind IN ('alert', 'incident')),
	object_id   BIGINT NOT NULL,
	exercise_id BIGINT NOT NULL REFERENCES exercises (id),
	PRIMARY KEY (kind, object_id)
);

CREATE INDEX exercise_marks_exercise ON exercise_marks (exercise_id, kind, object_id);

CREATE FUNCTION readiness_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END $$;

CREATE TRIGGER training_completions_no_delete BEFORE DELETE ON training_completions
	FOR EACH ROW EXECUTE FUNCTION readiness_never_deleted();
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
	FOR EACH ROW EXECUTE FUNCTION readiness_never_deleted();
CREATE TRIGGER exercises_no_delete BEFORE DELETE ON exercises
	FOR EACH ROW EXECUTE FUNCTION readiness_never_deleted();
CREATE TRIGGER exercise_marks_no_delete BEFORE DELETE ON exercise_marks
	FOR EACH ROW EXECUTE FUNCTION readiness_never_deleted();
