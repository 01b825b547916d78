package readiness

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// prepare sets what the service derives for a new finding: found (now
// when zero), the due date from the policy, state open, the creator.
func (s *Service) prepare(ctx context.Context, pol *Policy, f *Finding, now time.Time) {
	if f.Found.IsZero() {
		f.Found = now
	}
	f.Found = f.Found.UTC()
	f.Due = pol.FindingDeadlines.Due(f.Severity, f.Found)
	f.State, f.History = StateOpen, []StateChange{}
	f.Created, f.Updated, f.CreatedBy = now.UTC(), now.UTC(), audit.ActorFrom(ctx)
}

// findingDetails are the audit details of a new finding.
func findingDetails(f *Finding) map[string]any {
	d := map[string]any{"source": f.Source, "title": f.Title, "severity": f.Severity,
		"owner": f.Owner, "due": f.Due.Format(time.DateOnly), "services": f.Services}
	if f.Ref != "" {
		d["ref"] = f.Ref
	}
	if f.CVSSVector != "" {
		d["cvss_vector"] = f.CVSSVector
	}
	if f.CVSSScore != nil {
		d["cvss_score"] = *f.CVSSScore
	}
	if f.ExerciseID != 0 {
		d["exercise"] = f.ExerciseID
	}
	return d
}

// CreateFinding stores a finding entered by hand (or through the API).
func (s *Service) CreateFinding(ctx context.Context, in FindingInput) (*Finding, error) {
	f, err := in.Finding()
	if err != nil {
		return nil, err
	}
	if err := s.checkExercise(ctx, f.ExerciseID); err != nil {
		return nil, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	s.prepare(ctx, pol, &f, s.cfg.Now())
	fs := []Finding{f}
	if err := s.cfg.Store.CreateFindings(ctx, fs); err != nil {
		return nil, fmt.Errorf("create finding: %w", err)
	}
	f = fs[0]
	err = s.record(ctx, audit.FindingCreated, "finding", strconv.FormatInt(f.ID, 10),
		findingDetails(&f))
	f.Overdue = f.Tracking.Overdue(s.cfg.Now())
	return &f, err
}

// checkExercise checks that a linked exercise exists.
func (s *Service) checkExercise(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := s.cfg.Store.GetExercise(ctx, id); err != nil {
		return fieldErr("exercise_id", "no exercise %d", id)
	}
	return nil
}

// ImportResult is the outcome of an import: the findings created, the refs
// skipped because they were imported before, and the problems (when there
// are any, nothing was imported).
type ImportResult struct {
	Created []Finding     `json:"created"`
	Skipped []string      `json:"skipped"`
	Errors  []ImportError `json:"errors"`
}

// ImportFindings reads findings from r (format "csv" or "json"), all or
// nothing: when any record has a problem, ImportResult.Errors lists them
// all and nothing is stored. source is the default source of records that
// name none. Records whose source and ref were imported before are
// skipped, so that importing an updated report adds only its new findings.
func (s *Service) ImportFindings(ctx context.Context, format string, source Source,
	r io.Reader) (*ImportResult, error) {
	var (
		fs   []Finding
		errs []ImportError
	)
	switch format {
	case "csv":
		fs, errs = ParseFindingsCSV(r)
	case "json":
		fs, errs = ParseFindingsJSON(r)
	default:
		return nil, fieldErr("format", "%q, want csv or json", format)
	}
	res := &ImportResult{Created: []Finding{}, Skipped: []string{}, Errors: errs}
	if errs == nil {
		res.Errors = []ImportError{}
	}
	if len(errs) > 0 {
		return res, nil
	}
	if len(fs) == 0 {
		res.Errors = []ImportError{{Line: 1, Msg: "no finding in the file"}}
		return res, nil
	}
	fresh, skipped, err := s.freshFindings(ctx, fs, source)
	if err != nil {
		return nil, err
	}
	res.Skipped = skipped
	if len(fresh) == 0 {
		return res, nil
	}
	if err := s.cfg.Store.CreateFindings(ctx, fresh); err != nil {
		return nil, fmt.Errorf("import findings: %w", err)
	}
	now := s.cfg.Now()
	ids := make([]int64, len(fresh))
	for i := range fresh {
		ids[i] = fresh[i].ID
		fresh[i].Overdue = fresh[i].Tracking.Overdue(now)
	}
	res.Created = fresh
	return res, s.record(ctx, audit.FindingsImported, "finding", strconv.FormatInt(ids[0], 10),
		map[string]any{"format": format, "ids": ids, "skipped": res.Skipped,
			"count": len(fresh)})
}

// freshFindings prepares the imported findings that are new: a record
// whose source and ref were imported before (or appear twice) is skipped;
// source replaces the default source.
func (s *Service) freshFindings(ctx context.Context, fs []Finding, source Source) (
	[]Finding, []string, error) {
	existing, err := s.cfg.Store.ListFindings(ctx, FindingFilter{})
	if err != nil {
		return nil, nil, fmt.Errorf("import findings: %w", err)
	}
	taken := map[string]bool{}
	for _, f := range existing {
		if f.Ref != "" {
			taken[string(f.Source)+"\x00"+f.Ref] = true
		}
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.cfg.Now()
	var (
		fresh   []Finding
		skipped = []string{}
	)
	for _, f := range fs {
		if source != "" && f.Source == SourceManual {
			f.Source = source
		}
		key := string(f.Source) + "\x00" + f.Ref
		if f.Ref != "" && taken[key] {
			skipped = append(skipped, f.Ref)
			continue
		}
		taken[key] = f.Ref != ""
		if err := s.checkExercise(ctx, f.ExerciseID); err != nil {
			return nil, nil, err
		}
		s.prepare(ctx, pol, &f, now)
		fresh = append(fresh, f)
	}
	return fresh, skipped, nil
}

// Finding returns one finding with its overdue flag.
func (s *Service) Finding(ctx context.Context, id int64) (*Finding, error) {
	f, err := s.cfg.Store.GetFinding(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get finding %d: %w", id, err)
	}
	f.Overdue = f.Tracking.Overdue(s.cfg.Now())
	return f, nil
}

// FindingQuery selects the findings of the combined list.
type FindingQuery struct {
	FindingFilter
	// Overdue keeps only the overdue ones; Open only those not closed.
	Overdue, Open bool
	// Triage adds triage's vulnerability reports (unless ExerciseID is
	// set, or Source names another source).
	Triage bool
}

// Findings returns findings and, when q.Triage, triage's vulnerability
// reports, with their overdue flags, most urgent first: overdue ones, then
// by due date.
func (s *Service) Findings(ctx context.Context, q FindingQuery) ([]Finding, error) {
	fs := []Finding{}
	if q.Source != SourceTriage {
		got, err := s.cfg.Store.ListFindings(ctx, q.FindingFilter)
		if err != nil {
			return nil, fmt.Errorf("list findings: %w", err)
		}
		fs = append(fs, got...)
	}
	if q.Triage && s.cfg.Vulnerabilities != nil && q.ExerciseID == 0 &&
		(q.Source == "" || q.Source == SourceTriage) {
		vs, err := s.cfg.Vulnerabilities(ctx)
		if err != nil {
			return nil, fmt.Errorf("list vulnerability reports: %w", err)
		}
		for _, v := range vs {
			if (q.State == "" || v.State == q.State) && (q.Owner == "" || v.Owner == q.Owner) &&
				(q.Severity == "" || v.Severity == q.Severity) {
				fs = append(fs, v)
			}
		}
	}
	now := s.cfg.Now()
	out := fs[:0]
	for _, f := range fs {
		f.Overdue = f.Tracking.Overdue(now)
		if (!q.Overdue || f.Overdue) && (!q.Open || !f.Tracking.Closed(now)) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// FindingPatch changes a finding; nil fields stay. Version must be the
// stored one. State moves follow Tracking.Move; risk_accepted needs Reason
// and RiskExpires. A new severity (or CVSS vector or score) moves the due
// date, counted from the day the finding was found.
type FindingPatch struct {
	Version     int64      `json:"version"`
	State       *State     `json:"state,omitempty"`
	Reason      *string    `json:"reason,omitempty"`
	RiskExpires *time.Time `json:"risk_expires,omitempty"`
	Owner       *string    `json:"owner,omitempty"`
	Title       *string    `json:"title,omitempty"`
	Description *string    `json:"description,omitempty"`
	Services    *[]string  `json:"services,omitempty"`
	Severity    *Severity  `json:"severity,omitempty"`
	CVSSVector  *string    `json:"cvss_vector,omitempty"`
	CVSSScore   *float64   `json:"cvss_score,omitempty"`
}

// UpdateFinding applies patch to finding id. When owner is not empty the
// caller may change only findings it owns, and only their state (to open,
// in_progress or fixed) and description: verification, risk acceptance
// and reassignment are the security team's (ErrForbidden).
func (s *Service) UpdateFinding(ctx context.Context, id int64, patch FindingPatch,
	owner string) (*Finding, error) {
	f, err := s.Finding(ctx, id)
	if err != nil {
		return nil, err
	}
	if owner != "" {
		if err := ownerMayPatch(f, patch, owner); err != nil {
			return nil, err
		}
	}
	if patch.Version != f.Version {
		return nil, &staleError{id: id, version: patch.Version, current: f.Version}
	}
	now := s.cfg.Now()
	details, err := s.applyPatch(ctx, f, patch, now)
	if err != nil || len(details) == 0 {
		return f, err
	}
	f.Updated = now.UTC()
	if err := s.cfg.Store.UpdateFinding(ctx, f); err != nil {
		return nil, fmt.Errorf("update finding %d: %w", id, err)
	}
	f.Overdue = f.Tracking.Overdue(now)
	action := audit.FindingUpdated
	if _, ok := details["state"]; ok {
		action = audit.FindingStateChanged
	}
	return f, s.record(ctx, action, "finding", strconv.FormatInt(id, 10), details)
}

// staleError is a patch based on an old version; errors.Is(err,
// ErrStale) holds.
type staleError struct{ id, version, current int64 }

// ErrStale is a change based on a version that is no longer the stored one.
var ErrStale = fmt.Errorf("stale version")

func (e *staleError) Error() string {
	return fmt.Sprintf("finding %d: version %d is stale, current is %d", e.id, e.version,
		e.current)
}

func (e *staleError) Is(target error) bool { return target == ErrStale }

// ownerMayPatch checks a restricted owner's patch.
func ownerMayPatch(f *Finding, p FindingPatch, owner string) error {
	switch {
	case f.Owner != owner:
		return fmt.Errorf("finding %d: %w: you may change only the findings you own", f.ID,
			ErrForbidden)
	case p.Owner != nil || p.Title != nil || p.Services != nil || p.Severity != nil ||
		p.CVSSVector != nil || p.CVSSScore != nil || p.RiskExpires != nil:
		return fmt.Errorf("finding %d: %w: an owner may change the state and the "+
			"description only", f.ID, ErrForbidden)
	case p.State != nil && *p.State != StateOpen && *p.State != StateInProgress &&
		*p.State != StateFixed:
		return fmt.Errorf("finding %d: %w: verification and risk acceptance are the "+
			"security team's", f.ID, ErrForbidden)
	}
	return nil
}

// applyPatch changes f in memory and returns the audit details of what
// changed (nothing changed: empty).
func (s *Service) applyPatch(ctx context.Context, f *Finding, p FindingPatch,
	now time.Time) (map[string]any, error) {
	d := map[string]any{}
	change := func(key string, from, to any) { d[key] = map[string]any{"from": from, "to": to} }
	if p.Title != nil && strings.TrimSpace(*p.Title) != f.Title {
		if strings.TrimSpace(*p.Title) == "" {
			return nil, fieldErr("title", "required")
		}
		change("title", f.Title, strings.TrimSpace(*p.Title))
		f.Title = strings.TrimSpace(*p.Title)
	}
	if p.Description != nil && *p.Description != f.Description {
		change("description", len(f.Description), len(*p.Description))
		f.Description = *p.Description
	}
	if p.Owner != nil && strings.TrimSpace(*p.Owner) != f.Owner {
		change("owner", f.Owner, strings.TrimSpace(*p.Owner))
		f.Owner = strings.TrimSpace(*p.Owner)
	}
	if p.Services != nil {
		if svc := cleanList(*p.Services); !slices.Equal(svc, f.Services) {
			change("services", f.Services, svc)
			f.Services = svc
		}
	}
	if p.Severity != nil || p.CVSSVector != nil || p.CVSSScore != nil {
		if err := s.rescore(ctx, f, p, change); err != nil {
			return nil, err
		}
	}
	if p.State != nil && *p.State != f.State {
		reason, expires := "", time.Time{}
		if p.Reason != nil {
			reason = strings.TrimSpace(*p.Reason)
		}
		if p.RiskExpires != nil {
			expires = *p.RiskExpires
		}
		from := f.State
		if err := f.Move(*p.State, audit.ActorFrom(ctx), reason, expires, now); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		change("state", from, f.State)
		if reason != "" {
			d["reason"] = reason
		}
		if f.State == StateRiskAccepted {
			d["risk_expires"] = f.RiskExpires
		}
	}
	return d, nil
}

// rescore applies a new severity, vector or score and moves the due date.
func (s *Service) rescore(ctx context.Context, f *Finding, p FindingPatch,
	change func(string, any, any)) error {
	g := *f
	switch {
	case p.CVSSVector != nil:
		g.CVSSVector, g.CVSSScore = *p.CVSSVector, p.CVSSScore
	case p.CVSSScore != nil:
		g.CVSSVector, g.CVSSScore = "", p.CVSSScore
	default:
		g.CVSSVector, g.CVSSScore, g.Severity = "", nil, *p.Severity
	}
	if err := g.Normalize(); err != nil {
		return err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	if g.Severity != f.Severity {
		change("severity", f.Severity, g.Severity)
		due := pol.FindingDeadlines.Due(g.Severity, f.Found)
		change("due", f.Due.Format(time.DateOnly), due.Format(time.DateOnly))
		f.Due = due
	}
	if g.CVSSVector != f.CVSSVector {
		change("cvss_vector", f.CVSSVector, g.CVSSVector)
	}
	f.Severity, f.CVSSVector, f.CVSSScore = g.Severity, g.CVSSVector, g.CVSSScore
	return nil
}
