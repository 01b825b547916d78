// Package triage owns what happens to an alert or a support case before it
// becomes an incident: the triage states (new, acknowledged, assigned, false
// positive, confirmed, and reopen), assignment, suppressions created from
// false positives, the links of alerts to incidents (many-to-many, undoable),
// customer support cases, and the classification of an escalation as a
// security incident or a vulnerability report with its fix deadline.
//
// Deduplication happens at alert creation in internal/detect, which asks the
// store to fold a repeat into the open alert of its group; the Service here
// supplies the suppression check (Suppressed). The package knows nothing of
// HTTP or SQL: it takes the store through the Store interface and records
// every state change in the audit trail. The principal comes from the
// context (auth.PrincipalFrom), the audit actor from audit.ActorFrom.
package triage
