package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
)

// goldenHash is the v1 hash of the entry in TestHashVector.
const goldenHash = "75b26579b1b3715669dd8702ae832c9af42261195d497a74fb982e516fa31e37"

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// TestHashVector pins encoding v1: a change to ComputeHash that changes
// this hash breaks every stored chain.
func TestHashVector(t *testing.T) {
	e := audit.Entry{Seq: 1, Time: t0, Actor: "system", Action: audit.IncidentOpened,
		ObjectType: "incident", ObjectID: "42", Details: json.RawMessage(`{"a":1}`)}
	got := audit.ComputeHash(e).String()
	if got != goldenHash {
		t.Errorf("ComputeHash = %s, want %s", got, goldenHash)
	}
	// Nanoseconds below the microsecond do not count.
	e.Time = t0.Truncate(time.Microsecond)
	if audit.ComputeHash(e).String() != goldenHash {
		t.Error("ComputeHash depends on nanoseconds")
	}
}

// memChain is an Appender and ChainReader in memory.
type memChain struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (m *memChain) AppendAudit(_ context.Context, e *audit.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var head audit.Head
	if n := len(m.entries); n > 0 {
		head = audit.Head{Seq: m.entries[n-1].Seq, Hash: m.entries[n-1].Hash}
	}
	if err := audit.Seal(e, head); err != nil {
		return err
	}
	m.entries = append(m.entries, *e)
	return nil
}

func (m *memChain) head() audit.Head {
	e := m.entries[len(m.entries)-1]
	return audit.Head{Seq: e.Seq, Hash: e.Hash}
}

func seq(es []audit.Entry) iter.Seq2[audit.Entry, error] {
	return func(yield func(audit.Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestRecord(t *testing.T) {
	m := &memChain{}
	log := audit.New(m, func() time.Time { return t0 })
	ctx := audit.WithActor(context.Background(), audit.TokenActor("ci"))
	e, err := log.Record(ctx, audit.Entry{Action: audit.AlertRaised, ObjectType: "alert",
		ObjectID: "1", Details: json.RawMessage(`{ "b": 2, "a": {"z": 1.50, "y": "<"} }`)})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	want := audit.Entry{Seq: 1, Time: t0.Truncate(time.Microsecond), Actor: "token:ci",
		Action: audit.AlertRaised, ObjectType: "alert", ObjectID: "1",
		Details: json.RawMessage(`{"a":{"y":"\u003c","z":1.50},"b":2}`)}
	want.Hash = audit.ComputeHash(want)
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("Record (-want +got):\n%s", diff)
	}
	if e, err := log.Record(context.Background(), audit.Entry{Action: audit.TokenCreated,
		ObjectType: "token"}); err != nil || e.Actor != "system" || string(e.Details) != "{}" {
		t.Errorf("Record(defaults) = %+v, %v; want actor system, details {}", e, err)
	}
	for _, bad := range []audit.Entry{
		{Action: "made.up", ObjectType: "x"},
		{Action: audit.AlertRaised},
		{Action: audit.AlertRaised, ObjectType: "x", Details: json.RawMessage(`[1]`)},
	} {
		if _, err := log.Record(ctx, bad); err == nil {
			t.Errorf("Record(%+v) succeeded, want an error", bad)
		}
	}
}

func TestVerify(t *testing.T) {
	m := &memChain{}
	log := audit.New(m, nil)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second)
		if i == 3 {
			at = t0 // a clock that went backwards
		}
		if _, err := log.Record(context.Background(), audit.Entry{Time: at,
			Action: audit.AlertRaised, ObjectType: "alert"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := audit.Verify(seq(m.entries), m.head())
	if err != nil || rep.Entries != 5 || rep.Head != m.head() || len(rep.Notes) != 1 ||
		rep.Notes[0].Seq != 4 {
		t.Fatalf("Verify = %+v, %v; want 5 entries and a note at seq 4", rep, err)
	}

	edit := func(f func(es []audit.Entry) []audit.Entry) []audit.Entry {
		return f(slices.Clone(m.entries))
	}
	tests := []struct {
		name    string
		entries []audit.Entry
		head    audit.Head
		seq     int64
		reason  audit.Reason
	}{
		{"edited", edit(func(es []audit.Entry) []audit.Entry {
			es[2].Actor = "user:mallory"
			return es
		}), m.head(), 3, audit.ReasonHash},
		{"rehashed", edit(func(es []audit.Entry) []audit.Entry {
			es[1].ObjectID = "x"
			es[1].Hash = audit.ComputeHash(es[1])
			return es
		}), m.head(), 3, audit.ReasonPrevHash},
		{"deleted", edit(func(es []audit.Entry) []audit.Entry {
			return slices.Delete(es, 1, 2)
		}), m.head(), 3, audit.ReasonSeqGap},
		{"swapped", edit(func(es []audit.Entry) []audit.Entry {
			es[1], es[2] = es[2], es[1]
			return es
		}), m.head(), 3, audit.ReasonSeqGap},
		{"truncated", m.entries[:3], m.head(), 4, audit.ReasonTruncated},
		{"head moved back", m.entries, audit.Head{Seq: 5}, 5, audit.ReasonHead},
		{"empty with head", nil, m.head(), 1, audit.ReasonTruncated},
	}
	for _, tt := range tests {
		_, err := audit.Verify(seq(tt.entries), tt.head)
		var ce *audit.ChainError
		if !errors.As(err, &ce) || ce.Seq != tt.seq || ce.Reason != tt.reason {
			t.Errorf("%s: Verify = %v, want seq %d %q", tt.name, err, tt.seq, tt.reason)
		}
	}
}

// TestActionCodes checks that names and codes are unique.
func TestActionCodes(t *testing.T) {
	for _, a := range []audit.Action{audit.AlertRaised, audit.IncidentOpened,
		audit.TokenCreated, audit.AuditVerified} {
		if !a.Known() || a.Code() == "" {
			t.Errorf("%s: no code", a)
		}
	}
	if audit.Action("nope").Known() {
		t.Error("unknown action is known")
	}
}
