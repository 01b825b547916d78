package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/store"
)

// GetPostMortem returns the post-mortem of an incident.
func (s *Store) GetPostMortem(ctx context.Context, incidentID int64) (*postmortem.PostMortem,
	error) {
	return getPostMortem(ctx, s.pool, incidentID, "")
}

// getPostMortem reads the post-mortem of an incident from db; lock is ""
// or " FOR UPDATE".
func getPostMortem(ctx context.Context, db rowQuerier, incidentID int64, lock string) (
	*postmortem.PostMortem, error) {
	out, err := queryDocs(ctx, db, `SELECT id, doc::text FROM postmortems
		WHERE incident_id = $1`+lock, setPostMortem, incidentID)
	if err != nil {
		return nil, fmt.Errorf("get post-mortem of incident %d: %w", incidentID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get post-mortem of incident %d: %w", incidentID,
			store.ErrNotFound)
	}
	return &out[0], nil
}

// setPostMortem fills what the row holds outside the doc.
func setPostMortem(pm *postmortem.PostMortem, id int64) { pm.ID = id }

// CreatePostMortem stores a post-mortem in the transaction.
func (tx *txn) CreatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error {
	c := *pm
	c.Version, c.Updated = 1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create post-mortem: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO postmortems (incident_id, version, signed_off, doc)
		VALUES ($1, 1, $2, $3) RETURNING id`, c.IncidentID, c.SignedOff(), string(doc)).
		Scan(&c.ID)
	if pgCode(err) == codeUnique {
		return fmt.Errorf("create post-mortem of incident %d: %w", c.IncidentID,
			store.ErrDuplicate)
	} else if err != nil {
		return fmt.Errorf("create post-mortem: %w", foreignKey(err, "incident"))
	}
	*pm = c
	return nil
}

// UpdatePostMortem saves a post-mortem at its version in the transaction.
func (tx *txn) UpdatePostMortem(ctx context.Context, pm *postmortem.PostMortem) error {
	cur, err := getPostMortem(ctx, tx, pm.IncidentID, " FOR UPDATE")
	if err != nil {
		return fmt.Errorf("update post-mortem: %w", err)
	}
	if cur.Version != pm.Version {
		return fmt.Errorf("update post-mortem of incident %d: %w", pm.IncidentID,
			&store.ConflictError{Version: pm.Version, Current: cur.Version})
	}
	if err := postmortem.CheckUpdate(cur, pm); err != nil {
		return fmt.Errorf("update post-mortem of incident %d: %w", pm.IncidentID, err)
	}
	c := *pm
	c.ID, c.Created, c.CreatedBy = cur.ID, cur.Created, cur.CreatedBy
	c.Version, c.Updated = pm.Version+1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update post-mortem: %w", err)
	}
	_, err = tx.Exec(ctx, `UPDATE postmortems SET version = $1, signed_off = $2, doc = $3
		WHERE id = $4`, c.Version, c.SignedOff(), string(doc), c.ID)
	if err != nil {
		return fmt.Errorf("update post-mortem of incident %d: %w", pm.IncidentID, err)
	}
	*pm = c
	return nil
}

// setFollowUp fills what the row holds outside the doc.
func setFollowUp(f *postmortem.FollowUp, id int64) { f.ID = id }

// GetFollowUp returns one follow-up item.
func (s *Store) GetFollowUp(ctx context.Context, id int64) (*postmortem.FollowUp, error) {
	return getFollowUp(ctx, s.pool, id, "")
}

func getFollowUp(ctx context.Context, db rowQuerier, id int64, lock string) (
	*postmortem.FollowUp, error) {
	out, err := queryDocs(ctx, db, `SELECT id, doc::text FROM follow_ups WHERE id = $1`+lock,
		setFollowUp, id)
	if err != nil {
		return nil, fmt.Errorf("get follow-up %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get follow-up %d: %w", id, store.ErrNotFound)
	}
	return &out[0], nil
}

// ListFollowUps returns the follow-ups f selects, by ID.
func (s *Store) ListFollowUps(ctx context.Context, f store.FollowUpFilter) (
	[]postmortem.FollowUp, error) {
	var w where
	if f.IncidentID != 0 {
		w.add("incident_id = $%d", f.IncidentID)
	}
	if f.Owner != "" {
		w.add("owner = $%d", f.Owner)
	}
	if f.State != "" {
		w.add("state = $%d", string(f.State))
	}
	if f.Open {
		w.add("state <> $%d", "verified")
	}
	out, err := queryDocs(ctx, s.pool, `SELECT id, doc::text FROM follow_ups`+w.String()+
		` ORDER BY id`, setFollowUp, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	return out, nil
}

// CreateFollowUp stores a follow-up item in the transaction.
func (tx *txn) CreateFollowUp(ctx context.Context, f *postmortem.FollowUp) error {
	c := *f
	c.Version, c.Updated = 1, tx.now().UTC()
	if c.Created.IsZero() {
		c.Created = c.Updated
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("create follow-up: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO follow_ups (incident_id, kind, state, owner, due,
		created, version, doc) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id`,
		c.IncidentID, string(c.Kind), string(c.State), c.Owner, timeArg(c.Due),
		timeArg(c.Created), string(doc)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create follow-up: %w", foreignKey(err, "incident"))
	}
	*f = c
	return nil
}

// UpdateFollowUp saves a follow-up item at its version in the transaction.
func (tx *txn) UpdateFollowUp(ctx context.Context, f *postmortem.FollowUp) error {
	cur, err := getFollowUp(ctx, tx, f.ID, " FOR UPDATE")
	if err != nil {
		return fmt.Errorf("update follow-up: %w", err)
	}
	if err := postmortem.CheckFollowUpUpdate(cur, f); err != nil {
		return fmt.Errorf("update follow-up %d: %w", f.ID, err)
	}
	c := *f
	c.Version, c.Updated = f.Version+1, tx.now().UTC()
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update follow-up %d: %w", f.ID, err)
	}
	err = tx.versioned(ctx, `SELECT version FROM follow_ups WHERE id = $1`,
		`UPDATE follow_ups SET state = $1, owner = $2, due = $3, version = $4, doc = $5
		WHERE id = $6`, f.Version, []any{f.ID}, []any{string(c.State), c.Owner,
			timeArg(c.Due), c.Version, string(doc), f.ID})
	if err != nil {
		return fmt.Errorf("update follow-up %d: %w", f.ID, err)
	}
	*f = c
	return nil
}
