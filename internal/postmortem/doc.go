// Package postmortem holds the review of an incident after recovery
// (NIST SP 800-61 §3.4, "lessons learned"): the post-mortem that entering
// the post-incident phase creates, pre-filled from the record; its
// timeline, assembled from the audit trail, alerts, actions, phase
// changes, approvals, notifications and evidence, each entry linked to its
// source, to which people add, annotate and hide entries (never delete);
// the findings by category with their evidence; the sign-off by the
// commander and an executive that the incident's close gate waits for;
// the follow-up items tracked to closure (readiness.Tracking), one kind of
// which links to the detection rule version that answers it; overdue
// reminders; and the exports of the post-mortem and of the whole incident
// report as Markdown, HTML (the timeline drawn as SVG) and PDF.
//
// It owns these rules and renderings, not storage (internal/store keeps
// post-mortems and follow-ups, checking CheckUpdate in the writing
// transaction), HTTP (internal/api) or the aggregate metrics
// (internal/metrics). docs/postmortem.md describes it.
package postmortem
