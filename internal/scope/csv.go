package scope

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// csvColumns are the columns of the CSV layout, in the order WriteCSV
// writes them. A file may order them otherwise and leave out all but kind
// and id.
var csvColumns = []string{"kind", "id", "name", "region", "datacenter", "service", "farm",
	"addresses", "tenants"}

// csvUses says which columns each kind of row may fill (besides kind and
// id) and which it must.
var csvUses = map[Kind]struct{ may, must []string }{
	KindRegion:     {may: []string{"name"}},
	KindDatacenter: {may: []string{"name", "region"}, must: []string{"region"}},
	KindService:    {may: []string{"name", "region", "tenants"}},
	KindFarm: {may: []string{"name", "region", "datacenter", "service", "addresses", "tenants"},
		must: []string{"datacenter", "service"}},
	KindServer: {may: []string{"region", "datacenter", "service", "farm", "addresses",
		"tenants"}, must: []string{"farm"}},
}

// csvRow is one data row: its cells by column, and its line.
type csvRow struct {
	cell map[string]string
	line int
}

// ParseCSV reads an inventory in the CSV layout of docs/inventory.md: a
// header naming the columns, then one row per entry; a service row with a
// region lists the tenants the whole service serves there. Lists
// (addresses, tenants) are separated by spaces or semicolons. Lines
// starting with # are comments. Problems of form are a *ParseError naming
// the file, line and column; the inventory itself is checked by
// Document.Validate, and ancestors given on farm and server rows must
// agree with the tree.
func ParseCSV(data []byte, file string) (*Document, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	bad := func(line int, col, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Key: col, Reason: fmt.Sprintf(format, args...)}
	}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return &Document{Lines: map[Ref]int{}, File: file}, nil
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case !slices.Contains(csvColumns, h):
			return nil, bad(1, h, "unknown column (want %s)", strings.Join(csvColumns, ", "))
		case slices.Contains(cols[:i], h):
			return nil, bad(1, h, "column given twice")
		}
		cols[i] = h
	}
	if !slices.Contains(cols, "kind") || !slices.Contains(cols, "id") {
		return nil, bad(1, "", "the header needs the columns kind and id")
	}
	var rows []csvRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) > len(cols) {
			return nil, bad(line, "", "%d cells, the header has %d columns", len(rec), len(cols))
		}
		row := csvRow{cell: make(map[string]string, len(rec)), line: line}
		for i, v := range rec {
			row.cell[cols[i]] = strings.TrimSpace(v)
		}
		rows = append(rows, row)
	}
	doc := &Document{Lines: map[Ref]int{}, File: file}
	if err := csvEntries(doc, rows, bad); err != nil {
		return nil, err
	}
	return doc, csvAncestors(doc, rows, bad)
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: file, Line: pe.Line, Reason: pe.Err.Error()}
	}
	return &ParseError{File: file, Reason: err.Error()}
}

// csvEntries turns rows into entries.
func csvEntries(doc *Document, rows []csvRow,
	bad func(int, string, string, ...any) error) error {
	inv := &doc.Inventory
	services := map[string]int{} // service ID → index in inv.Services
	type assignment struct {
		row     csvRow
		tenants []string
	}
	var assigned []assignment
	for _, row := range rows {
		c := row.cell
		kind := Kind(strings.ToLower(c["kind"]))
		use, ok := csvUses[kind]
		if !ok {
			return bad(row.line, "kind", "%q is not one of region, datacenter, service, farm, "+
				"server", c["kind"])
		}
		if c["id"] == "" {
			return bad(row.line, "id", "missing")
		}
		for _, col := range csvColumns[2:] {
			switch {
			case c[col] != "" && !slices.Contains(use.may, col):
				return bad(row.line, col, "not used on a %s row", kind)
			case c[col] == "" && slices.Contains(use.must, col):
				return bad(row.line, col, "a %s row needs it", kind)
			}
		}
		if kind == KindService && c["region"] != "" {
			if c["name"] != "" {
				return bad(row.line, "name", "a service row with a region assigns tenants; "+
					"name the service on its row without a region")
			}
			assigned = append(assigned, assignment{row, splitList(c["tenants"])})
			continue
		}
		if kind == KindService && c["tenants"] != "" {
			return bad(row.line, "tenants", "tenants of a whole service are per region: "+
				"give the region column")
		}
		ref := Ref{kind, c["id"]}
		switch kind {
		case KindRegion:
			inv.Regions = append(inv.Regions, Region{ID: c["id"], Name: c["name"]})
		case KindDatacenter:
			inv.Datacenters = append(inv.Datacenters, Datacenter{ID: c["id"], Name: c["name"],
				Region: c["region"]})
		case KindService:
			services[c["id"]] = len(inv.Services)
			inv.Services = append(inv.Services, Service{ID: c["id"], Name: c["name"]})
		case KindFarm:
			inv.Farms = append(inv.Farms, Farm{ID: c["id"], Name: c["name"],
				Datacenter: c["datacenter"], Service: c["service"],
				Addresses: splitList(c["addresses"]), Tenants: splitList(c["tenants"])})
		case KindServer:
			ref.ID = NormalizeHost(c["id"])
			inv.Servers = append(inv.Servers, Server{Name: c["id"], Farm: c["farm"],
				Addresses: splitList(c["addresses"]), Tenants: splitList(c["tenants"])})
		}
		doc.Lines[ref] = row.line
	}
	for _, a := range assigned {
		i, ok := services[a.row.cell["id"]]
		if !ok {
			return bad(a.row.line, "id", "service %q has no row of its own (kind service, "+
				"no region)", a.row.cell["id"])
		}
		s := &inv.Services[i]
		if s.Tenants == nil {
			s.Tenants = map[string][]string{}
		}
		s.Tenants[a.row.cell["region"]] = append(s.Tenants[a.row.cell["region"]], a.tenants...)
	}
	return nil
}

// csvAncestors checks the region, datacenter and service given on farm
// and server rows against the entries' parents.
func csvAncestors(doc *Document, rows []csvRow,
	bad func(int, string, string, ...any) error) error {
	inv := &doc.Inventory
	dcRegion := map[string]string{}
	for _, d := range inv.Datacenters {
		dcRegion[d.ID] = d.Region
	}
	farms := map[string]Farm{}
	for _, f := range inv.Farms {
		farms[f.ID] = f
	}
	for _, row := range rows {
		c := row.cell
		var want map[string]string
		switch Kind(strings.ToLower(c["kind"])) {
		case KindFarm:
			want = map[string]string{"region": dcRegion[c["datacenter"]]}
		case KindServer:
			f, ok := farms[c["farm"]]
			if !ok {
				continue // Validate reports the unknown farm
			}
			want = map[string]string{"region": dcRegion[f.Datacenter],
				"datacenter": f.Datacenter, "service": f.Service}
		default:
			continue
		}
		for _, col := range []string{"region", "datacenter", "service"} {
			if c[col] != "" && want[col] != "" && c[col] != want[col] {
				return bad(row.line, col, "%q, but the tree says %q", c[col], want[col])
			}
		}
	}
	return nil
}

// splitList splits a cell at spaces and semicolons.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' })
}

// WriteCSV writes inv (sorted first) in the layout ParseCSV reads, with
// every ancestor column filled.
func WriteCSV(w io.Writer, inv *Inventory) error {
	inv.Sort()
	cw := csv.NewWriter(w)
	row := func(cells map[string]string) {
		rec := make([]string, len(csvColumns))
		for i, col := range csvColumns {
			rec[i] = cells[col]
		}
		cw.Write(rec) // errors are kept by the writer and read below
	}
	cw.Write(csvColumns)
	for _, r := range inv.Regions {
		row(map[string]string{"kind": "region", "id": r.ID, "name": r.Name})
	}
	dcRegion := map[string]string{}
	for _, d := range inv.Datacenters {
		dcRegion[d.ID] = d.Region
		row(map[string]string{"kind": "datacenter", "id": d.ID, "name": d.Name,
			"region": d.Region})
	}
	for _, s := range inv.Services {
		row(map[string]string{"kind": "service", "id": s.ID, "name": s.Name})
		for _, r := range sortedKeys(s.Tenants) {
			row(map[string]string{"kind": "service", "id": s.ID, "region": r,
				"tenants": strings.Join(s.Tenants[r], " ")})
		}
	}
	farms := map[string]Farm{}
	for _, f := range inv.Farms {
		farms[f.ID] = f
		row(map[string]string{"kind": "farm", "id": f.ID, "name": f.Name,
			"region": dcRegion[f.Datacenter], "datacenter": f.Datacenter, "service": f.Service,
			"addresses": strings.Join(f.Addresses, " "), "tenants": strings.Join(f.Tenants, " ")})
	}
	for _, s := range inv.Servers {
		f := farms[s.Farm]
		row(map[string]string{"kind": "server", "id": s.Name,
			"region": dcRegion[f.Datacenter], "datacenter": f.Datacenter, "service": f.Service,
			"farm": s.Farm, "addresses": strings.Join(s.Addresses, " "),
			"tenants": strings.Join(s.Tenants, " ")})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write inventory csv: %w", err)
	}
	return nil
}
