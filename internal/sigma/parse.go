package sigma

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads rules from files and folders (recursively, *.yml and *.yaml).
// Rules that cannot be loaded are reported as diagnostics; the error is
// non-nil only when a path cannot be read.
func Load(paths []string, opts Options) (*Ruleset, []Diagnostic, error) {
	var rules []*Rule
	var diags []Diagnostic
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || p != root && !isRuleFile(p) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rs, ds := Parse(data, p, opts)
			rules = append(rules, rs...)
			diags = append(diags, ds...)
			return nil
		})
		if err != nil {
			return nil, diags, fmt.Errorf("load rules: %w", err)
		}
	}
	return NewRuleset(rules), diags, nil
}

func isRuleFile(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}

// Parse parses the rules in data, a YAML stream of one or more documents;
// file names the source in rules and diagnostics. Correlation rules and
// filters are reported as skipped. Legacy rule collections (action: global,
// reset, repeat) are expanded into their rules.
func Parse(data []byte, file string, opts Options) ([]*Rule, []Diagnostic) {
	mapping := opts.Logsources
	if mapping == nil {
		mapping = DefaultLogsourceMapping()
	}
	p := parser{file: file, opts: opts, mapping: mapping}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var global, prev *yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := yamlError(err)
			p.diags = append(p.diags, Diagnostic{File: file, Line: line, Reason: "yaml: " + msg})
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := resolveAlias(doc.Content[0])
		if root.Kind != yaml.MappingNode {
			p.diag(root, "", "", "rule document must be a map")
			continue
		}
		switch action := scalarValue(root, "action"); action {
		case "global":
			global = withoutKey(root, "action")
			continue
		case "reset":
			global = nil
			continue
		case "repeat":
			if prev == nil {
				p.diag(root, "", "", "action: repeat without a previous rule")
				continue
			}
			root = mergeNodes(prev, withoutKey(root, "action"))
		case "":
			if global != nil {
				root = mergeNodes(global, root)
			}
		default:
			p.diag(root, "", "", fmt.Sprintf("unknown action %q", action))
			continue
		}
		prev = root
		if r := p.rule(root); r != nil {
			p.rules = append(p.rules, r)
		}
	}
	sum := sha256.Sum256(data)
	for _, r := range p.rules {
		r.FileSHA256 = hex.EncodeToString(sum[:])
	}
	return p.rules, p.diags
}

// yamlError splits a yaml error ("yaml: line 5: did not find ...") into
// its line and message.
func yamlError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, tail, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, msg
	}
	return n, tail
}

// parser holds the state of one Parse call.
type parser struct {
	file    string
	opts    Options
	mapping *LogsourceMapping
	rules   []*Rule
	diags   []Diagnostic
}

func (p *parser) diag(n *yaml.Node, id, title, reason string) {
	p.diags = append(p.diags, Diagnostic{File: p.file, Line: n.Line, Column: n.Column, RuleID: id,
		Title: title, Reason: reason})
}

// rule builds one rule from its document, or reports why it cannot.
func (p *parser) rule(root *yaml.Node) *Rule {
	r := &Rule{
		ID: scalarValue(root, "id"), Title: scalarValue(root, "title"),
		Status: scalarValue(root, "status"), Description: scalarValue(root, "description"),
		Author: joinedValue(root, "author"), Date: scalarValue(root, "date"),
		Level:          strings.ToLower(scalarValue(root, "level")),
		Tags:           listValue(root, "tags"),
		References:     listValue(root, "references"),
		Falsepositives: listValue(root, "falsepositives"),
		File:           p.file, Line: root.Line,
	}
	for _, kind := range []string{"correlation", "filter"} {
		if mapValue(root, kind) != nil {
			p.diags = append(p.diags, Diagnostic{File: p.file, Line: root.Line, RuleID: r.ID,
				Title: r.Title, Reason: kind + " rule: not supported yet, skipped", Skipped: true})
			return nil
		}
	}
	if err := p.vigilAttrs(r, root); err != nil {
		p.diag(root, r.ID, r.Title, err.Error())
		return nil
	}
	if ls := mapValue(root, "logsource"); ls != nil {
		l := logsourceOf(ls)
		r.Logsource = Logsource{Product: l.Product, Category: l.Category, Service: l.Service}
	}
	det := mapValue(root, "detection")
	if det == nil {
		p.diag(root, r.ID, r.Title, "rule has no detection")
		return nil
	}
	if err := p.compile(r, det); err != nil {
		line, col := det.Line, det.Column
		var pe *posError
		if errors.As(err, &pe) {
			line, col = pe.line, pe.col
		}
		p.diags = append(p.diags, Diagnostic{File: p.file, Line: line, Column: col, RuleID: r.ID,
			Title: r.Title, Reason: err.Error()})
		return nil
	}
	return r
}

// compile resolves the rule's logsource and compiles its detection once
// per distinct field mapping of the alternatives.
func (p *parser) compile(r *Rule, det *yaml.Node) error {
	f, err := p.mapping.resolve(r.Logsource)
	if err != nil {
		return err
	}
	r.filter = f
	c := compiler{placeholders: p.opts.Placeholders}
	if f == nil {
		n, err := c.compileDetection(det)
		if err != nil {
			return err
		}
		r.variants = []variant{{mask: ^uint64(0), det: n}}
		return nil
	}
	for i, alt := range f.alts {
		found := false
		for k := range r.variants {
			if reflect.DeepEqual(r.variants[k].fieldmap, alt.fieldmap) {
				r.variants[k].mask |= 1 << uint(i)
				found = true
				break
			}
		}
		if found {
			continue
		}
		c.fieldmap = alt.fieldmap
		n, err := c.compileDetection(det)
		if err != nil {
			return err
		}
		r.variants = append(r.variants, variant{mask: 1 << uint(i), fieldmap: alt.fieldmap, det: n})
	}
	return nil
}

// variant is a rule's detection compiled for the alternatives of its
// logsource (mask) that share one field mapping.
type variant struct {
	mask     uint64
	fieldmap map[string][]string
	det      node
}

func scalarValue(m *yaml.Node, key string) string {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return v.Value
	}
	return ""
}

// joinedValue reads a string, or a list of strings joined with ", ".
func joinedValue(m *yaml.Node, key string) string {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.SequenceNode {
		return strings.Join(listValue(m, key), ", ")
	}
	return scalarValue(m, key)
}

func listValue(m *yaml.Node, key string) []string {
	v := mapValue(m, key)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{v.Value}
	}
	var out []string
	for _, item := range v.Content {
		if item = resolveAlias(item); item.Kind == yaml.ScalarNode {
			out = append(out, item.Value)
		}
	}
	return out
}

// withoutKey returns a copy of a mapping node without key.
func withoutKey(m *yaml.Node, key string) *yaml.Node {
	out := *m
	out.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &out
}

// mergeNodes deep-merges two mapping nodes for rule collections: maps merge
// key by key, and any other value of over replaces base's.
func mergeNodes(base, over *yaml.Node) *yaml.Node {
	base, over = resolveAlias(base), resolveAlias(over)
	if base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := *over
	out.Content = nil
	seen := map[string]bool{}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k := base.Content[i].Value
		v := base.Content[i+1]
		if ov := mapValue(over, k); ov != nil {
			v = mergeNodes(v, ov)
		}
		seen[k] = true
		out.Content = append(out.Content, base.Content[i], v)
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		if !seen[over.Content[i].Value] {
			out.Content = append(out.Content, over.Content[i], over.Content[i+1])
		}
	}
	return &out
}
