package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

// queueEntry is a queue item as the paging test compares it.
type queueEntry struct {
	Kind string
	ID   int64
	At   time.Time
}

// testQueuePages pages through a queue of alerts and cases interleaved in
// time, with a repeated alert moved to the top and an alert and a case at the
// same instant, at several page sizes: the pages together must be the whole
// queue in order, each with the same total.
func testQueuePages(t *testing.T, s store.Store) {
	ctx := t.Context()
	var want []queueEntry
	for i, m := range []int{0, 3, 5, 8, 10, 13, 15} {
		at := base.Add(time.Duration(m) * time.Minute)
		a := groupAlert(t, s, triageAlert(fmt.Sprintf("p%d", i), at), time.Minute, false)
		want = append(want, queueEntry{"alert", a.ID, at})
	}
	again := base.Add(20 * time.Minute)
	groupAlert(t, s, triageAlert("p0", again), 30*time.Minute, true)
	want[0].At = again
	for _, m := range []int{2, 5, 9, 12, 14} {
		at := base.Add(time.Duration(m) * time.Minute)
		c := &store.Case{Tenant: "acme", Title: "page", Seen: "x", Service: "mail",
			Level: "low", State: "open", Created: at, Updated: at}
		if err := s.CreateCase(ctx, c); err != nil {
			t.Fatalf("CreateCase: %v", err)
		}
		want = append(want, queueEntry{"case", c.ID, at})
	}
	slices.SortFunc(want, func(a, b queueEntry) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.Kind, b.Kind), cmp.Compare(b.ID, a.ID))
	})
	for i := range want {
		want[i].At = want[i].At.Truncate(time.Microsecond)
	}
	for limit := 1; limit <= len(want)+1; limit++ {
		f := store.QueueFilter{Limit: limit}
		var got []queueEntry
		for pages := 0; ; pages++ {
			page, err := s.ListQueue(ctx, f)
			if err != nil {
				t.Fatalf("ListQueue(%+v): %v", f, err)
			}
			if page.Total != int64(len(want)) {
				t.Errorf("ListQueue(%+v).Total = %d, want %d", f, page.Total, len(want))
			}
			for _, it := range page.Items {
				got = append(got, queueEntry{it.Kind, it.ID, it.LastSeen.UTC()})
			}
			if page.Next == "" || pages > len(want) {
				break
			}
			f.Cursor = page.Next
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("ListQueue pages of %d (-want +got):\n%s", limit, diff)
		}
	}
}
