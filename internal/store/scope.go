package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/scope"
)

// ScopeStore keeps the inventory (docs/inventory.md), the tenants with
// their designated contacts, and each incident's scope: its history of
// revisions and the tenants its latest revision affects. Tenants and
// contacts carry a Version for optimistic concurrency; scope revisions are
// never changed or deleted.
type ScopeStore interface {
	// LoadInventory returns the whole inventory, sorted (scope.Inventory
	// Sort), and its revision: 0 for one never written.
	LoadInventory(ctx context.Context) (*scope.Inventory, int64, error)
	// InventoryRevision returns the revision of the stored inventory.
	InventoryRevision(ctx context.Context) (int64, error)
	// ChangeInventory applies c in one transaction when the stored revision
	// is c.Revision, and returns the new revision (one more). A stale
	// revision gives a *ConflictError and changes nothing. The store does
	// not validate the result: the caller does, before.
	ChangeInventory(ctx context.Context, c InventoryChange) (int64, error)

	// CreateTenant stores t at version 1, setting Version, Created and
	// Updated (the store's clock). A taken ID gives ErrDuplicate.
	CreateTenant(ctx context.Context, t *scope.Tenant) error
	// GetTenant returns one tenant, or ErrNotFound.
	GetTenant(ctx context.Context, id string) (*scope.Tenant, error)
	// ListTenants returns every tenant by ID.
	ListTenants(ctx context.Context) ([]scope.Tenant, error)
	// UpdateTenant saves t's name and profile when the stored version is
	// t.Version, then sets t.Version (one more) and t.Updated. A stale
	// version gives a *ConflictError, an unknown ID ErrNotFound.
	UpdateTenant(ctx context.Context, t *scope.Tenant) error
	// DeleteTenant removes a tenant and its contacts; ErrNotFound when
	// there is none.
	DeleteTenant(ctx context.Context, id string) error

	// AddContact stores c at version 1, setting ID, Version, Created and
	// Updated. An unknown tenant gives ErrNotFound.
	AddContact(ctx context.Context, c *scope.Contact) error
	// GetContact returns contact id of tenant, or ErrNotFound.
	GetContact(ctx context.Context, tenant string, id int64) (*scope.Contact, error)
	// ListContacts returns the contacts f selects, by tenant and ID.
	ListContacts(ctx context.Context, f ContactFilter) ([]scope.Contact, error)
	// UpdateContact saves c when the stored version is c.Version, then sets
	// c.Version and c.Updated; ID, Tenant and Created are kept. A stale
	// version gives a *ConflictError, an unknown contact ErrNotFound.
	UpdateContact(ctx context.Context, c *scope.Contact) error
	// DeleteContact removes contact id of tenant; ErrNotFound when there is
	// none.
	DeleteContact(ctx context.Context, tenant string, id int64) error

	// SaveIncidentScope stores s as the incident's revision s.Revision,
	// which must follow the stored one (1 for the first), and makes
	// affected (sorted by tenant) the incident's affected tenants, in one
	// transaction. A tenant affected before keeps its Since; a new one gets
	// s's revision and s.At. A stale revision gives a *ConflictError, an
	// unknown incident ErrNotFound; nothing is stored then.
	SaveIncidentScope(ctx context.Context, s *IncidentScope, affected []scope.Affected) error
	// GetIncidentScope returns the incident's latest scope revision, or
	// ErrNotFound when its scope was never set.
	GetIncidentScope(ctx context.Context, incidentID int64) (*IncidentScope, error)
	// ListIncidentScopes returns every revision of the incident's scope,
	// oldest first.
	ListIncidentScopes(ctx context.Context, incidentID int64) ([]IncidentScope, error)
	// ListAffectedTenants returns the tenants the incident's latest scope
	// affects, by tenant; only tenant's row when tenant is not empty.
	ListAffectedTenants(ctx context.Context, incidentID int64,
		tenant string) ([]AffectedTenant, error)
	// IncidentsAffecting returns the IDs of the incidents whose latest
	// scope affects tenant, ascending.
	IncidentsAffecting(ctx context.Context, tenant string) ([]int64, error)
}

// InventoryChange is one change of the inventory. Replace, when set,
// replaces everything first; then Put stores its entries (new or
// replacing those of the same kind and ID) and Delete removes entries.
type InventoryChange struct {
	// Revision is the revision the change is based on.
	Revision int64
	Replace  *scope.Inventory
	Put      scope.Inventory
	Delete   []scope.Ref
}

// ContactFilter selects contacts. Tenant, when set, keeps one tenant's;
// VerifiedBefore, when not zero, keeps those never verified or verified
// before it (the stale ones).
type ContactFilter struct {
	Tenant         string
	VerifiedBefore time.Time
}

// IncidentScope is one revision of an incident's scope: what was set, by
// whom and when, against which inventory revision, how many tenants it
// affects and what changed from the revision before.
type IncidentScope struct {
	IncidentID        int64       `json:"incident_id"`
	Revision          int64       `json:"revision"`
	Scope             scope.Scope `json:"scope"`
	InventoryRevision int64       `json:"inventory_revision"`
	Tenants           int         `json:"tenants"`
	Unmatched         []scope.Via `json:"unmatched"`
	Diff              scope.Diff  `json:"diff"`
	By                string      `json:"by"`
	At                time.Time   `json:"at"`
}

// AffectedTenant is a tenant an incident affects, with its paths, and
// since when: the scope revision, and its time, from which it has been
// affected without a break.
type AffectedTenant struct {
	scope.Affected
	SinceRevision int64     `json:"since_revision"`
	Since         time.Time `json:"since"`
}

// InventoryEntries returns the entries of inv as (kind, ID, entry) rows,
// in the order of scope.Kinds, for the back ends to store.
func InventoryEntries(inv *scope.Inventory) []InventoryRow {
	rows := make([]InventoryRow, 0, inv.Len())
	for _, e := range inv.Regions {
		rows = append(rows, InventoryRow{scope.KindRegion, e.ID, e})
	}
	for _, e := range inv.Datacenters {
		rows = append(rows, InventoryRow{scope.KindDatacenter, e.ID, e})
	}
	for _, e := range inv.Services {
		rows = append(rows, InventoryRow{scope.KindService, e.ID, e})
	}
	for _, e := range inv.Farms {
		rows = append(rows, InventoryRow{scope.KindFarm, e.ID, e})
	}
	for _, e := range inv.Servers {
		rows = append(rows, InventoryRow{scope.KindServer, e.Name, e})
	}
	return rows
}

// InventoryRow is one stored entry: Entry is a scope.Region, Datacenter,
// Service, Farm or Server, kept as JSON.
type InventoryRow struct {
	Kind  scope.Kind
	ID    string
	Entry any
}

// InventoryBuilder collects stored entries back into an Inventory.
type InventoryBuilder struct{ inv scope.Inventory }

// Add decodes one stored entry of the given kind into the inventory.
func (b *InventoryBuilder) Add(kind string, doc []byte) error {
	var err error
	switch scope.Kind(kind) {
	case scope.KindRegion:
		b.inv.Regions, err = decodeAppend(b.inv.Regions, doc)
	case scope.KindDatacenter:
		b.inv.Datacenters, err = decodeAppend(b.inv.Datacenters, doc)
	case scope.KindService:
		b.inv.Services, err = decodeAppend(b.inv.Services, doc)
	case scope.KindFarm:
		b.inv.Farms, err = decodeAppend(b.inv.Farms, doc)
	case scope.KindServer:
		b.inv.Servers, err = decodeAppend(b.inv.Servers, doc)
	default:
		return errUnknownKind(kind)
	}
	return err
}

// Inventory returns the inventory collected, sorted.
func (b *InventoryBuilder) Inventory() *scope.Inventory {
	b.inv.Sort()
	return &b.inv
}

// MergeAffected returns the rows to store for a new resolution: each
// tenant of affected, keeping the Since of the same tenant in before
// (sorted by tenant), else since the revision rev at at.
func MergeAffected(before []AffectedTenant, affected []scope.Affected, rev int64,
	at time.Time) []AffectedTenant {
	out := make([]AffectedTenant, 0, len(affected))
	for _, a := range affected {
		row := AffectedTenant{Affected: a, SinceRevision: rev, Since: at}
		i, ok := slices.BinarySearchFunc(before, a.Tenant,
			func(b AffectedTenant, t string) int { return cmp.Compare(b.Tenant, t) })
		if ok {
			row.SinceRevision, row.Since = before[i].SinceRevision, before[i].Since
		}
		out = append(out, row)
	}
	return out
}

func decodeAppend[T any](list []T, doc []byte) ([]T, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

func errUnknownKind(kind string) error {
	return fmt.Errorf("stored inventory entry of unknown kind %q", kind)
}
