package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain runs the package's tests, then validates every response they
// received through a recorded handler against the OpenAPI document: the
// status must be documented for its operation, a JSON body must match the
// documented schema, and, when the whole package ran, every documented
// operation must have been exercised.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if errs := validateRecorded(); len(errs) > 0 {
			fmt.Fprintln(os.Stderr, "--- FAIL: OpenAPI document vs real responses")
			for _, e := range errs {
				fmt.Fprintln(os.Stderr, "    "+e)
			}
			code = 1
		}
	}
	os.Exit(code)
}

// recorded is one response seen by RecordResponses.
type recorded struct {
	method, path, contentType string
	status                    int
	body                      []byte
}

var (
	recordedMu  sync.Mutex
	recordedAll []recorded
)

// RecordResponses wraps a handler under test so that TestMain validates its
// responses against openapi.json. The response streams through unchanged.
func RecordResponses(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		if tw.status == 0 {
			tw.status = http.StatusOK
		}
		recordedMu.Lock()
		defer recordedMu.Unlock()
		recordedAll = append(recordedAll, recorded{method: r.Method, path: r.URL.EscapedPath(),
			contentType: w.Header().Get("Content-Type"), status: tw.status,
			body: tw.body.Bytes()})
	})
}

// teeWriter keeps a copy of the status and the first MiB of the body.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len() < 1<<20 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *teeWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// docOperation is an operation of the document with its path as a pattern.
type docOperation struct {
	key       string // "GET /api/v1/x/{id}"
	re        *regexp.Regexp
	responses map[string]any
}

func loadDocOperations() (map[string]any, []docOperation, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return nil, nil, fmt.Errorf("openapi.json: %w", err)
	}
	var ops []docOperation
	for path, item := range doc["paths"].(map[string]any) {
		pat := regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path),
			`[^/]+`)
		for method, op := range item.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || o["responses"] == nil {
				continue
			}
			responses, _ := o["responses"].(map[string]any)
			ops = append(ops, docOperation{key: strings.ToUpper(method) + " " + path,
				re: regexp.MustCompile("^" + pat + "$"), responses: responses})
		}
	}
	// Literal paths win over templated ones (/alerts/confirm vs /alerts/{id}).
	sort.Slice(ops, func(i, j int) bool {
		return strings.Count(ops[i].key, "{") < strings.Count(ops[j].key, "{")
	})
	return doc, ops, nil
}

func validateRecorded() []string {
	doc, ops, err := loadDocOperations()
	if err != nil {
		return []string{err.Error()}
	}
	recordedMu.Lock()
	all := slices.Clone(recordedAll)
	recordedMu.Unlock()
	covered := map[string]bool{}
	seen := map[string]bool{}
	var errs []string
	for _, r := range all {
		var op *docOperation
		for i := range ops {
			if strings.HasPrefix(ops[i].key, r.method+" ") && ops[i].re.MatchString(r.path) {
				op = &ops[i]
				break
			}
		}
		if op == nil {
			continue // undocumented routes are TestOpenAPIMatchesRoutes' business
		}
		covered[op.key] = true
		for _, e := range checkResponse(doc, op, r) {
			msg := fmt.Sprintf("%s -> %d: %s", op.key, r.status, e)
			if !seen[msg] {
				seen[msg] = true
				errs = append(errs, fmt.Sprintf("%s (body %.200s)", msg, r.body))
			}
		}
	}
	if runFilter := flag.Lookup("test.run"); runFilter == nil || runFilter.Value.String() == "" {
		for _, op := range ops {
			if !covered[op.key] {
				errs = append(errs, op.key+": no test exercised this documented operation")
			}
		}
	}
	sort.Strings(errs)
	return errs
}

func checkResponse(doc map[string]any, op *docOperation, r recorded) []string {
	resp, ok := op.responses[strconv.Itoa(r.status)]
	if !ok {
		resp, ok = op.responses["default"]
	}
	if !ok {
		return []string{"status not documented"}
	}
	resp = deref(doc, resp)
	content, _ := resp.(map[string]any)["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil || !strings.HasPrefix(r.contentType, "application/json") {
		return nil
	}
	var body any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil && err != io.EOF {
		return []string{"body is not JSON: " + err.Error()}
	}
	var errs []string
	validateSchema(doc, media["schema"], body, "$", &errs)
	return errs
}

func deref(doc map[string]any, v any) any {
	for range 20 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		v = cur
	}
	return v
}

// validateSchema checks v against the subset of JSON Schema the document
// uses, appending one message per mismatch.
func validateSchema(doc map[string]any, schema, v any, at string, errs *[]string) {
	s, ok := deref(doc, schema).(map[string]any)
	if !ok {
		return
	}
	fail := func(format string, args ...any) {
		*errs = append(*errs, at+": "+fmt.Sprintf(format, args...))
	}
	for _, sub := range anySlice(s["allOf"]) {
		validateSchema(doc, sub, v, at, errs)
	}
	if alts := anySlice(s["oneOf"]); len(alts) > 0 {
		matched := 0
		for _, sub := range alts {
			var e []string
			validateSchema(doc, sub, v, at, &e)
			if len(e) == 0 {
				matched++
			}
		}
		if matched != 1 {
			fail("matches %d of the oneOf alternatives", matched)
		}
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("%v is not the constant %v", v, c)
	}
	if enum := anySlice(s["enum"]); len(enum) > 0 &&
		!slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		fail("%v is not one of %v", v, enum)
	}
	if types := schemaTypes(s); len(types) > 0 && !slices.ContainsFunc(types,
		func(t string) bool { return isType(v, t) }) {
		fail("%T %.80v is not %v", v, v, types)
		return
	}
	switch v := v.(type) {
	case string:
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				fail("%q is not a date-time", v)
			}
		}
	case []any:
		for i, item := range v {
			validateSchema(doc, s["items"], item, fmt.Sprintf("%s[%d]", at, i), errs)
		}
	case map[string]any:
		validateObject(doc, s, v, at, errs)
	}
}

func validateObject(doc map[string]any, s, v map[string]any, at string, errs *[]string) {
	props, _ := s["properties"].(map[string]any)
	for _, req := range anySlice(s["required"]) {
		if _, ok := v[req.(string)]; !ok {
			*errs = append(*errs, fmt.Sprintf("%s: required %q missing", at, req))
		}
	}
	for k, item := range v {
		if p, ok := props[k]; ok {
			validateSchema(doc, p, item, at+"."+k, errs)
			continue
		}
		switch extra := s["additionalProperties"].(type) {
		case bool:
			if !extra {
				*errs = append(*errs, fmt.Sprintf("%s: property %q not allowed", at, k))
			}
		case map[string]any:
			validateSchema(doc, extra, item, at+"."+k, errs)
		}
	}
}

func schemaTypes(s map[string]any) []string {
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	if len(types) > 0 && s["nullable"] == true {
		types = append(types, "null")
	}
	return types
}

func isType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}
	return true
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestValidateSchema checks the validator TestMain uses on the keywords the
// document uses.
func TestValidateSchema(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"schemas": map[string]any{
		"Item": map[string]any{"type": "object", "required": []any{"id"},
			"additionalProperties": false, "properties": map[string]any{
				"id":   map[string]any{"type": "integer"},
				"at":   map[string]any{"type": "string", "format": "date-time"},
				"kind": map[string]any{"type": []any{"string", "null"}, "enum": []any{"a", nil}},
			}},
	}}}
	list := map[string]any{"type": "array", "items": map[string]any{
		"$ref": "#/components/schemas/Item"}}
	tests := []struct {
		body string
		errs int
	}{
		{`[{"id": 1, "at": "2026-05-04T18:00:00Z", "kind": "a"}, {"id": 2, "kind": null}]`, 0},
		{`[{"at": "yesterday"}]`, 2},
		{`[{"id": 1.5, "kind": "b"}]`, 2},
		{`[{"id": 1, "extra": true}]`, 1},
		{`{"id": 1}`, 1},
	}
	for _, tt := range tests {
		var v any
		dec := json.NewDecoder(strings.NewReader(tt.body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var errs []string
		validateSchema(doc, list, v, "$", &errs)
		if len(errs) != tt.errs {
			t.Errorf("%s: %d errors %q, want %d", tt.body, len(errs), errs, tt.errs)
		}
	}
}
