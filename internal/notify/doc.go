// Package notify delivers notifications to people: e-mail over SMTP and
// signed webhooks, through a durable outbox.
//
// Every notification is first stored in the outbox (the store implements
// Outbox) and only then delivered by a Worker, which retries failures with
// exponential backoff and jitter until MaxAttempts, after which the
// notification is dead: it stays listed, and an admin or responder can retry
// it by hand. Delivery is at least once: a worker that stops between sending
// and recording the result sends again after its lease expires. Each
// notification carries an idempotency key (Key), sent as the e-mail
// Message-ID and the webhook header X-Vigil-Delivery, so that a receiver can
// drop the duplicate.
//
// A Dispatcher decides who gets what: members engaged on an incident,
// assignees, executives asked to approve, phase changes of severity 0–1
// incidents, and periodic updates to executives on a cadence set by severity
// (UpdateCadence). docs/notifications.md describes the whole.
//
// Regulatory notices to tenants and authorities (obligations with deadlines,
// issue #4) will join this package; they are not here yet.
package notify
