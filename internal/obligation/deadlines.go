package obligation

import (
	"context"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/metrics"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// DeadlineStore is what Deadlines reads; store.Store implements it.
type DeadlineStore interface {
	ListObligations(ctx context.Context, f store.ObligationFilter) ([]store.ObligationRecord,
		error)
	// FactsOf returns the metrics' facts of the incidents ids.
	FactsOf(ctx context.Context, ids []int64) ([]metrics.Fact, error)
}

// Deadlines is the obligations' source of notification deadlines for the
// response metrics and post-mortems (metrics.DeadlineSource): each
// obligation to notify a tenant (kind "tenant") or an authority or other
// party (kind "regulatory") with a deadline, due at its deadline and done
// when its notice was sent. Withdrawn obligations, those not required
// (computed or decided) and those whose clock has not started are left
// out.
type Deadlines struct{ Store DeadlineStore }

var _ metrics.DeadlineSource = Deadlines{}

// Deadlines returns the obligations due in [from, to) (zero bounds:
// open), exercises' ones only when exercises is true.
func (d Deadlines) Deadlines(ctx context.Context, from, to time.Time, exercises bool) (
	[]metrics.Deadline, error) {
	recs, err := d.Store.ListObligations(ctx, store.ObligationFilter{})
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(o store.ObligationRecord) bool {
		due := o.Record.Deadline
		return o.Exercise && !exercises || !from.IsZero() && due.Before(from) ||
			!to.IsZero() && !due.Before(to)
	})
	return d.rows(ctx, recs)
}

// IncidentDeadlines returns the obligations of one incident.
func (d Deadlines) IncidentDeadlines(ctx context.Context, incidentID int64) (
	[]metrics.Deadline, error) {
	recs, err := d.Store.ListObligations(ctx, store.ObligationFilter{IncidentID: incidentID})
	if err != nil {
		return nil, err
	}
	return d.rows(ctx, recs)
}

// rows turns the records that count into deadlines, with their incidents'
// dimensions.
func (d Deadlines) rows(ctx context.Context, recs []store.ObligationRecord) (
	[]metrics.Deadline, error) {
	recs = slices.DeleteFunc(recs, func(o store.ObligationRecord) bool {
		return o.Withdrawn || o.Record.Deadline.IsZero() ||
			o.Record.State == regulation.StateNotRequired ||
			o.Obligation.Status == regulation.StatusNotRequired
	})
	out := make([]metrics.Deadline, 0, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	var ids []int64
	for _, o := range recs {
		if !slices.Contains(ids, o.IncidentID) {
			ids = append(ids, o.IncidentID)
		}
	}
	facts, err := d.Store.FactsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]metrics.Fact{}
	for _, f := range facts {
		byID[f.IncidentID] = f
	}
	for _, o := range recs {
		f := byID[o.IncidentID]
		kind := "regulatory"
		if o.Obligation.Recipient.Party == regulation.PartyTenant {
			kind = "tenant"
		}
		label := o.Obligation.Regime + ", " + o.Obligation.Stage
		if t := o.Tenant(); t != "" {
			label += " to tenant " + t
		} else if a := o.Obligation.Recipient.Authority; a != "" {
			label += " to " + a
		}
		dl := metrics.Deadline{Kind: kind, IncidentID: o.IncidentID,
			Ref: "obligation/" + o.Key, Label: label, Dims: f.Dims, Exercise: f.Exercise,
			Due: o.Record.Deadline}
		if dl.Services == nil {
			dl.Services = []string{}
		}
		if at, ok := sentAt(o.Record); ok {
			dl.Done = at
		}
		out = append(out, dl)
	}
	return out, nil
}
