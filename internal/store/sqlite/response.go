package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/plan"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// CreateTeam stores t at version 1.
func (s *Store) CreateTeam(ctx context.Context, t *team.Team) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateTeam(ctx, t) })
}

// CreateTeam is Store.CreateTeam in the transaction.
func (tx *txn) CreateTeam(ctx context.Context, t *team.Team) error {
	c := *t
	c.Version, c.Updated = 1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create team %s: %w", t.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO teams (id, version, doc) VALUES (?, 1, ?)`,
		c.ID, string(doc))
	if isUnique(err) {
		return fmt.Errorf("create team %s: %w", t.ID, store.ErrDuplicate)
	} else if err != nil {
		return fmt.Errorf("create team %s: %w", t.ID, err)
	}
	*t = c
	return nil
}

// GetTeam returns one team.
func (s *Store) GetTeam(ctx context.Context, id string) (*team.Team, error) {
	var doc string
	err := s.r.QueryRowContext(ctx, `SELECT doc FROM teams WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get team %s: %w", id, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("get team %s: %w", id, err)
	}
	var t team.Team
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return nil, fmt.Errorf("get team %s: %w", id, err)
	}
	return &t, nil
}

// ListTeams returns every team by ID.
func (s *Store) ListTeams(ctx context.Context) ([]team.Team, error) {
	out, err := queryDocs[team.Team](ctx, s.r, `SELECT 0, doc FROM teams ORDER BY id`, nil)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}

// UpdateTeam saves t when the stored version is t.Version.
func (s *Store) UpdateTeam(ctx context.Context, t *team.Team) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateTeam(ctx, t) })
}

// UpdateTeam is Store.UpdateTeam in the transaction.
func (tx *txn) UpdateTeam(ctx context.Context, t *team.Team) error {
	c := *t
	c.Version, c.Updated = t.Version+1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update team %s: %w", t.ID, err)
	}
	err = tx.versioned(ctx, `SELECT version FROM teams WHERE id = ?`,
		`UPDATE teams SET version = ?, doc = ? WHERE id = ?`, t.Version,
		[]any{t.ID}, []any{c.Version, string(doc), t.ID})
	if err != nil {
		return fmt.Errorf("update team %s: %w", t.ID, err)
	}
	*t = c
	return nil
}

// versioned runs update when the version that check reads is want: a
// missing row gives store.ErrNotFound, another version a
// *store.ConflictError.
func (tx *txn) versioned(ctx context.Context, check, update string, want int64,
	checkArgs, updateArgs []any) error {
	var current int64
	err := tx.QueryRowContext(ctx, check, checkArgs...).Scan(&current)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	if current != want {
		return &store.ConflictError{Version: want, Current: current}
	}
	_, err = tx.ExecContext(ctx, update, updateArgs...)
	return err
}

// queryDocs runs query on db and decodes its (id, doc) rows with
// store.DecodeDocs.
func queryDocs[T any](ctx context.Context, db rowsQuerier, query string,
	set func(*T, int64), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.DecodeDocs(rows, set)
}

// AddEngagements stores es in one transaction.
func (s *Store) AddEngagements(ctx context.Context, es []team.Engagement) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AddEngagements(ctx, es) })
}

// AddEngagements is Store.AddEngagements in the transaction.
func (tx *txn) AddEngagements(ctx context.Context, es []team.Engagement) error {
	ids := make([]int64, len(es))
	for i, e := range es {
		e.ID = 0
		doc, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("add engagements: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO incident_engagements (incident_id, doc)
			VALUES (?, ?)`, e.IncidentID, string(doc))
		if err != nil {
			return fmt.Errorf("add engagements: %w", foreignKey(err, "incident"))
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return fmt.Errorf("add engagements: %w", err)
		}
	}
	for i := range es {
		es[i].ID = ids[i]
	}
	return nil
}

// ListEngagements returns an incident's engagements in the order added.
func (s *Store) ListEngagements(ctx context.Context, incidentID int64) ([]team.Engagement,
	error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM incident_engagements
		WHERE incident_id = ? ORDER BY id`, func(e *team.Engagement, id int64) { e.ID = id },
		incidentID)
	if err != nil {
		return nil, fmt.Errorf("list engagements of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// EndEngagement saves the disengagement fields of e.
func (s *Store) EndEngagement(ctx context.Context, e *team.Engagement) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.EndEngagement(ctx, e) })
}

// EndEngagement is Store.EndEngagement in the transaction.
func (tx *txn) EndEngagement(ctx context.Context, e *team.Engagement) error {
	err := tx.editDoc(ctx, "incident_engagements", e.IncidentID, e.ID,
		func(doc []byte) (any, error) {
			var cur team.Engagement
			if err := json.Unmarshal(doc, &cur); err != nil {
				return nil, err
			}
			cur.DisengagedAt, cur.DisengagedBy = e.DisengagedAt, e.DisengagedBy
			cur.DisengagedReason = e.DisengagedReason
			return cur, nil
		}, "")
	if err != nil {
		return fmt.Errorf("end engagement %d: %w", e.ID, err)
	}
	return nil
}

// editDoc rewrites the doc of a row of table (one of this file's) that
// belongs to incidentID, with extra SET clauses.
func (tx *txn) editDoc(ctx context.Context, table string, incidentID, id int64,
	edit func(doc []byte) (any, error), extraSet string) error {
	var doc string
	err := tx.QueryRowContext(ctx, `SELECT doc FROM `+table+` WHERE id = ? AND incident_id = ?`,
		id, incidentID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	v, err := edit([]byte(doc))
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET doc = ?`+extraSet+` WHERE id = ?`,
		string(b), id)
	return err
}

// CreateTask stores t at version 1.
func (s *Store) CreateTask(ctx context.Context, t *plan.Task) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateTask(ctx, t) })
}

// CreateTask is Store.CreateTask in the transaction.
func (tx *txn) CreateTask(ctx context.Context, t *plan.Task) error {
	c := *t
	c.Version, c.Created = 1, tx.now().UTC()
	c.Updated = c.Created
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO incident_tasks (incident_id, version, doc)
		VALUES (?, 1, ?)`, c.IncidentID, string(doc))
	if err != nil {
		return fmt.Errorf("create task: %w", foreignKey(err, "incident"))
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	*t = c
	return nil
}

// GetTask returns a task of an incident.
func (s *Store) GetTask(ctx context.Context, incidentID, id int64) (*plan.Task, error) {
	return getTask(ctx, s.r, incidentID, id)
}

// getTask reads a task of an incident from db.
func getTask(ctx context.Context, db rowsQuerier, incidentID, id int64) (*plan.Task, error) {
	out, err := queryDocs(ctx, db, `SELECT id, doc FROM incident_tasks
		WHERE incident_id = ? AND id = ?`, setTask, incidentID, id)
	if err != nil {
		return nil, fmt.Errorf("get task %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get task %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// setTask fills what the row holds outside the doc.
func setTask(t *plan.Task, id int64) { t.ID = id }

// ListTasks returns an incident's tasks by ID.
func (s *Store) ListTasks(ctx context.Context, incidentID int64) ([]plan.Task, error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM incident_tasks
		WHERE incident_id = ? ORDER BY id`, setTask, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// UpdateTask saves t when the stored version is t.Version.
func (s *Store) UpdateTask(ctx context.Context, t *plan.Task) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.UpdateTask(ctx, t) })
}

// UpdateTask is Store.UpdateTask in the transaction.
func (tx *txn) UpdateTask(ctx context.Context, t *plan.Task) error {
	cur, err := getTask(ctx, tx.Tx, t.IncidentID, t.ID)
	if err != nil {
		return fmt.Errorf("update task %d: %w", t.ID, err)
	}
	c := *t
	c.Created, c.CreatedBy = cur.Created, cur.CreatedBy
	c.Version, c.Updated = t.Version+1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update task %d: %w", t.ID, err)
	}
	err = tx.versioned(ctx, `SELECT version FROM incident_tasks WHERE id = ? AND incident_id = ?`,
		`UPDATE incident_tasks SET version = ?, doc = ? WHERE id = ?`, t.Version,
		[]any{t.ID, t.IncidentID}, []any{c.Version, string(doc), t.ID})
	if err != nil {
		return fmt.Errorf("update task %d: %w", t.ID, err)
	}
	*t = c
	return nil
}

// AddWatchRule stores w.
func (s *Store) AddWatchRule(ctx context.Context, w *plan.WatchRule) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.AddWatchRule(ctx, w) })
}

// AddWatchRule is Store.AddWatchRule in the transaction.
func (tx *txn) AddWatchRule(ctx context.Context, w *plan.WatchRule) error {
	c := *w
	if c.Created.IsZero() {
		c.Created = tx.now().UTC()
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("add watch rule: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO watch_rules (incident_id, removed, doc)
		VALUES (?, ?, ?)`, c.IncidentID, !c.RemovedAt.IsZero(), string(doc))
	if err != nil {
		return fmt.Errorf("add watch rule: %w", foreignKey(err, "incident"))
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add watch rule: %w", err)
	}
	*w = c
	return nil
}

func setWatch(w *plan.WatchRule, id int64) { w.ID = id }

// ListWatchRules returns an incident's watch rules by ID.
func (s *Store) ListWatchRules(ctx context.Context, incidentID int64) ([]plan.WatchRule,
	error) {
	out, err := queryDocs(ctx, s.r, `SELECT id, doc FROM watch_rules WHERE incident_id = ?
		ORDER BY id`, setWatch, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list watch rules of incident %d: %w", incidentID, err)
	}
	return out, nil
}

// ActiveWatchRules returns the unremoved watch rules that expire after now.
func (s *Store) ActiveWatchRules(ctx context.Context, now time.Time) ([]plan.WatchRule,
	error) {
	all, err := queryDocs(ctx, s.r, `SELECT id, doc FROM watch_rules WHERE removed = 0
		ORDER BY id`, setWatch)
	if err != nil {
		return nil, fmt.Errorf("list active watch rules: %w", err)
	}
	return store.ActiveOnly(all, now), nil
}

// RemoveWatchRule saves the removal fields of w.
func (s *Store) RemoveWatchRule(ctx context.Context, w *plan.WatchRule) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.RemoveWatchRule(ctx, w) })
}

// RemoveWatchRule is Store.RemoveWatchRule in the transaction.
func (tx *txn) RemoveWatchRule(ctx context.Context, w *plan.WatchRule) error {
	err := tx.editDoc(ctx, "watch_rules", w.IncidentID, w.ID, func(doc []byte) (any, error) {
		var cur plan.WatchRule
		if err := json.Unmarshal(doc, &cur); err != nil {
			return nil, err
		}
		cur.RemovedAt, cur.RemovedBy, cur.RemovedReason = w.RemovedAt, w.RemovedBy,
			w.RemovedReason
		return cur, nil
	}, ", removed = 1")
	if err != nil {
		return fmt.Errorf("remove watch rule %d: %w", w.ID, err)
	}
	return nil
}
