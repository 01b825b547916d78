package scope

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ParseError is a file that does not load: the file, the line, the key at
// fault (a dotted path such as "regions[0].datacenters[1].id", or a CSV
// column) and why.
type ParseError struct {
	File   string
	Line   int
	Key    string
	Reason string
}

// Error returns "file:line: key: reason".
func (e *ParseError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Reason
}

// yamlReader reads a YAML node tree, naming the file in its errors.
type yamlReader struct{ file string }

func (d yamlReader) errorf(n *yaml.Node, key, format string, args ...any) *ParseError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ParseError{File: d.file, Line: line, Key: key, Reason: fmt.Sprintf(format, args...)}
}

// root parses data and returns the mapping of its one document; an empty
// document gives an empty mapping.
func (d yamlReader) root(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ParseError{File: d.file, Reason: err.Error()}
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	return doc.Content[0], nil
}

// fields checks that m is a mapping of the allowed keys only, each given
// once, and returns its values by key.
func (d yamlReader) fields(m *yaml.Node, path string, allowed ...string) (
	map[string]*yaml.Node, error) {
	if m.Kind != yaml.MappingNode {
		return nil, d.errorf(m, path, "want a map")
	}
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := joinKey(path, k.Value)
		switch {
		case !slices.Contains(allowed, k.Value):
			return nil, d.errorf(k, key, "unknown key (want one of %v)", allowed)
		case out[k.Value] != nil:
			return nil, d.errorf(k, key, "given twice")
		}
		out[k.Value] = v
	}
	return out, nil
}

// str reads a scalar; an absent key gives "".
func (d yamlReader) str(f map[string]*yaml.Node, key, path string) (string, error) {
	n, ok := f[key]
	if !ok {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", d.errorf(n, joinKey(path, key), "want a string")
	}
	return n.Value, nil
}

// list reads a sequence of scalars; an absent key gives nil.
func (d yamlReader) list(f map[string]*yaml.Node, key, path string) ([]string, error) {
	n, ok := f[key]
	if !ok {
		return nil, nil
	}
	return d.scalars(n, joinKey(path, key))
}

func (d yamlReader) scalars(n *yaml.Node, key string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, key, "want a list")
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, d.errorf(c, fmt.Sprintf("%s[%d]", key, i), "want a string")
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// seq reads a sequence under key (absent: none) and calls fn for each item.
func (d yamlReader) seq(f map[string]*yaml.Node, key, path string,
	fn func(n *yaml.Node, path string) error) error {
	n, ok := f[key]
	if !ok {
		return nil
	}
	key = joinKey(path, key)
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, key, "want a list")
	}
	for i, c := range n.Content {
		if err := fn(c, fmt.Sprintf("%s[%d]", key, i)); err != nil {
			return err
		}
	}
	return nil
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
