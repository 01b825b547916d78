package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// fillAudit records entries the way vigil serve does: the bootstrap token
// and a few alerts.
func fillAudit(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := auth.Bootstrap(ctx, st, ""); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	ids, err := st.InsertEvents(ctx, []*event.Event{{Fields: map[string]any{"n": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	log := audit.New(st, nil)
	for i := range 3 {
		_, err := log.Record(audit.WithActor(ctx, audit.TokenActor("ci")), audit.Entry{
			Action: audit.AlertRaised, ObjectType: "alert", ObjectID: strconv.Itoa(i + 1),
			Details: fmt.Appendf(nil, `{"event_ids":[%d]}`, ids[0]),
		})
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
}

// runCmd runs vigil with args and an environment, returning the exit code
// and stdout and stderr together.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := auditCommand(t.Context(), args, func(k string) string { return env[k] }, &out, &out)
	return code, out.String()
}

func TestAuditVerifySQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	fillAudit(t, st)
	st.Close()

	code, out := runCmd(t, nil, "verify", "--data", dir)
	if code != exitOK || !strings.Contains(out, "4 entries, chain intact (head seq 4, hash ") {
		t.Fatalf("verify = %d, %q; want 0 and an intact chain of 4", code, out)
	}
	code, out = runCmd(t, map[string]string{"VIGIL_DATA": dir}, "list", "--limit", "2")
	if code != exitOK || strings.Count(out, "\n") != 2 ||
		!strings.HasPrefix(out, "4\t") || !strings.Contains(out, "A001 alert.raised\ttoken:ci") {
		t.Errorf("list = %d, %q; want seq 4 and 3 by token:ci", code, out)
	}
	code, out = runCmd(t, nil, "list", "--data", dir, "--action", "token.created")
	if code != exitOK || !strings.Contains(out, "T001 token.created\tsystem\ttoken/admin") {
		t.Errorf("list --action token.created = %d, %q", code, out)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE audit_log SET details = '{"event_ids":[9]}' WHERE seq = 3`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out = runCmd(t, nil, "verify", "--data", dir)
	if code != exitError || !strings.Contains(out, "chain BROKEN at seq 3 (") ||
		!strings.Contains(out, "alert.raised): hash mismatch") {
		t.Fatalf("verify after tampering = %d, %q; want 1 naming seq 3", code, out)
	}
}

func TestAuditVerifyPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	fillAudit(t, st)
	st.Close()

	env := map[string]string{"VIGIL_PG_DSN": dsn}
	code, out := runCmd(t, env, "verify", "--store", "postgres")
	if code != exitOK || !strings.Contains(out, "4 entries, chain intact") {
		t.Fatalf("verify = %d, %q; want 0 and an intact chain of 4", code, out)
	}
}

func TestAuditUsage(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "none")
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"bogus"}, exitUsage},
		{[]string{"verify", "extra"}, exitUsage},
		{[]string{"list", "--limit", "0"}, exitUsage},
		{[]string{"verify", "--data", missing}, exitError},
		{[]string{"verify", "--store", "postgres"}, exitError},
	}
	for _, tt := range tests {
		if code, out := runCmd(t, nil, tt.args...); code != tt.code {
			t.Errorf("vigil audit %q = %d (%q), want %d", tt.args, code, out, tt.code)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("verify created %s", missing)
	}
	var out bytes.Buffer
	if code := run(t.Context(), []string{"audit"}, nil, &out, &out); code != exitUsage {
		t.Errorf("vigil audit = %d, want %d", code, exitUsage)
	}
}
