package migrate

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_tokens.sql": {Data: []byte("B")},
		"m/0001_init.sql":   {Data: []byte("A")},
		"m/0010_x_y.sql":    {Data: []byte("J")},
	}
	for i := 3; i <= 9; i++ {
		fsys["m/000"+string(rune('0'+i))+"_step.sql"] = &fstest.MapFile{Data: []byte("-")}
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(ms) != 10 || Latest(ms) != 10 {
		t.Fatalf("Load gave %d migrations, latest %d; want 10, 10", len(ms), Latest(ms))
	}
	want := []Migration{{1, "init", "A"}, {2, "tokens", "B"}}
	if diff := cmp.Diff(want, ms[:2]); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if ms[9].Name != "x_y" {
		t.Errorf("name of 0010_x_y.sql = %q, want x_y", ms[9].Name)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "want version 2"},
		{"repeat", []string{"0001_a.sql", "0001_b.sql"}, "want version 2"},
		{"no start", []string{"0002_a.sql"}, "want version 1"},
		{"no name", []string{"0001.sql"}, "NNNN_name.sql"},
		{"not a number", []string{"one_a.sql"}, "NNNN_name.sql"},
		{"zero", []string{"0000_a.sql"}, "NNNN_name.sql"},
		{"other file", []string{"0001_a.sql", "README.md"}, "NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["m/"+f] = &fstest.MapFile{}
			}
			_, err := Load(fsys, "m")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%v) = %v, want an error with %q", tt.files, err, tt.want)
			}
		})
	}
}

func TestPending(t *testing.T) {
	ms := []Migration{{1, "a", ""}, {2, "b", ""}, {3, "c", ""}}
	tests := []struct {
		current int
		want    []int
	}{
		{0, []int{1, 2, 3}},
		{2, []int{3}},
		{3, nil},
	}
	for _, tt := range tests {
		got, err := Pending(ms, tt.current)
		if err != nil {
			t.Fatalf("Pending(%d): %v", tt.current, err)
		}
		var versions []int
		for _, m := range got {
			versions = append(versions, m.Version)
		}
		if diff := cmp.Diff(tt.want, versions); diff != "" {
			t.Errorf("Pending(%d) (-want +got):\n%s", tt.current, diff)
		}
	}
	_, err := Pending(ms, 4)
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "knows up to 3") {
		t.Errorf("Pending(4) = %v, want ErrSchemaTooNew naming version 3", err)
	}
}
