package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/corpustest"
)

// TestPackageDocs enforces STYLE.md §5: every package has exactly one
// package doc comment.
func TestPackageDocs(t *testing.T) {
	root := corpustest.Root()
	dirs := map[string]bool{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dirs[filepath.Dir(p)] = true
		}
		return nil
	})
	if len(dirs) < 5 {
		t.Fatalf("found only %d packages under %s", len(dirs), root)
	}
	for dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		var docs []string
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil,
				parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Errorf("parse %s: %v", name, err)
				continue
			}
			if f.Doc != nil {
				docs = append(docs, filepath.Base(name))
			}
		}
		switch len(docs) {
		case 0:
			t.Errorf("package %s has no package doc comment", rel)
		case 1:
		default:
			t.Errorf("package %s has package docs in several files: %v", rel, docs)
		}
	}
}
