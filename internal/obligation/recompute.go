package obligation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// maxAuditChanges bounds how many changes one obligation.recomputed entry
// lists in words (the counts are whole).
const maxAuditChanges = 100

// Recompute computes the incident's obligations again, in tx, from its
// affected tenants and their profiles, its current facts, the provider's
// profile and the times the notices were sent, and brings the records in
// line: a new obligation gets a record in state pending; one that changed
// takes the new computation and deadline (regulation.Record.Reschedule:
// the overdue flag stays); one that the computation no longer makes is
// kept, withdrawn with a reason that says why (why, such as "fact
// awareness recorded" or "scope revision 3"), and comes back when a later
// computation makes it again. The differences are recorded in one
// obligation.recomputed entry, in tx; none when nothing changed. Call it
// in the transaction that changes a fact or the incident's scope.
func (s *Service) Recompute(ctx context.Context, tx store.Tx, incidentID int64,
	why string) ([]regulation.Change, error) {
	now := s.Now()
	in, recs, exercise, err := s.input(ctx, tx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("recompute obligations of incident %d: %w", incidentID, err)
	}
	cur, err := s.cat.Compute(in)
	if err != nil {
		return nil, fmt.Errorf("recompute obligations of incident %d: %w", incidentID, err)
	}
	var old []regulation.Obligation
	byKey := map[string]*store.ObligationRecord{}
	for i := range recs {
		byKey[recs[i].Key] = &recs[i]
		if !recs[i].Withdrawn {
			old = append(old, recs[i].Obligation)
		}
	}
	slices.SortFunc(old, func(a, b regulation.Obligation) int { return compareKeys(a.Key, b.Key) })
	changes := regulation.Diff(old, cur)

	seen := map[string]bool{}
	var restored, withdrawn []string
	for _, ob := range cur {
		key := ob.Key.String()
		seen[key] = true
		o, ok := byKey[key]
		if !ok {
			o = &store.ObligationRecord{IncidentID: incidentID, Key: key, Obligation: ob,
				Record: regulation.NewRecord(ob, now), Exercise: exercise}
			err := tx.PutObligation(ctx, o)
			if errors.Is(err, store.ErrDuplicate) {
				// another transaction made it meanwhile (PostgreSQL): a
				// conflict, which the callers retry
				return nil, fmt.Errorf("obligation %s created meanwhile: %w", key,
					&store.ConflictError{Version: 0, Current: 1})
			} else if err != nil {
				return nil, err
			}
			continue
		}
		next := *o
		next.Obligation, next.Exercise = ob, exercise
		next.Record = o.Record.Reschedule(ob, now)
		if o.Withdrawn {
			next.Withdrawn, next.WithdrawnReason = false, ""
			next.Record.History = append(slices.Clone(next.Record.History), regulation.Event{
				At: now, By: regulation.Actor{ID: "system"}, Action: "restored",
				Reason: "computed again after " + why})
			restored = append(restored, key)
		}
		if same(o, &next) {
			continue
		}
		if err := tx.PutObligation(ctx, &next); err != nil {
			return nil, err
		}
	}
	for i := range recs {
		o := recs[i]
		if seen[o.Key] || o.Withdrawn {
			continue
		}
		o.Withdrawn, o.WithdrawnReason = true, "no longer computed after "+why
		o.Exercise = exercise
		o.Record.History = append(slices.Clone(o.Record.History), regulation.Event{At: now,
			By: regulation.Actor{ID: "system"}, Action: "withdrawn", Reason: o.WithdrawnReason})
		if err := tx.PutObligation(ctx, &o); err != nil {
			return nil, err
		}
		withdrawn = append(withdrawn, o.Key)
	}
	if len(changes) == 0 && len(restored) == 0 {
		return []regulation.Change{}, nil
	}
	if err := s.audit.RecordIn(ctx, tx, recomputeEntry(incidentID, why, changes, withdrawn,
		restored)); err != nil {
		return nil, err
	}
	s.log.Info("obligations recomputed", "incident_id", incidentID, "why", why,
		"changes", len(changes))
	if changes == nil {
		changes = []regulation.Change{}
	}
	return changes, nil
}

// same reports whether two versions of a record store the same thing.
func same(a, b *store.ObligationRecord) bool {
	if a.Withdrawn != b.Withdrawn || a.Exercise != b.Exercise ||
		a.WithdrawnReason != b.WithdrawnReason {
		return false
	}
	ja, err1 := json.Marshal([]any{a.Obligation, a.Record})
	jb, err2 := json.Marshal([]any{b.Obligation, b.Record})
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// input gathers what Compute needs for an incident, reading through tx so
// that a fact or scope written by it counts; it returns the incident's
// records too, and whether it is an exercise's.
func (s *Service) input(ctx context.Context, tx store.Tx, incidentID int64) (
	regulation.Input, []store.ObligationRecord, bool, error) {
	in := regulation.Input{Provider: s.provider, Facts: regulation.Facts{},
		Sent: map[regulation.Key]time.Time{}}
	// every read goes through tx: it sees the transaction's writes, and on
	// PostgreSQL a read on another connection could wait for a pool that
	// the transactions hold
	exercise, err := tx.IncidentExercise(ctx, incidentID)
	if err != nil {
		return in, nil, false, err
	}
	affected, err := tx.ListAffectedTenants(ctx, incidentID, "")
	if err != nil {
		return in, nil, false, err
	}
	ids := make([]string, len(affected))
	for i, a := range affected {
		ids[i] = a.Tenant
	}
	stored, err := tx.ObligationTenants(ctx, ids)
	if err != nil {
		return in, nil, false, err
	}
	profiles := map[string]scope.Tenant{}
	for _, t := range stored {
		profiles[t.ID] = t
	}
	byTenant := map[string]int{}
	for _, a := range affected {
		t := regulation.Tenant{ID: a.Tenant, Facts: regulation.Facts{}}
		// a tenant deleted since the scope was resolved has the zero
		// profile: only the regimes that apply to everyone
		if st, ok := profiles[a.Tenant]; ok {
			t.Name, t.Profile = st.Name, st.Profile
		}
		byTenant[a.Tenant] = len(in.Tenants)
		in.Tenants = append(in.Tenants, t)
	}
	history, err := tx.ListIncidentFacts(ctx, incidentID)
	if err != nil {
		return in, nil, false, err
	}
	for _, f := range store.CurrentFacts(history) {
		if f.Tenant == "" {
			in.Facts[f.Name] = f.Fact
		} else if i, ok := byTenant[f.Tenant]; ok {
			in.Tenants[i].Facts[f.Name] = f.Fact
		}
	}
	recs, err := tx.ListObligations(ctx, store.ObligationFilter{IncidentID: incidentID})
	if err != nil {
		return in, nil, false, err
	}
	for _, o := range recs {
		if at, ok := sentAt(o.Record); ok {
			in.Sent[o.Record.Key] = at
		}
	}
	return in, recs, exercise != 0, nil
}

// sentAt returns when the record's notice was sent, if it was.
func sentAt(r regulation.Record) (time.Time, bool) {
	if r.State != regulation.StateSent && r.State != regulation.StateAcknowledged {
		return time.Time{}, false
	}
	for i := len(r.History) - 1; i >= 0; i-- {
		if e := r.History[i]; e.Action == "transition" && e.To == regulation.StateSent {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// recomputeEntry is the obligation.recomputed entry of a recomputation.
func recomputeEntry(incidentID int64, why string, changes []regulation.Change, withdrawn,
	restored []string) audit.Entry {
	words := make([]string, 0, min(len(changes), maxAuditChanges))
	counts := map[regulation.ChangeKind]int{}
	for i, c := range changes {
		counts[c.Kind]++
		if i < maxAuditChanges {
			words = append(words, c.String())
		}
	}
	d := map[string]any{"why": why, "changes": words, "added": counts[regulation.ChangeAdded],
		"removed": counts[regulation.ChangeRemoved], "changed": counts[regulation.ChangeChanged]}
	if len(withdrawn) > 0 {
		d["withdrawn"] = withdrawn
	}
	if len(restored) > 0 {
		d["restored"] = restored
	}
	return audit.Entry{Action: audit.ObligationsRecomputed,
		ObjectType: "incident", ObjectID: strconv.FormatInt(incidentID, 10),
		Details: mustJSON(d)}
}

// mustJSON marshals audit details; they are maps of plain values.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("obligation: audit details: %v", err))
	}
	return b
}
