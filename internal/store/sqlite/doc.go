// Package sqlite is the embedded store: one SQLite file (modernc.org/sqlite,
// no cgo) under the data folder, in WAL mode with synchronous=FULL, so that
// a write is durable when its method returns.
//
// Writes go through one connection, one transaction at a time; reads use a
// pool of read-only connections that WAL lets run beside the writer. The
// schema is migrated at Open from the numbered files in migrations/.
//
// The package implements store.Store and nothing more: it holds no domain
// rules beyond numbering incidents.
package sqlite
