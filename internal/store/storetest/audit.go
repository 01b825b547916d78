package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Tamper runs one SQL statement on the database that open(t) opened, behind
// the store's back, as an attacker with access to the file or the database
// would. The statements use no placeholders, so they read the same on both
// back ends.
type Tamper func(t *testing.T, stmt string)

// RunAudit runs the audit trail part of the suite: open is as for Run, and
// tamper edits the database of the store that open(t) returned.
func RunAudit(t *testing.T, open func(t *testing.T) store.Store, tamper Tamper) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store, tamper Tamper)
	}{
		{"AuditAppendList", testAuditAppendList},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditTamper", testAuditTamper},
		{"AtomicEveryWrite", testAtomicEveryWrite},
		{"AtomicFailures", testAtomicFailures},
		{"AtomicConcurrent", testAtomicConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open, tamper)
		})
	}
}

// auditEntry returns the i-th test entry, i from 1.
func auditEntry(i int) audit.Entry {
	actions := []audit.Action{audit.AlertRaised, audit.IncidentOpened, audit.TokenCreated}
	types := []string{"alert", "incident", "token"}
	return audit.Entry{
		Time:       base.Add(time.Duration(i) * time.Second),
		Actor:      audit.SystemActor,
		Action:     actions[i%3],
		ObjectType: types[i%3],
		ObjectID:   strconv.Itoa(i),
		Details:    []byte(fmt.Sprintf(`{"n":%d,"note":"caf\u00e9 <&>"}`, i)),
	}
}

// appendAudit appends n test entries and returns them as stored.
func appendAudit(t *testing.T, s store.Store, n int) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for i := 1; i <= n; i++ {
		e := auditEntry(i)
		if err := s.AppendAudit(t.Context(), &e); err != nil {
			t.Fatalf("AppendAudit(%d): %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

// verifyAudit verifies the store's chain.
func verifyAudit(t *testing.T, s store.Store) (audit.Report, error) {
	t.Helper()
	return audit.VerifyChain(t.Context(), s)
}

func testAuditAppendList(t *testing.T, open func(t *testing.T) store.Store, _ Tamper) {
	s := open(t)
	if rep, err := verifyAudit(t, s); err != nil || rep.Entries != 0 {
		t.Fatalf("verify empty chain = %+v, %v; want 0 entries, nil", rep, err)
	}
	want := appendAudit(t, s, 7)
	var prev audit.Hash
	for i, e := range want {
		if e.Seq != int64(i+1) || e.PrevHash != prev || e.Hash != audit.ComputeHash(e) {
			t.Fatalf("entry %d: seq %d prev %s hash %s, not chained", i+1, e.Seq, e.PrevHash, e.Hash)
		}
		if !e.Time.Equal(base.Add(time.Duration(i+1) * time.Second).Truncate(time.Microsecond)) {
			t.Errorf("entry %d: time %v not kept to the microsecond", e.Seq, e.Time)
		}
		prev = e.Hash
	}

	// Reopening keeps the chain, and appending continues it.
	s = open(t)
	rep, err := verifyAudit(t, s)
	if err != nil || rep.Entries != 7 || rep.Head != (audit.Head{Seq: 7, Hash: want[6].Hash}) {
		t.Fatalf("verify = %+v, %v; want 7 entries, head 7 %s", rep, err, want[6].Hash)
	}

	rev := func(es ...audit.Entry) []audit.Entry {
		out := make([]audit.Entry, len(es))
		for i, e := range es {
			out[len(es)-1-i] = e
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want []audit.Entry
	}{
		{"all", store.AuditFilter{}, rev(want...)},
		{"action", store.AuditFilter{Action: audit.IncidentOpened}, rev(want[0], want[3], want[6])},
		{"object", store.AuditFilter{ObjectType: "incident", ObjectID: "4"}, rev(want[3])},
		{"since until", store.AuditFilter{Since: want[1].Time, Until: want[3].Time},
			rev(want[1], want[2])},
		{"none", store.AuditFilter{Action: audit.EvidenceAdded}, []audit.Entry{}},
	}
	for _, tt := range tests {
		page, err := s.ListAudit(t.Context(), tt.f)
		if err != nil {
			t.Fatalf("ListAudit(%s): %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, page.Items); diff != "" {
			t.Errorf("ListAudit(%s) (-want +got):\n%s", tt.name, diff)
		}
		if page.Total != int64(len(tt.want)) || page.Next != "" {
			t.Errorf("ListAudit(%s): total %d next %q, want %d and none", tt.name, page.Total,
				page.Next, len(tt.want))
		}
	}

	// Paging by 3 gives every entry once, newest first.
	var got []audit.Entry
	f := store.AuditFilter{Limit: 3}
	for range 10 {
		page, err := s.ListAudit(t.Context(), f)
		if err != nil {
			t.Fatalf("ListAudit(page): %v", err)
		}
		got = append(got, page.Items...)
		if f.Cursor = page.Next; f.Cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(rev(want...), got); diff != "" {
		t.Errorf("paged ListAudit (-want +got):\n%s", diff)
	}
	if _, err := s.ListAudit(t.Context(), store.AuditFilter{Cursor: "x"}); !errors.Is(err,
		store.ErrBadCursor) {
		t.Errorf("ListAudit(bad cursor) = %v, want ErrBadCursor", err)
	}
}

// testAuditConcurrent appends from 8 goroutines: the chain stays gapless
// and valid, never forked.
func testAuditConcurrent(t *testing.T, open func(t *testing.T) store.Store, _ Tamper) {
	s := open(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := auditEntry(w*each + i + 1)
				if err := s.AppendAudit(t.Context(), &e); err != nil {
					t.Errorf("AppendAudit: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := verifyAudit(t, s)
	if err != nil {
		t.Fatalf("verify after concurrent appends: %v", err)
	}
	if rep.Entries != workers*each || rep.Head.Seq != workers*each {
		t.Errorf("verify = %d entries, head seq %d; want %d", rep.Entries, rep.Head.Seq,
			workers*each)
	}
}

// testAuditTamper edits the database behind the store's back: verify names
// the first broken entry.
func testAuditTamper(t *testing.T, open func(t *testing.T) store.Store, tamper Tamper) {
	tests := []struct {
		name   string
		stmts  []string
		seq    int64
		reason audit.Reason
	}{
		{"edit details", []string{`UPDATE audit_log SET details = '{"n":99}' WHERE seq = 3`},
			3, audit.ReasonHash},
		{"edit actor", []string{`UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 1`},
			1, audit.ReasonHash},
		{"delete middle", []string{`DELETE FROM audit_log WHERE seq = 3`}, 4, audit.ReasonSeqGap},
		{"delete first", []string{`DELETE FROM audit_log WHERE seq = 1`}, 2, audit.ReasonSeqGap},
		{"reorder", []string{
			`UPDATE audit_log SET seq = 1000 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 1000`,
		}, 2, audit.ReasonHash},
		{"replace with copy", []string{
			`UPDATE audit_log SET hash = (SELECT hash FROM audit_log WHERE seq = 2) WHERE seq = 3`,
		}, 3, audit.ReasonHash},
		{"truncate tail", []string{`DELETE FROM audit_log WHERE seq >= 4`}, 4,
			audit.ReasonTruncated},
		{"append forged", []string{`INSERT INTO audit_log SELECT 6, time, actor, action,
			object_type, object_id, tenant, details, hash, hash FROM audit_log WHERE seq = 5`},
			6, audit.ReasonHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			appendAudit(t, s, 5)
			for _, stmt := range tt.stmts {
				tamper(t, stmt)
			}
			_, err := verifyAudit(t, s)
			var ce *audit.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("verify after %s = %v, want a ChainError", tt.name, err)
			}
			if ce.Seq != tt.seq || ce.Reason != tt.reason {
				t.Errorf("verify after %s: seq %d %q, want seq %d %q (%v)", tt.name, ce.Seq,
					ce.Reason, tt.seq, tt.reason, err)
			}
		})
	}
}
