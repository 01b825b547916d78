package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// testTriage runs the triage part of the contract: grouping, states, links,
// suppressions, cases, vulnerability reports and the queue.
func testTriage(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Group", testTriageGroup},
		{"States", testTriageStates},
		{"Links", testTriageLinks},
		{"Suppressions", testSuppressions},
		{"Cases", testCases},
		{"Vulnerabilities", testVulnerabilities},
		{"Queue", testQueue},
		{"QueuePages", testQueuePages},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// groupAlert stores a through GroupAlert and checks whether it repeated.
func groupAlert(t *testing.T, s store.Store, a *detect.Alert, window time.Duration,
	wantRepeat bool) *detect.Alert {
	t.Helper()
	repeat, err := s.GroupAlert(t.Context(), a, window)
	if err != nil {
		t.Fatalf("GroupAlert(%s at %v): %v", a.GroupKey, a.Created, err)
	}
	if repeat != wantRepeat {
		t.Fatalf("GroupAlert(%s at %v) repeat = %v, want %v", a.GroupKey, a.Created, repeat,
			wantRepeat)
	}
	return a
}

func triageAlert(key string, at time.Time, eventIDs ...int64) *detect.Alert {
	return &detect.Alert{RuleID: "r1", RuleTitle: "Rule one", Level: "high", GroupKey: key,
		Group: map[string]string{"Computer": key}, EventIDs: eventIDs, Created: at}
}

func testTriageGroup(t *testing.T, s store.Store) {
	ids := insertEvents(t, s, simpleEvent(1), simpleEvent(2), simpleEvent(3), simpleEvent(4))
	const w = 15 * time.Minute
	first := groupAlert(t, s, triageAlert("h1", base, ids[0]), w, false)
	again := groupAlert(t, s, triageAlert("h1", base.Add(10*time.Minute), ids[1]), w, true)
	if again.ID != first.ID || again.Count != 2 {
		t.Errorf("repeat: ID, Count = %d, %d; want %d, 2", again.ID, again.Count, first.ID)
	}
	got, err := s.GetAlert(t.Context(), first.ID)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	want := []any{int64(2), base.Truncate(time.Microsecond),
		base.Add(10 * time.Minute).Truncate(time.Microsecond), []int64{ids[0], ids[1]}, "new",
		map[string]string{"Computer": "h1"}}
	if diff := cmp.Diff(want, []any{got.Count, got.FirstSeen, got.LastSeen, got.EventIDs,
		got.State, got.Group}); diff != "" {
		t.Errorf("grouped alert (-want +got):\n%s", diff)
	}

	// Past the window from the last repeat, another host, or a closed alert:
	// a new alert each.
	late := groupAlert(t, s, triageAlert("h1", base.Add(26*time.Minute), ids[2]), w, false)
	groupAlert(t, s, triageAlert("h2", base.Add(26*time.Minute), ids[3]), w, false)
	err = s.SetAlertTriage(t.Context(), late.ID, "new",
		store.AlertTriage{State: "false_positive", Reason: "scanner"})
	if err != nil {
		t.Fatalf("SetAlertTriage: %v", err)
	}
	groupAlert(t, s, triageAlert("h1", base.Add(27*time.Minute)), w, false)
	groupAlert(t, s, triageAlert("", base.Add(27*time.Minute)), w, false)
	groupAlert(t, s, triageAlert("", base.Add(27*time.Minute)), w, false)
	if _, err := s.GetAlert(t.Context(), 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAlert(unknown) = %v, want ErrNotFound", err)
	}
}

func testTriageStates(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := groupAlert(t, s, triageAlert("h", base), time.Minute, false)
	c := store.AlertTriage{State: "assigned", Assignee: "ana", Reason: "mine"}
	if err := s.SetAlertTriage(ctx, a.ID, "new", c); err != nil {
		t.Fatalf("SetAlertTriage: %v", err)
	}
	if err := s.SetAlertTriage(ctx, a.ID, "new", c); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SetAlertTriage(stale state) = %v, want ErrConflict", err)
	}
	if err := s.SetAlertTriage(ctx, 1<<40, "new", c); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetAlertTriage(unknown) = %v, want ErrNotFound", err)
	}
	got, err := s.GetAlert(ctx, a.ID)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	if got.State != "assigned" || got.Assignee != "ana" || got.StateReason != "mine" {
		t.Errorf("after SetAlertTriage: %q %q %q, want assigned ana mine", got.State,
			got.Assignee, got.StateReason)
	}
}

func testTriageLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := groupAlert(t, s, triageAlert("h", base), time.Minute, false)
	var incs [2]int64
	for i := range incs {
		inc := &incident.Incident{Title: "x", Severity: "high", Status: "open", Phase: "detected",
			Opened: base}
		if err := s.CreateIncident(ctx, inc); err != nil {
			t.Fatalf("CreateIncident: %v", err)
		}
		incs[i] = inc.ID
		if err := s.LinkAlerts(ctx, inc.ID, []int64{a.ID}); err != nil {
			t.Fatalf("LinkAlerts: %v", err)
		}
	}
	if err := s.LinkAlerts(ctx, incs[0], []int64{a.ID}); err != nil {
		t.Errorf("LinkAlerts(again) = %v, want nil", err)
	}
	got, err := s.AlertIncidents(ctx, a.ID)
	if err != nil || !cmp.Equal(got, incs[:]) {
		t.Errorf("AlertIncidents = %v, %v; want %v", got, err, incs)
	}
	if err := s.UnlinkAlert(ctx, incs[0], a.ID); err != nil {
		t.Fatalf("UnlinkAlert: %v", err)
	}
	if err := s.UnlinkAlert(ctx, incs[0], a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UnlinkAlert(again) = %v, want ErrNotFound", err)
	}
	inc, err := s.GetIncident(ctx, incs[0])
	if err != nil || len(inc.AlertIDs) != 0 {
		t.Errorf("incident after unlink: %v, %v; want no alerts", inc, err)
	}
	if got, _ := s.AlertIncidents(ctx, a.ID); !cmp.Equal(got, incs[1:]) {
		t.Errorf("AlertIncidents after unlink = %v, want %v", got, incs[1:])
	}
	for _, tc := range []struct{ inc, alert int64 }{{1 << 40, a.ID}, {incs[0], 1 << 40}} {
		err := s.LinkAlerts(ctx, tc.inc, []int64{tc.alert})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LinkAlerts(%d, %d) = %v, want ErrNotFound", tc.inc, tc.alert, err)
		}
	}
}

func testSuppressions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := groupAlert(t, s, triageAlert("h", base), time.Minute, false)
	forever := &store.Suppression{RuleID: "r1", Fields: map[string]string{"Computer": "h"},
		Reason: "lab host", AlertID: a.ID, CreatedBy: "user:ana", Created: base}
	brief := &store.Suppression{RuleID: "r1", Fields: map[string]string{}, Reason: "noisy",
		Created: base, Expires: base.Add(time.Hour)}
	other := &store.Suppression{RuleID: "r2", Fields: map[string]string{}, Reason: "x",
		Created: base}
	for _, sup := range []*store.Suppression{forever, brief, other} {
		if err := s.CreateSuppression(ctx, sup); err != nil {
			t.Fatalf("CreateSuppression: %v", err)
		}
	}
	list, err := s.ListSuppressions(ctx, "r1", base.Add(30*time.Minute))
	if err != nil || len(list) != 2 {
		t.Fatalf("ListSuppressions(in force) = %d, %v; want 2", len(list), err)
	}
	list, _ = s.ListSuppressions(ctx, "r1", base.Add(2*time.Hour))
	if len(list) != 1 || list[0].ID != forever.ID {
		t.Errorf("ListSuppressions(after expiry) = %+v, want only %d", list, forever.ID)
	}
	if list, _ := s.ListSuppressions(ctx, "", time.Time{}); len(list) != 3 {
		t.Errorf("ListSuppressions(all) = %d, want 3", len(list))
	}
	if err := s.CountSuppressed(ctx, forever.ID, base.Add(time.Minute)); err != nil {
		t.Fatalf("CountSuppressed: %v", err)
	}
	got, err := s.GetSuppression(ctx, forever.ID)
	if err != nil {
		t.Fatalf("GetSuppression: %v", err)
	}
	want := *forever
	want.Created = want.Created.Truncate(time.Microsecond)
	want.Hits, want.LastHit = 1, base.Add(time.Minute).Truncate(time.Microsecond)
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("GetSuppression (-want +got):\n%s", diff)
	}
	if err := s.DeleteSuppression(ctx, forever.ID); err != nil {
		t.Fatalf("DeleteSuppression: %v", err)
	}
	if _, err := s.GetSuppression(ctx, forever.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSuppression(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteSuppression(ctx, forever.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSuppression(deleted) = %v, want ErrNotFound", err)
	}
}

func testCases(t *testing.T, s store.Store) {
	ctx := t.Context()
	var cases []*store.Case
	for _, tenant := range []string{"acme", "globex", "acme"} {
		c := &store.Case{Tenant: tenant, Title: "odd logins", Seen: "logins from abroad",
			Service: "mail", SeenAt: base, Level: "high", State: "open", Reporter: "user:t",
			Created: base, Updated: base}
		if err := s.CreateCase(ctx, c); err != nil {
			t.Fatalf("CreateCase: %v", err)
		}
		cases = append(cases, c)
	}
	got, err := s.GetCase(ctx, cases[0].ID)
	if err != nil {
		t.Fatalf("GetCase: %v", err)
	}
	want := *cases[0]
	want.SeenAt, want.Created = base.Truncate(time.Microsecond), base.Truncate(time.Microsecond)
	want.Updated = want.Created
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("GetCase (-want +got):\n%s", diff)
	}
	page, err := s.ListCases(ctx, store.CaseFilter{Tenant: "acme", Limit: 1})
	if err != nil || page.Total != 2 || len(page.Items) != 1 || page.Next == "" ||
		page.Items[0].ID != cases[2].ID {
		t.Fatalf("ListCases(acme, 1) = %+v, %v", page, err)
	}
	page, err = s.ListCases(ctx, store.CaseFilter{Tenant: "acme", Cursor: page.Next})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != cases[0].ID || page.Next != "" {
		t.Errorf("ListCases(page 2) = %+v, %v", page, err)
	}

	got.State, got.Updated = "escalated", base.Add(time.Hour)
	if err := s.UpdateCase(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateCase = %v, version %d; want nil, 2", err, got.Version)
	}
	stale := *cases[0]
	if err := s.UpdateCase(ctx, &stale); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateCase(stale) = %v, want ErrConflict", err)
	}
	stale.ID = 1 << 40
	if err := s.UpdateCase(ctx, &stale); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateCase(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetCase(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCase(unknown) = %v, want ErrNotFound", err)
	}
}

func testVulnerabilities(t *testing.T, s store.Store) {
	ctx := t.Context()
	v := &store.Vulnerability{Title: "TLS 1.0 enabled", Kind: "known_issue", Severity: "high",
		Deadline: base.Add(30 * 24 * time.Hour), State: "open", Owner: "ops", Created: base,
		Updated: base}
	if err := s.CreateVulnerability(ctx, v); err != nil || v.ID == 0 || v.Version != 1 {
		t.Fatalf("CreateVulnerability = %v (ID %d, version %d)", err, v.ID, v.Version)
	}
	v.State, v.Updated = "fixing", base.Add(time.Hour)
	if err := s.UpdateVulnerability(ctx, v); err != nil {
		t.Fatalf("UpdateVulnerability: %v", err)
	}
	stale := *v
	stale.Version = 1
	if err := s.UpdateVulnerability(ctx, &stale); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateVulnerability(stale) = %v, want ErrConflict", err)
	}
	got, err := s.GetVulnerability(ctx, v.ID)
	if err != nil {
		t.Fatalf("GetVulnerability: %v", err)
	}
	want := *v
	want.Created, want.Deadline = base.Truncate(time.Microsecond),
		base.Add(30*24*time.Hour).Truncate(time.Microsecond)
	want.Updated = base.Add(time.Hour).Truncate(time.Microsecond)
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("GetVulnerability (-want +got):\n%s", diff)
	}
	page, err := s.ListVulnerabilities(ctx, store.VulnerabilityFilter{State: "fixing"})
	if err != nil || page.Total != 1 || page.Items[0].ID != v.ID {
		t.Errorf("ListVulnerabilities(fixing) = %+v, %v", page, err)
	}
	if _, err := s.GetVulnerability(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetVulnerability(unknown) = %v, want ErrNotFound", err)
	}
}

func testQueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := groupAlert(t, s, triageAlert("h", base), time.Minute, false)
	b := groupAlert(t, s, triageAlert("g", base.Add(2*time.Minute)), time.Minute, false)
	c := &store.Case{Tenant: "acme", Title: "odd", Seen: "x", Service: "mail", Level: "low",
		State: "open", Created: base.Add(time.Minute), Updated: base.Add(time.Minute)}
	if err := s.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	type item struct {
		Kind string
		ID   int64
	}
	list := func(f store.QueueFilter) []item {
		t.Helper()
		var out []item
		for {
			page, err := s.ListQueue(ctx, f)
			if err != nil {
				t.Fatalf("ListQueue(%+v): %v", f, err)
			}
			for _, it := range page.Items {
				out = append(out, item{it.Kind, it.ID})
			}
			if page.Next == "" {
				return out
			}
			f.Cursor = page.Next
		}
	}
	for _, tc := range []struct {
		f    store.QueueFilter
		want []item
	}{
		{store.QueueFilter{Limit: 1}, []item{{"alert", b.ID}, {"case", c.ID}, {"alert", a.ID}}},
		{store.QueueFilter{Kind: "case"}, []item{{"case", c.ID}}},
		{store.QueueFilter{Tenant: "acme"}, []item{{"case", c.ID}}},
		{store.QueueFilter{Level: "high", RuleID: "r1"}, []item{{"alert", b.ID}, {"alert", a.ID}}},
		{store.QueueFilter{State: "open"}, []item{{"case", c.ID}}},
		{store.QueueFilter{Assignee: "nobody"}, nil},
	} {
		if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
			t.Errorf("ListQueue(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
	if _, err := s.ListQueue(ctx, store.QueueFilter{Cursor: "zz"}); !errors.Is(err,
		store.ErrBadCursor) {
		t.Errorf("ListQueue(bad cursor) = %v, want ErrBadCursor", err)
	}
}
