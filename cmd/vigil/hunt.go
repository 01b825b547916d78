package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/hunt"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sigma"
)

const huntUsage = "vigil hunt --rules PATH [--rules PATH]... [--format table|ndjson] " +
	"[--min-level LEVEL] INPUT... (\"-\" reads standard input)"

// runHunt runs rules over log files offline and prints one detection per
// match; a summary goes to stderr. Exit 0 when it ran, 1 on unreadable input,
// 2 on bad usage.
func runHunt(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("hunt", huntUsage, stderr)
	var rulePaths stringList
	fs.Var(&rulePaths, "rules", "Sigma rule file or folder (repeatable; required)")
	format := fs.String("format", "table", "output format: table or ndjson")
	rf := addRuleFlags(fs, true)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "goroutines matching events")
	progress := fs.String("progress", "auto", "progress bar on stderr: auto (when a terminal), on, off")
	minLevel := fs.String("min-level", "", "load only rules of this level or above: "+
		"informational, low, medium, high, critical")
	inputs, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if msg := checkHuntArgs(rulePaths, inputs, *format, *progress, *minLevel, *workers); msg != "" {
		fmt.Fprintf(stderr, "vigil hunt: %s\nUsage: %s\n", msg, huntUsage)
		return exitUsage
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if _, err := os.Stat(in); err != nil {
			fmt.Fprintf(stderr, "vigil hunt: read input: %v\n", err)
			return exitError
		}
	}

	opts, mapping, err := rf.load()
	if err != nil {
		fmt.Fprintf(stderr, "vigil hunt: %v\n", err)
		return exitError
	}
	rules, err := loadHuntRules(rulePaths, opts, *minLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vigil hunt: %v\n", err)
		return exitError
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	h := hunt.New(hunt.Config{
		Rules:   rules.set,
		Ingest:  ingest.Options{Mapping: mapping},
		Workers: *workers,
		Stdin:   stdin,
		Output:  detectionWriter(out, *format),
		OnBadRecord: func(e *ingest.LineError) {
			fmt.Fprintf(stderr, "vigil hunt: skipped %v\n", e)
		},
	})
	var bar *progressBar
	if showProgress(*progress, stderr) {
		bar = startProgress(stderr, h, inputs)
	}
	sum, runErr := h.Run(ctx, inputs)
	bar.stop()
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	sum.RulesLoaded, sum.RulesFailed, sum.RulesSkipped = len(rules.set.Rules()), rules.failed,
		rules.skipped
	sum.LoadTime = rules.took
	writeSummary(stderr, sum)
	if runErr != nil {
		fmt.Fprintf(stderr, "vigil hunt: %v\n", runErr)
		return exitError
	}
	return exitOK
}

// huntRules is the loaded rule set and how loading went.
type huntRules struct {
	set             *sigma.Ruleset
	failed, skipped int
	took            time.Duration
}

// loadHuntRules loads the rules, reports each one that does not load, and
// keeps those of minLevel or above. No rule at all is an error.
func loadHuntRules(paths []string, opts sigma.Options, minLevel string,
	stderr io.Writer) (huntRules, error) {
	start := time.Now()
	rs, diags, err := sigma.Load(paths, opts)
	if err != nil {
		return huntRules{}, err
	}
	r := huntRules{set: rs, took: time.Since(start)}
	r.failed, r.skipped = reportDiagnostics(stderr, "vigil hunt: rule not loaded: ", diags)
	if minLevel != "" {
		r.set = sigma.NewRuleset(atLeast(rs.Rules(), minLevel))
	}
	if len(r.set.Rules()) == 0 {
		return r, fmt.Errorf("no rule loaded from %s", strings.Join(paths, ", "))
	}
	return r, nil
}

func checkHuntArgs(rules, inputs []string, format, progress, minLevel string, workers int) string {
	switch {
	case len(rules) == 0:
		return "--rules is required"
	case len(inputs) == 0:
		return "no input: name at least one log file or folder"
	case format != "table" && format != "ndjson":
		return fmt.Sprintf("--format %q: want table or ndjson", format)
	case progress != "auto" && progress != "on" && progress != "off":
		return fmt.Sprintf("--progress %q: want auto, on or off", progress)
	case minLevel != "" && !slices.Contains(hunt.Levels, minLevel):
		return fmt.Sprintf("--min-level %q: want informational, low, medium, high or critical",
			minLevel)
	case workers < 1:
		return fmt.Sprintf("--workers %d: want at least 1", workers)
	}
	return ""
}

// atLeast returns the rules whose level is min or more severe; a rule
// without a level counts as informational.
func atLeast(rules []*sigma.Rule, min string) []*sigma.Rule {
	rank := func(l string) int {
		if i := slices.Index(hunt.Levels, l); i >= 0 {
			return i
		}
		return len(hunt.Levels) - 1
	}
	var out []*sigma.Rule
	for _, r := range rules {
		if rank(r.Level) <= rank(min) {
			out = append(out, r)
		}
	}
	return out
}

// reportDiagnostics prints each rule that failed to load and counts failures
// and intentional skips (correlation rules, filters).
func reportDiagnostics(w io.Writer, prefix string, diags []sigma.Diagnostic) (failed, skipped int) {
	for _, d := range diags {
		if d.Skipped {
			skipped++
			continue
		}
		failed++
		fmt.Fprintf(w, "%s%v\n", prefix, d)
	}
	return failed, skipped
}

// detectionWriter returns the function that prints one detection.
func detectionWriter(w io.Writer, format string) func(hunt.Detection) error {
	if format == "ndjson" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return func(d hunt.Detection) error { return enc.Encode(ndjsonDetection(d)) }
	}
	header := false
	return func(d hunt.Detection) error {
		if !header {
			header = true
			fmt.Fprintf(w, "%-20s  %-13s  %-58s  %-24s  %s\n",
				"TIME", "LEVEL", "RULE", "HOST", "SOURCE")
		}
		_, err := fmt.Fprintf(w, "%-20s  %-13s  %-58s  %-24s  %s\n",
			tableTime(d.Event.Time), d.Rule.Level, clip(d.Rule.Title, 58),
			clip(hostOf(d.Event), 24), d.Event.Source)
		return err
	}
}

// hostFields are where events name the host they come from, in order.
var hostFields = []event.Path{event.NewPath("Computer"), event.NewPath("host.name"),
	event.NewPath("host"), event.NewPath("Hostname"), event.NewPath("hostname")}

// hostOf returns the host an event comes from, "-" when it names none.
func hostOf(e *event.Event) string {
	for _, p := range hostFields {
		if v, ok := e.Lookup(p); ok {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	return "-"
}

type detectionJSON struct {
	RuleID    string         `json:"rule_id"`
	RuleTitle string         `json:"rule_title"`
	Level     string         `json:"level"`
	Tags      []string       `json:"tags"`
	Time      *time.Time     `json:"time"`
	Source    event.Source   `json:"source"`
	Event     map[string]any `json:"event"`
}

func ndjsonDetection(d hunt.Detection) detectionJSON {
	j := detectionJSON{
		RuleID: d.Rule.ID, RuleTitle: d.Rule.Title, Level: d.Rule.Level, Tags: d.Rule.Tags,
		Source: d.Event.Source, Event: d.Event.Fields,
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if !d.Event.Time.IsZero() {
		t := d.Event.Time.UTC()
		j.Time = &t
	}
	return j
}

func tableTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
