// Package audit owns Vigil's tamper-evident audit trail: the Entry type, the
// stable action names and codes, the hash that chains each entry to the one
// before, the Verify check that names the first broken entry, and the Log
// that records entries through a store.
//
// The chain lives in the store (the audit_log table of both back ends); this
// package does no SQL. A store appends an entry by calling Seal inside the
// transaction that reads and moves the chain head, so that hashing is
// defined in one place and the chain never forks. The entry of a change is
// recorded with Log.RecordIn in the change's own store transaction, so that
// both are kept or neither.
//
// The audit chain is not a log stream: diagnostics go to log/slog, and an
// entry is recorded only for a state change that a responder or an auditor
// must be able to prove later. docs/audit.md specifies the hash encoding.
package audit
