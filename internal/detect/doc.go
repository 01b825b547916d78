// Package detect is the detection pipeline: it runs stored events through the
// loaded Sigma rules, raises alerts, and opens an incident for alerts of level
// high or critical. It owns the Alert type; storage is behind the small
// interfaces it declares, and HTTP is internal/api's business.
//
// Events are stored before they are matched, so that an acknowledged event
// is never lost. Within one Pipeline.Ingest call, the incident-opening
// alerts of one rule share one incident; a later call opens another
// incident for the same rule, until grouping and deduplication land (#3).
// Anomaly models (Models, implemented by internal/anomaly) run after the
// rules on every stored event; their alerts carry an Explanation and go the
// rules' way. Correlation rules are not run yet.
package detect
