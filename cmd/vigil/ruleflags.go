package main

import (
	"flag"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// ruleFlags are the flags that shape how rules load and what events look
// like to them, shared by hunt, serve and rules lint.
type ruleFlags struct {
	logsources   *string
	placeholders *string
	mapping      *string // nil for commands that read no events
}

func addRuleFlags(fs *flag.FlagSet, events bool) *ruleFlags {
	f := &ruleFlags{
		logsources: fs.String("logsources", "",
			"logsource mapping file (thor.yml layout); default built-in"),
		placeholders: fs.String("placeholders", "",
			"YAML file of values for %name% placeholders of the expand modifier "+
				"(name: [value, ...])"),
	}
	if events {
		f.mapping = fs.String("mapping", "",
			"YAML field mapping that extends the built-in one")
	}
	return f
}

// load reads the files the flags name. The mapping is the built-in one,
// extended by --mapping when given.
func (f *ruleFlags) load() (sigma.Options, *event.Mapping, error) {
	var opts sigma.Options
	var err error
	if *f.logsources != "" {
		if opts.Logsources, err = sigma.LoadLogsourceMapping(*f.logsources); err != nil {
			return opts, nil, err
		}
	}
	if *f.placeholders != "" {
		if opts.Placeholders, err = loadPlaceholders(*f.placeholders); err != nil {
			return opts, nil, err
		}
	}
	if f.mapping == nil {
		return opts, nil, nil
	}
	m := event.DefaultMapping()
	if *f.mapping != "" {
		user, err := event.LoadMapping(*f.mapping)
		if err != nil {
			return opts, nil, fmt.Errorf("load field mapping: %w", err)
		}
		m = m.Merge(user)
	}
	return opts, m, nil
}

// loadPlaceholders reads a YAML map of placeholder name to a value or a
// list of values.
func loadPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load placeholders: %w", err)
	}
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("load placeholders %s: %w", path, err)
	}
	out := make(map[string][]string, len(raw))
	for name, n := range raw {
		var vals []string
		switch n.Kind {
		case yaml.ScalarNode:
			vals = []string{n.Value}
		case yaml.SequenceNode:
			if err := n.Decode(&vals); err != nil {
				return nil, fmt.Errorf("load placeholders %s:%d: %s: %w", path, n.Line, name, err)
			}
		default:
			return nil, fmt.Errorf("load placeholders %s:%d: %s: want a value or a list of values",
				path, n.Line, name)
		}
		out[name] = vals
	}
	return out, nil
}
