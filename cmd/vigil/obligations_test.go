package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/regulation"
)

// TestObligationFlags resolves the obligation flags and their variables,
// and refuses bad values naming the flag or variable.
func TestObligationFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     []string
		want    obligationConfig
		wantErr string
	}{
		{name: "defaults", want: obligationConfig{interval: time.Minute,
			schedule: regulation.Schedule{Reminders: []float64{0.5, 0.75, 0.9},
				Escalation: 0.9}}},
		{name: "flags", args: []string{"--regulations-catalog", "cat", "--regulations-extend",
			"--provider-profile", "p.yaml", "--deadline-interval", "30s",
			"--deadline-reminders", "25, 50", "--deadline-escalate-at", "80"},
			want: obligationConfig{catalogDir: "cat", extend: true, providerProfile: "p.yaml",
				interval: 30 * time.Second, schedule: regulation.Schedule{
					Reminders: []float64{0.25, 0.5}, Escalation: 0.8}}},
		{name: "environment", env: []string{"VIGIL_REGULATIONS_CATALOG", "c",
			"VIGIL_PROVIDER_PROFILE", "q.yaml", "VIGIL_DEADLINE_REMINDERS", "",
			"VIGIL_DEADLINE_ESCALATE_AT", "95", "VIGIL_DEADLINE_INTERVAL", "2m"},
			want: obligationConfig{catalogDir: "c", providerProfile: "q.yaml",
				interval: 2 * time.Minute, schedule: regulation.Schedule{
					Reminders: []float64{0.5, 0.75, 0.9}, Escalation: 0.95}}},
		{name: "no reminders", args: []string{"--deadline-reminders", ""},
			want: obligationConfig{interval: time.Minute, schedule: regulation.Schedule{
				Reminders: []float64{}, Escalation: 0.9}}},
		{name: "extend alone", args: []string{"--regulations-extend"},
			wantErr: "--regulations-extend needs --regulations-catalog"},
		{name: "percent out of range", args: []string{"--deadline-reminders", "50,100"},
			wantErr: "--deadline-reminders"},
		{name: "not a number", env: []string{"VIGIL_DEADLINE_REMINDERS", "half"},
			wantErr: "VIGIL_DEADLINE_REMINDERS"},
		{name: "decreasing", args: []string{"--deadline-reminders", "75,50"},
			wantErr: "increasing order"},
		{name: "two escalations", args: []string{"--deadline-escalate-at", "80,90"},
			wantErr: "--deadline-escalate-at"},
		{name: "interval too short", args: []string{"--deadline-interval", "10ms"},
			wantErr: "--deadline-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveServeConfig(tt.args, envMap(tt.env...), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.obligations,
				cmp.AllowUnexported(obligationConfig{})); diff != "" {
				t.Errorf("obligations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProviderProfile loads a provider profile file and refuses an unknown
// key, a bad value (naming the field) and a missing file.
func TestProviderProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "jurisdictions: [DE, US-CA]\nroles: [nis2-essential-entity]\n"+
		"data_categories: [personal]\n")
	got, err := loadProviderProfile(good)
	want := regulation.Profile{Jurisdictions: []string{"DE", "US-CA"},
		Roles: []string{"nis2-essential-entity"}, DataCategories: []string{"personal"}}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("good profile = %+v, %v; want %+v", got, err, want)
	}
	for _, tt := range []struct{ name, body, wantErr string }{
		{"unknown key", "countries: [DE]\n", "countries"},
		{"bad role", "roles: [bank]\n", "roles[0]"},
		{"EU", "jurisdictions: [EU]\n", "jurisdictions[0]"},
		{"not YAML", "roles: [\n", "bad.yaml"},
	} {
		p := write("bad.yaml", tt.body)
		if _, err := loadProviderProfile(p); err == nil || !strings.Contains(err.Error(),
			tt.wantErr) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming %s and %q", tt.name, err, p, tt.wantErr)
		}
	}
	if _, err := loadProviderProfile(filepath.Join(dir, "none.yaml")); err == nil {
		t.Error("missing file: no error")
	}
	if p, err := loadProviderProfile(""); err != nil || len(p.Jurisdictions) != 0 {
		t.Errorf("no file = %+v, %v; want the zero profile", p, err)
	}
}

// FuzzPercents checks that the parser of --deadline-reminders never panics
// and returns only fractions above 0 and below 1.
func FuzzPercents(f *testing.F) {
	for _, s := range []string{"50,75,90", "", " 1 ", "0", "100", "1e2", "NaN", "50,,60"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := percents(s)
		if err != nil {
			return
		}
		for _, v := range got {
			if !(v > 0 && v < 1) {
				t.Fatalf("percents(%q) gave %v", s, v)
			}
		}
	})
}
