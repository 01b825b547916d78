package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

func TestInventoryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	sample := "../../samples/inventory.yaml"
	bad := filepath.Join(t.TempDir(), "bad.csv")
	err := os.WriteFile(bad, []byte("kind,id,farm\nserver,web-1.example,st-9\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    int
		wantOut string
	}{
		{"import into a new data folder", []string{"import", "--data", dir, sample}, exitOK,
			"inventory revision 1 from ../../samples/inventory.yaml: 3 regions, 4 datacenters, " +
				"3 services, 7 farms, 7 servers; tenants 6 created, 0 updated"},
		{"import again", []string{"import", "--data", dir, sample}, exitOK,
			"inventory revision 2 from ../../samples/inventory.yaml: 3 regions, 4 datacenters, " +
				"3 services, 7 farms, 7 servers; tenants 0 created, 0 updated"},
		{"a problem names file, line, entry and field", []string{"import", "--data", dir, bad},
			exitError, bad + `:2: server web-1.example: farm: "st-9" is not in the inventory`},
		{"export csv", []string{"export", "--data", dir, "--format", "csv"}, exitOK,
			"server,st-3-01.fra1.example.net,,eu-west,fra1,storage,st-3,10.1.3.11,hooli"},
		{"export yaml", []string{"export", "--data", dir}, exitOK, "  - id: globex-bank\n"},
		{"bad format", []string{"export", "--data", dir, "--format", "xml"}, exitUsage, ""},
		{"no file", []string{"import", "--data", dir}, exitUsage, ""},
		{"no subcommand", nil, exitUsage, ""},
		{"export from nowhere", []string{"export", "--data", t.TempDir()}, exitError, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := runInventory(t.Context(), tt.args, &out, &errOut)
		if code != tt.want {
			t.Errorf("%s: exit %d, want %d; stderr %s", tt.name, code, tt.want, errOut.String())
		}
		if !strings.Contains(out.String()+errOut.String(), tt.wantOut) {
			t.Errorf("%s: output %q, want it to contain %q", tt.name,
				out.String()+errOut.String(), tt.wantOut)
		}
	}

	// The export reads back as the same inventory, and every change is in
	// the audit trail.
	var out bytes.Buffer
	if code := runInventory(t.Context(), []string{"export", "--data", dir}, &out,
		&bytes.Buffer{}); code != exitOK {
		t.Fatal("export failed")
	}
	doc, err := scope.ParseYAML(out.Bytes(), "export.yaml")
	if err == nil {
		err = doc.Validate(nil)
	}
	if err != nil || len(doc.Inventory.Servers) != 7 || len(doc.Tenants) != 6 {
		t.Errorf("export reads back as %v servers, %v tenants: %v", len(doc.Inventory.Servers),
			len(doc.Tenants), err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for action, want := range map[audit.Action]int64{audit.InventoryImported: 2,
		audit.TenantCreated: 6, audit.ContactAdded: 5} {
		page, err := st.ListAudit(t.Context(), store.AuditFilter{Action: action})
		if err != nil || page.Total != want {
			t.Errorf("%s: %d entries (%v), want %d", action, page.Total, err, want)
		}
	}
}

func TestContactStaleDaysConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  []string
		want int
		err  string
	}{
		{nil, nil, 0, ""},
		{[]string{"--contact-stale-days", "90"}, []string{"VIGIL_CONTACT_STALE_DAYS", "30"}, 90,
			""},
		{nil, []string{"VIGIL_CONTACT_STALE_DAYS", "30"}, 30, ""},
		{nil, []string{"VIGIL_CONTACT_STALE_DAYS", "soon"}, 0, "VIGIL_CONTACT_STALE_DAYS"},
		{[]string{"--contact-stale-days", "-1"}, nil, 0, "--contact-stale-days -1"},
	} {
		cfg, err := resolveServeConfig(tc.args, envMap(tc.env...), io.Discard)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v %v: error %v, want one naming %s", tc.args, tc.env, err, tc.err)
		case tc.err == "" && (err != nil || cfg.staleDays != tc.want):
			t.Errorf("%v %v: %d days, %v; want %d", tc.args, tc.env, cfg.staleDays, err, tc.want)
		}
	}
}
