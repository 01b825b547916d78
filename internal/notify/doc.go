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
// Regulatory notices to tenants (internal/notice) go through the same
// outbox with TriggerNotice: to a contact's e-mail, or signed to a
// contact's own webhook URL (a recipient "contact:<id>", resolved by a
// ContactHookSource). A Worker's Observer hears each recorded attempt in
// its transaction, with the message ID the receiver saw (DeliveryIDer),
// which internal/notice keeps as proof of delivery.
package notify
