package sigma

import (
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.yml":          testRule("sel: {f: a}\ncondition: sel"),
		"sub/b.yaml":     testRule("sel: {f: b}\ncondition: sel"),
		"sub/c.txt":      "not a rule",
		"sub/deep/d.yml": testRule("sel: {f: d}\ncondition: nope"),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, diags, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs.Rules() {
		got = append(got, filepath.ToSlash(r.File[len(dir)+1:]))
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"a.yml", "sub/b.yaml"}, got); diff != "" {
		t.Errorf("loaded files (-want +got):\n%s", diff)
	}
	if len(diags) != 1 || filepath.Base(diags[0].File) != "d.yml" || diags[0].Line != 7 {
		t.Errorf("diagnostics = %v, want one for d.yml line 7", diags)
	}

	// A single file is loaded whatever its name.
	rs, _, err = Load([]string{filepath.Join(dir, "sub", "c.txt")}, Options{})
	if err != nil || len(rs.Rules()) != 0 {
		t.Errorf("Load(c.txt) = %d rules, %v; want 0 rules, no error", len(rs.Rules()), err)
	}
	if _, _, err := Load([]string{filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Error("Load(missing path): no error")
	}
}

func TestMatchConcurrent(t *testing.T) {
	rs := compileTest(t, "sel: {f|contains: x, g|re: '^a+$'}\nkw: [needle]\ncondition: sel or kw")
	evs := []string{`{"f":"axb","g":"aaa"}`, `{"h":["hay","needle"]}`, `{"f":"y"}`}
	want := []bool{true, true, false}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				for i, js := range evs {
					if got := matches(rs, jsonEvent(t, js)); got != want[i] {
						t.Errorf("match %s = %v, want %v", js, got, want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
