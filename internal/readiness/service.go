package readiness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// Store is what the Service needs of the store (internal/store.Readiness
// has it). Objects are kept whole; Version counts their stored versions.
// Unknown keys give the store's not-found error, a stale Version its
// conflict error, a taken key its duplicate error (the API maps them).
type Store interface {
	// GetReadinessPolicy returns the stored policy, or nil and no error
	// when none was stored yet.
	GetReadinessPolicy(ctx context.Context) (*Policy, error)
	// PutReadinessPolicy stores p when the stored version is p.Version (0
	// when none is stored), then sets p.Version (one more) and p.Updated.
	PutReadinessPolicy(ctx context.Context, p *Policy) error

	// PutPerson creates p when p.Version is 0 (a taken name is a
	// duplicate), else replaces the stored person at that version; it sets
	// p.Version and p.Updated.
	PutPerson(ctx context.Context, p *Person) error
	GetPerson(ctx context.Context, name string) (*Person, error)
	// ListPeople returns everyone, by name.
	ListPeople(ctx context.Context) ([]Person, error)
	// AddCompletion stores c, setting c.ID; completions are never changed.
	AddCompletion(ctx context.Context, c *Completion) error
	// ListCompletions returns the completions of person (everyone's when
	// empty), by ID.
	ListCompletions(ctx context.Context, person string) ([]Completion, error)

	// CreateFindings stores fs in one transaction, setting each ID and
	// Version (1). A Source and Ref (when Ref is set) that are taken make
	// it a duplicate and store nothing.
	CreateFindings(ctx context.Context, fs []Finding) error
	GetFinding(ctx context.Context, id int64) (*Finding, error)
	// ListFindings returns the findings that f selects, by ID.
	ListFindings(ctx context.Context, f FindingFilter) ([]Finding, error)
	// UpdateFinding saves f at f.Version, then sets f.Version.
	UpdateFinding(ctx context.Context, f *Finding) error

	// CreateExercise stores e, setting e.ID and e.Version (1).
	CreateExercise(ctx context.Context, e *Exercise) error
	GetExercise(ctx context.Context, id int64) (*Exercise, error)
	// ListExercises returns every exercise, newest first.
	ListExercises(ctx context.Context) ([]Exercise, error)
	// UpdateExercise saves e at e.Version, then sets e.Version.
	UpdateExercise(ctx context.Context, e *Exercise) error
}

// FindingFilter selects findings; zero fields select everything.
type FindingFilter struct {
	State      State
	Owner      string
	Severity   Severity
	Source     Source
	ExerciseID int64
}

// Recorder appends entries to the audit trail; *audit.Log is one.
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// Notifier queues a reminder to a person: by key once (a second reminder
// with the same key is dropped), to email or, when empty, to the Vigil
// user named person. *notify.Dispatcher is one.
type Notifier interface {
	Remind(ctx context.Context, key, person, email, subject, body string) error
}

// Errors of the Service that callers branch on, besides ErrInvalid.
var (
	// ErrForbidden is a change the principal may not make to an object it
	// can see (an owner accepting the risk of its own finding).
	ErrForbidden = errors.New("forbidden")
	// ErrClosed is a change refused because the exercise is over.
	ErrClosed = errors.New("exercise is completed or cancelled")
)

// Config configures a Service. Store and Audit are required.
type Config struct {
	Store Store
	// Audit records every change. Required.
	Audit Recorder
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Vulnerabilities lists triage's vulnerability reports as findings
	// (Source triage, VulnerabilityID set), so that one list holds both.
	// Nil: none.
	Vulnerabilities func(ctx context.Context) ([]Finding, error)
	// Teams maps a person's name to the response teams whose members list
	// them (the team directory). Nil: only the teams on people's records.
	Teams func(ctx context.Context) (map[string][]string, error)
	// Notifier sends the reminders. Nil: Remind does nothing.
	Notifier Notifier
	// Logger receives what fails in the background. Default: discard.
	Logger *slog.Logger
}

// Service runs the preparation program: the policy, training records and
// their report, findings and exercises. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and applies its defaults.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil {
		return nil, errors.New("readiness: Config.Store and Audit are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// record appends an audit entry. The change is stored already, so a
// failure is returned for the caller to answer 500 with, not undone.
// TODO: record in the store's transaction once the store offers it, so
// that a crash between the two cannot leave a change without its entry.
func (s *Service) record(ctx context.Context, action audit.Action, objType, objID string,
	details map[string]any) error {
	raw, err := audit.CanonicalDetails(details)
	if err == nil {
		_, err = s.cfg.Audit.Record(ctx, audit.Entry{Action: action, ObjectType: objType,
			ObjectID: objID, Details: raw})
	}
	if err != nil {
		return fmt.Errorf("record %s: %w", action, err)
	}
	return nil
}

// Policy returns the stored policy, or the shipped default (version 0).
func (s *Service) Policy(ctx context.Context) (*Policy, error) {
	p, err := s.cfg.Store.GetReadinessPolicy(ctx)
	if err != nil {
		return nil, fmt.Errorf("get readiness policy: %w", err)
	}
	if p == nil {
		return DefaultPolicy(), nil
	}
	return p, nil
}

// SetPolicy replaces the policy with p (checked) when version is the
// current one (0 while the default is in force).
func (s *Service) SetPolicy(ctx context.Context, p *Policy, version int64) (*Policy, error) {
	p.setDefaults()
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p.Version, p.UpdatedBy = version, audit.ActorFrom(ctx)
	if err := s.cfg.Store.PutReadinessPolicy(ctx, p); err != nil {
		return nil, fmt.Errorf("set readiness policy: %w", err)
	}
	return p, s.record(ctx, audit.ReadinessPolicySet, "readiness_policy", "1", map[string]any{
		"version": p.Version, "courses": len(p.Courses), "roles": len(p.Roles),
		"onboarding_days": p.OnboardingDays, "refresher_months": p.RefresherMonths,
		"background_checks": len(p.BackgroundChecks), "finding_deadlines": p.FindingDeadlines})
}

// PutPerson creates (version 0) or replaces a person's training record.
func (s *Service) PutPerson(ctx context.Context, p *Person, version int64) error {
	if err := p.Normalize(); err != nil {
		return err
	}
	p.Version, p.UpdatedBy = version, audit.ActorFrom(ctx)
	if err := s.cfg.Store.PutPerson(ctx, p); err != nil {
		return fmt.Errorf("put person %s: %w", p.Name, err)
	}
	checks := make([]map[string]any, len(p.Checks))
	for i, c := range p.Checks {
		checks[i] = map[string]any{"date": c.Date, "status": c.Status, "reference": c.Reference}
	}
	return s.record(ctx, audit.TrainingPersonSet, "training_person", p.Name, map[string]any{
		"created": version == 0, "version": p.Version, "roles": p.Roles, "teams": p.Teams,
		"joined": p.Joined, "environments": p.Environments, "background_checks": checks})
}

// Person returns one training record.
func (s *Service) Person(ctx context.Context, name string) (*Person, error) {
	p, err := s.cfg.Store.GetPerson(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("get person %s: %w", name, err)
	}
	return p, nil
}

// People returns every training record, by name.
func (s *Service) People(ctx context.Context) ([]Person, error) {
	ps, err := s.cfg.Store.ListPeople(ctx)
	if err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return ps, nil
}

// RecordCompletion stores that c.Person completed c.Course on c.Completed,
// with its evidence: the person must exist, the course be in the policy,
// the day not be in the future, and the evidence be given.
func (s *Service) RecordCompletion(ctx context.Context, c *Completion) error {
	c.Person, c.Course = strings.TrimSpace(c.Person), strings.TrimSpace(c.Course)
	c.Evidence = strings.TrimSpace(c.Evidence)
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	switch _, known := pol.Course(c.Course); {
	case !known:
		return fieldErr("course", "%q is not a course of the policy", c.Course)
	case c.Completed.IsZero():
		return fieldErr("completed", "required (2006-01-02)")
	case c.Completed.After(Day(now)):
		return fieldErr("completed", "%s is in the future", c.Completed.Format(time.DateOnly))
	case c.Evidence == "":
		return fieldErr("evidence", "required: a certificate or document reference")
	}
	if _, err := s.Person(ctx, c.Person); err != nil {
		return err
	}
	c.RecordedBy, c.Recorded = audit.ActorFrom(ctx), now.UTC()
	if err := s.cfg.Store.AddCompletion(ctx, c); err != nil {
		return fmt.Errorf("record completion: %w", err)
	}
	return s.record(ctx, audit.TrainingCompleted, "training_person", c.Person, map[string]any{
		"completion": c.ID, "course": c.Course, "completed": c.Completed,
		"evidence": c.Evidence})
}

// Completions returns the completions of person (everyone's when empty).
func (s *Service) Completions(ctx context.Context, person string) ([]Completion, error) {
	cs, err := s.cfg.Store.ListCompletions(ctx, person)
	if err != nil {
		return nil, fmt.Errorf("list completions: %w", err)
	}
	return cs, nil
}

// Training is everyone's requirements at one time, with what they were
// computed from.
type Training struct {
	Policy      *Policy
	People      []Person
	Completions []Completion
	Items       []Item
	teamsOf     func(Person) []string
	now         time.Time
}

// Training computes everyone's requirements now.
func (s *Service) Training(ctx context.Context) (*Training, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	people, err := s.People(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := s.Completions(ctx, "")
	if err != nil {
		return nil, err
	}
	dir := map[string][]string{}
	if s.cfg.Teams != nil {
		if dir, err = s.cfg.Teams(ctx); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
	}
	teamsOf := func(p Person) []string {
		ts := slices.Clone(p.Teams)
		for _, t := range dir[p.Name] {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			return []string{NoTeam}
		}
		slices.Sort(ts)
		return ts
	}
	now := s.cfg.Now()
	return &Training{Policy: pol, People: people, Completions: cs, teamsOf: teamsOf, now: now,
		Items: pol.Statuses(people, cs, teamsOf, now)}, nil
}

// Report returns the overdue report, narrowed to one team and one person
// when they are not empty.
func (t *Training) Report(team, person string) Report {
	people := t.People
	if person != "" {
		people = slices.DeleteFunc(slices.Clone(people), func(p Person) bool {
			return p.Name != person
		})
	}
	teamsOf := t.teamsOf
	if team != "" {
		teamsOf = func(p Person) []string {
			if slices.Contains(t.teamsOf(p), team) {
				return []string{team}
			}
			return nil
		}
		people = slices.DeleteFunc(slices.Clone(people), func(p Person) bool {
			return len(teamsOf(p)) == 0
		})
	}
	return BuildReport(t.Items, people, teamsOf, t.now, t.Policy.Version)
}
