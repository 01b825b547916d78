package obligation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// Store is what the service reads and writes; store.Store implements it.
type Store interface {
	store.Obligations
	store.Transactor
	// GetIncident returns one incident, or store.ErrNotFound.
	GetIncident(ctx context.Context, id int64) (*incident.Incident, error)
}

// Config is what a Service needs. Store and Catalog are required.
type Config struct {
	Store   Store
	Catalog *regulation.Catalog
	// Provider is the provider's own profile, for the regimes that bind the
	// provider itself; the zero Profile when not configured.
	Provider regulation.Profile
	// Clock is the time source; time.Now when nil.
	Clock func() time.Time
	// Logger receives diagnostics; none when nil.
	Logger *slog.Logger
}

// Service records facts and keeps the obligation records of incidents. It
// is safe for concurrent use.
type Service struct {
	st       Store
	cat      *regulation.Catalog
	provider regulation.Profile
	now      func() time.Time
	log      *slog.Logger
	audit    *audit.Log
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("obligation: no store")
	case cfg.Catalog == nil:
		return nil, errors.New("obligation: no regulation catalog")
	}
	if err := cfg.Provider.Validate(); err != nil {
		return nil, fmt.Errorf("obligation: provider profile: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{st: cfg.Store, cat: cfg.Catalog, provider: cfg.Provider, now: cfg.Clock,
		log: cfg.Logger, audit: audit.New(nil, cfg.Clock)}, nil
}

// Catalog returns the regulation catalog the service computes with.
func (s *Service) Catalog() *regulation.Catalog { return s.cat }

// Now returns the service's clock reading, in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Errors callers branch on (the API maps them to 400/422 and 409).
var (
	// ErrInvalid wraps a fact or request that is not acceptable; the
	// message names the field.
	ErrInvalid = errors.New("invalid")
	// ErrState wraps a change that the record's state refuses
	// (regulation.ErrTransition, or clearing an overdue flag that is not
	// set).
	ErrState = errors.New("refused by the obligation's state")
)

// FieldError says which field of a request is wrong; it matches
// ErrInvalid.
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: msg".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Is matches ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Result is what recording a fact changed: the fact as stored, the
// differences in the incident's obligations, and its obligation records
// after.
type Result struct {
	Fact        store.IncidentFact       `json:"fact"`
	Changes     []regulation.Change      `json:"changes"`
	Obligations []store.ObligationRecord `json:"obligations"`
}

// RecordFact checks f (a known name, a truth of yes, no or empty, the
// fields its kind allows, a tenant that the incident affects), stores it
// with RecordedAt set to now, recomputes the incident's obligations and
// audits the fact and the differences, all in one transaction. An event
// fact (awareness, determination, ...) recorded as yes without At happened
// now. f.By names the actor ("user:ana"); the context's actor when empty.
func (s *Service) RecordFact(ctx context.Context, f store.IncidentFact) (*Result, error) {
	now := s.Now()
	if f.By == "" {
		f.By = audit.ActorFrom(ctx)
	}
	f.RecordedAt = now
	if err := checkFact(&f); err != nil {
		return nil, err
	}
	if _, err := s.st.GetIncident(ctx, f.IncidentID); err != nil {
		return nil, fmt.Errorf("record fact: %w", err)
	}
	var res Result
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		res, err = s.recordFact(ctx, f)
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record fact %s of incident %d: %w", f.Name, f.IncidentID, err)
	}
	s.log.Info("fact recorded", "incident_id", f.IncidentID, "tenant_id", f.Tenant,
		"fact", f.Name, "changes", len(res.Changes))
	return &res, nil
}

// maxAttempts bounds the tries of a change that lost a race with another
// transaction on the same obligations (PostgreSQL).
const maxAttempts = 5

// recordFact is one attempt of RecordFact, in one transaction.
func (s *Service) recordFact(ctx context.Context, f store.IncidentFact) (Result, error) {
	var res Result
	err := s.st.Atomically(ctx, func(tx store.Tx) error {
		if f.Tenant != "" {
			rows, err := tx.ListAffectedTenants(ctx, f.IncidentID, f.Tenant)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return &FieldError{Field: "tenant", Msg: fmt.Sprintf(
					"%q is not a tenant that incident %d affects", f.Tenant, f.IncidentID)}
			}
		}
		history, err := tx.ListIncidentFacts(ctx, f.IncidentID)
		if err != nil {
			return err
		}
		if err := checkChange(f, store.CurrentFacts(history)); err != nil {
			return err
		}
		if err := tx.AddIncidentFact(ctx, &f); err != nil {
			return err
		}
		if err := s.audit.RecordIn(ctx, tx, factEntry(f)); err != nil {
			return err
		}
		changes, err := s.Recompute(ctx, tx, f.IncidentID, "fact "+f.Name+" recorded")
		if err != nil {
			return err
		}
		recs, err := tx.ListObligations(ctx, store.ObligationFilter{IncidentID: f.IncidentID})
		if err != nil {
			return err
		}
		res = Result{Fact: f, Changes: changes, Obligations: recs}
		return nil
	})
	return res, err
}

// checkFact normalizes f and reports the first problem, as a *FieldError.
func checkFact(f *store.IncidentFact) error {
	f.Name, f.Tenant = strings.TrimSpace(f.Name), strings.TrimSpace(f.Tenant)
	f.Note = strings.TrimSpace(f.Note)
	kind := regulation.KindOf(f.Name)
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case f.IncidentID <= 0:
		return bad("incident_id", "missing")
	case f.Name == "":
		return bad("name", "missing; want one of %s", strings.Join(regulation.FactNames(), ", "))
	case kind == 0:
		return bad("name", "unknown fact %q; want one of %s", f.Name,
			strings.Join(regulation.FactNames(), ", "))
	case f.Truth != regulation.Yes && f.Truth != regulation.No && f.Truth != regulation.Unknown:
		return bad("truth", "%q: want yes, no or unknown", f.Truth)
	case kind != regulation.KindCount && (f.Count != 0 || len(f.Residents) > 0):
		return bad("count", "only the fact %s takes a count or residents",
			regulation.FactAffectedIndividuals)
	case kind == regulation.KindCount && f.Truth != regulation.Yes &&
		(f.Count != 0 || len(f.Residents) > 0):
		return bad("truth", "a count needs truth yes")
	case f.Truth == regulation.Unknown && !f.At.IsZero():
		return bad("at", "an unknown fact has no time")
	case !f.At.IsZero() && f.At.Before(earliestFact):
		return bad("at", "%s is before %s", f.At.UTC().Format(time.RFC3339),
			earliestFact.Format("2006-01-02"))
	case !f.At.IsZero() && f.At.After(f.RecordedAt.Add(factSkew)):
		return bad("at", "%s is in the future (now %s; at most %s ahead)",
			f.At.UTC().Format(time.RFC3339), f.RecordedAt.UTC().Format(time.RFC3339), factSkew)
	case len(f.Note) > 2000:
		return bad("note", "%d characters; at most 2000", len(f.Note))
	}
	if kind == regulation.KindEvent && f.Truth == regulation.Yes && f.At.IsZero() {
		f.At = f.RecordedAt
	}
	f.At = f.At.UTC()
	if err := (regulation.Facts{f.Name: f.Fact}).Validate(); err != nil {
		field := "fact"
		if strings.Contains(err.Error(), "residents") {
			field = "residents"
		} else if strings.Contains(err.Error(), "count") {
			field = "count"
		}
		return &FieldError{Field: field, Msg: err.Error()}
	}
	return checkResidents(f)
}

// Bounds of a fact's time: nothing before earliestFact, and at most
// factSkew after the clock (a clock a little ahead of Vigil's).
var (
	earliestFact = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	factSkew     = 5 * time.Minute
)

// checkResidents checks the residents of a count fact: each code a
// jurisdiction code as tenant profiles accept it (regulation.Profile),
// and their sum at most the count.
func checkResidents(f *store.IncidentFact) error {
	var sum int64
	for _, code := range slices.Sorted(maps.Keys(f.Residents)) {
		p := regulation.Profile{Jurisdictions: []string{code}}
		if err := p.Validate(); err != nil {
			return &FieldError{Field: "residents", Msg: fmt.Sprintf(
				"%q is not an ISO 3166 code such as DE or US-CA", code)}
		}
		n := f.Residents[code]
		if n < 0 {
			return &FieldError{Field: "residents", Msg: fmt.Sprintf("%s: %d is negative",
				code, n)}
		}
		sum += n
	}
	if sum > f.Count {
		return &FieldError{Field: "residents", Msg: fmt.Sprintf(
			"the residents add up to %d, more than the count %d", sum, f.Count)}
	}
	return nil
}

// checkChange refuses a change of a fact already recorded with a value (a
// truth other than unknown) without a note: a different truth, time,
// count or residents than the current one needs the reason in Note.
func checkChange(f store.IncidentFact, current []store.IncidentFact) error {
	if f.Note != "" {
		return nil
	}
	for _, c := range current {
		if c.Name != f.Name || c.Tenant != f.Tenant || c.Truth == regulation.Unknown {
			continue
		}
		if c.Truth != f.Truth || !c.At.Equal(f.At) || c.Count != f.Count ||
			!maps.Equal(c.Residents, f.Residents) {
			return &FieldError{Field: "note", Msg: fmt.Sprintf(
				"%s is already recorded as %s; changing it needs a note giving the reason",
				f.Name, describeFact(c))}
		}
	}
	return nil
}

// describeFact says what a recorded fact holds: "yes at <time>".
func describeFact(f store.IncidentFact) string {
	s := string(f.Truth)
	if regulation.KindOf(f.Name) == regulation.KindCount && f.Truth == regulation.Yes {
		s = strconv.FormatInt(f.Count, 10)
	}
	if !f.At.IsZero() {
		s += " at " + f.At.UTC().Format(time.RFC3339)
	}
	return s
}

// factEntry is the incident.fact_recorded entry of f.
func factEntry(f store.IncidentFact) audit.Entry {
	d := map[string]any{"fact_id": f.ID, "name": f.Name, "truth": string(f.Truth)}
	if f.Tenant != "" {
		d["tenant"] = f.Tenant
	}
	if !f.At.IsZero() {
		d["at"] = f.At
	}
	if regulation.KindOf(f.Name) == regulation.KindCount && f.Truth == regulation.Yes {
		d["count"] = f.Count
		if len(f.Residents) > 0 {
			d["residents"] = f.Residents
		}
	}
	if f.Note != "" {
		d["note"] = f.Note
	}
	return audit.Entry{Actor: f.By, Action: audit.FactRecorded, ObjectType: "incident",
		ObjectID: strconv.FormatInt(f.IncidentID, 10), Tenant: f.Tenant,
		Details: mustJSON(d)}
}

// Facts returns an incident's fact history (oldest first) and its current
// facts.
func (s *Service) Facts(ctx context.Context, incidentID int64) (current,
	history []store.IncidentFact, err error) {
	history, err = s.st.ListIncidentFacts(ctx, incidentID)
	if err != nil {
		return nil, nil, err
	}
	return store.CurrentFacts(history), history, nil
}

// List returns the obligation records of an incident, withdrawn ones
// included, by key.
func (s *Service) List(ctx context.Context, incidentID int64) ([]store.ObligationRecord,
	error) {
	return s.st.ListObligations(ctx, store.ObligationFilter{IncidentID: incidentID})
}

// Get returns one obligation record by its key (regulation.Key.String()),
// or store.ErrNotFound.
func (s *Service) Get(ctx context.Context, incidentID int64, key string) (
	*store.ObligationRecord, error) {
	return s.st.GetObligation(ctx, incidentID, key)
}

// stateEntry is the obligation.state_changed entry of o, moved from from.
func stateEntry(o *store.ObligationRecord, from regulation.State) audit.Entry {
	last := regulation.Event{}
	if n := len(o.Record.History); n > 0 {
		last = o.Record.History[n-1]
	}
	d := map[string]any{"incident_id": o.IncidentID, "key": o.Key, "from": string(from),
		"to": string(o.Record.State)}
	if last.Reason != "" {
		d["reason"] = last.Reason
	}
	return audit.Entry{Actor: actorOf(last.By), Action: audit.ObligationStateChanged,
		ObjectType: "obligation", ObjectID: objectID(o), Tenant: o.Tenant(),
		Details: mustJSON(d)}
}

// objectID names an obligation in the audit trail: "<incident>/<key>".
func objectID(o *store.ObligationRecord) string {
	return strconv.FormatInt(o.IncidentID, 10) + "/" + o.Key
}

// actorOf returns the audit actor of a record's actor: its ID when it is
// already one ("user:ana", "system"), else "user:<id>".
func actorOf(a regulation.Actor) string {
	switch {
	case a.ID == "":
		return ""
	case a.ID == "system" || strings.Contains(a.ID, ":"):
		return a.ID
	}
	return "user:" + a.ID
}

// compareKeys orders keys as regulation.Compute does: regime, tenant,
// stage, occurrence.
func compareKeys(a, b regulation.Key) int {
	return cmp.Or(strings.Compare(a.Regime, b.Regime), strings.Compare(a.Tenant, b.Tenant),
		strings.Compare(a.Stage, b.Stage), a.Occurrence-b.Occurrence)
}
