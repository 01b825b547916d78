package incident

import "time"

// Incident is the record of a security incident. This is the foundation's
// subset; the full NIST SP 800-61 record is issue #3.
type Incident struct {
	// ID is assigned by the store; 0 before insertion.
	ID int64 `json:"id"`
	// Number is the human identifier, "INC-2026-0042", assigned by the store
	// from the year of Opened and a per-year sequence.
	Number string `json:"number"`
	// Title is a one-line summary, at first the title of the opening alert.
	Title string `json:"title"`
	// Severity is critical, high, medium or low.
	Severity string `json:"severity"`
	// Status is open or closed.
	Status string `json:"status"`
	// Phase is detected, analysis, containment, eradication, recovery,
	// post-incident or closed.
	Phase string `json:"phase"`
	// AlertIDs are the alerts linked to the incident.
	AlertIDs []int64 `json:"alert_ids"`
	// Opened is when the incident was opened; Updated when it last changed.
	Opened  time.Time `json:"opened"`
	Updated time.Time `json:"updated"`
	// Exercise is the exercise whose events opened the incident, 0 for a
	// real one; like detect.Alert.Exercise it lives in the store's exercise
	// marks, and the API fills it on listings.
	Exercise int64 `json:"exercise,omitempty"`
}

// Status and phase values. The phases of the state machine are typed Phase
// in phase.go; these constants are untyped so both fit.
const (
	StatusOpen     = "open"
	StatusClosed   = "closed"
	PhaseDetected  = "detected"
	PhaseAnalysis  = "analysis"
	PhaseClosed    = "closed"
	SeverityLow    = "low"
	SeverityMedium = "medium"
	SeverityHigh   = "high"
	SeverityCrit   = "critical"
)

// SeverityFromLevel maps a Sigma rule level to an incident severity, and says
// whether an alert of that level opens an incident (high and critical do).
func SeverityFromLevel(level string) (severity string, opens bool) {
	switch level {
	case "critical":
		return SeverityCrit, true
	case "high":
		return SeverityHigh, true
	case "medium":
		return SeverityMedium, false
	default:
		return SeverityLow, false
	}
}
