package scope

// RegionTree is a region with its datacenters, farms and servers nested:
// the inventory as the YAML file and the web page show it.
type RegionTree struct {
	ID          string           `json:"id" yaml:"id"`
	Name        string           `json:"name,omitempty" yaml:"name,omitempty"`
	Datacenters []DatacenterTree `json:"datacenters,omitempty" yaml:"datacenters,omitempty"`
}

// DatacenterTree is a datacenter with its farms.
type DatacenterTree struct {
	ID    string     `json:"id" yaml:"id"`
	Name  string     `json:"name,omitempty" yaml:"name,omitempty"`
	Farms []FarmTree `json:"farms,omitempty" yaml:"farms,omitempty"`
}

// FarmTree is a farm with its servers.
type FarmTree struct {
	ID        string       `json:"id" yaml:"id"`
	Name      string       `json:"name,omitempty" yaml:"name,omitempty"`
	Service   string       `json:"service" yaml:"service"`
	Addresses []string     `json:"addresses,omitempty" yaml:"addresses,omitempty,flow"`
	Tenants   []string     `json:"tenants,omitempty" yaml:"tenants,omitempty,flow"`
	Servers   []ServerTree `json:"servers,omitempty" yaml:"servers,omitempty"`
}

// ServerTree is a server as nested under its farm.
type ServerTree struct {
	Name      string   `json:"name" yaml:"name"`
	Addresses []string `json:"addresses,omitempty" yaml:"addresses,omitempty,flow"`
	Tenants   []string `json:"tenants,omitempty" yaml:"tenants,omitempty,flow"`
}

// Tree nests a valid inventory's entries under their parents, in the
// order of the inventory's lists (sorted by Inventory.Sort). Entries whose
// parent is missing are left out.
func Tree(inv *Inventory) []RegionTree {
	servers := map[string][]ServerTree{}
	for _, s := range inv.Servers {
		servers[s.Farm] = append(servers[s.Farm], ServerTree{Name: s.Name,
			Addresses: s.Addresses, Tenants: s.Tenants})
	}
	farms := map[string][]FarmTree{}
	for _, f := range inv.Farms {
		farms[f.Datacenter] = append(farms[f.Datacenter], FarmTree{ID: f.ID, Name: f.Name,
			Service: f.Service, Addresses: f.Addresses, Tenants: f.Tenants,
			Servers: servers[f.ID]})
	}
	dcs := map[string][]DatacenterTree{}
	for _, d := range inv.Datacenters {
		dcs[d.Region] = append(dcs[d.Region], DatacenterTree{ID: d.ID, Name: d.Name,
			Farms: farms[d.ID]})
	}
	out := make([]RegionTree, 0, len(inv.Regions))
	for _, r := range inv.Regions {
		out = append(out, RegionTree{ID: r.ID, Name: r.Name, Datacenters: dcs[r.ID]})
	}
	return out
}
