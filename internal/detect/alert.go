package detect

import (
	"encoding/json"
	"time"
)

// Alert is one rule firing on one or more events. Alerts are stored with the
// events that matched so that a responder sees the evidence without another
// query.
type Alert struct {
	// ID is assigned by the store; 0 before insertion.
	ID int64 `json:"id"`
	// RuleID and RuleTitle identify the Sigma rule (or model) that fired.
	RuleID    string `json:"rule_id"`
	RuleTitle string `json:"rule_title"`
	// Level is the rule level: informational, low, medium, high or critical.
	Level string `json:"level"`
	// Tags are the rule tags (ATT&CK techniques and tactics among them).
	Tags []string `json:"tags"`
	// EventIDs are the store IDs of the matching events.
	EventIDs []int64 `json:"event_ids"`
	// Events are the matching events' fields as JSON, in EventIDs order.
	// Filled on reads; ignored on insert (the events are stored already).
	Events []json.RawMessage `json:"events,omitempty"`
	// EventTime is the time of the (first) matching event.
	EventTime time.Time `json:"event_time"`
	// Created is when Vigil raised the alert.
	Created time.Time `json:"created"`
	// IncidentID is the incident the alert opened or joined; 0 for none.
	IncidentID int64 `json:"incident_id,omitempty"`
	// Tenants are the tenants of the alert's events, from the inventory
	// enrichment (docs/field-mapping.md), sorted; empty when no event came
	// from a host the inventory knows. A repeat folded into the alert adds
	// its tenants.
	Tenants []string `json:"tenants,omitempty"`
	// Exercise is the exercise whose events raised the alert (their field
	// vigil.exercise; see ExerciseOf), 0 for a real alert. The pipeline sets
	// it and marks the alert (ExerciseMarker); the stores do not keep it in
	// the alert's row, so reads fill it from the marks where the API shows
	// alerts.
	Exercise int64 `json:"exercise,omitempty"`

	// GroupKey identifies the alert's group: the rule's grouping field
	// values (see GroupKey). Matches of one rule with one GroupKey within the
	// rule's window fold into one alert (internal/triage).
	GroupKey string `json:"group_key,omitempty"`
	// Group holds the grouping field values behind GroupKey.
	Group map[string]string `json:"group,omitempty"`
	// Count is how many matches the alert stands for (1 and up); FirstSeen
	// and LastSeen are when the first and the latest were raised. Filled by
	// the triage reads; zero elsewhere.
	Count     int64     `json:"count,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// State is the triage state (new, acknowledged, assigned,
	// false_positive, confirmed), Assignee the user it is assigned to and
	// StateReason why it last changed. Filled by the triage reads.
	State       string `json:"state,omitempty"`
	Assignee    string `json:"assignee,omitempty"`
	StateReason string `json:"state_reason,omitempty"`

	// Explanation says why an anomaly model raised the alert: baseline,
	// observed value and score. Nil for rule alerts.
	Explanation *Explanation `json:"explanation,omitempty"`
}
