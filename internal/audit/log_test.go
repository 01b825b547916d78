package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
)

// TestRecordIn records through another Appender than the Log's (a store
// transaction in Vigil): the entry is prepared as Record prepares it and
// goes to that Appender only; an invalid one goes nowhere.
func TestRecordIn(t *testing.T) {
	own, tx := &memChain{}, &memChain{}
	log := audit.New(own, func() time.Time { return t0 })
	ctx := audit.WithActor(context.Background(), audit.UserActor("ana"))
	err := log.RecordIn(ctx, tx, audit.Entry{Action: audit.CommentAdded, ObjectType: "incident",
		ObjectID: "7", Details: json.RawMessage(`{ "length": 12 }`)})
	if err != nil {
		t.Fatalf("RecordIn: %v", err)
	}
	if len(own.entries) != 0 || len(tx.entries) != 1 {
		t.Fatalf("%d entries in the Log's chain, %d in the given one; want 0 and 1",
			len(own.entries), len(tx.entries))
	}
	e := tx.entries[0]
	if e.Actor != "user:ana" || !e.Time.Equal(t0.Truncate(time.Microsecond)) ||
		string(e.Details) != `{"length":12}` || e.Hash != audit.ComputeHash(e) {
		t.Errorf("recorded %+v, want actor user:ana, the Log's time, canonical details", e)
	}
	for _, bad := range []audit.Entry{
		{Action: "made.up", ObjectType: "incident"},
		{Action: audit.CommentAdded},
		{Action: audit.CommentAdded, ObjectType: "incident", Details: json.RawMessage(`"x"`)},
	} {
		if err := log.RecordIn(ctx, tx, bad); err == nil {
			t.Errorf("RecordIn(%+v) succeeded, want an error", bad)
		}
	}
	if len(tx.entries) != 1 {
		t.Errorf("%d entries after invalid ones, want 1", len(tx.entries))
	}
}
