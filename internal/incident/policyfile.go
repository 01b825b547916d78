package incident

import (
	"errors"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ParseError reports a bad policy file: which file, which key and where.
// Key is a path such as "rules[2].when.functional[0]"; Line and Column are
// 1-based and 0 when the position is unknown (an empty file).
type ParseError struct {
	File   string
	Key    string
	Line   int
	Column int
	Err    error
}

// Error returns "incident: file:line:col: key: reason".
func (e *ParseError) Error() string {
	pos := e.File
	switch {
	case e.Line > 0 && e.Column > 0:
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	case e.Line > 0:
		pos = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("incident: %s: %v", pos, e.Err)
	}
	return fmt.Sprintf("incident: %s: %s: %v", pos, e.Key, e.Err)
}

// Unwrap returns the reason.
func (e *ParseError) Unwrap() error { return e.Err }

// yamlFile decodes one policy file, remembering its name for errors.
type yamlFile struct {
	name string
}

// errAt builds a ParseError positioned at n.
func (f yamlFile) errAt(n *yaml.Node, key string, format string, args ...any) error {
	pe := &ParseError{File: f.name, Key: key, Err: fmt.Errorf(format, args...)}
	if n != nil {
		pe.Line, pe.Column = n.Line, n.Column
	}
	return pe
}

// root parses data and returns its top-level mapping.
func (f yamlFile) root(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pe := &ParseError{File: f.name, Err: err}
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			pe.Line = syntaxLine(err)
		}
		return nil, pe
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, f.errAt(nil, "", "empty policy")
	}
	return doc.Content[0], nil
}

// fields walks a mapping, calling the handler registered for each key and
// refusing unknown or repeated keys. Keys listed in required must appear.
func (f yamlFile) fields(n *yaml.Node, path string, handlers map[string]func(key string,
	v *yaml.Node) error, required ...string) error {
	if n.Kind != yaml.MappingNode {
		return f.errAt(n, path, "want a mapping, got %s", kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if path != "" {
			key = path + "." + k.Value
		}
		h, ok := handlers[k.Value]
		if !ok {
			return f.errAt(k, key, "unknown key")
		}
		if seen[k.Value] {
			return f.errAt(k, key, "repeated key")
		}
		seen[k.Value] = true
		if err := h(key, v); err != nil {
			return err
		}
	}
	for _, r := range required {
		if !seen[r] {
			key := r
			if path != "" {
				key = path + "." + r
			}
			return f.errAt(n, key, "missing")
		}
	}
	return nil
}

// strings decodes a scalar or a sequence of scalars, checking each against
// allowed (nil allows anything non-empty).
func (f yamlFile) strings(n *yaml.Node, key string, allowed func(string) bool) ([]string,
	error) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			return nil, f.errAt(n, key, "empty list")
		}
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		k := key
		if n.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			return nil, f.errAt(it, k, "want a non-empty string")
		}
		if allowed != nil && !allowed(it.Value) {
			return nil, f.errAt(it, k, "unknown value %q", it.Value)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

// scalar decodes a non-empty scalar string.
func (f yamlFile) scalar(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return "", f.errAt(n, key, "want a non-empty string")
	}
	return n.Value, nil
}

// count decodes a non-negative integer.
func (f yamlFile) count(n *yaml.Node, key string) (int, error) {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return 0, f.errAt(n, key, "want a non-negative integer, got %q", n.Value)
	}
	return v, nil
}

// rules decodes a sequence of rule mappings with one handler per rule.
func (f yamlFile) rules(n *yaml.Node, key string, each func(i int, key string,
	v *yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return f.errAt(n, key, "want a list of rules, got %s", kindName(n))
	}
	for i, r := range n.Content {
		if err := each(i, fmt.Sprintf("%s[%d]", key, i), r); err != nil {
			return err
		}
	}
	return nil
}

// kindName names a node kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// syntaxLine extracts the line from a yaml syntax error ("yaml: line 3: ...").
func syntaxLine(err error) int {
	var line int
	if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); e == nil {
		return line
	}
	return 0
}
