// Package plan owns an incident's per-phase plan: tasks with an owner, a
// due time, a status and a result; the recovery records (last known good
// state, restore steps and validation checks, kept as tasks of their own
// kinds); and temporary watch rules, Sigma rules attached to an incident
// until they expire.
//
// It reuses the gates of internal/incident: a high-impact eradication task
// is an incident.EradicationStep whose executive approval (incident.Gates)
// must exist before the task starts, and a validation task is an item of
// recovery's checklist. It does not store, serve HTTP or run detection.
package plan
