// Package obligation keeps an incident's regulatory obligations up to
// date: it records the incident's facts, computes the obligations with the
// regulation catalog (internal/regulation) from the affected tenants, their
// profiles, the facts and the provider's own profile, stores one record per
// obligation, and watches the deadlines (Watcher): reminders to the owners,
// escalation to executives and legal, and the sticky overdue flag.
//
// Every change is written with its audit entry in one store transaction.
// Transition is the seam through which the notices (drafted, approved,
// sent, acknowledged) move a record inside their own transaction.
//
// It does not draft nor deliver notices (internal/notice and
// internal/notify do), and it knows nothing of HTTP. docs/regulations.md
// describes the whole.
package obligation
