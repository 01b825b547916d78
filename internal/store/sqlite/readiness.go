package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// GetReadinessPolicy returns the stored policy, or nil when none is.
func (s *Store) GetReadinessPolicy(ctx context.Context) (*readiness.Policy, error) {
	var doc string
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM readiness_policy WHERE id = 1`).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("get readiness policy: %w", err)
	}
	var p readiness.Policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("get readiness policy: %w", err)
	}
	return &p, nil
}

// PutReadinessPolicy stores p when the stored version is p.Version.
func (s *Store) PutReadinessPolicy(ctx context.Context, p *readiness.Policy) error {
	c := *p
	c.Version, c.Updated = p.Version+1, s.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("put readiness policy: %w", err)
	}
	err = s.putVersioned(ctx, `SELECT version FROM readiness_policy WHERE id = 1`, nil,
		p.Version, `INSERT INTO readiness_policy (id, version, doc) VALUES (1, ?, ?)`,
		[]any{c.Version, string(doc)},
		`UPDATE readiness_policy SET version = ?, doc = ? WHERE id = 1`,
		[]any{c.Version, string(doc)})
	if err != nil {
		return fmt.Errorf("put readiness policy: %w", err)
	}
	*p = c
	return nil
}

// putVersioned inserts (when want is 0 and no row exists) or updates (when
// the stored version is want) in one transaction; a row at another
// version, or a missing one when want > 0, gives a *store.ConflictError or
// store.ErrNotFound.
func (s *Store) putVersioned(ctx context.Context, check string, checkArgs []any, want int64,
	insert string, insertArgs []any, update string, updateArgs []any) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var current int64
	err = tx.QueryRowContext(ctx, check, checkArgs...).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows) && want == 0:
		_, err = tx.ExecContext(ctx, insert, insertArgs...)
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case current != want:
		return &store.ConflictError{Version: want, Current: current}
	default:
		_, err = tx.ExecContext(ctx, update, updateArgs...)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// PutPerson creates (version 0) or replaces a person's training record.
func (s *Store) PutPerson(ctx context.Context, p *readiness.Person) error {
	c := *p
	c.Version, c.Updated = p.Version+1, s.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("put person %s: %w", p.Name, err)
	}
	if p.Version == 0 {
		_, err = s.w.ExecContext(ctx, `INSERT INTO training_people (name, version, doc)
			VALUES (?, 1, ?)`, c.Name, string(doc))
		if isTaken(err) {
			return fmt.Errorf("put person %s: %w", p.Name, store.ErrDuplicate)
		}
	} else {
		err = s.versioned(ctx, `SELECT version FROM training_people WHERE name = ?`,
			`UPDATE training_people SET version = ?, doc = ? WHERE name = ?`, p.Version,
			[]any{p.Name}, []any{c.Version, string(doc), p.Name})
	}
	if err != nil {
		return fmt.Errorf("put person %s: %w", p.Name, err)
	}
	*p = c
	return nil
}

// GetPerson returns one training record.
func (s *Store) GetPerson(ctx context.Context, name string) (*readiness.Person, error) {
	var doc string
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM training_people WHERE name = ?`, name).
		Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get person %s: %w", name, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("get person %s: %w", name, err)
	}
	var p readiness.Person
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("get person %s: %w", name, err)
	}
	return &p, nil
}

// ListPeople returns every training record by name.
func (s *Store) ListPeople(ctx context.Context) ([]readiness.Person, error) {
	out, err := queryDocs[readiness.Person](ctx, s.r,
		`SELECT 0, doc FROM training_people ORDER BY name`, nil)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return out, nil
}

// AddCompletion stores a completion, setting its ID.
func (s *Store) AddCompletion(ctx context.Context, c *readiness.Completion) error {
	x := *c
	x.ID = 0
	doc, err := json.Marshal(x)
	if err != nil {
		return fmt.Errorf("add completion: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO training_completions (person, course, doc)
		VALUES (?, ?, ?)`, c.Person, c.Course, string(doc))
	if err != nil {
		return fmt.Errorf("add completion: %w", foreignKey(err, "person"))
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add completion: %w", err)
	}
	return nil
}

// ListCompletions returns the completions of person (all when empty) by ID.
func (s *Store) ListCompletions(ctx context.Context, person string) ([]readiness.Completion,
	error) {
	q, args := `SELECT id, doc FROM training_completions ORDER BY id`, []any(nil)
	if person != "" {
		q, args = `SELECT id, doc FROM training_completions WHERE person = ? ORDER BY id`,
			[]any{person}
	}
	out, err := queryDocs(ctx, s.r, q, func(c *readiness.Completion, id int64) { c.ID = id },
		args...)
	if err != nil {
		return nil, fmt.Errorf("list completions: %w", err)
	}
	return out, nil
}

// CreateFindings stores fs in one transaction.
func (s *Store) CreateFindings(ctx context.Context, fs []readiness.Finding) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create findings: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(fs))
	for i := range fs {
		f := fs[i]
		f.ID, f.Version, f.Overdue = 0, 1, false
		doc, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("create findings: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO findings (source, ref, state, owner,
			severity, exercise_id, version, doc) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
			f.Source, emptyNull(f.Ref), f.State, f.Owner, f.Severity, zeroNull(f.ExerciseID),
			string(doc))
		if isUnique(err) {
			return fmt.Errorf("create findings: %s %s: %w", f.Source, f.Ref, store.ErrDuplicate)
		} else if err != nil {
			return fmt.Errorf("create findings: %w", foreignKey(err, "exercise"))
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return fmt.Errorf("create findings: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create findings: %w", err)
	}
	for i := range fs {
		fs[i].ID, fs[i].Version = ids[i], 1
	}
	return nil
}

// isTaken reports a violated unique or primary key.
func isTaken(err error) bool {
	var se *sqlite.Error
	return isUnique(err) ||
		errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// emptyNull stores "" as NULL.
func emptyNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func setFindingID(f *readiness.Finding, id int64) { f.ID = id }

// GetFinding returns one finding.
func (s *Store) GetFinding(ctx context.Context, id int64) (*readiness.Finding, error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM findings WHERE id = ?`, setFindingID,
		id)
	if err != nil {
		return nil, fmt.Errorf("get finding %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get finding %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// ListFindings returns the findings f selects, by ID.
func (s *Store) ListFindings(ctx context.Context, f readiness.FindingFilter) (
	[]readiness.Finding, error) {
	var w where
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Owner != "" {
		w.add("owner = ?", f.Owner)
	}
	if f.Severity != "" {
		w.add("severity = ?", f.Severity)
	}
	if f.Source != "" {
		w.add("source = ?", f.Source)
	}
	if f.ExerciseID != 0 {
		w.add("exercise_id = ?", f.ExerciseID)
	}
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM findings`+w.String()+` ORDER BY id`,
		setFindingID, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return out, nil
}

// UpdateFinding saves f at f.Version; its source, ref and exercise stay.
func (s *Store) UpdateFinding(ctx context.Context, f *readiness.Finding) error {
	c := *f
	c.Version, c.Overdue = f.Version+1, false
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update finding %d: %w", f.ID, err)
	}
	err = s.versioned(ctx, `SELECT version FROM findings WHERE id = ?`,
		`UPDATE findings SET state = ?, owner = ?, severity = ?, version = ?, doc = ?
			WHERE id = ?`, f.Version, []any{f.ID},
		[]any{c.State, c.Owner, c.Severity, c.Version, string(doc), f.ID})
	if err != nil {
		return fmt.Errorf("update finding %d: %w", f.ID, err)
	}
	f.Version = c.Version
	return nil
}

func setExerciseID(e *readiness.Exercise, id int64) { e.ID = id }

// CreateExercise stores e at version 1.
func (s *Store) CreateExercise(ctx context.Context, e *readiness.Exercise) error {
	c := *e
	c.ID, c.Version = 0, 1
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create exercise: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO exercises (version, doc) VALUES (1, ?)`,
		string(doc))
	if err != nil {
		return fmt.Errorf("create exercise: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create exercise: %w", err)
	}
	e.Version = 1
	return nil
}

// GetExercise returns one exercise.
func (s *Store) GetExercise(ctx context.Context, id int64) (*readiness.Exercise, error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM exercises WHERE id = ?`,
		setExerciseID, id)
	if err != nil {
		return nil, fmt.Errorf("get exercise %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get exercise %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// ListExercises returns every exercise, newest first.
func (s *Store) ListExercises(ctx context.Context) ([]readiness.Exercise, error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM exercises ORDER BY id DESC`,
		setExerciseID)
	if err != nil {
		return nil, fmt.Errorf("list exercises: %w", err)
	}
	return out, nil
}

// UpdateExercise saves e at e.Version.
func (s *Store) UpdateExercise(ctx context.Context, e *readiness.Exercise) error {
	c := *e
	c.Version = e.Version + 1
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update exercise %d: %w", e.ID, err)
	}
	err = s.versioned(ctx, `SELECT version FROM exercises WHERE id = ?`,
		`UPDATE exercises SET version = ?, doc = ? WHERE id = ?`, e.Version, []any{e.ID},
		[]any{c.Version, string(doc), e.ID})
	if err != nil {
		return fmt.Errorf("update exercise %d: %w", e.ID, err)
	}
	e.Version = c.Version
	return nil
}

// MarkExercise ties an alert or incident to an exercise (the first mark
// stays).
func (s *Store) MarkExercise(ctx context.Context, kind string, id, exercise int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO exercise_marks (kind, object_id, exercise_id)
		VALUES (?, ?, ?) ON CONFLICT (kind, object_id) DO NOTHING`, kind, id, exercise)
	if err != nil {
		return fmt.Errorf("mark %s %d as exercise %d: %w", kind, id, exercise,
			foreignKey(err, "exercise"))
	}
	return nil
}

// ExerciseMarks returns the exercise of each of ids that has one.
func (s *Store) ExerciseMarks(ctx context.Context, kind string, ids []int64) (map[int64]int64,
	error) {
	out := map[int64]int64{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		rows, err := s.r.QueryContext(ctx, `SELECT object_id, exercise_id FROM exercise_marks
			WHERE kind = ? AND object_id IN (`+placeholders(len(chunk))+`)`,
			append([]any{kind}, int64Args(chunk)...)...)
		if err != nil {
			return nil, fmt.Errorf("exercise marks: %w", err)
		}
		for rows.Next() {
			var id, ex int64
			if err := rows.Scan(&id, &ex); err != nil {
				rows.Close()
				return nil, fmt.Errorf("exercise marks: %w", err)
			}
			out[id] = ex
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("exercise marks: %w", err)
		}
	}
	return out, nil
}

// ExerciseObjects returns the IDs of kind marked with exercise, ascending.
func (s *Store) ExerciseObjects(ctx context.Context, exercise int64, kind string) ([]int64,
	error) {
	rows, err := s.r.QueryContext(ctx, `SELECT object_id FROM exercise_marks
		WHERE exercise_id = ? AND kind = ? ORDER BY object_id`, exercise, kind)
	if err != nil {
		return nil, fmt.Errorf("exercise objects: %w", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("exercise objects: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// versioned runs update in its own transaction when the version that check
// reads is want (see txn.versioned).
// TODO: readiness writes and their audit entries in one transaction, as
// store.Tx does for incidents; today the entry is appended just after.
func (s *Store) versioned(ctx context.Context, check, update string, want int64,
	checkArgs, updateArgs []any) error {
	return s.atomically(ctx, func(tx *txn) error {
		return tx.versioned(ctx, check, update, want, checkArgs, updateArgs)
	})
}
