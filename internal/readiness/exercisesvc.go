package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// CreateExercise stores a new exercise (planned unless a status is given).
func (s *Service) CreateExercise(ctx context.Context, e *Exercise) error {
	e.Runs = nil
	if err := e.Normalize(); err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	e.Created, e.Updated, e.CreatedBy = now, now, audit.ActorFrom(ctx)
	if err := s.cfg.Store.CreateExercise(ctx, e); err != nil {
		return fmt.Errorf("create exercise: %w", err)
	}
	return s.record(ctx, audit.ExerciseCreated, "exercise", strconv.FormatInt(e.ID, 10),
		map[string]any{"name": e.Name, "kind": e.Kind, "status": e.Status, "scope": e.Scope,
			"scenario": e.Scenario, "participants": len(e.Participants)})
}

// Exercise returns one exercise.
func (s *Service) Exercise(ctx context.Context, id int64) (*Exercise, error) {
	e, err := s.cfg.Store.GetExercise(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get exercise %d: %w", id, err)
	}
	return e, nil
}

// Exercises returns every exercise, newest first.
func (s *Service) Exercises(ctx context.Context) ([]Exercise, error) {
	es, err := s.cfg.Store.ListExercises(ctx)
	if err != nil {
		return nil, fmt.Errorf("list exercises: %w", err)
	}
	return es, nil
}

// ExercisePatch changes an exercise; nil fields stay. Version must be the
// stored one.
type ExercisePatch struct {
	Version      int64           `json:"version"`
	Name         *string         `json:"name,omitempty"`
	Kind         *ExerciseKind   `json:"kind,omitempty"`
	Status       *ExerciseStatus `json:"status,omitempty"`
	Scope        *string         `json:"scope,omitempty"`
	Objectives   *[]string       `json:"objectives,omitempty"`
	Participants *[]Participant  `json:"participants,omitempty"`
	Start        *time.Time      `json:"start,omitempty"`
	End          *time.Time      `json:"end,omitempty"`
	Notes        *string         `json:"notes,omitempty"`
}

// UpdateExercise applies patch to exercise id.
func (s *Service) UpdateExercise(ctx context.Context, id int64, p ExercisePatch) (*Exercise,
	error) {
	e, err := s.Exercise(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Version != e.Version {
		return nil, fmt.Errorf("exercise %d: version %d, current %d: %w", id, p.Version,
			e.Version, ErrStale)
	}
	old := *e
	set := func(dst, src any) {
		switch d := dst.(type) {
		case *string:
			if v := src.(*string); v != nil {
				*d = *v
			}
		case *time.Time:
			if v := src.(*time.Time); v != nil {
				*d = *v
			}
		}
	}
	set(&e.Name, p.Name)
	set(&e.Scope, p.Scope)
	set(&e.Notes, p.Notes)
	set(&e.Start, p.Start)
	set(&e.End, p.End)
	if p.Kind != nil {
		e.Kind = *p.Kind
	}
	if p.Status != nil {
		e.Status = *p.Status
	}
	if p.Objectives != nil {
		e.Objectives = *p.Objectives
	}
	if p.Participants != nil {
		e.Participants = *p.Participants
	}
	if err := e.Normalize(); err != nil {
		return nil, err
	}
	details := exerciseChanges(&old, e)
	if len(details) == 0 {
		return e, nil
	}
	e.Updated = s.cfg.Now().UTC()
	if err := s.cfg.Store.UpdateExercise(ctx, e); err != nil {
		return nil, fmt.Errorf("update exercise %d: %w", id, err)
	}
	return e, s.record(ctx, audit.ExerciseUpdated, "exercise", strconv.FormatInt(id, 10),
		details)
}

// exerciseChanges lists the fields that differ, from and to.
func exerciseChanges(a, b *Exercise) map[string]any {
	d := map[string]any{}
	add := func(key string, from, to any, same bool) {
		if !same {
			d[key] = map[string]any{"from": from, "to": to}
		}
	}
	add("name", a.Name, b.Name, a.Name == b.Name)
	add("kind", a.Kind, b.Kind, a.Kind == b.Kind)
	add("status", a.Status, b.Status, a.Status == b.Status)
	add("scope", a.Scope, b.Scope, a.Scope == b.Scope)
	add("notes", len(a.Notes), len(b.Notes), a.Notes == b.Notes)
	add("start", a.Start, b.Start, a.Start.Equal(b.Start))
	add("end", a.End, b.End, a.End.Equal(b.End))
	add("objectives", a.Objectives, b.Objectives, slices.Equal(a.Objectives, b.Objectives))
	add("participants", a.Participants, b.Participants,
		slices.Equal(a.Participants, b.Participants))
	return d
}

// RecordRun appends the result of a replay to exercise id: the run is
// checked and summarized, and each missed detection becomes a finding of
// the exercise (source exercise, the expectation's severity, due by the
// policy). It returns the exercise with the run stored.
func (s *Service) RecordRun(ctx context.Context, id int64, run Run) (*Exercise, error) {
	if err := run.Check(); err != nil {
		return nil, err
	}
	run.Summarize()
	if run.Steps == nil {
		run.Steps = []RunStep{}
	}
	if run.Other == nil {
		run.Other = []SeenAlert{}
	}
	for attempt := 0; ; attempt++ {
		e, err := s.Exercise(ctx, id)
		if err != nil {
			return nil, err
		}
		if e.Status == ExerciseCancelled {
			return nil, fmt.Errorf("exercise %d: %w", id, ErrClosed)
		}
		r := run
		r.ID, r.RecordedBy, r.Recorded = len(e.Runs)+1, audit.ActorFrom(ctx), s.cfg.Now().UTC()
		e.Runs = append(e.Runs, r)
		e.Updated = r.Recorded
		tried := e.Version
		if err := s.cfg.Store.UpdateExercise(ctx, e); err != nil {
			// A lost race (someone saved the exercise meanwhile) is retried.
			if now, gerr := s.Exercise(ctx, id); gerr == nil && now.Version != tried &&
				attempt < 3 {
				continue
			}
			return nil, fmt.Errorf("record run of exercise %d: %w", id, err)
		}
		ids, err := s.missedFindings(ctx, e, &e.Runs[len(e.Runs)-1])
		if err != nil {
			return nil, err
		}
		e.Runs[len(e.Runs)-1].FindingIDs = ids
		if len(ids) > 0 {
			if err := s.cfg.Store.UpdateExercise(ctx, e); err != nil {
				return nil, fmt.Errorf("record run of exercise %d: %w", id, err)
			}
		}
		return e, s.record(ctx, audit.ExerciseRunRecorded, "exercise",
			strconv.FormatInt(id, 10), map[string]any{"run": r.ID, "scenario": r.Scenario,
				"expected": r.Summary.Expected, "detected": r.Summary.Detected,
				"missed": r.Summary.Missed, "mean_ttd_ms": r.Summary.MeanTTDMillis,
				"findings": ids})
	}
}

// missedFindings records a finding for each missed detection of run.
func (s *Service) missedFindings(ctx context.Context, e *Exercise, run *Run) ([]int64, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	var fs []Finding
	for i, d := range run.Detections {
		if d.Detected {
			continue
		}
		f := Finding{Source: SourceExercise, ExerciseID: e.ID,
			Ref:      fmt.Sprintf("exercise-%d-run-%d-%d", e.ID, run.ID, i+1),
			Title:    "Missed detection: " + d.Expect.Label(),
			Severity: d.Expect.Severity, Services: []string{},
			Description: fmt.Sprintf("Run %d of exercise %q replayed scenario %s; no alert "+
				"met the expectation (%s).", run.ID, e.Name, run.Scenario, expectText(d.Expect))}
		if !f.Severity.Valid() {
			f.Severity = SeverityMedium
		}
		s.prepare(ctx, pol, &f, now)
		fs = append(fs, f)
	}
	if len(fs) == 0 {
		return []int64{}, nil
	}
	if err := s.cfg.Store.CreateFindings(ctx, fs); err != nil {
		return nil, fmt.Errorf("record missed detections: %w", err)
	}
	ids := make([]int64, len(fs))
	for i := range fs {
		ids[i] = fs[i].ID
		err := s.record(ctx, audit.FindingCreated, "finding", strconv.FormatInt(fs[i].ID, 10),
			findingDetails(&fs[i]))
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func expectText(e Expectation) string {
	if e.Rule != "" {
		return "rule " + e.Rule
	}
	return "tag " + e.Tag
}

// Disclosure returns the disclosure report of exercise id as Markdown;
// responses maps alert IDs to the first response to them.
func (s *Service) Disclosure(ctx context.Context, id int64,
	responses map[int64]Response) (string, error) {
	e, err := s.Exercise(ctx, id)
	if err != nil {
		return "", err
	}
	fs, err := s.cfg.Store.ListFindings(ctx, FindingFilter{ExerciseID: id})
	if err != nil {
		return "", fmt.Errorf("disclosure of exercise %d: %w", id, err)
	}
	return Disclosure(e, fs, responses, s.cfg.Now()), nil
}
