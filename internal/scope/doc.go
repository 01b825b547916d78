// Package scope owns the inventory of the provider's infrastructure and
// the tenants it serves, and answers the question an incident asks first:
// which customers did it touch?
//
// The inventory is regions ▸ datacenters ▸ services ▸ server farms ▸
// servers (host names, addresses and CIDR ranges). A tenant is served by a
// whole service in a region, by a farm, or by named servers. Inventory is
// the flat, stored form; the YAML and CSV codecs read and write it for
// people (docs/inventory.md). An Index is an Inventory compiled for fast
// questions: the host or address lookup that enriches events at ingest
// (longest-prefix match for ranges) and Resolve, which turns an incident's
// Scope, given at any level, into the affected tenants, each with the paths
// that made it affected. Diff compares two resolutions. Cache keeps the
// Index of the stored inventory and rebuilds it when the inventory changes.
//
// Tenants carry their regulatory profile (internal/regulation's vocabulary)
// and designated administrators (Contact), whose details go stale.
//
// The package does not store anything (internal/store does), nor decide
// who may see what (internal/api), nor compute regulatory obligations
// (internal/regulation).
package scope
