package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, created, last_seen, expires,
		csrf) VALUES ($1, $2, $3, $4, $5, $6)`, se.ID, se.UserID, timeArg(se.Created),
		timeArg(se.LastSeen), timeArg(se.Expires), se.CSRF)
	if err != nil {
		return fmt.Errorf("create session: %w", foreignKey(err, "user"))
	}
	return nil
}

// SessionByID returns the session with the given ID, expired or not.
func (s *Store) SessionByID(ctx context.Context, id []byte) (*store.Session, error) {
	var se store.Session
	err := s.pool.QueryRow(ctx, `SELECT id, user_id, created, last_seen, expires, csrf
		FROM sessions WHERE id = $1`, id).
		Scan(&se.ID, &se.UserID, &se.Created, &se.LastSeen, &se.Expires, &se.CSRF)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("session by id: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("session by id: %w", err)
	}
	se.Created, se.LastSeen, se.Expires = se.Created.UTC(), se.LastSeen.UTC(), se.Expires.UTC()
	return &se, nil
}

// TouchSession sets the LastSeen of a session.
func (s *Store) TouchSession(ctx context.Context, id []byte, lastSeen time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen = $1 WHERE id = $2`,
		timeArg(lastSeen), id)
	return changedOne(tag, err, "touch session")
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, id []byte) error {
	return s.atomically(ctx, func(tx *txn) error { return tx.DeleteSession(ctx, id) })
}

// DeleteSession is Store.DeleteSession in the transaction.
func (tx *txn) DeleteSession(ctx context.Context, id []byte) error {
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return changedOne(tag, err, "delete session")
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
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredSessions removes expired and idle sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires <= $1 OR last_seen <= $2`,
		timeArg(now), timeArg(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
