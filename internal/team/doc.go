// Package team owns the directory of response teams (legal, threat
// intelligence, the security response center, partner security teams,
// communications, the service teams), their on-call rosters, the
// engagement rules that pick subject-matter experts for an incident, and
// the virtual team that an escalation assembles: who is engaged, when and
// why.
//
// It decides; it does not store, serve HTTP or notify. internal/store keeps
// teams and engagements, internal/api exposes them, and a Notifier (the
// notifications package) tells the people engaged. docs/team.md describes
// the YAML formats and the rules.
package team
