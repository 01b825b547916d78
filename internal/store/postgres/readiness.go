package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// GetReadinessPolicy returns the stored policy, or nil when none is.
func (s *Store) GetReadinessPolicy(ctx context.Context) (*readiness.Policy, error) {
	var doc string
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM readiness_policy WHERE id = 1`).
		Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err = s.putVersioned(ctx, `SELECT version FROM readiness_policy WHERE id = 1 FOR UPDATE`,
		nil, p.Version, `INSERT INTO readiness_policy (id, version, doc) VALUES (1, $1, $2)`,
		[]any{c.Version, string(doc)},
		`UPDATE readiness_policy SET version = $1, doc = $2 WHERE id = 1`,
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var current int64
	err = tx.QueryRow(ctx, check, checkArgs...).Scan(&current)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && want == 0:
		_, err = tx.Exec(ctx, insert, insertArgs...)
		if pgCode(err) == codeUnique {
			// Another insert won the race for the first version.
			return &store.ConflictError{Version: want, Current: 1}
		}
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case current != want:
		return &store.ConflictError{Version: want, Current: current}
	default:
		_, err = tx.Exec(ctx, update, updateArgs...)
	}
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
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
		_, err = s.pool.Exec(ctx, `INSERT INTO training_people (name, version, doc)
			VALUES ($1, 1, $2)`, c.Name, string(doc))
		if pgCode(err) == codeUnique {
			return fmt.Errorf("put person %s: %w", p.Name, store.ErrDuplicate)
		}
	} else {
		err = s.versioned(ctx, `SELECT version FROM training_people WHERE name = $1 FOR UPDATE`,
			`UPDATE training_people SET version = $1, doc = $2 WHERE name = $3`, p.Version,
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
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM training_people WHERE name = $1`,
		name).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	out, err := queryDocs[readiness.Person](ctx, s.pool,
		`SELECT 0::bigint, doc::text FROM training_people ORDER BY name`, nil)
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
	err = s.pool.QueryRow(ctx, `INSERT INTO training_completions (person, course, doc)
		VALUES ($1, $2, $3) RETURNING id`, c.Person, c.Course, string(doc)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("add completion: %w", foreignKey(err, "person"))
	}
	return nil
}

// ListCompletions returns the completions of person (all when empty) by ID.
func (s *Store) ListCompletions(ctx context.Context, person string) ([]readiness.Completion,
	error) {
	q, args := `SELECT id, doc::text FROM training_completions ORDER BY id`, []any(nil)
	if person != "" {
		q, args = `SELECT id, doc::text FROM training_completions WHERE person = $1
			ORDER BY id`, []any{person}
	}
	out, err := queryDocs(ctx, s.pool, q, func(c *readiness.Completion, id int64) { c.ID = id },
		args...)
	if err != nil {
		return nil, fmt.Errorf("list completions: %w", err)
	}
	return out, nil
}

// CreateFindings stores fs in one transaction.
func (s *Store) CreateFindings(ctx context.Context, fs []readiness.Finding) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("create findings: %w", err)
	}
	defer tx.Rollback(ctx)
	ids := make([]int64, len(fs))
	for i := range fs {
		f := fs[i]
		f.ID, f.Version, f.Overdue = 0, 1, false
		doc, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("create findings: %w", err)
		}
		err = tx.QueryRow(ctx, `INSERT INTO findings (source, ref, state, owner, severity,
			exercise_id, version, doc) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id`,
			string(f.Source), emptyNull(f.Ref), string(f.State), f.Owner, string(f.Severity),
			idArg(f.ExerciseID), string(doc)).Scan(&ids[i])
		if pgCode(err) == codeUnique {
			return fmt.Errorf("create findings: %s %s: %w", f.Source, f.Ref, store.ErrDuplicate)
		} else if err != nil {
			return fmt.Errorf("create findings: %w", foreignKey(err, "exercise"))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("create findings: %w", err)
	}
	for i := range fs {
		fs[i].ID, fs[i].Version = ids[i], 1
	}
	return nil
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
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM findings WHERE id = $1`,
		setFindingID, id)
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
		w.add("state = $%d", string(f.State))
	}
	if f.Owner != "" {
		w.add("owner = $%d", f.Owner)
	}
	if f.Severity != "" {
		w.add("severity = $%d", string(f.Severity))
	}
	if f.Source != "" {
		w.add("source = $%d", string(f.Source))
	}
	if f.ExerciseID != 0 {
		w.add("exercise_id = $%d", f.ExerciseID)
	}
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM findings`+w.String()+
		` ORDER BY id`, setFindingID, w.args...)
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
	err = s.versioned(ctx, `SELECT version FROM findings WHERE id = $1 FOR UPDATE`,
		`UPDATE findings SET state = $1, owner = $2, severity = $3, version = $4, doc = $5
			WHERE id = $6`, f.Version, []any{f.ID},
		[]any{string(c.State), c.Owner, string(c.Severity), c.Version, string(doc), f.ID})
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
	err = s.pool.QueryRow(ctx, `INSERT INTO exercises (version, doc) VALUES (1, $1)
		RETURNING id`, string(doc)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("create exercise: %w", err)
	}
	e.Version = 1
	return nil
}

// GetExercise returns one exercise.
func (s *Store) GetExercise(ctx context.Context, id int64) (*readiness.Exercise, error) {
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM exercises WHERE id = $1`,
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
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM exercises ORDER BY id DESC`,
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
	err = s.versioned(ctx, `SELECT version FROM exercises WHERE id = $1 FOR UPDATE`,
		`UPDATE exercises SET version = $1, doc = $2 WHERE id = $3`, e.Version, []any{e.ID},
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
	_, err := s.pool.Exec(ctx, `INSERT INTO exercise_marks (kind, object_id, exercise_id)
		VALUES ($1, $2, $3) ON CONFLICT (kind, object_id) DO NOTHING`, kind, id, exercise)
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
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT object_id, exercise_id FROM exercise_marks
		WHERE kind = $1 AND object_id = ANY($2)`, kind, ids)
	if err != nil {
		return nil, fmt.Errorf("exercise marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, ex int64
		if err := rows.Scan(&id, &ex); err != nil {
			return nil, fmt.Errorf("exercise marks: %w", err)
		}
		out[id] = ex
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("exercise marks: %w", err)
	}
	return out, nil
}

// ExerciseObjects returns the IDs of kind marked with exercise, ascending.
func (s *Store) ExerciseObjects(ctx context.Context, exercise int64, kind string) ([]int64,
	error) {
	rows, err := s.pool.Query(ctx, `SELECT object_id FROM exercise_marks
		WHERE exercise_id = $1 AND kind = $2 ORDER BY object_id`, exercise, kind)
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
