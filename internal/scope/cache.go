package scope

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vigilsec/vigil/internal/event"
)

// Source reads the stored inventory; the store back ends are Sources.
type Source interface {
	// LoadInventory returns the stored inventory and its revision (0 for
	// one never written).
	LoadInventory(ctx context.Context) (*Inventory, int64, error)
	// InventoryRevision returns the revision of the stored inventory.
	InventoryRevision(ctx context.Context) (int64, error)
}

// Cache keeps the Index of the stored inventory. Lookups read the current
// Index without locking; Refresh replaces it when the stored revision has
// moved. It is safe for concurrent use; the zero Cache is not: use
// NewCache.
type Cache struct {
	src Source
	cur atomic.Pointer[Index]
	mu  sync.Mutex // serializes Refresh
}

// empty is the Index of an empty inventory.
var empty = func() *Index {
	x, err := Build(&Inventory{}, 0)
	if err != nil {
		panic(err)
	}
	return x
}()

// NewCache returns a Cache over src holding the empty inventory until the
// first Refresh.
func NewCache(src Source) *Cache {
	c := &Cache{src: src}
	c.cur.Store(empty)
	return c
}

// Index returns the current Index.
func (c *Cache) Index() *Index { return c.cur.Load() }

// Refresh rebuilds the Index when the stored revision differs from the
// current one and reports whether it did. On error the current Index
// stays.
func (c *Cache) Refresh(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rev, err := c.src.InventoryRevision(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh inventory: %w", err)
	}
	if rev == c.cur.Load().revision {
		return false, nil
	}
	inv, rev, err := c.src.LoadInventory(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh inventory: %w", err)
	}
	x, err := Build(inv, rev)
	if err != nil {
		return false, fmt.Errorf("refresh inventory revision %d: %w", rev, err)
	}
	c.cur.Store(x)
	return true, nil
}

// EnrichKey is the top-level event field under which Enrich writes its
// fields: vigil.server, vigil.farm, vigil.service, vigil.datacenter,
// vigil.region and vigil.tenants (docs/field-mapping.md).
const EnrichKey = "vigil"

// HostFields are the event fields Enrich reads, in order, for the host an
// event comes from: the first one whose value is a known host name or
// address wins.
var HostFields = []event.Path{
	event.NewPath("Computer"), event.NewPath("host.name"), event.NewPath("host.hostname"),
	event.NewPath("hostname"), event.NewPath("Hostname"), event.NewPath("host"),
	event.NewPath("host.ip"), event.NewPath("dvc"),
}

// Enrich removes any vigil field the sender put in e (the fields are
// Vigil's to set, so a sender cannot claim a tenant), but for an exercise
// tag (see exerciseTag), looks up the host e comes from (HostFields) and,
// when the inventory knows it, sets the vigil fields. It returns the
// tenants it set (nil when none). The list of tenants, in the event and
// returned, is shared with every event of the same host: do not change it.
func (c *Cache) Enrich(e *event.Event) []string {
	if e.Fields == nil {
		return nil
	}
	tag := exerciseTag(e.Fields)
	delete(e.Fields, EnrichKey)
	for k := range e.Fields {
		if strings.HasPrefix(k, EnrichKey+".") {
			delete(e.Fields, k)
		}
	}
	if tag != nil {
		e.Fields[EnrichKey] = tag
	}
	x := c.cur.Load()
	if len(x.servers) == 0 && len(x.farms) == 0 {
		return nil
	}
	loc := x.locate(e)
	if loc == nil {
		return nil
	}
	f := map[string]any{"farm": loc.Farm, "service": loc.Service,
		"datacenter": loc.Datacenter, "region": loc.Region, "tenants": loc.fields}
	for k, v := range tag {
		f[k] = v
	}
	if loc.Server != "" {
		f["server"] = loc.Server
	}
	e.Fields[EnrichKey] = f
	return loc.Tenants
}

// exerciseTag returns the exercise and step of the vigil object of fields
// when it has an exercise ({"vigil": {"exercise": 12, "step": 3}}, as
// vigil exercise run tags a replay's events), else nil. The API lets only
// admins and responders post such a tag, for an open exercise, so Enrich
// keeps it; the rest of a sender's vigil object is dropped.
func exerciseTag(fields map[string]any) map[string]any {
	m, ok := fields[EnrichKey].(map[string]any)
	if !ok || m["exercise"] == nil {
		return nil
	}
	tag := map[string]any{"exercise": m["exercise"]}
	if step, ok := m["step"]; ok {
		tag["step"] = step
	}
	return tag
}

// locate finds the first host field of e that the inventory knows; a
// field may hold one name or address, or a list of them (ECS host.ip).
func (x *Index) locate(e *event.Event) *Location {
	for _, p := range HostFields {
		v, ok := e.Lookup(p)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			if loc := x.lookupValue(v); loc != nil {
				return loc
			}
		case []any:
			for _, item := range v {
				if s, ok := item.(string); ok {
					if loc := x.lookupValue(s); loc != nil {
						return loc
					}
				}
			}
		}
	}
	return nil
}

func (x *Index) lookupValue(s string) *Location {
	if s == "" {
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		loc, _ := x.LookupAddr(a.Unmap())
		return loc
	}
	loc, _ := x.LookupHost(s)
	return loc
}
