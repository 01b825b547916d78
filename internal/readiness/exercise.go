package readiness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ExerciseKind is the form of an exercise.
type ExerciseKind string

// The kinds of exercise.
const (
	ExerciseRedTeam    ExerciseKind = "red_team"
	ExerciseBlueTeam   ExerciseKind = "blue_team"
	ExercisePurpleTeam ExerciseKind = "purple_team"
	ExerciseTabletop   ExerciseKind = "tabletop"
	// ExerciseSimulation is a scenario replayed by vigil exercise run.
	ExerciseSimulation ExerciseKind = "simulation"
)

// ExerciseKinds lists every kind.
func ExerciseKinds() []ExerciseKind {
	return []ExerciseKind{ExerciseRedTeam, ExerciseBlueTeam, ExercisePurpleTeam,
		ExerciseTabletop, ExerciseSimulation}
}

// ExerciseStatus is where an exercise stands.
type ExerciseStatus string

// The statuses of an exercise. Events tagged with an exercise are accepted
// only while it is planned or running.
const (
	ExercisePlanned   ExerciseStatus = "planned"
	ExerciseRunning   ExerciseStatus = "running"
	ExerciseCompleted ExerciseStatus = "completed"
	ExerciseCancelled ExerciseStatus = "cancelled"
)

// ExerciseStatuses lists every status.
func ExerciseStatuses() []ExerciseStatus {
	return []ExerciseStatus{ExercisePlanned, ExerciseRunning, ExerciseCompleted,
		ExerciseCancelled}
}

// Open reports whether the exercise takes events (planned or running).
func (s ExerciseStatus) Open() bool { return s == ExercisePlanned || s == ExerciseRunning }

// Exercise is a red team, blue team or purple team exercise, a tabletop
// drill or a replayed simulation, with its runs and (through ExerciseID)
// its findings.
type Exercise struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Kind         ExerciseKind   `json:"kind"`
	Status       ExerciseStatus `json:"status"`
	Scope        string         `json:"scope"`
	Objectives   []string       `json:"objectives"`
	Participants []Participant  `json:"participants"`
	// Start and End are the planned or actual dates and times.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Scenario names the scenario a simulation replays.
	Scenario string `json:"scenario,omitempty"`
	Notes    string `json:"notes,omitempty"`
	// Runs are the replays recorded, oldest first; they are never changed.
	Runs      []Run     `json:"runs"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	CreatedBy string    `json:"created_by"`
	Version   int64     `json:"version"`
}

// Participant is someone taking part in an exercise, on a side: red
// (attacks), blue (defends), white (referees) or observer.
type Participant struct {
	Name string `json:"name"`
	Side string `json:"side"`
}

// Sides lists the sides of a participant.
var Sides = []string{"red", "blue", "white", "observer"}

// Normalize trims e's fields and checks them: a name, a known kind and
// status, participants with names and known sides, an end not before the
// start. The error is a *FieldError.
func (e *Exercise) Normalize() error {
	e.Name, e.Scope = strings.TrimSpace(e.Name), strings.TrimSpace(e.Scope)
	e.Scenario, e.Notes = strings.TrimSpace(e.Scenario), strings.TrimSpace(e.Notes)
	e.Objectives = cleanList(e.Objectives)
	if e.Status == "" {
		e.Status = ExercisePlanned
	}
	if e.Participants == nil {
		e.Participants = []Participant{}
	}
	if e.Runs == nil {
		e.Runs = []Run{}
	}
	switch {
	case e.Name == "":
		return fieldErr("name", "required")
	case !slices.Contains(ExerciseKinds(), e.Kind):
		return fieldErr("kind", "%q, want one of %v", e.Kind, ExerciseKinds())
	case !slices.Contains(ExerciseStatuses(), e.Status):
		return fieldErr("status", "%q, want one of %v", e.Status, ExerciseStatuses())
	case !e.End.IsZero() && e.End.Before(e.Start):
		return fieldErr("end", "before the start")
	}
	for i := range e.Participants {
		p := &e.Participants[i]
		p.Name, p.Side = strings.TrimSpace(p.Name), strings.TrimSpace(p.Side)
		if p.Name == "" || !slices.Contains(Sides, p.Side) {
			return fieldErr(fmt.Sprintf("participants[%d]", i),
				"want a name and a side (%s)", strings.Join(Sides, ", "))
		}
	}
	return nil
}

// Run is one replay of a scenario into a server, as vigil exercise run
// measured it: what was sent when, what was detected and how fast, what
// was missed.
type Run struct {
	ID          int       `json:"id"`
	Scenario    string    `json:"scenario"`
	Description string    `json:"description,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	// Speed is the replay's time factor (2 replays twice as fast).
	Speed      float64     `json:"speed"`
	Steps      []RunStep   `json:"steps"`
	Detections []Detection `json:"detections"`
	// Other are the exercise's alerts that no expectation named: what the
	// blue team saw besides what the scenario expected.
	Other   []SeenAlert `json:"other"`
	Summary RunSummary  `json:"summary"`
	// FindingIDs are the findings recorded for the missed detections.
	FindingIDs []int64   `json:"finding_ids"`
	RecordedBy string    `json:"recorded_by"`
	Recorded   time.Time `json:"recorded"`
}

// RunStep is one step of the red team: the events of a scenario step.
type RunStep struct {
	Step string `json:"step"`
	// AtMillis is the step's time in the scenario; Sent when its first
	// event was posted.
	AtMillis int64     `json:"at_ms"`
	Sent     time.Time `json:"sent"`
	Events   int       `json:"events"`
}

// Detection is the outcome of one expectation.
type Detection struct {
	Expect   Expectation `json:"expect"`
	Detected bool        `json:"detected"`
	// The alert that met it, the step whose event raised it, when the
	// replay first saw it and how long after that step's event was sent.
	AlertID    int64     `json:"alert_id,omitempty"`
	RuleID     string    `json:"rule_id,omitempty"`
	RuleTitle  string    `json:"rule_title,omitempty"`
	Step       string    `json:"step,omitempty"`
	DetectedAt time.Time `json:"detected_at,omitzero"`
	TTDMillis  int64     `json:"ttd_ms,omitempty"`
}

// SeenAlert is an alert of the exercise.
type SeenAlert struct {
	AlertID   int64    `json:"alert_id"`
	RuleID    string   `json:"rule_id"`
	RuleTitle string   `json:"rule_title"`
	Level     string   `json:"level"`
	Tags      []string `json:"tags"`
}

// RunSummary counts a run's outcomes.
type RunSummary struct {
	Expected      int   `json:"expected"`
	Detected      int   `json:"detected"`
	Missed        int   `json:"missed"`
	MeanTTDMillis int64 `json:"mean_ttd_ms"`
	MaxTTDMillis  int64 `json:"max_ttd_ms"`
}

// Summarize counts the detections of r into r.Summary.
func (r *Run) Summarize() {
	s := RunSummary{Expected: len(r.Detections)}
	var total int64
	for _, d := range r.Detections {
		if !d.Detected {
			s.Missed++
			continue
		}
		s.Detected++
		total += d.TTDMillis
		s.MaxTTDMillis = max(s.MaxTTDMillis, d.TTDMillis)
	}
	if s.Detected > 0 {
		s.MeanTTDMillis = total / int64(s.Detected)
	}
	r.Summary = s
}

// Check reports what makes a run as posted unacceptable: no scenario name,
// no detection, a detected one without its alert or with a negative time,
// or a finish before the start. The error is a *FieldError.
func (r *Run) Check() error {
	switch {
	case strings.TrimSpace(r.Scenario) == "":
		return fieldErr("scenario", "required")
	case len(r.Detections) == 0:
		return fieldErr("detections", "want at least one")
	case r.Started.IsZero() || r.Finished.Before(r.Started):
		return fieldErr("finished", "want a start and a finish not before it")
	}
	for i, d := range r.Detections {
		if (d.Expect.Rule == "") == (d.Expect.Tag == "") {
			return fieldErr(fmt.Sprintf("detections[%d].expect", i), "want a rule or a tag")
		}
		if d.Detected && (d.AlertID <= 0 || d.TTDMillis < 0) {
			return fieldErr(fmt.Sprintf("detections[%d]", i),
				"a detection needs its alert_id and a time to detect of 0 or more")
		}
	}
	return nil
}
