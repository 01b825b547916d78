package readiness

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Severity is the qualitative rating of a finding, as CVSS names it.
type Severity string

// The severities, from the most severe.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityNone     Severity = "none"
)

// Severities lists every severity, most severe first.
func Severities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNone}
}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool {
	switch s {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNone:
		return true
	}
	return false
}

// Source says where a finding came from.
type Source string

// The sources of findings. SourceTriage marks the vulnerability reports
// of triage when they are listed with the findings (they are kept and
// changed in triage; see docs/readiness.md).
const (
	SourcePentest  Source = "pentest"
	SourceScan     Source = "scan"
	SourceExercise Source = "exercise"
	SourceAudit    Source = "audit"
	SourceManual   Source = "manual"
	SourceTriage   Source = "triage"
)

// Sources lists the sources a finding may be created with (not triage).
func Sources() []Source {
	return []Source{SourcePentest, SourceScan, SourceExercise, SourceAudit, SourceManual}
}

// Finding is a penetration-test, scan, exercise or audit finding, tracked
// to closure. Its severity comes from its CVSS vector when it has one,
// else from its score, else as given.
type Finding struct {
	ID     int64  `json:"id"`
	Source Source `json:"source"`
	// Ref is the finding's identifier in its report ("PT-2026-07"), unique
	// per Source when set, so that a re-imported report adds nothing twice.
	Ref         string   `json:"ref,omitempty"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Severity    Severity `json:"severity"`
	// CVSSVector is a CVSS v3.1 base vector; CVSSScore its base score, or
	// the score the report gave when there is no vector.
	CVSSVector string   `json:"cvss_vector,omitempty"`
	CVSSScore  *float64 `json:"cvss_score,omitempty"`
	Services   []string `json:"services"`
	// ExerciseID links a finding to the exercise that found it.
	ExerciseID int64 `json:"exercise_id,omitempty"`
	// VulnerabilityID is set on the triage reports listed with findings.
	VulnerabilityID int64 `json:"vulnerability_id,omitempty"`
	// Found is when the finding was reported; the deadline counts from it.
	Found     time.Time `json:"found"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	CreatedBy string    `json:"created_by"`
	Version   int64     `json:"version"`
	Tracking
	// Overdue is Tracking.Overdue at the time of the answer; filled by
	// Service reads, not stored.
	Overdue bool `json:"overdue"`
}

// Deadlines is the fix-deadline policy: days allowed to fix a finding of
// each severity, counted from the day it was found.
type Deadlines map[Severity]int

// DefaultDeadlines are critical 7 days, high 30, medium 90, low 180 and
// none (informational) 365.
func DefaultDeadlines() Deadlines {
	return Deadlines{SeverityCritical: 7, SeverityHigh: 30, SeverityMedium: 90,
		SeverityLow: 180, SeverityNone: 365}
}

// Check reports a severity without a positive number of days, or an
// unknown severity.
func (d Deadlines) Check() error {
	for s := range d {
		if !s.Valid() {
			return fmt.Errorf("deadlines: unknown severity %q", s)
		}
	}
	for _, s := range Severities() {
		if d[s] <= 0 {
			return fmt.Errorf("deadlines: %s needs a positive number of days, got %d", s, d[s])
		}
	}
	return nil
}

// Due returns the due date of a finding of severity s found at found:
// midnight UTC of the found day plus the policy's days.
func (d Deadlines) Due(s Severity, found time.Time) time.Time {
	return Day(found).AddDate(0, 0, d[s])
}

// ErrInvalid wraps what makes a request unacceptable (a missing title, an
// unknown value); the API answers 422 with the message.
var ErrInvalid = errors.New("invalid")

// FieldError is an invalid value of one field; errors.Is(err, ErrInvalid)
// holds for it.
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: msg".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Normalize checks f as given by a user or an import and derives what
// follows from it: severity from the CVSS vector (its base score) or from
// a score alone, trimmed strings, a non-nil Services. It does not set the
// due date (Deadlines.Due) or the state.
func (f *Finding) Normalize() error {
	f.Title = strings.TrimSpace(f.Title)
	f.Ref = strings.TrimSpace(f.Ref)
	f.CVSSVector = strings.TrimSpace(f.CVSSVector)
	if f.Title == "" {
		return fieldErr("title", "required")
	}
	if f.Source == "" {
		f.Source = SourceManual
	}
	if !validSource(f.Source) {
		return fieldErr("source", "%q, want one of %v", f.Source, Sources())
	}
	services := []string{}
	for _, s := range f.Services {
		if s = strings.TrimSpace(s); s != "" {
			services = append(services, s)
		}
	}
	f.Services = services
	switch {
	case f.CVSSVector != "":
		c, err := ParseCVSS(f.CVSSVector)
		if err != nil {
			var ce *CVSSError
			errors.As(err, &ce)
			return fieldErr("cvss_vector", "at offset %d: %s", ce.Pos, ce.Msg)
		}
		score := c.BaseScore()
		if f.CVSSScore != nil && math.Abs(*f.CVSSScore-score) > 0.05 {
			return fieldErr("cvss_score", "%.1f does not match the vector's base score %.1f",
				*f.CVSSScore, score)
		}
		f.CVSSScore = &score
		f.Severity = SeverityOfScore(score)
	case f.CVSSScore != nil:
		if !(*f.CVSSScore >= 0 && *f.CVSSScore <= 10) {
			return fieldErr("cvss_score", "%v, want 0.0 to 10.0", *f.CVSSScore)
		}
		f.Severity = SeverityOfScore(*f.CVSSScore)
	case !f.Severity.Valid():
		return fieldErr("severity", "%q, want one of %v (or give cvss_vector or cvss_score)",
			f.Severity, Severities())
	}
	return nil
}

func validSource(s Source) bool {
	for _, x := range Sources() {
		if s == x {
			return true
		}
	}
	return false
}
