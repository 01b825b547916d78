// Package notice owns the notices that answer the obligations of an
// incident (internal/regulation, internal/obligation): drafting one from
// the catalog's template and the incident record, editing, approval by
// legal, sending through the notification outbox (internal/notify) to
// each designated contact of the tenant plus a copy in the tenant portal,
// or filing by hand for an authority, the proof of each delivery kept as
// evidence, and the tenant's acknowledgement.
//
// Each change moves the obligation's record (pending → drafted →
// approved → sent → acknowledged) through obligation.Service.Transition in
// the same store transaction as the notice and its audit entry. Notices
// about an exercise's incident are never sent (ErrExercise).
//
// It does not compute obligations nor watch their deadlines
// (internal/obligation), nor deliver messages itself (internal/notify).
// docs/notifications.md "Notices to tenants" describes the whole.
package notice
