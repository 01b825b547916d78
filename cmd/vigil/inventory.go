package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

const inventoryUsage = "vigil inventory import [--data DIR | --store postgres --pg-dsn DSN] " +
	"[--format yaml|csv] FILE\n" +
	"       vigil inventory export [--data DIR | --store postgres --pg-dsn DSN] " +
	"[--format yaml|csv]\n\n" +
	"import replaces the inventory with FILE (YAML or CSV, by --format or the file's\n" +
	"extension; docs/inventory.md); tenants a YAML file lists are created or updated.\n" +
	"Nothing is stored when the file has a problem: each one is listed with the file,\n" +
	"line, entry and field. export writes the inventory to standard output (YAML with\n" +
	"the tenants' profiles, not their contacts)."

// inventoryRefresh is how often vigil serve checks the stored inventory
// for changes made by another node or by vigil inventory import.
const inventoryRefresh = 30 * time.Second

// runInventory runs "vigil inventory import|export".
func runInventory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "import" && args[0] != "export" {
		fmt.Fprintf(stderr, "Usage: %s\n", inventoryUsage)
		return exitUsage
	}
	sub := args[0]
	fs := newFlagSet("inventory "+sub, inventoryUsage, stderr)
	sf := addStoreFlags(fs)
	format := fs.String("format", "", "yaml or csv (import: default from the file's "+
		"extension; export: default yaml)")
	rest, err := parseFlags(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if *format != "" && *format != "yaml" && *format != "csv" {
		fmt.Fprintf(stderr, "vigil inventory %s: --format %q: want yaml or csv\n", sub, *format)
		return exitUsage
	}
	if sub == "export" {
		if len(rest) != 0 {
			fmt.Fprintf(stderr, "vigil inventory export: unexpected argument %q\n", rest[0])
			return exitUsage
		}
		return inventoryExport(ctx, fs, sf, *format, stdout, stderr)
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "vigil inventory import: want one FILE\nUsage: %s\n",
			inventoryUsage)
		return exitUsage
	}
	return inventoryImport(ctx, fs, sf, rest[0], *format, stdout, stderr)
}

// inventoryImport reads, checks and stores an inventory file.
func inventoryImport(ctx context.Context, fs *flag.FlagSet, sf storeFlags, file, format string,
	stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory import: %v\n", err)
		return exitError
	}
	if format == "" {
		format = "yaml"
		if strings.EqualFold(filepath.Ext(file), ".csv") {
			format = "csv"
		}
	}
	parse := scope.ParseYAML
	if format == "csv" {
		parse = scope.ParseCSV
	}
	doc, err := parse(data, file)
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory import: %v\n", err)
		return exitError
	}
	st, err := sf.create(ctx, fs, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory import: %v\n", err)
		return exitError
	}
	defer st.Close()
	res, err := importInventory(ctx, st, doc)
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory import: %v\n", err)
		return exitError
	}
	e := res.Entries
	fmt.Fprintf(stdout, "inventory revision %d from %s: %d regions, %d datacenters, "+
		"%d services, %d farms, %d servers; tenants %d created, %d updated\n", res.Revision,
		file, e["regions"], e["datacenters"], e["services"], e["farms"], e["servers"],
		len(res.TenantsCreated), len(res.TenantsUpdated))
	return exitOK
}

// importInventory stores doc over the current inventory and records what
// it wrote in the audit trail, as done by "system".
func importInventory(ctx context.Context, st store.Store, doc *scope.Document) (
	store.ImportResult, error) {
	rev, err := st.InventoryRevision(ctx)
	if err != nil {
		return store.ImportResult{}, err
	}
	res, err := store.ImportInventory(ctx, st, doc, rev)
	if err != nil {
		return res, err
	}
	log := audit.New(st, nil)
	rec := func(action audit.Action, objType, id, tenant string, details map[string]any) error {
		raw, err := audit.CanonicalDetails(details)
		if err == nil {
			_, err = log.Record(ctx, audit.Entry{Actor: audit.SystemActor, Action: action,
				ObjectType: objType, ObjectID: id, Tenant: tenant, Details: raw})
		}
		return err
	}
	err = rec(audit.InventoryImported, "inventory", strconv.FormatInt(res.Revision, 10), "",
		map[string]any{"entries": res.Entries, "tenants_created": res.TenantsCreated,
			"tenants_updated": res.TenantsUpdated, "via": "vigil inventory import"})
	for _, id := range res.TenantsCreated {
		err = errors.Join(err, rec(audit.TenantCreated, "tenant", id, id,
			map[string]any{"via": "import"}))
	}
	for _, id := range res.TenantsUpdated {
		err = errors.Join(err, rec(audit.TenantUpdated, "tenant", id, id,
			map[string]any{"via": "import"}))
	}
	for tenant, ids := range res.ContactsAdded {
		for _, id := range ids {
			err = errors.Join(err, rec(audit.ContactAdded, "contact",
				strconv.FormatInt(id, 10), tenant, map[string]any{"via": "import"}))
		}
	}
	for tenant, ids := range res.ContactsUpdated {
		for _, id := range ids {
			err = errors.Join(err, rec(audit.ContactUpdated, "contact",
				strconv.FormatInt(id, 10), tenant, map[string]any{"via": "import"}))
		}
	}
	return res, err
}

// inventoryExport writes the stored inventory to stdout.
func inventoryExport(ctx context.Context, fs *flag.FlagSet, sf storeFlags, format string,
	stdout, stderr io.Writer) int {
	st, err := sf.open(ctx, fs, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory export: %v\n", err)
		return exitError
	}
	defer st.Close()
	inv, _, err := st.LoadInventory(ctx)
	if err == nil && format == "csv" {
		err = scope.WriteCSV(stdout, inv)
	} else if err == nil {
		var ts []scope.Tenant
		if ts, err = st.ListTenants(ctx); err == nil {
			specs := make([]scope.TenantSpec, len(ts))
			for i, t := range ts {
				specs[i] = scope.TenantSpec{Tenant: t}
			}
			err = scope.WriteYAML(stdout, inv, specs)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil inventory export: %v\n", err)
		return exitError
	}
	return exitOK
}

// startInventory loads the stored inventory into the cache that enriches
// events and serves the API, and refreshes it every inventoryRefresh until
// ctx is done, for the changes that other nodes or vigil inventory import
// make (the API refreshes it after its own).
func startInventory(ctx context.Context, st store.Store, log *slog.Logger) (*scope.Cache,
	error) {
	cache := scope.NewCache(st)
	if _, err := cache.Refresh(ctx); err != nil {
		return nil, err
	}
	inv := cache.Index().Inventory()
	log.Info("inventory loaded", "revision", cache.Index().Revision(),
		"servers", len(inv.Servers), "farms", len(inv.Farms))
	go func() {
		t := time.NewTicker(inventoryRefresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			changed, err := cache.Refresh(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("refresh inventory", "err", err)
			case changed:
				log.Info("inventory reloaded", "revision", cache.Index().Revision())
			}
		}
	}()
	return cache, nil
}
