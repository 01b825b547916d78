package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/store/sqlite"
)

func TestTeamImport(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	good := filepath.Join(dir, "teams.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(good, "teams:\n  - id: legal\n    name: Legal\n    kind: legal\n"+
		"    members: [lena]\n    escalation_contact: lena\n    roster:\n"+
		"      - {user: lena, start: 2026-01-01 00:00, end: 2026-01-01 08:00}\n")
	write(bad, "teams:\n  - id: legal\n    name: Legal\n    kind: legal\n    colour: red\n")
	tests := []struct {
		name    string
		args    []string
		want    int
		wantOut string
	}{
		{"create", []string{"import", "--data", dir, good}, exitOK, "1 teams created, 0 updated"},
		{"update", []string{"import", "--data", dir, good}, exitOK, "0 teams created, 1 updated"},
		{"error names file, line and key", []string{"import", "--data", dir, bad}, exitError,
			bad + ":5: teams[0].colour: unknown key"},
		{"no file", []string{"import", "--data", dir}, exitUsage, ""},
		{"no subcommand", nil, exitUsage, ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := runTeam(t.Context(), tt.args, &out, &errOut)
		if code != tt.want {
			t.Errorf("%s: exit %d, want %d; stderr %s", tt.name, code, tt.want, errOut.String())
		}
		if !strings.Contains(out.String()+errOut.String(), tt.wantOut) {
			t.Errorf("%s: output %q, want %q", tt.name, out.String()+errOut.String(), tt.wantOut)
		}
	}
}
