package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// testScope runs the inventory, tenant, contact and incident scope part of
// the contract.
func testScope(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Inventory", testInventory},
		{"Tenants", testTenants},
		{"TenantExists", testTenantExists},
		{"Contacts", testContacts},
		{"IncidentScopes", testIncidentScopes},
		{"AlertTenants", testAlertTenants},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// sampleInventory is a small inventory with one entry or more of each kind.
func sampleInventory() *scope.Inventory {
	return &scope.Inventory{
		Regions: []scope.Region{{ID: "eu-west", Name: "EU West"}, {ID: "us-east"}},
		Datacenters: []scope.Datacenter{{ID: "fra1", Name: "Frankfurt 1", Region: "eu-west"},
			{ID: "nyc1", Region: "us-east"}},
		Services: []scope.Service{{ID: "storage", Name: "Object storage",
			Tenants: map[string][]string{"eu-west": {"globex"}}}},
		Farms: []scope.Farm{{ID: "st-3", Datacenter: "fra1", Service: "storage",
			Addresses: []string{"10.1.3.0/24"}, Tenants: []string{"initech"}},
			{ID: "st-7", Datacenter: "nyc1", Service: "storage"}},
		Servers: []scope.Server{{Name: "st-3-01.fra1.example.net", Farm: "st-3",
			Addresses: []string{"10.1.3.11", "2001:db8::11"}, Tenants: []string{"hooli"}},
			{Name: "st-7-01.nyc1.example.net", Farm: "st-7"}},
	}
}

func testInventory(t *testing.T, s store.Store) {
	ctx := t.Context()
	inv, rev, err := s.LoadInventory(ctx)
	if err != nil || rev != 0 || inv.Len() != 0 {
		t.Fatalf("LoadInventory on a new store = %d entries at revision %d, %v; want none at 0",
			inv.Len(), rev, err)
	}
	want := sampleInventory()
	rev, err = s.ChangeInventory(ctx, store.InventoryChange{Revision: 0, Replace: want})
	if err != nil || rev != 1 {
		t.Fatalf("ChangeInventory(replace) = %d, %v; want revision 1", rev, err)
	}
	got, rev, err := s.LoadInventory(ctx)
	want.Sort()
	if err != nil || rev != 1 {
		t.Fatalf("LoadInventory = revision %d, %v", rev, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("LoadInventory (-want +got):\n%s", diff)
	}

	// A change based on an old revision changes nothing.
	_, err = s.ChangeInventory(ctx, store.InventoryChange{Revision: 0,
		Delete: []scope.Ref{{Kind: scope.KindRegion, ID: "us-east"}}})
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Current != 1 {
		t.Fatalf("ChangeInventory at a stale revision = %v, want a conflict at 1", err)
	}

	// Put replaces an entry of the same kind and ID, Delete removes one.
	farm := want.Farms[0]
	farm.Tenants = []string{"initech", "umbrella"}
	rev, err = s.ChangeInventory(ctx, store.InventoryChange{Revision: 1,
		Put: scope.Inventory{Farms: []scope.Farm{farm},
			Regions: []scope.Region{{ID: "ap-south"}}},
		Delete: []scope.Ref{{Kind: scope.KindServer, ID: "st-7-01.nyc1.example.net"}}})
	if err != nil || rev != 2 {
		t.Fatalf("ChangeInventory(put, delete) = %d, %v; want 2", rev, err)
	}
	got, _, err = s.LoadInventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want.Farms[0] = farm
	want.Regions = append([]scope.Region{{ID: "ap-south"}}, want.Regions...)
	want.Servers = want.Servers[:1]
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("LoadInventory after a change (-want +got):\n%s", diff)
	}
	if r, err := s.InventoryRevision(ctx); err != nil || r != 2 {
		t.Errorf("InventoryRevision = %d, %v; want 2", r, err)
	}

	// Replacing with an empty inventory empties it.
	if _, err := s.ChangeInventory(ctx, store.InventoryChange{Revision: 2,
		Replace: &scope.Inventory{}}); err != nil {
		t.Fatal(err)
	}
	if got, rev, _ := s.LoadInventory(ctx); got.Len() != 0 || rev != 3 {
		t.Errorf("after replacing with nothing: %d entries at revision %d", got.Len(), rev)
	}
}

func sampleTenant(id string) *scope.Tenant {
	return &scope.Tenant{ID: id, Name: "Tenant " + id, Language: "de", Profile: regulation.Profile{
		Jurisdictions: []string{"DE", "US-CA"}, Roles: []string{regulation.RoleSECRegistrant},
		DataCategories: []string{regulation.DataPersonal}}}
}

func testTenants(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []string{"zeta", "acme"} {
		if err := s.CreateTenant(ctx, sampleTenant(id)); err != nil {
			t.Fatalf("CreateTenant(%s): %v", id, err)
		}
	}
	if err := s.CreateTenant(ctx, sampleTenant("acme")); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("CreateTenant(acme) again: %v, want ErrDuplicate", err)
	}
	got, err := s.GetTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := sampleTenant("acme")
	want.Version, want.Created, want.Updated = 1, got.Created, got.Created
	if diff := cmp.Diff(want, got); diff != "" || got.Created.IsZero() {
		t.Errorf("GetTenant (-want +got):\n%s", diff)
	}
	list, err := s.ListTenants(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "acme" || list[1].ID != "zeta" {
		t.Fatalf("ListTenants = %v, %v; want acme, zeta", list, err)
	}
	got.Profile.Roles = []string{regulation.RoleDORAFinancialEntity}
	if err := s.UpdateTenant(ctx, got); err != nil || got.Version != 2 {
		t.Fatalf("UpdateTenant = %v, version %d; want 2", err, got.Version)
	}
	stale := *got
	stale.Version = 1
	var ce *store.ConflictError
	if err := s.UpdateTenant(ctx, &stale); !errors.As(err, &ce) || ce.Current != 2 {
		t.Errorf("UpdateTenant at version 1 = %v, want a conflict at 2", err)
	}
	if again, _ := s.GetTenant(ctx, "acme"); again == nil ||
		again.Profile.Roles[0] != regulation.RoleDORAFinancialEntity || again.Version != 2 {
		t.Errorf("GetTenant after the update = %+v", again)
	}
	if _, err := s.GetTenant(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTenant(nope) = %v, want ErrNotFound", err)
	}
	if err := s.UpdateTenant(ctx, sampleTenant("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateTenant(nope) = %v, want ErrNotFound", err)
	}

	c := &scope.Contact{Tenant: "zeta", Name: "Zed", Email: "zed@zeta.example",
		Channel: scope.ChannelEmail}
	if err := s.AddContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTenant(ctx, "zeta"); err != nil {
		t.Fatalf("DeleteTenant: %v", err)
	}
	if _, err := s.GetContact(ctx, "zeta", c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted tenant's contact: %v, want ErrNotFound", err)
	}
	if err := s.DeleteTenant(ctx, "zeta"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteTenant twice = %v, want ErrNotFound", err)
	}
}

// testTenantExists checks the transaction's read of a tenant: it sees the
// transaction's own writes, and a tenant it found cannot be deleted by
// another writer before the transaction ends.
func testTenantExists(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.CreateTenant(ctx, sampleTenant("acme")); err != nil {
		t.Fatal(err)
	}
	errRollback := errors.New("roll back")
	err := s.Atomically(ctx, func(tx store.Tx) error {
		for _, c := range []struct {
			id   string
			want bool
		}{{"acme", true}, {"nope", false}, {"", false}} {
			if got, err := tx.TenantExists(ctx, c.id); got != c.want || err != nil {
				return fmt.Errorf("TenantExists(%q) = %v, %v; want %v", c.id, got, err, c.want)
			}
		}
		if err := tx.CreateTenant(ctx, sampleTenant("fresh")); err != nil {
			return err
		}
		if got, err := tx.TenantExists(ctx, "fresh"); !got || err != nil {
			return fmt.Errorf("TenantExists(fresh) after creating it = %v, %v", got, err)
		}
		if err := tx.DeleteTenant(ctx, "fresh"); err != nil {
			return err
		}
		if got, err := tx.TenantExists(ctx, "fresh"); got || err != nil {
			return fmt.Errorf("TenantExists(fresh) after deleting it = %v, %v", got, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}

	// A concurrent delete waits for the transaction that found the tenant.
	deleted := make(chan error, 1)
	err = s.Atomically(ctx, func(tx store.Tx) error {
		if ok, err := tx.TenantExists(ctx, "acme"); !ok || err != nil {
			return fmt.Errorf("TenantExists(acme) = %v, %v", ok, err)
		}
		go func() { deleted <- s.DeleteTenant(ctx, "acme") }()
		select {
		case err := <-deleted:
			return fmt.Errorf("acme deleted (%v) while a transaction holds it", err)
		case <-time.After(200 * time.Millisecond):
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-deleted; err != nil {
		t.Fatalf("DeleteTenant(acme) after the transaction: %v", err)
	}
}

func testContacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []string{"acme", "globex"} {
		if err := s.CreateTenant(ctx, sampleTenant(id)); err != nil {
			t.Fatal(err)
		}
	}
	old := base.AddDate(0, -8, 0)
	contacts := []*scope.Contact{
		{Tenant: "globex", Name: "Gia", Email: "gia@globex.example", Channel: "email",
			Verified: base},
		{Tenant: "acme", Name: "Ana", Phone: "+1 555 0100", Channel: "phone", Verified: old},
		{Tenant: "acme", Name: "Al", WebhookURL: "https://hooks.acme.example/v",
			Channel: "webhook"},
	}
	for _, c := range contacts {
		if err := s.AddContact(ctx, c); err != nil || c.ID == 0 || c.Version != 1 {
			t.Fatalf("AddContact(%s) = %v, ID %d, version %d", c.Name, err, c.ID, c.Version)
		}
	}
	err := s.AddContact(ctx, &scope.Contact{Tenant: "nope", Name: "X", Channel: "portal"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddContact to an unknown tenant = %v, want ErrNotFound", err)
	}
	got, err := s.GetContact(ctx, "acme", contacts[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(contacts[1], got); diff != "" {
		t.Errorf("GetContact (-want +got):\n%s", diff)
	}
	if _, err := s.GetContact(ctx, "globex", contacts[1].ID); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("GetContact under another tenant = %v, want ErrNotFound", err)
	}
	names := func(cs []scope.Contact) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	all, err := s.ListContacts(ctx, store.ContactFilter{})
	if err != nil || !cmp.Equal(names(all), []string{"Ana", "Al", "Gia"}) {
		t.Errorf("ListContacts() = %v, %v; want Ana, Al, Gia (by tenant, then ID)", names(all),
			err)
	}
	staleAt := base.AddDate(0, -6, 0)
	stale, err := s.ListContacts(ctx, store.ContactFilter{VerifiedBefore: staleAt})
	if err != nil || !cmp.Equal(names(stale), []string{"Ana", "Al"}) {
		t.Errorf("stale contacts = %v, %v; want Ana (old) and Al (never verified)",
			names(stale), err)
	}
	one, err := s.ListContacts(ctx, store.ContactFilter{Tenant: "globex",
		VerifiedBefore: staleAt})
	if err != nil || len(one) != 0 {
		t.Errorf("globex's stale contacts = %v, %v; want none", names(one), err)
	}

	got.Verified, got.Created = base, time.Time{}
	if err := s.UpdateContact(ctx, got); err != nil || got.Version != 2 ||
		!got.Created.Equal(contacts[1].Created) {
		t.Fatalf("UpdateContact = %v, version %d, created %v; want 2 and the stored created",
			err, got.Version, got.Created)
	}
	got.Version = 1
	var ce *store.ConflictError
	if err := s.UpdateContact(ctx, got); !errors.As(err, &ce) || ce.Current != 2 {
		t.Errorf("UpdateContact at version 1 = %v, want a conflict at 2", err)
	}
	if stale, _ := s.ListContacts(ctx, store.ContactFilter{VerifiedBefore: staleAt}); len(
		stale) != 1 {
		t.Errorf("after verifying Ana: stale %v, want Al only", names(stale))
	}
	if err := s.DeleteContact(ctx, "globex", contacts[2].ID); !errors.Is(err,
		store.ErrNotFound) {
		t.Errorf("DeleteContact under another tenant = %v, want ErrNotFound", err)
	}
	if err := s.DeleteContact(ctx, "acme", contacts[2].ID); err != nil {
		t.Errorf("DeleteContact = %v", err)
	}
	if left, _ := s.ListContacts(ctx, store.ContactFilter{Tenant: "acme"}); len(left) != 1 {
		t.Errorf("acme's contacts after a delete: %v, want Ana", names(left))
	}
}

func affected(tenant, path string) scope.Affected {
	return scope.Affected{Tenant: tenant, PathCount: 1,
		Paths: []scope.Path{{Via: scope.Via{Kind: "farm", Value: "st-3"},
			Steps: []scope.Step{{Kind: scope.KindFarm, ID: "st-3"}}, Text: path}}}
}

func testIncidentScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	inc := createIncident(t, s, newIncident(base))
	other := createIncident(t, s, newIncident(base))
	if _, err := s.GetIncidentScope(ctx, inc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetIncidentScope before any = %v, want ErrNotFound", err)
	}
	first := &store.IncidentScope{IncidentID: inc.ID, Revision: 1,
		Scope:             scope.Scope{Farms: []string{"st-3"}},
		InventoryRevision: 4, Tenants: 2, Unmatched: []scope.Via{},
		Diff: scope.Diff{Added: []scope.Change{{Tenant: "acme", Reason: "a"},
			{Tenant: "globex", Reason: "g"}}, Removed: []scope.Change{}},
		By: "user:ana", At: base}
	err := s.SaveIncidentScope(ctx, first, []scope.Affected{affected("acme", "a"),
		affected("globex", "g")})
	if err != nil {
		t.Fatalf("SaveIncidentScope(1) = %v", err)
	}
	if err := s.SaveIncidentScope(ctx, first, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SaveIncidentScope(1) again = %v, want ErrConflict", err)
	}
	later := base.Add(time.Hour)
	second := &store.IncidentScope{IncidentID: inc.ID, Revision: 2,
		Scope: scope.Scope{Regions: []string{"eu-west"}}, Tenants: 2, Unmatched: []scope.Via{},
		Diff: scope.Diff{Added: []scope.Change{{Tenant: "initech", Reason: "i"}},
			Removed: []scope.Change{{Tenant: "acme", Reason: "a"}}, Unchanged: 1},
		By: "user:bo", At: later}
	err = s.SaveIncidentScope(ctx, second, []scope.Affected{affected("globex", "g2"),
		affected("initech", "i")})
	if err != nil {
		t.Fatalf("SaveIncidentScope(2) = %v", err)
	}
	got, err := s.GetIncidentScope(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second, got); diff != "" {
		t.Errorf("GetIncidentScope (-want +got):\n%s", diff)
	}
	history, err := s.ListIncidentScopes(ctx, inc.ID)
	if err != nil || len(history) != 2 || history[0].By != "user:ana" ||
		history[1].Revision != 2 {
		t.Errorf("ListIncidentScopes = %+v, %v; want revisions 1 and 2", history, err)
	}

	rows, err := s.ListAffectedTenants(ctx, inc.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AffectedTenant{
		{Affected: affected("globex", "g2"), SinceRevision: 1,
			Since: base.Truncate(time.Microsecond)},
		{Affected: affected("initech", "i"), SinceRevision: 2,
			Since: later.Truncate(time.Microsecond)},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ListAffectedTenants (-want +got):\n%s", diff)
	}
	only, err := s.ListAffectedTenants(ctx, inc.ID, "initech")
	if err != nil || len(only) != 1 || only[0].Tenant != "initech" {
		t.Errorf("ListAffectedTenants(initech) = %+v, %v", only, err)
	}
	if none, err := s.ListAffectedTenants(ctx, inc.ID, "acme"); err != nil || len(none) != 0 {
		t.Errorf("ListAffectedTenants(acme, no longer affected) = %+v, %v", none, err)
	}
	err = s.SaveIncidentScope(ctx, &store.IncidentScope{IncidentID: other.ID, Revision: 1,
		At: base}, []scope.Affected{affected("initech", "x")})
	if err != nil {
		t.Fatal(err)
	}
	for tenant, want := range map[string][]int64{"initech": {inc.ID, other.ID},
		"globex": {inc.ID}, "acme": {}} {
		got, err := s.IncidentsAffecting(ctx, tenant)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("IncidentsAffecting(%s) = %v, %v; want %v", tenant, got, err, want)
		}
	}
	err = s.SaveIncidentScope(ctx, &store.IncidentScope{IncidentID: 999999, Revision: 1,
		At: base}, nil)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveIncidentScope of an unknown incident = %v, want ErrNotFound", err)
	}
}

func testAlertTenants(t *testing.T, s store.Store) {
	ctx := t.Context()
	ids := insertEvents(t, s, simpleEvent(1), simpleEvent(2))
	plain := insertAlert(t, s, &detect.Alert{RuleID: "r0", RuleTitle: "R", Level: "low",
		EventIDs: ids[:1], Tenants: []string{"acme", "globex"}})
	a := triageAlert("web-1", base, ids[0])
	a.Tenants = []string{"globex"}
	groupAlert(t, s, a, time.Hour, false)
	again := triageAlert("web-1", base.Add(time.Minute), ids[1])
	again.Tenants = []string{"acme", "globex"}
	groupAlert(t, s, again, time.Hour, true)

	got, err := s.GetAlert(ctx, a.ID)
	if err != nil || !cmp.Equal(got.Tenants, []string{"acme", "globex"}) {
		t.Errorf("GetAlert tenants = %v, %v; want acme and globex (a repeat adds its own)",
			got.Tenants, err)
	}
	page, err := s.ListAlerts(ctx, store.AlertFilter{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("ListAlerts = %d, %v", len(page.Items), err)
	}
	for _, item := range page.Items {
		if item.ID == plain.ID && !cmp.Equal(item.Tenants, []string{"acme", "globex"}) {
			t.Errorf("ListAlerts: alert %d tenants %v, want acme, globex", item.ID, item.Tenants)
		}
	}
}
