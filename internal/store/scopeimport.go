package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vigilsec/vigil/internal/scope"
)

// ImportResult is what ImportInventory did: the new inventory revision,
// the tenants it created and updated, and the contacts it added and
// updated (by tenant).
type ImportResult struct {
	Revision       int64          `json:"revision"`
	Entries        map[string]int `json:"entries"`
	TenantsCreated []string       `json:"tenants_created"`
	TenantsUpdated []string       `json:"tenants_updated"`
	// ContactsAdded and ContactsUpdated map a tenant to the IDs of its
	// contacts that the import added or updated.
	ContactsAdded   map[string][]int64 `json:"contacts_added"`
	ContactsUpdated map[string][]int64 `json:"contacts_updated"`
}

// KnownTenants returns the IDs of the stored tenants as a set.
func KnownTenants(ctx context.Context, st ScopeStore) (map[string]bool, error) {
	ts, err := st.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(ts))
	for _, t := range ts {
		known[t.ID] = true
	}
	return known, nil
}

// ImportInventory stores a document read from an inventory file: it
// validates it against the stored tenants and those the file lists
// (returning the *scope.ValidationError, nothing stored), creates the
// file's tenants that do not exist and updates the name and profile of
// those that do, adds each file contact that the tenant lacks (matched by
// e-mail address, else by name) and updates the others, then replaces the
// inventory when its revision is still rev (a *ConflictError otherwise;
// tenants stay as written, which a repeated import leaves alike). The
// audit trail is the caller's business.
func ImportInventory(ctx context.Context, st ScopeStore, doc *scope.Document,
	rev int64) (ImportResult, error) {
	res := ImportResult{Entries: map[string]int{}, TenantsCreated: []string{},
		TenantsUpdated: []string{}, ContactsAdded: map[string][]int64{},
		ContactsUpdated: map[string][]int64{}}
	known, err := KnownTenants(ctx, st)
	if err != nil {
		return res, fmt.Errorf("import inventory: %w", err)
	}
	if err := doc.Validate(func(t string) bool { return known[t] }); err != nil {
		return res, err
	}
	for _, ts := range doc.Tenants {
		if err := importTenant(ctx, st, ts, known[ts.Tenant.ID], &res); err != nil {
			return res, fmt.Errorf("import inventory: tenant %s: %w", ts.Tenant.ID, err)
		}
	}
	res.Revision, err = st.ChangeInventory(ctx, InventoryChange{Revision: rev,
		Replace: &doc.Inventory})
	if err != nil {
		return res, err
	}
	inv := &doc.Inventory
	res.Entries = map[string]int{"regions": len(inv.Regions),
		"datacenters": len(inv.Datacenters), "services": len(inv.Services),
		"farms": len(inv.Farms), "servers": len(inv.Servers)}
	return res, nil
}

func importTenant(ctx context.Context, st ScopeStore, ts scope.TenantSpec, exists bool,
	res *ImportResult) error {
	t := ts.Tenant
	if !exists {
		if err := st.CreateTenant(ctx, &t); err != nil {
			return err
		}
		res.TenantsCreated = append(res.TenantsCreated, t.ID)
	} else {
		cur, err := st.GetTenant(ctx, t.ID)
		if err != nil {
			return err
		}
		if cur.Name != t.Name || !sameProfile(cur, &t) {
			cur.Name, cur.Profile = t.Name, t.Profile
			if err := st.UpdateTenant(ctx, cur); err != nil {
				return err
			}
			res.TenantsUpdated = append(res.TenantsUpdated, t.ID)
		}
	}
	have, err := st.ListContacts(ctx, ContactFilter{Tenant: t.ID})
	if err != nil {
		return err
	}
	for _, c := range ts.Contacts {
		i := slices.IndexFunc(have, func(h scope.Contact) bool {
			if c.Email != "" {
				return h.Email == c.Email
			}
			return h.Email == "" && h.Name == c.Name
		})
		switch {
		case i < 0:
			if err := st.AddContact(ctx, &c); err != nil {
				return err
			}
			res.ContactsAdded[t.ID] = append(res.ContactsAdded[t.ID], c.ID)
		case !sameContact(&have[i], &c):
			c.ID, c.Version = have[i].ID, have[i].Version
			if err := st.UpdateContact(ctx, &c); err != nil {
				return err
			}
			res.ContactsUpdated[t.ID] = append(res.ContactsUpdated[t.ID], c.ID)
		}
	}
	return nil
}

func sameProfile(a, b *scope.Tenant) bool {
	return slices.Equal(a.Profile.Jurisdictions, b.Profile.Jurisdictions) &&
		slices.Equal(a.Profile.Roles, b.Profile.Roles) &&
		slices.Equal(a.Profile.DataCategories, b.Profile.DataCategories)
}

func sameContact(a, b *scope.Contact) bool {
	return a.Name == b.Name && a.Email == b.Email && a.Phone == b.Phone &&
		a.WebhookURL == b.WebhookURL && a.Channel == b.Channel && a.Verified.Equal(b.Verified)
}

// ErrInUse is returned when an object cannot be removed because others
// refer to it (a tenant that the inventory or an incident names).
var ErrInUse = errors.New("in use")
