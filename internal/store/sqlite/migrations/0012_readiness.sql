-- Vigil schema, version 30: the preparation program (internal/readiness;
-- docs/readiness.md). Each row keeps its object as a JSON document beside
-- the columns that are looked up. Completions, findings, exercises and
-- exercise marks are never deleted: triggers refuse DELETE.

CREATE TABLE readiness_policy (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL CHECK (version >= 1),
	doc     TEXT NOT NULL
) STRICT;

CREATE TABLE training_people (
	name    TEXT PRIMARY KEY,
	version INTEGER NOT NULL CHECK (version >= 1),
	doc     TEXT NOT NULL
) STRICT;

CREATE TABLE training_completions (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	person TEXT NOT NULL REFERENCES training_people (name),
	course TEXT NOT NULL,
	doc    TEXT NOT NULL
) STRICT;

CREATE INDEX training_completions_person ON training_completions (person, id);

CREATE TABLE exercises (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	version INTEGER NOT NULL CHECK (version >= 1),
	doc     TEXT NOT NULL
) STRICT;

-- ref is NULL when the finding has none; a ref is unique per source, so
-- that importing a report twice adds nothing.
CREATE TABLE findings (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	source      TEXT NOT NULL,
	ref         TEXT,
	state       TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	severity    TEXT NOT NULL,
	exercise_id INTEGER REFERENCES exercises (id),
	version     INTEGER NOT NULL CHECK (version >= 1),
	doc         TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX findings_source_ref ON findings (source, ref);
CREATE INDEX findings_state ON findings (state, id);
CREATE INDEX findings_owner ON findings (owner, id);
CREATE INDEX findings_exercise ON findings (exercise_id, id);

-- The alerts and incidents that events of an exercise raised: nothing
-- notifies for them (docs/readiness.md).
CREATE TABLE exercise_marks (
	kind        TEXT NOT NULL CHECK (kind IN ('alert', 'incident')),
	object_id   INTEGER NOT NULL,
	exercise_id INTEGER NOT NULL REFERENCES exercises (id),
	PRIMARY KEY (kind, object_id)
) STRICT;

CREATE INDEX exercise_marks_exercise ON exercise_marks (exercise_id, kind, object_id);

CREATE TRIGGER training_completions_no_delete BEFORE DELETE ON training_completions
BEGIN SELECT RAISE(ABORT, 'training completions are never deleted'); END;
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings
BEGIN SELECT RAISE(ABORT, 'findings are never deleted'); END;
CREATE TRIGGER exercises_no_delete BEFORE DELETE ON exercises
BEGIN SELECT RAISE(ABORT, 'exercises are never deleted'); END;
CREATE TRIGGER exercise_marks_no_delete BEFORE DELETE ON exercise_marks
BEGIN SELECT RAISE(ABORT, 'exercise marks are never deleted'); END;
