package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// openAPI is the part of the document the tests check.
type openAPI struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

type operation struct {
	OperationID string                     `json:"operationId"`
	Security    *[]map[string][]string     `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	var doc openAPI
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}

	var inDoc []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
		}
	}
	var registered []string
	s := testServer()
	for _, rt := range s.routes() {
		registered = append(registered, rt.method+" "+rt.path)
	}
	slices.Sort(inDoc)
	slices.Sort(registered)
	if diff := cmp.Diff(registered, inDoc); diff != "" {
		t.Errorf("routes (-registered +documented):\n%s", diff)
	}
}

func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	var doc openAPI
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	auth := map[string]bool{}
	s := testServer()
	for _, rt := range s.routes() {
		auth[rt.method+" "+rt.path] = rt.auth
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			name := strings.ToUpper(method) + " " + path
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or repeated", name, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", name)
			}
			// A public route overrides the global bearer requirement; an
			// authenticated one documents its 401.
			public := op.Security != nil && len(*op.Security) == 0
			if public == auth[name] {
				t.Errorf("%s: documented public=%t, registered auth=%t", name, public, auth[name])
			}
			if _, ok := op.Responses["401"]; auth[name] && !ok {
				t.Errorf("%s: authenticated but no 401 documented", name)
			}
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
}

// testServer is a server with just enough configuration to list routes.
func testServer() *server {
	return &server{
		cfg: Config{Gatherer: prometheus.NewRegistry()},
		log: slog.New(slog.DiscardHandler),
	}
}

func resolves(doc map[string]any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPINoDuplicateKeys fails on an object that names a key twice:
// encoding/json keeps the last silently, so an earlier definition would be
// dead text that readers of the document still see.
func TestOpenAPINoDuplicateKeys(t *testing.T) {
	d := json.NewDecoder(bytes.NewReader(openAPIDoc))
	type frame struct {
		object bool
		seen   map[string]bool
		key    bool // the next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("openapi.json: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.object && top.key {
			if top.seen[key] {
				t.Errorf("openapi.json: key %q twice in one object (offset %d)", key,
					d.InputOffset())
			}
			top.seen[key] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, seen: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// a value ended: an enclosing object expects a key next
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}
