package readiness

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits of a scenario file.
const (
	MaxScenarioEvents   = 10000
	MaxScenarioDuration = 24 * time.Hour
	maxScenarioBytes    = 4 << 20
)

// ExerciseField is the event field that tags an exercise's events:
// {"vigil": {"exercise": ID, "step": N}}. The replay adds it; a scenario
// must not set it.
const ExerciseField = "vigil"

// Scenario is a simulated breach: events at times relative to the start of
// the replay, each labelled with the attacker's step, and the detections
// the blue team's rules are expected to raise.
type Scenario struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Events      []ScenarioEvent `json:"events"`
	Expect      []Expectation   `json:"expect"`
}

// ScenarioEvent is one event of a scenario.
type ScenarioEvent struct {
	// At is the time from the start of the replay.
	At time.Duration `json:"at"`
	// Step says what the red team did; consecutive events with the same
	// step are one step of the disclosure report.
	Step string `json:"step"`
	// Fields is the event as posted (the replay adds @timestamp and the
	// exercise tag).
	Fields map[string]any `json:"fields"`
	// Line is where the event starts in its file.
	Line int `json:"-"`
}

// Expectation is a detection the scenario should raise: an alert of rule
// Rule (a rule ID), or any alert tagged Tag (an ATT&CK tag such as
// attack.t1003.001). Title names it in reports; Severity is that of the
// finding recorded when it is missed (default medium).
type Expectation struct {
	Rule     string   `json:"rule,omitempty"`
	Tag      string   `json:"tag,omitempty"`
	Title    string   `json:"title,omitempty"`
	Severity Severity `json:"severity,omitempty"`
}

// Matches reports whether an alert of ruleID with tags meets e.
func (e Expectation) Matches(ruleID string, tags []string) bool {
	if e.Rule != "" {
		return ruleID == e.Rule
	}
	return slices.Contains(tags, e.Tag)
}

// Label names e for people: its title, else its rule or tag.
func (e Expectation) Label() string {
	switch {
	case e.Title != "":
		return e.Title
	case e.Rule != "":
		return "rule " + e.Rule
	}
	return "tag " + e.Tag
}

// ScenarioError is a problem of a scenario file, with its line.
type ScenarioError struct {
	File string
	Line int
	Msg  string
}

// Error returns "file:line: msg".
func (e *ScenarioError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("scenario: line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

var (
	scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	attackTag    = regexp.MustCompile(`^attack\.[a-z0-9_.-]+$`)
)

// ParseScenario reads a scenario from YAML; file names it in errors
// (*ScenarioError, with the line). Unknown keys, a missing name, events
// without fields, fields that set the reserved "vigil" key, negative or
// too distant times, and expectations naming both or neither of rule and
// tag are errors. Events come back sorted by At (stable).
func ParseScenario(r io.Reader, file string) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxScenarioBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", file, err)
	}
	fail := func(line int, format string, args ...any) (*Scenario, error) {
		return nil, &ScenarioError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxScenarioBytes {
		return fail(1, "larger than %d bytes", maxScenarioBytes)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(1, "empty file")
		}
		return fail(yamlLine(err), "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fail(doc.Line, "want a mapping with name, description, events and expect")
	}
	sc, err := scenarioFrom(doc.Content[0])
	if err != nil {
		var se *ScenarioError
		if errors.As(err, &se) {
			se.File = file
		}
		return nil, err
	}
	return sc, nil
}

// yamlLine digs the line out of a yaml.v3 error ("yaml: line 3: ...").
func yamlLine(err error) int {
	var n int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &n); e == nil {
		return n
	}
	return 1
}

// nodeErr returns a ScenarioError at n.
func nodeErr(n *yaml.Node, format string, args ...any) error {
	return &ScenarioError{Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// mapping calls fn for each key of a mapping node, refusing keys not in
// allowed and repeated keys.
func mapping(n *yaml.Node, what string, allowed []string,
	fn func(key string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return nodeErr(n, "%s: want a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(allowed, k.Value):
			return nodeErr(k, "%s: unknown key %q (want %s)", what, k.Value,
				strings.Join(allowed, ", "))
		case seen[k.Value]:
			return nodeErr(k, "%s: key %q given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns the string of a scalar node.
func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", nodeErr(n, "%s: want a string", what)
	}
	return n.Value, nil
}

// scenarioFrom builds and checks a scenario from its top mapping.
func scenarioFrom(top *yaml.Node) (*Scenario, error) {
	sc := &Scenario{}
	err := mapping(top, "scenario", []string{"name", "description", "events", "expect"},
		func(key string, v *yaml.Node) error {
			var err error
			switch key {
			case "name":
				sc.Name, err = scalar(v, "name")
			case "description":
				sc.Description, err = scalar(v, "description")
			case "events":
				sc.Events, err = scenarioEvents(v)
			case "expect":
				sc.Expect, err = expectations(v)
			}
			return err
		})
	switch {
	case err != nil:
		return nil, err
	case !scenarioName.MatchString(sc.Name):
		return nil, nodeErr(top, "name %q: want lowercase letters, digits, dots, dashes "+
			"and underscores (up to 100)", sc.Name)
	case len(sc.Events) == 0:
		return nil, nodeErr(top, "events: want at least one event")
	case len(sc.Expect) == 0:
		return nil, nodeErr(top, "expect: want at least one expected detection")
	}
	slices.SortStableFunc(sc.Events, func(a, b ScenarioEvent) int {
		return cmp.Compare(a.At, b.At)
	})
	return sc, nil
}

// scenarioEvents reads the events sequence.
func scenarioEvents(n *yaml.Node) ([]ScenarioEvent, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, "events: want a list")
	}
	if len(n.Content) > MaxScenarioEvents {
		return nil, nodeErr(n, "events: more than %d", MaxScenarioEvents)
	}
	var out []ScenarioEvent
	for i, item := range n.Content {
		what := fmt.Sprintf("events[%d]", i)
		ev := ScenarioEvent{Line: item.Line}
		err := mapping(item, what, []string{"at", "step", "fields"},
			func(key string, v *yaml.Node) error {
				switch key {
				case "at":
					s, err := scalar(v, what+".at")
					if err != nil {
						return err
					}
					d, err := time.ParseDuration(s)
					if err != nil || d < 0 || d > MaxScenarioDuration {
						return nodeErr(v, "%s.at %q: want a duration from 0s to 24h (90s, 2m)",
							what, s)
					}
					ev.At = d
				case "step":
					s, err := scalar(v, what+".step")
					ev.Step = strings.TrimSpace(s)
					return err
				case "fields":
					if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
						return nodeErr(v, "%s.fields: want a non-empty mapping", what)
					}
					if err := v.Decode(&ev.Fields); err != nil {
						return nodeErr(v, "%s.fields: %v", what, err)
					}
					if _, ok := ev.Fields[ExerciseField]; ok {
						return nodeErr(v, "%s.fields: key %q is reserved for the exercise tag",
							what, ExerciseField)
					}
				}
				return nil
			})
		switch {
		case err != nil:
			return nil, err
		case ev.Fields == nil:
			return nil, nodeErr(item, "%s: fields are required", what)
		case ev.Step == "":
			return nil, nodeErr(item, "%s: step is required (what the red team did)", what)
		}
		ev.Fields = jsonSafe(ev.Fields).(map[string]any)
		out = append(out, ev)
	}
	return out, nil
}

// jsonSafe converts YAML values to what encoding/json marshals as JSON
// would give them: maps with non-string keys get their keys printed.
func jsonSafe(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonSafe(x)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonSafe(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = jsonSafe(x)
		}
		return v
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

// expectations reads the expect sequence.
func expectations(n *yaml.Node) ([]Expectation, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, "expect: want a list")
	}
	var out []Expectation
	for i, item := range n.Content {
		what := fmt.Sprintf("expect[%d]", i)
		var e Expectation
		err := mapping(item, what, []string{"rule", "tag", "title", "severity"},
			func(key string, v *yaml.Node) error {
				s, err := scalar(v, what+"."+key)
				s = strings.TrimSpace(s)
				switch key {
				case "rule":
					e.Rule = s
				case "tag":
					e.Tag = s
				case "title":
					e.Title = s
				case "severity":
					e.Severity = Severity(s)
					if !e.Severity.Valid() {
						return nodeErr(v, "%s.severity %q: want one of %v", what, s,
							Severities())
					}
				}
				return err
			})
		switch {
		case err != nil:
			return nil, err
		case (e.Rule == "") == (e.Tag == ""):
			return nil, nodeErr(item, "%s: want either rule (a rule ID) or tag", what)
		case e.Tag != "" && !attackTag.MatchString(e.Tag):
			return nil, nodeErr(item, "%s.tag %q: want an ATT&CK tag such as attack.t1003.001",
				what, e.Tag)
		}
		if e.Severity == "" {
			e.Severity = SeverityMedium
		}
		out = append(out, e)
	}
	return out, nil
}

// Duration returns the time of the scenario's last event.
func (s *Scenario) Duration() time.Duration {
	var d time.Duration
	for _, e := range s.Events {
		d = max(d, e.At)
	}
	return d
}
