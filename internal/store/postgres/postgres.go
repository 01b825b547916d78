package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the key of the advisory lock held while migrating; the
// bytes spell "vigilsch".
const migrateLock = 0x7669_6769_6c73_6368

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time

	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Option changes a default of Open.
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithClock sets the clock used for Created, Opened and token expiry when
// the caller leaves them zero; the default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string, with pgx's pool_* settings) and migrates its schema. A
// schema newer than this binary gives an error wrapping
// store.ErrSchemaTooNew.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error may quote the DSN, password included: leave it out.
		return nil, errors.New("open postgres store: cannot parse the DSN")
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrateSchema(ctx, pool, cfg.now()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store %s/%s: %w", pc.ConnConfig.Host,
			pc.ConnConfig.Database, err)
	}
	return &Store{pool: pool, now: cfg.now}, nil
}

// migrateSchema applies the pending migrations in one transaction.
func migrateSchema(ctx context.Context, pool *pgxpool.Pool, now time.Time) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	_, err = tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name    text NOT NULL,
		applied timestamptz NOT NULL
	)`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	err = tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := migrate.Pending(ms, current)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		// Without arguments pgx uses the simple protocol, which runs a
		// file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate to %04d_%s: %w", m.Version, m.Name, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied)
			VALUES ($1, $2, $3)`, m.Version, m.Name, now)
		if err != nil {
			return fmt.Errorf("migrate to %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion reports the highest migration the database has applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use; later calls do
// nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// readOnly opens a transaction in which several queries see one snapshot.
func (s *Store) readOnly(ctx context.Context) (pgx.Tx, error) {
	return s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead,
		AccessMode: pgx.ReadOnly})
}

// timeArg returns t as a query argument: nil for the zero time, else UTC to
// the microsecond, which is what timestamptz keeps.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeOf reads a nullable timestamptz in UTC; NULL gives the zero time.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// SQLSTATE codes that the store maps to sentinels.
const (
	codeUnique     = "23505"
	codeForeignKey = "23503"
)

// foreignKey turns a violated foreign key into store.ErrNotFound.
func foreignKey(err error, what string) error {
	if pgCode(err) == codeForeignKey {
		return fmt.Errorf("unknown %s: %w", what, store.ErrNotFound)
	}
	return err
}

// where collects the conditions of a filter, joined with AND.
type where struct {
	conds []string
	args  []any
}

// add appends a condition whose one %d is replaced by the argument's number.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

// String returns the WHERE clause, or "" when there is no condition.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// next returns the placeholder for one more argument after the conditions.
func (w *where) next() string {
	return fmt.Sprintf("$%d", len(w.args)+1)
}
