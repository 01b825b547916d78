// Package incident owns the incident record and the pure rules that govern it:
//
//   - Incident, the foundation's subset the stores persist today, and
//     SeverityFromLevel, the severity of an incident opened by an alert;
//   - Record, the full NIST SP 800-61 record (§3.2.5, Appendix B), with typed
//     indicators (ParseIndicator normalizes them) and SuggestRelated, which
//     proposes links between incidents sharing indicators;
//   - PriorityPolicy, which derives a Priority (P1–P4) from NIST's three
//     factors, and SeverityPolicy, which suggests a severity Level (0–4) from
//     the service team's SeverityCriteria; both are YAML rule lists, first
//     match wins, with built-in defaults embedded in the package;
//   - the phase state machine: Transition checks a move and its gates
//     (confirmation, executive approval, recovery checks, post-mortem sign-off),
//     Change returns the PhaseChange to record.
//
// It does not store, send or serve anything: no SQL, no HTTP, no clock.
// Callers pass times and facts in and persist what comes out.
// docs/incident.md documents the record, the default policies and the
// transition table.
package incident
