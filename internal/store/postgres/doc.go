// Package postgres is the scale-out store: PostgreSQL through a pgx
// connection pool, shared by the API and detector nodes. Each write is one
// transaction, committed before its method returns.
//
// The schema is migrated at Open from the numbered files in migrations/,
// under an advisory lock so that nodes starting together migrate once.
// Event fields are jsonb: PostgreSQL cannot hold U+0000 there (see
// store.EncodeFields) and writes numbers without exponents (1e3 reads back as
// 1000).
//
// The package implements store.Store and nothing more: it holds no domain
// rules beyond numbering incidents.
package postgres
