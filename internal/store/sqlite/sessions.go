package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, se store.Session) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.CreateSession(ctx, se) })
}

// CreateSession is Store.CreateSession in the transaction.
func (tx *txn) CreateSession(ctx context.Context, se store.Session) error {
	if err := se.Validate(); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, created, last_seen,
		expires, csrf) VALUES (?, ?, ?, ?, ?, ?)`, se.ID, se.UserID, timeText(se.Created),
		timeText(se.LastSeen), timeText(se.Expires), se.CSRF)
	if err != nil {
		return fmt.Errorf("create session: %w", foreignKey(err, "user"))
	}
	return nil
}

// SessionByID returns the session with the given ID, expired or not.
func (s *Store) SessionByID(ctx context.Context, id []byte) (*store.Session, error) {
	var (
		se                         store.Session
		created, lastSeen, expires sql.NullString
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, user_id, created, last_seen, expires, csrf
		FROM sessions WHERE id = ?`, id).
		Scan(&se.ID, &se.UserID, &created, &lastSeen, &expires, &se.CSRF)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session by id: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("session by id: %w", err)
	}
	for _, p := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&se.Created, created}, {&se.LastSeen, lastSeen}, {&se.Expires, expires}} {
		if *p.dst, err = parseTime(p.src); err != nil {
			return nil, fmt.Errorf("session by id: %w", err)
		}
	}
	return &se, nil
}

// TouchSession sets the LastSeen of a session.
func (s *Store) TouchSession(ctx context.Context, id []byte, lastSeen time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`,
		timeText(lastSeen), id)
	return changedOne(res, err, "touch session")
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, id []byte) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteSession(ctx, id) })
}

// DeleteSession is Store.DeleteSession in the transaction.
func (tx *txn) DeleteSession(ctx context.Context, id []byte) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return changedOne(res, err, "delete session")
}

// DeleteUserSessions removes every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	var v int
	err := s.atomically(ctx, func(tx *txn) error {
		var err error
		v, err = tx.DeleteUserSessions(ctx, userID)
		return err
	})
	return v, err
}

// DeleteUserSessions is Store.DeleteUserSessions in the transaction.
func (tx *txn) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return affected(res, err, "delete user sessions")
}

// DeleteExpiredSessions removes expired and idle sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ? OR last_seen <= ?`,
		timeText(now), timeText(idleBefore))
	return affected(res, err, "delete expired sessions")
}

// affected returns the rows a statement touched.
func affected(res sql.Result, err error, op string) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return int(n), nil
}
