package team

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ParseError is a YAML file that does not load: the file, the key at fault
// (a dotted path such as "teams[2].roster[0].end") and its line.
type ParseError struct {
	File   string
	Key    string
	Line   int
	Reason string
}

// Error returns "file:line: key: reason".
func (e *ParseError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Reason)
}

// yamlDoc is a YAML document being read, for errors that name the file.
type yamlDoc struct{ file string }

func (d yamlDoc) errorf(n *yaml.Node, key, format string, args ...any) *ParseError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ParseError{File: d.file, Key: key, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// root parses data and returns the mapping of the one document.
func (d yamlDoc) root(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ParseError{File: d.file, Line: 0, Reason: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, d.errorf(&doc, "", "empty document")
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, d.errorf(m, "", "want a map")
	}
	return m, nil
}

// fields checks that the mapping m holds only the allowed keys and returns
// its values by key.
func (d yamlDoc) fields(m *yaml.Node, path string, allowed ...string) (map[string]*yaml.Node,
	error) {
	if m.Kind != yaml.MappingNode {
		return nil, d.errorf(m, path, "want a map")
	}
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			return nil, d.errorf(k, join(path, k.Value), "unknown key (want one of %v)", allowed)
		}
		out[k.Value] = v
	}
	return out, nil
}

// str reads a scalar string; an absent key gives "".
func (d yamlDoc) str(f map[string]*yaml.Node, key, path string) (string, error) {
	n, ok := f[key]
	if !ok {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", d.errorf(n, join(path, key), "want a string")
	}
	return n.Value, nil
}

// list reads a sequence of scalar strings; an absent key gives nil.
func (d yamlDoc) list(f map[string]*yaml.Node, key, path string) ([]string, error) {
	n, ok := f[key]
	if !ok {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, join(path, key), "want a list")
	}
	var out []string
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, d.errorf(c, fmt.Sprintf("%s[%d]", join(path, key), i), "want a string")
		}
		out = append(out, c.Value)
	}
	return out, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
