package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/vigilsec/vigil/internal/audit"
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

// Recorder records an audit entry through an Appender: the transaction
// of the change it records. *audit.Log is one.
type Recorder interface {
	RecordIn(ctx context.Context, app audit.Appender, e audit.Entry) error
}

// ImportInventory stores a document read from an inventory file: it
// validates it against the stored tenants and those the file lists
// (returning the *scope.ValidationError, nothing stored), creates the
// file's tenants that do not exist and updates the name and profile of
// those that do (and the notice language when the file gives one), adds each file contact that the tenant lacks (matched by
// e-mail address, else by name) and updates the others, and replaces the
// inventory when its revision is still rev (a *ConflictError otherwise).
// All of it, and the audit entries of ImportEntries (via names the file or
// the command), which rec records with the actor of ctx, is written in one
// transaction: either everything is stored or nothing. The tenants and
// contacts are read before the transaction; one changed in between gives
// a *ConflictError or ErrDuplicate, and nothing is stored.
func ImportInventory(ctx context.Context, st Store, doc *scope.Document, rev int64,
	via string, rec Recorder) (ImportResult, error) {
	known, err := KnownTenants(ctx, st)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import inventory: %w", err)
	}
	if err := doc.Validate(func(t string) bool { return known[t] }); err != nil {
		return ImportResult{}, err
	}
	plans := make([]tenantPlan, len(doc.Tenants))
	for i, ts := range doc.Tenants {
		if plans[i], err = planTenant(ctx, st, ts, known[ts.Tenant.ID]); err != nil {
			return ImportResult{}, fmt.Errorf("import inventory: tenant %s: %w",
				ts.Tenant.ID, err)
		}
	}
	var res ImportResult
	err = st.Atomically(ctx, func(tx Tx) error {
		res = ImportResult{TenantsCreated: []string{}, TenantsUpdated: []string{},
			ContactsAdded: map[string][]int64{}, ContactsUpdated: map[string][]int64{}}
		for _, p := range plans {
			if err := p.apply(ctx, tx, &res); err != nil {
				return fmt.Errorf("import inventory: tenant %s: %w", p.id, err)
			}
		}
		var err error
		res.Revision, err = tx.ChangeInventory(ctx, InventoryChange{Revision: rev,
			Replace: &doc.Inventory})
		if err != nil {
			return err
		}
		inv := &doc.Inventory
		res.Entries = map[string]int{"regions": len(inv.Regions),
			"datacenters": len(inv.Datacenters), "services": len(inv.Services),
			"farms": len(inv.Farms), "servers": len(inv.Servers)}
		for _, e := range ImportEntries(res, via) {
			if err := rec.RecordIn(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// ImportEntries returns the audit entries of an import, without actor or
// time: inventory.imported (via names the file or the command), then
// tenant.created, tenant.updated, contact.added and contact.updated for
// each tenant and contact the import wrote, by tenant.
func ImportEntries(res ImportResult, via string) []audit.Entry {
	details := func(v map[string]any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			panic(fmt.Sprintf("store: import audit details: %v", err))
		}
		return b
	}
	byImport := details(map[string]any{"via": "import"})
	out := []audit.Entry{{Action: audit.InventoryImported, ObjectType: "inventory",
		ObjectID: strconv.FormatInt(res.Revision, 10), Details: details(map[string]any{
			"entries": res.Entries, "tenants_created": res.TenantsCreated,
			"tenants_updated": res.TenantsUpdated, "via": via})}}
	for _, id := range res.TenantsCreated {
		out = append(out, audit.Entry{Action: audit.TenantCreated, ObjectType: "tenant",
			ObjectID: id, Tenant: id, Details: byImport})
	}
	for _, id := range res.TenantsUpdated {
		out = append(out, audit.Entry{Action: audit.TenantUpdated, ObjectType: "tenant",
			ObjectID: id, Tenant: id, Details: byImport})
	}
	for _, l := range []struct {
		action audit.Action
		ids    map[string][]int64
	}{{audit.ContactAdded, res.ContactsAdded}, {audit.ContactUpdated, res.ContactsUpdated}} {
		for _, tenant := range slices.Sorted(maps.Keys(l.ids)) {
			for _, id := range l.ids[tenant] {
				out = append(out, audit.Entry{Action: l.action, ObjectType: "contact",
					ObjectID: strconv.FormatInt(id, 10), Tenant: tenant, Details: byImport})
			}
		}
	}
	return out
}

// tenantPlan is what an import writes for one tenant of the file: the
// tenant to create or update (nil: unchanged), and the contacts to add and
// to update, as found before the transaction.
type tenantPlan struct {
	id             string
	create, update *scope.Tenant
	add, change    []scope.Contact
}

// planTenant compares a tenant of the file with the stored one.
func planTenant(ctx context.Context, st Store, ts scope.TenantSpec, exists bool) (tenantPlan,
	error) {
	t := ts.Tenant
	p := tenantPlan{id: t.ID}
	if !exists {
		p.create = &t
	} else {
		cur, err := st.GetTenant(ctx, t.ID)
		if err != nil {
			return p, err
		}
		// A file without a language keeps the stored one: an import
		// removes nothing.
		lang := cmp.Or(t.Language, cur.Language)
		if cur.Name != t.Name || !sameProfile(cur, &t) || cur.Language != lang {
			cur.Name, cur.Profile, cur.Language = t.Name, t.Profile, lang
			p.update = cur
		}
	}
	var have []scope.Contact
	if exists {
		var err error
		if have, err = st.ListContacts(ctx, ContactFilter{Tenant: t.ID}); err != nil {
			return p, err
		}
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
			p.add = append(p.add, c)
		case !sameContact(&have[i], &c):
			c.ID, c.Version = have[i].ID, have[i].Version
			p.change = append(p.change, c)
		}
	}
	return p, nil
}

// apply writes the plan through tx and notes what it wrote in res.
func (p tenantPlan) apply(ctx context.Context, tx Tx, res *ImportResult) error {
	switch {
	case p.create != nil:
		t := *p.create
		if err := tx.CreateTenant(ctx, &t); err != nil {
			return err
		}
		res.TenantsCreated = append(res.TenantsCreated, p.id)
	case p.update != nil:
		t := *p.update
		if err := tx.UpdateTenant(ctx, &t); err != nil {
			return err
		}
		res.TenantsUpdated = append(res.TenantsUpdated, p.id)
	}
	for _, c := range p.add {
		if err := tx.AddContact(ctx, &c); err != nil {
			return err
		}
		res.ContactsAdded[p.id] = append(res.ContactsAdded[p.id], c.ID)
	}
	for _, c := range p.change {
		if err := tx.UpdateContact(ctx, &c); err != nil {
			return err
		}
		res.ContactsUpdated[p.id] = append(res.ContactsUpdated[p.id], c.ID)
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
