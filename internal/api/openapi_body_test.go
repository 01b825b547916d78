package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// noDecode lists the routes whose handler reaches decodeChange in the
// source but never decodes a body, and why.
var noDecode = map[string]string{
	"POST /api/v1/alerts/{id}/ack": "alertAction with a nil body decodes nothing",
}

// TestOpenAPIBodyTooLarge reads the package's source: every route whose
// handler calls decodeChange, directly or through a helper, can answer
// 413 for a body over the limit, so its operation must document 413.
func TestOpenAPIBodyTooLarge(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// uses maps a function's name, or "."+name for a method, to the names
	// of the functions and methods it refers to, keyed alike.
	uses := map[string]map[string]bool{}
	var routesBody *ast.BlockStmt
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if fd.Name.Name == "routes" && fd.Recv != nil {
				routesBody = fd.Body
			}
			key := fd.Name.Name
			if fd.Recv != nil {
				key = "." + key
			}
			if uses[key] == nil {
				uses[key] = map[string]bool{}
			}
			sels := map[*ast.Ident]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					uses[key]["."+n.Sel.Name] = true // a method, of any type
					sels[n.Sel] = true
				case *ast.Ident:
					if !sels[n] {
						uses[key][n.Name] = true // a function
					}
				}
				return true
			})
		}
	}
	if routesBody == nil {
		t.Fatal("no routes method in the package")
	}

	// decodes[name] is true when name reaches decodeChange.
	decodes := map[string]bool{"decodeChange": true}
	for changed := true; changed; {
		changed = false
		for fn, refs := range uses {
			if decodes[fn] {
				continue
			}
			for r := range refs {
				if decodes[r] && r != fn {
					decodes[fn], changed = true, true
					break
				}
			}
		}
	}

	var doc openAPI
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	checked, exempt := 0, map[string]bool{}
	ast.Inspect(routesBody, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || len(cl.Elts) != 4 {
			return true
		}
		method, ok1 := stringLit(cl.Elts[0])
		path, ok2 := stringLit(cl.Elts[1])
		if !ok1 || !ok2 {
			return true
		}
		var handlers []string
		ast.Inspect(cl.Elts[3], func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && decodes["."+sel.Sel.Name] {
				handlers = append(handlers, sel.Sel.Name)
			}
			return true
		})
		name := method + " " + path
		if len(handlers) > 0 && noDecode[name] != "" {
			exempt[name] = true
			return false
		}
		if len(handlers) == 0 {
			return false
		}
		checked++
		var op operation
		if err := json.Unmarshal(doc.Paths[path][strings.ToLower(method)], &op); err != nil {
			t.Errorf("%s: %v", name, err)
			return false
		}
		if _, ok := op.Responses["413"]; !ok {
			t.Errorf("%s: %s decodes with decodeChange but 413 is not documented", name,
				strings.Join(slices.Compact(handlers), ", "))
		}
		return false
	})
	if checked == 0 {
		t.Error("no route reaches decodeChange: the source scan found nothing")
	}
	for name := range noDecode {
		if !exempt[name] {
			t.Errorf("noDecode lists %s, which does not reach decodeChange", name)
		}
	}
	t.Logf("%d routes decode with decodeChange", checked)
}

// stringLit returns the value of a string literal expression.
func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}
