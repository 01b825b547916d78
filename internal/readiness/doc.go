// Package readiness runs the preparation program an auditor asks about:
// training (courses, who needs them, completions, due dates, background
// checks, the overdue report and reminders), penetration-test and
// vulnerability findings (CVSS v3.1 scoring, imports, fix deadlines,
// tracking to closure) and exercises (red and blue team exercises,
// tabletop drills, replayed breach scenarios with their measured detections
// and disclosure reports).
//
// Tracking, the owner, due date and state machine of a finding, is meant
// for every item tracked to closure (the post-mortem's follow-ups too).
//
// The package owns the rules and the shapes; it keeps nothing itself (the
// Store is internal/store's) and speaks no HTTP (internal/api serves it;
// the replay client of vigil exercise run is readiness/replay). See
// docs/readiness.md.
package readiness
