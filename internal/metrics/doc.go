// Package metrics computes the response metrics of issue #5 from rows the
// store reads: the mean and the 50th and 90th percentiles of the time to
// detect, acknowledge, confirm, contain, eradicate, recover and close an
// incident; notification deadlines met and missed; the false-positive rate
// of each rule from triage; and open follow-ups by age. Everything can be
// grouped per period (ISO week or month), severity, category or service.
//
// It owns the definitions (which moments a time runs between, how a
// percentile is taken, what counts as a deadline met) and the CSV layout;
// it does not own storage (internal/store reads the rows), HTTP
// (internal/api) or drawing (internal/web). docs/metrics.md describes the
// definitions.
//
// The package stands apart from internal/postmortem because its inputs
// are many incidents, notifications, alerts and follow-ups at once, and
// its aggregation must stay cheap on 100,000 incidents; the post-mortem is
// about one incident. Both use incident.Milestones, so a post-mortem's
// "how the response went" and the dashboard agree.
package metrics
