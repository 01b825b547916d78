package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/store"
)

// testEvidence runs the evidence part of the suite as subtests.
func testEvidence(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AddGetList", testEvidenceAddGetList},
		{"SharedBlob", testEvidenceSharedBlob},
		{"UnknownIncident", testEvidenceUnknownIncident},
		{"CustodyAppendOnly", testCustodyAppendOnly},
		{"CustodyConcurrent", testCustodyConcurrent},
		{"CustodyInvalid", testCustodyInvalid},
		{"EventsByID", testEventsByID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// sha returns a valid SHA-256 text made of one repeated hex digit.
func sha(digit string) string { return strings.Repeat(digit, 64) }

// newEvidence returns a record for incident, acquired at base.
func newEvidence(incidentID int64, digest string) *evidence.Evidence {
	return &evidence.Evidence{
		IncidentID: incidentID, SHA256: digest, Size: 1234, MediaType: "text/plain; charset=utf-8",
		FileName: "auth.log", Description: "sshd log of bastion-2 ✓", AcquiredBy: "token:ana",
		AcquiredAt: base, AcquiredFrom: "bastion-2.eu-west",
	}
}

// addEvidence stores e with an acquired entry and fails the test on error.
func addEvidence(t *testing.T, s store.Store, e *evidence.Evidence) *evidence.Custody {
	t.Helper()
	first := &evidence.Custody{Action: evidence.Acquired, By: e.AcquiredBy, At: e.AcquiredAt,
		Details: json.RawMessage(`{"source":"` + e.AcquiredFrom + `"}`)}
	if err := s.AddEvidence(t.Context(), e, first); err != nil {
		t.Fatalf("AddEvidence: %v", err)
	}
	if e.ID == 0 || first.ID == 0 || first.EvidenceID != e.ID {
		t.Fatalf("AddEvidence left IDs evidence %d, custody %d for %d", e.ID, first.ID,
			first.EvidenceID)
	}
	return first
}

// appendCustody appends an entry and fails the test on error.
func appendCustody(t *testing.T, s store.Store, id int64, a evidence.Action,
	reason string) evidence.Custody {
	t.Helper()
	c := evidence.Custody{EvidenceID: id, Action: a, By: "token:bo", At: base.Add(time.Minute),
		Reason: reason}
	if err := s.AppendCustody(t.Context(), &c); err != nil {
		t.Fatalf("AppendCustody(%s): %v", a, err)
	}
	return c
}

func testEvidenceAddGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	e := newEvidence(inc.ID, sha("a"))
	addEvidence(t, s, e)
	e2 := newEvidence(inc.ID, sha("b"))
	e2.AcquiredFrom, e2.Description = "", ""
	addEvidence(t, s, e2)

	want := *e
	want.AcquiredAt = base.Truncate(time.Microsecond)
	want.CustodyCount = 1
	got, err := s.GetEvidence(ctx, e.ID)
	if err != nil {
		t.Fatalf("GetEvidence: %v", err)
	}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("GetEvidence (-want +got):\n%s", diff)
	}
	if _, err := s.GetEvidence(ctx, e2.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvidence(unknown) = %v, want ErrNotFound", err)
	}
	list, err := s.ListEvidence(ctx, inc.ID)
	if err != nil {
		t.Fatalf("ListEvidence: %v", err)
	}
	if len(list) != 2 || list[0].ID != e.ID || list[1].ID != e2.ID || list[1].CustodyCount != 1 {
		t.Errorf("ListEvidence = %+v, want %d then %d", list, e.ID, e2.ID)
	}
	list, err = s.ListEvidence(ctx, inc.ID+100)
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListEvidence(unknown incident) = %v, %v; want empty", list, err)
	}
}

// testEvidenceSharedBlob attaches the same content to two incidents: two
// records sharing one SHA-256, each listed under its own incident.
func testEvidenceSharedBlob(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc1 := createIncident(t, s, newIncident(base))
	inc2 := createIncident(t, s, newIncident(base))
	e1, e2 := newEvidence(inc1.ID, sha("c")), newEvidence(inc2.ID, sha("c"))
	addEvidence(t, s, e1)
	addEvidence(t, s, e2)
	if e1.ID == e2.ID {
		t.Fatalf("two attachments got one ID %d", e1.ID)
	}
	for _, inc := range []int64{inc1.ID, inc2.ID} {
		list, err := s.ListEvidence(ctx, inc)
		if err != nil {
			t.Fatalf("ListEvidence(%d): %v", inc, err)
		}
		if len(list) != 1 || list[0].SHA256 != sha("c") || list[0].IncidentID != inc {
			t.Errorf("ListEvidence(%d) = %+v, want one record of %s", inc, list, sha("c"))
		}
	}
}

func testEvidenceUnknownIncident(t *testing.T, s store.Store) {
	e := newEvidence(424242, sha("d"))
	first := &evidence.Custody{Action: evidence.Acquired, By: "token:ana", At: base}
	if err := s.AddEvidence(t.Context(), e, first); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddEvidence(unknown incident) = %v, want ErrNotFound", err)
	}
	if e.ID != 0 {
		t.Errorf("failed AddEvidence set ID %d", e.ID)
	}
}

// testCustodyAppendOnly appends entries and checks that the earlier ones
// never change, that IDs grow, and that a caller's ID is not honoured.
func testCustodyAppendOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	e := newEvidence(inc.ID, sha("e"))
	first := addEvidence(t, s, e)

	var log []evidence.Custody
	first.At = first.At.Truncate(time.Microsecond)
	log = append(log, *first)
	for i, a := range []evidence.Action{evidence.Accessed, evidence.Transferred,
		evidence.Exported, evidence.Verified} {
		c := appendCustody(t, s, e.ID, a, fmt.Sprintf("reason %d", i))
		c.At = c.At.Truncate(time.Microsecond)
		c.Details = json.RawMessage("{}")
		log = append(log, c)
		got, err := s.ListCustody(ctx, e.ID)
		if err != nil {
			t.Fatalf("ListCustody: %v", err)
		}
		if diff := cmp.Diff(log, got); diff != "" {
			t.Fatalf("after %s, ListCustody (-want +got):\n%s", a, diff)
		}
	}
	// A caller cannot overwrite an entry by naming its ID.
	c := evidence.Custody{ID: first.ID, EvidenceID: e.ID, Action: evidence.Accessed,
		By: "token:mallory", At: base, Reason: "overwrite"}
	if err := s.AppendCustody(ctx, &c); err != nil {
		t.Fatalf("AppendCustody(with ID): %v", err)
	}
	if c.ID <= log[len(log)-1].ID {
		t.Errorf("AppendCustody(with ID %d) set ID %d, want a new one", first.ID, c.ID)
	}
	got, err := s.ListCustody(ctx, e.ID)
	if err != nil {
		t.Fatalf("ListCustody: %v", err)
	}
	if diff := cmp.Diff(log, got[:len(log)]); diff != "" || len(got) != len(log)+1 {
		t.Errorf("custody log changed (-want +got):\n%s", diff)
	}
	if ev, err := s.GetEvidence(ctx, e.ID); err != nil || ev.CustodyCount != int64(len(got)) {
		t.Errorf("GetEvidence = %+v, %v; want CustodyCount %d", ev, err, len(got))
	}
}

func testCustodyConcurrent(t *testing.T, s store.Store) {
	inc := createIncident(t, s, newIncident(base))
	e := newEvidence(inc.ID, sha("f"))
	addEvidence(t, s, e)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				c := evidence.Custody{EvidenceID: e.ID, Action: evidence.Accessed,
					By: "token:bo", At: base, Reason: fmt.Sprintf("%d/%d", g, i)}
				if err := s.AppendCustody(t.Context(), &c); err != nil {
					t.Errorf("AppendCustody: %v", err)
				}
			}
		})
	}
	wg.Wait()
	got, err := s.ListCustody(t.Context(), e.ID)
	if err != nil || len(got) != 41 {
		t.Fatalf("ListCustody = %d entries, %v; want 41", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Fatalf("custody IDs not increasing at %d: %d, %d", i, got[i-1].ID, got[i].ID)
		}
	}
}

func testCustodyInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	e := newEvidence(inc.ID, sha("0"))
	addEvidence(t, s, e)
	tests := []struct {
		name    string
		c       evidence.Custody
		wantErr error
	}{
		{"unknown evidence", evidence.Custody{EvidenceID: e.ID + 100, Action: evidence.Accessed,
			By: "token:bo", At: base, Reason: "r"}, store.ErrNotFound},
		{"no reason", evidence.Custody{EvidenceID: e.ID, Action: evidence.Accessed,
			By: "token:bo", At: base}, evidence.ErrInvalid},
		{"bad action", evidence.Custody{EvidenceID: e.ID, Action: "deleted",
			By: "token:bo", At: base, Reason: "r"}, evidence.ErrInvalid},
		{"no actor", evidence.Custody{EvidenceID: e.ID, Action: evidence.Exported,
			At: base, Reason: "r"}, evidence.ErrInvalid},
		{"details not an object", evidence.Custody{EvidenceID: e.ID, Action: evidence.Exported,
			By: "token:bo", At: base, Reason: "r", Details: json.RawMessage(`[1]`)},
			evidence.ErrInvalid},
	}
	for _, tt := range tests {
		c := tt.c
		if err := s.AppendCustody(ctx, &c); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: AppendCustody = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if _, err := s.ListCustody(ctx, e.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListCustody(unknown) = %v, want ErrNotFound", err)
	}
	if got, err := s.ListCustody(ctx, e.ID); err != nil || len(got) != 1 {
		t.Errorf("ListCustody = %d entries, %v; want only the acquired one", len(got), err)
	}
}

func testEventsByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	ids := insertEvents(t, s, simpleEvent(1), simpleEvent(2), simpleEvent(3))
	got, err := s.EventsByID(ctx, []int64{ids[2], ids[0], ids[2]})
	if err != nil {
		t.Fatalf("EventsByID: %v", err)
	}
	if len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] {
		t.Fatalf("EventsByID = %+v, want events %d and %d", got, ids[0], ids[2])
	}
	ev := got[1]
	want := simpleEvent(3)
	if ev.Time == nil || !ev.Time.Equal(want.Time.Truncate(time.Microsecond)) ||
		ev.File != want.Source.File || ev.Line != want.Source.Line || ev.Received.IsZero() {
		t.Errorf("EventsByID[1] = %+v, want time, source and received of %+v", ev, want)
	}
	var fields map[string]any
	if err := json.Unmarshal(ev.Fields, &fields); err != nil || fields["n"] != float64(3) {
		t.Errorf("EventsByID[1] fields = %s, %v; want {\"n\":3}", ev.Fields, err)
	}
	if _, err := s.EventsByID(ctx, []int64{ids[0], ids[2] + 100}); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("EventsByID(unknown) = %v, want ErrNotFound", err)
	}
	if got, err := s.EventsByID(ctx, nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("EventsByID(none) = %v, %v; want empty", got, err)
	}
}

// Exec runs one SQL statement directly on the database that open(t) opened,
// bypassing the store, and returns its error.
type Exec func(t *testing.T, stmt string) error

// RunEvidenceAppendOnly checks that the database itself refuses to change
// or remove evidence records and custody entries: every UPDATE, DELETE and
// TRUNCATE run through exec must fail and leave the log as it was. open is
// as for Run.
func RunEvidenceAppendOnly(t *testing.T, open func(t *testing.T) store.Store, exec Exec) {
	s := open(t)
	inc := createIncident(t, s, newIncident(base))
	e := newEvidence(inc.ID, sha("9"))
	addEvidence(t, s, e)
	appendCustody(t, s, e.ID, evidence.Exported, "to the regulator")
	before, err := s.ListCustody(t.Context(), e.ID)
	if err != nil {
		t.Fatalf("ListCustody: %v", err)
	}
	for _, stmt := range []string{
		`UPDATE evidence_custody SET reason = 'nothing to see'`,
		`UPDATE evidence_custody SET by_actor = 'token:mallory' WHERE action = 'exported'`,
		`DELETE FROM evidence_custody WHERE action = 'exported'`,
		`DELETE FROM evidence_custody`,
		`UPDATE evidence SET sha256 = '` + sha("8") + `'`,
		`DELETE FROM evidence`,
	} {
		if err := exec(t, stmt); err == nil {
			t.Errorf("%s: succeeded, want refused", stmt)
		}
	}
	after, err := s.ListCustody(t.Context(), e.ID)
	if err != nil {
		t.Fatalf("ListCustody: %v", err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("custody changed (-before +after):\n%s", diff)
	}
	if got, err := s.GetEvidence(t.Context(), e.ID); err != nil || got.SHA256 != sha("9") {
		t.Errorf("GetEvidence = %+v, %v; want it unchanged", got, err)
	}
}
