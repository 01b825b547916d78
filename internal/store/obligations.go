package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
)

// Obligations keeps what decides an incident's regulatory obligations and
// how each is handled (internal/obligation; docs/regulations.md): the
// incident's facts, an append-only history in which the latest entry per
// (incident, tenant, name) is current, and one record per obligation key.
// Records are never deleted: an obligation that a recomputation drops is
// kept, withdrawn with the reason. Writes are in Tx (ObligationTx).
type Obligations interface {
	// ListIncidentFacts returns every fact recorded for the incident,
	// oldest first (by ID); CurrentFacts picks the current ones.
	ListIncidentFacts(ctx context.Context, incidentID int64) ([]IncidentFact, error)
	// GetObligation returns the record of one obligation of the incident by
	// its key (regulation.Key.String()), or ErrNotFound.
	GetObligation(ctx context.Context, incidentID int64, key string) (*ObligationRecord, error)
	// ListObligations returns the records f selects, by incident and key.
	ListObligations(ctx context.Context, f ObligationFilter) ([]ObligationRecord, error)
}

// ObligationTx is the part of Tx that writes facts and obligation records
// (Tx embeds it), with the reads that must see the transaction's own
// writes.
type ObligationTx interface {
	// AddIncidentFact appends f to the incident's facts, setting f.ID (and
	// a zero RecordedAt to the store's clock). An unknown incident gives
	// ErrNotFound. Facts are never changed.
	AddIncidentFact(ctx context.Context, f *IncidentFact) error
	// PutObligation stores o. Version 0 creates it at version 1 (a key
	// that exists gives ErrDuplicate); otherwise the stored version must
	// be o.Version (else a *ConflictError) and becomes one more. The
	// indexed columns are taken from o.Record and o.Key; o.Version,
	// Created and Updated (the store's clock) are set.
	PutObligation(ctx context.Context, o *ObligationRecord) error
	// GetObligation, ListObligations and ListIncidentFacts are the reads of
	// Obligations inside the transaction: they see its writes, and
	// GetObligation locks the row until the transaction ends (PostgreSQL
	// SELECT ... FOR UPDATE; SQLite has one writer). A GetObligation that
	// finds nothing (ErrNotFound) does not spoil the transaction.
	GetObligation(ctx context.Context, incidentID int64, key string) (*ObligationRecord, error)
	ListObligations(ctx context.Context, f ObligationFilter) ([]ObligationRecord, error)
	ListIncidentFacts(ctx context.Context, incidentID int64) ([]IncidentFact, error)
	// ListAffectedTenants is ScopeStore.ListAffectedTenants inside the
	// transaction: it sees a scope saved by it.
	ListAffectedTenants(ctx context.Context, incidentID int64,
		tenant string) ([]AffectedTenant, error)
	// ObligationTenants returns the stored tenants among ids, by ID, read
	// in the transaction (no second connection: a pool that transactions
	// fill cannot deadlock it).
	ObligationTenants(ctx context.Context, ids []string) ([]scope.Tenant, error)
	// IncidentExercise returns the exercise that marks the incident (see
	// Readiness.MarkExercise), 0 for a real one, read in the transaction.
	IncidentExercise(ctx context.Context, incidentID int64) (int64, error)
}

// IncidentFact is one entry of an incident's fact history: what was
// established about a fact (regulation.Fact: truth, at, count, residents,
// recorded_at, note), for the incident (Tenant "") or for one affected
// tenant, and by whom.
type IncidentFact struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Tenant     string `json:"tenant"`
	Name       string `json:"name"`
	regulation.Fact
	By string `json:"by"`
}

// CurrentFacts returns the latest fact per (tenant, name) of history
// (oldest first): the incident's facts and each tenant's overrides. A
// fact recorded as unknown stays listed with an empty truth.
func CurrentFacts(history []IncidentFact) []IncidentFact {
	type k struct{ tenant, name string }
	idx := map[k]int{}
	var out []IncidentFact
	for _, f := range history {
		key := k{f.Tenant, f.Name}
		if i, ok := idx[key]; ok {
			out[i] = f
			continue
		}
		idx[key] = len(out)
		out = append(out, f)
	}
	if out == nil {
		out = []IncidentFact{}
	}
	return out
}

// ObligationRecord is the stored handling of one obligation of an
// incident: the latest computed Obligation and its Record (state, deadline,
// overdue flag, history). Withdrawn is true when the latest computation no
// longer makes the obligation (WithdrawnReason says why); the record is
// kept and comes back when a later computation makes it again.
type ObligationRecord struct {
	IncidentID      int64                 `json:"incident_id"`
	Key             string                `json:"key"`
	Obligation      regulation.Obligation `json:"obligation"`
	Record          regulation.Record     `json:"record"`
	Withdrawn       bool                  `json:"withdrawn"`
	WithdrawnReason string                `json:"withdrawn_reason,omitempty"`
	// Exercise is true for the obligations of an exercise's incident: they
	// are computed and watched, but no tenant is ever notified.
	Exercise bool      `json:"exercise"`
	Version  int64     `json:"version"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Tenant returns the tenant the obligation is for, "" for one per
// incident.
func (o *ObligationRecord) Tenant() string { return o.Obligation.Key.Tenant }

// Check reports what makes o unstorable: no incident, a key that is not
// its obligation's, or a record of another key.
func (o *ObligationRecord) Check() error {
	switch {
	case o.IncidentID <= 0:
		return fmt.Errorf("obligation %q: no incident", o.Key)
	case strings.TrimSpace(o.Key) == "" || o.Key != o.Obligation.Key.String():
		return fmt.Errorf("obligation %q: key is not the obligation's %q", o.Key,
			o.Obligation.Key.String())
	case o.Record.Key != o.Obligation.Key:
		return fmt.Errorf("obligation %q: record of another key %q", o.Key, o.Record.Key)
	case o.Record.State == "":
		return fmt.Errorf("obligation %q: record without a state", o.Key)
	}
	return nil
}

// ObligationFilter selects obligation records; zero fields select
// everything. Open keeps those that are not withdrawn and whose notice is
// still to be sent (pending, drafted, approved); Tenants keeps those for a
// tenant (not the per-incident ones).
type ObligationFilter struct {
	IncidentID int64
	Tenant     string
	Open       bool
	Tenants    bool
}

// OpenStates are the states of a record whose notice is still to be sent.
var OpenStates = []regulation.State{regulation.StatePending, regulation.StateDrafted,
	regulation.StateApproved}

func (g *guard) AddIncidentFact(ctx context.Context, f *IncidentFact) error {
	return g.check(g.tx.AddIncidentFact(ctx, f))
}

func (g *guard) PutObligation(ctx context.Context, o *ObligationRecord) error {
	return g.check(g.tx.PutObligation(ctx, o))
}

func (g *guard) GetObligation(ctx context.Context, incidentID int64, key string) (
	*ObligationRecord, error) {
	o, err := g.tx.GetObligation(ctx, incidentID, key)
	if errors.Is(err, ErrNotFound) {
		return nil, err // a read that finds nothing spoils nothing
	}
	return o, g.check(err)
}

func (g *guard) ListObligations(ctx context.Context, f ObligationFilter) (
	[]ObligationRecord, error) {
	out, err := g.tx.ListObligations(ctx, f)
	return out, g.check(err)
}

func (g *guard) ListIncidentFacts(ctx context.Context, incidentID int64) ([]IncidentFact,
	error) {
	out, err := g.tx.ListIncidentFacts(ctx, incidentID)
	return out, g.check(err)
}

func (g *guard) ListAffectedTenants(ctx context.Context, incidentID int64, tenant string) (
	[]AffectedTenant, error) {
	out, err := g.tx.ListAffectedTenants(ctx, incidentID, tenant)
	return out, g.check(err)
}

func (g *guard) ObligationTenants(ctx context.Context, ids []string) ([]scope.Tenant, error) {
	out, err := g.tx.ObligationTenants(ctx, ids)
	return out, g.check(err)
}

func (g *guard) IncidentExercise(ctx context.Context, incidentID int64) (int64, error) {
	ex, err := g.tx.IncidentExercise(ctx, incidentID)
	return ex, g.check(err)
}
