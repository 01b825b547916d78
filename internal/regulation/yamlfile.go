package regulation

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseError is one fault of a catalog file: the file, the line (0 when
// it concerns the whole file), the field at fault (a path such as
// "stages[1].deadline.within") and why.
type ParseError struct {
	File   string
	Line   int
	Field  string
	Reason string
}

// Error returns "file:line: field: reason".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Errors are all the faults found in a catalog, in file and line order.
type Errors []*ParseError

// Error lists the faults, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the faults, for errors.As on one of them.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *ParseError) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}

// asErrors returns err's faults when it is an Errors.
func asErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	return nil
}

// reader reads one YAML file, collecting its faults.
type reader struct {
	file string
	errs Errors
}

func (r *reader) fail(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.errs = append(r.errs, &ParseError{File: r.file, Line: line, Field: field,
		Reason: fmt.Sprintf(format, args...)})
}

// root parses data and returns the mapping of its one document.
func (r *reader) root(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, reason := yamlErrorLine(err.Error())
		r.errs = append(r.errs, &ParseError{File: r.file, Line: line, Reason: reason})
		return nil
	}
	if len(doc.Content) == 0 {
		r.fail(&doc, "", "empty file")
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		r.fail(m, "", "want a map of keys")
		return nil
	}
	return m
}

// yamlErrorLine takes the line out of a yaml syntax error ("yaml: line 4:
// mapping values are not allowed") and returns it with the rest of the
// message ("yaml syntax: mapping values are not allowed"). The library
// counts lines from 0 in its parser errors ("did not find expected ...")
// and from 1 in its scanner errors; the line returned counts from 1.
func yamlErrorLine(msg string) (int, string) {
	parser := 0
	if strings.Contains(msg, "did not find expected") {
		parser = 1
	}
	rest := strings.TrimPrefix(msg, "yaml: ")
	num, after, ok := strings.Cut(strings.TrimPrefix(rest, "line "), ": ")
	n, err := strconv.Atoi(num)
	if !strings.HasPrefix(rest, "line ") || !ok || err != nil {
		return parser, "yaml syntax: " + rest
	}
	return n + parser, "yaml syntax: " + after
}

// require reports each key of keys missing from f, at the mapping m.
func (r *reader) require(m *yaml.Node, f map[string]*yaml.Node, path string, keys ...string) {
	for _, k := range keys {
		if f[k] == nil {
			r.fail(m, join(path, k), "missing (required)")
		}
	}
}

// fields returns the values of mapping m by key. It reports a key not in
// allowed, a duplicate key and each missing required key; ok is false
// when m is not a mapping.
func (r *reader) fields(m *yaml.Node, path string, allowed, required []string) (
	map[string]*yaml.Node, bool) {
	if m.Kind != yaml.MappingNode {
		r.fail(m, path, "want a map")
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case !slices.Contains(allowed, k.Value):
			r.fail(k, join(path, k.Value), "unknown key; want one of %s",
				strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			r.fail(k, join(path, k.Value), "key given twice")
		default:
			out[k.Value] = v
		}
	}
	r.require(m, out, path, required...)
	return out, true
}

// str reads a non-empty scalar; ok is false when absent or wrong.
func (r *reader) str(n *yaml.Node, field string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.fail(n, field, "want a text value")
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		r.fail(n, field, "empty")
		return "", false
	}
	return n.Value, true
}

// oneOf reads a scalar that must be one of allowed.
func (r *reader) oneOf(n *yaml.Node, field string, allowed []string) (string, bool) {
	v, ok := r.str(n, field)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, v) {
		r.fail(n, field, "unknown value %q; want one of %s", v, strings.Join(allowed, ", "))
		return "", false
	}
	return v, true
}

// list reads a sequence of non-empty scalars; check, when not nil, vets
// each.
func (r *reader) list(n *yaml.Node, field string, check func(string) error) []string {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(n, field, "want a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		v, ok := r.str(c, f)
		if !ok {
			continue
		}
		if check != nil {
			if err := check(v); err != nil {
				r.fail(c, f, "%v", err)
				continue
			}
		}
		if slices.Contains(out, v) {
			r.fail(c, f, "%q listed twice", v)
			continue
		}
		out = append(out, v)
	}
	return out
}

// span reads a duration such as "72h".
func (r *reader) span(n *yaml.Node, field string) (Span, bool) {
	v, ok := r.str(n, field)
	if !ok {
		return Span{}, false
	}
	s, err := ParseSpan(v)
	if err != nil {
		r.fail(n, field, "%v", err)
		return Span{}, false
	}
	return s, true
}

// integer reads a whole number of at least zero.
func (r *reader) integer(n *yaml.Node, field string) (int64, bool) {
	v, ok := r.str(n, field)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || i < 0 {
		r.fail(n, field, "%q: want a whole number of zero or more", v)
		return 0, false
	}
	return i, true
}

// items returns the elements of a sequence.
func (r *reader) items(n *yaml.Node, field string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(n, field, "want a list")
		return nil
	}
	return n.Content
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func oneOfErr(v string, allowed []string) error {
	if _, ok := slices.BinarySearch(allowed, v); ok {
		return nil
	}
	return fmt.Errorf("unknown value %q; want one of %s", v, strings.Join(allowed, ", "))
}
