package scope

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/regulation"
)

// Document is an inventory file as read: the inventory, the tenants the
// file describes (YAML only), and the line of each entry, for errors.
type Document struct {
	Inventory Inventory
	Tenants   []TenantSpec
	// Lines maps each entry to the line it starts on.
	Lines map[Ref]int
	File  string
}

// TenantSpec is a tenant as an inventory file describes it, with its
// designated administrators.
type TenantSpec struct {
	Tenant   Tenant
	Contacts []Contact
	Line     int
}

// Validate normalizes and validates the document's inventory (Validate)
// against the tenants the file lists and those known reports (known nil:
// tenant IDs are checked for form only), and names the file and line of
// each problem.
func (doc *Document) Validate(known func(tenant string) bool) error {
	doc.Inventory.Normalize()
	check := known
	if known != nil {
		listed := make(map[string]bool, len(doc.Tenants))
		for _, t := range doc.Tenants {
			listed[t.Tenant.ID] = true
		}
		check = func(t string) bool { return listed[t] || known(t) }
	}
	err := Validate(&doc.Inventory, check)
	if ve, ok := err.(*ValidationError); ok {
		ve.Locate(doc.File, doc.Lines)
	}
	return err
}

// ParseYAML reads an inventory in the YAML layout of docs/inventory.md:
// optional tenants, services, and regions with their datacenters, farms
// and servers nested. Unknown keys, wrong types and invalid tenants are a
// *ParseError naming the file, line and key; the inventory itself is
// checked by Document.Validate.
func ParseYAML(data []byte, file string) (*Document, error) {
	d := yamlReader{file: file}
	root, err := d.root(data)
	if err != nil {
		return nil, err
	}
	top, err := d.fields(root, "", "tenants", "services", "regions")
	if err != nil {
		return nil, err
	}
	doc := &Document{Lines: map[Ref]int{}, File: file}
	seen := map[string]bool{}
	err = d.seq(top, "tenants", "", func(n *yaml.Node, path string) error {
		ts, err := d.tenant(n, path)
		if err != nil {
			return err
		}
		if seen[ts.Tenant.ID] {
			return d.errorf(n, path+".id", "tenant %q listed twice", ts.Tenant.ID)
		}
		seen[ts.Tenant.ID] = true
		doc.Tenants = append(doc.Tenants, ts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.seq(top, "services", "", func(n *yaml.Node, path string) error {
		return d.service(n, path, doc)
	}); err != nil {
		return nil, err
	}
	if err := d.seq(top, "regions", "", func(n *yaml.Node, path string) error {
		return d.region(n, path, doc)
	}); err != nil {
		return nil, err
	}
	return doc, nil
}

func (d yamlReader) service(n *yaml.Node, path string, doc *Document) error {
	f, err := d.fields(n, path, "id", "name", "tenants")
	if err != nil {
		return err
	}
	var s Service
	if s.ID, err = d.str(f, "id", path); err != nil {
		return err
	}
	if s.Name, err = d.str(f, "name", path); err != nil {
		return err
	}
	if tn, ok := f["tenants"]; ok {
		if tn.Kind != yaml.MappingNode {
			return d.errorf(tn, path+".tenants", "want a map of region to tenants")
		}
		s.Tenants = map[string][]string{}
		for i := 0; i+1 < len(tn.Content); i += 2 {
			k := tn.Content[i]
			ts, err := d.scalars(tn.Content[i+1], path+".tenants."+k.Value)
			if err != nil {
				return err
			}
			s.Tenants[k.Value] = append(s.Tenants[k.Value], ts...)
		}
	}
	doc.Inventory.Services = append(doc.Inventory.Services, s)
	doc.Lines[Ref{KindService, strings.TrimSpace(s.ID)}] = n.Line
	return nil
}

func (d yamlReader) region(n *yaml.Node, path string, doc *Document) error {
	f, err := d.fields(n, path, "id", "name", "datacenters")
	if err != nil {
		return err
	}
	var r Region
	if r.ID, err = d.str(f, "id", path); err != nil {
		return err
	}
	if r.Name, err = d.str(f, "name", path); err != nil {
		return err
	}
	doc.Inventory.Regions = append(doc.Inventory.Regions, r)
	doc.Lines[Ref{KindRegion, strings.TrimSpace(r.ID)}] = n.Line
	return d.seq(f, "datacenters", path, func(n *yaml.Node, path string) error {
		return d.datacenter(n, path, r.ID, doc)
	})
}

func (d yamlReader) datacenter(n *yaml.Node, path, region string, doc *Document) error {
	f, err := d.fields(n, path, "id", "name", "farms")
	if err != nil {
		return err
	}
	dc := Datacenter{Region: region}
	if dc.ID, err = d.str(f, "id", path); err != nil {
		return err
	}
	if dc.Name, err = d.str(f, "name", path); err != nil {
		return err
	}
	doc.Inventory.Datacenters = append(doc.Inventory.Datacenters, dc)
	doc.Lines[Ref{KindDatacenter, strings.TrimSpace(dc.ID)}] = n.Line
	return d.seq(f, "farms", path, func(n *yaml.Node, path string) error {
		return d.farm(n, path, dc.ID, doc)
	})
}

func (d yamlReader) farm(n *yaml.Node, path, dc string, doc *Document) error {
	f, err := d.fields(n, path, "id", "name", "service", "addresses", "tenants", "servers")
	if err != nil {
		return err
	}
	fm := Farm{Datacenter: dc}
	for _, s := range []struct {
		key string
		dst *string
	}{{"id", &fm.ID}, {"name", &fm.Name}, {"service", &fm.Service}} {
		if *s.dst, err = d.str(f, s.key, path); err != nil {
			return err
		}
	}
	if fm.Addresses, err = d.list(f, "addresses", path); err != nil {
		return err
	}
	if fm.Tenants, err = d.list(f, "tenants", path); err != nil {
		return err
	}
	doc.Inventory.Farms = append(doc.Inventory.Farms, fm)
	doc.Lines[Ref{KindFarm, strings.TrimSpace(fm.ID)}] = n.Line
	return d.seq(f, "servers", path, func(n *yaml.Node, path string) error {
		sf, err := d.fields(n, path, "name", "addresses", "tenants")
		if err != nil {
			return err
		}
		s := Server{Farm: fm.ID}
		if s.Name, err = d.str(sf, "name", path); err != nil {
			return err
		}
		if s.Addresses, err = d.list(sf, "addresses", path); err != nil {
			return err
		}
		if s.Tenants, err = d.list(sf, "tenants", path); err != nil {
			return err
		}
		doc.Inventory.Servers = append(doc.Inventory.Servers, s)
		doc.Lines[Ref{KindServer, NormalizeHost(s.Name)}] = n.Line
		return nil
	})
}

// tenant reads a tenant with its profile and contacts, and validates them.
func (d yamlReader) tenant(n *yaml.Node, path string) (TenantSpec, error) {
	ts := TenantSpec{Line: n.Line}
	f, err := d.fields(n, path, "id", "name", "language", "profile", "contacts")
	if err != nil {
		return ts, err
	}
	t := &ts.Tenant
	if t.ID, err = d.str(f, "id", path); err != nil {
		return ts, err
	}
	if t.Name, err = d.str(f, "name", path); err != nil {
		return ts, err
	}
	if t.Language, err = d.str(f, "language", path); err != nil {
		return ts, err
	}
	if err := CheckLanguage(strings.TrimSpace(t.Language)); err != nil {
		return ts, d.errorf(f["language"], path+".language", "%v", err)
	}
	t.ID, t.Name = strings.TrimSpace(t.ID), strings.TrimSpace(t.Name)
	var pf map[string]*yaml.Node
	if pn, ok := f["profile"]; ok {
		if pf, err = d.fields(pn, path+".profile", "jurisdictions", "roles",
			"data_categories"); err != nil {
			return ts, err
		}
		p := &t.Profile
		for _, l := range []struct {
			key string
			dst *[]string
		}{{"jurisdictions", &p.Jurisdictions}, {"roles", &p.Roles},
			{"data_categories", &p.DataCategories}} {
			if *l.dst, err = d.list(pf, l.key, path+".profile"); err != nil {
				return ts, err
			}
		}
	}
	t.Normalize()
	if err := t.Validate(); err != nil {
		// A profile value is reported at its own line and key.
		var fe *regulation.FieldError
		if errors.As(err, &fe) && pf[fe.Field] != nil && fe.Index < len(pf[fe.Field].Content) {
			return ts, d.errorf(pf[fe.Field].Content[fe.Index],
				fmt.Sprintf("%s.profile.%s[%d]", path, fe.Field, fe.Index), "%s", fe.Reason)
		}
		return ts, d.errorf(n, path, "%v", err)
	}
	err = d.seq(f, "contacts", path, func(n *yaml.Node, path string) error {
		c, err := d.contact(n, path, t.ID)
		ts.Contacts = append(ts.Contacts, c)
		return err
	})
	return ts, err
}

func (d yamlReader) contact(n *yaml.Node, path, tenant string) (Contact, error) {
	c := Contact{Tenant: tenant, Channel: ChannelEmail}
	f, err := d.fields(n, path, "name", "email", "phone", "webhook_url",
		"preferred_channel", "last_verified")
	if err != nil {
		return c, err
	}
	for _, s := range []struct {
		key string
		dst *string
	}{{"name", &c.Name}, {"email", &c.Email}, {"phone", &c.Phone},
		{"webhook_url", &c.WebhookURL}, {"preferred_channel", &c.Channel}} {
		if *s.dst, err = d.str(f, s.key, path); err != nil {
			return c, err
		}
	}
	if c.Channel == "" {
		c.Channel = ChannelEmail
	}
	v, err := d.str(f, "last_verified", path)
	if err != nil {
		return c, err
	}
	if v != "" {
		if c.Verified, err = parseDate(v); err != nil {
			return c, d.errorf(f["last_verified"], path+".last_verified", "%v", err)
		}
	}
	if err := c.Validate(); err != nil {
		return c, d.errorf(n, path, "%v", err)
	}
	return c, nil
}

// parseDate reads a date ("2026-09-01", midnight UTC) or an RFC 3339 time.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (2026-09-01) or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// The nested layout of the YAML file, for writing.
type (
	yamlFile struct {
		Tenants  []yamlTenant  `yaml:"tenants,omitempty"`
		Services []yamlService `yaml:"services,omitempty"`
		Regions  []RegionTree  `yaml:"regions,omitempty"`
	}
	yamlTenant struct {
		ID       string             `yaml:"id"`
		Name     string             `yaml:"name"`
		Language string             `yaml:"language,omitempty"`
		Profile  regulation.Profile `yaml:"profile"`
		Contacts []yamlContact      `yaml:"contacts,omitempty"`
	}
	yamlContact struct {
		Name       string `yaml:"name"`
		Email      string `yaml:"email,omitempty"`
		Phone      string `yaml:"phone,omitempty"`
		WebhookURL string `yaml:"webhook_url,omitempty"`
		Channel    string `yaml:"preferred_channel"`
		Verified   string `yaml:"last_verified,omitempty"`
	}
	yamlService struct {
		ID      string              `yaml:"id"`
		Name    string              `yaml:"name,omitempty"`
		Tenants map[string][]string `yaml:"tenants,omitempty,flow"`
	}
)

// WriteYAML writes inv (sorted first) and the tenants in the layout
// ParseYAML reads. Contacts are written when a TenantSpec has them.
func WriteYAML(w io.Writer, inv *Inventory, tenants []TenantSpec) error {
	inv.Sort()
	var f yamlFile
	for _, ts := range tenants {
		yt := yamlTenant{ID: ts.Tenant.ID, Name: ts.Tenant.Name,
			Language: ts.Tenant.Language, Profile: ts.Tenant.Profile}
		for _, c := range ts.Contacts {
			yc := yamlContact{Name: c.Name, Email: c.Email, Phone: c.Phone,
				WebhookURL: c.WebhookURL, Channel: c.Channel}
			if !c.Verified.IsZero() {
				yc.Verified = c.Verified.UTC().Format(time.RFC3339)
			}
			yt.Contacts = append(yt.Contacts, yc)
		}
		f.Tenants = append(f.Tenants, yt)
	}
	for _, s := range inv.Services {
		f.Services = append(f.Services, yamlService(s))
	}
	f.Regions = Tree(inv)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write inventory yaml: %w", err)
	}
	return enc.Close()
}
