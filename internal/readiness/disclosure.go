package readiness

import (
	"fmt"
	"strings"
	"time"
)

// Response is what the blue team did with an alert of an exercise: the
// first triage step recorded for it, and how long after the alert.
type Response struct {
	Action string
	After  time.Duration
}

// Disclosure writes the disclosure report of an exercise as Markdown: the
// exercise, then per run what the red team did (the scenario's steps),
// what the blue team saw (each expected detection, its time to detect and
// to respond) and missed, the other alerts, and the exercise's findings
// with their deadlines. responses maps an alert ID to the first response
// to it.
func Disclosure(e *Exercise, findings []Finding, responses map[int64]Response,
	now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Disclosure report: %s\n\n", md(e.Name))
	fmt.Fprintf(&b, "Exercise %d, %s, %s. Generated %s.\n\n", e.ID, e.Kind, e.Status,
		now.UTC().Format(time.RFC3339))
	if e.Scope != "" {
		fmt.Fprintf(&b, "**Scope:** %s\n\n", md(e.Scope))
	}
	if !e.Start.IsZero() || !e.End.IsZero() {
		fmt.Fprintf(&b, "**When:** %s to %s\n\n", stamp(e.Start), stamp(e.End))
	}
	if len(e.Objectives) > 0 {
		b.WriteString("**Objectives:**\n\n")
		for _, o := range e.Objectives {
			fmt.Fprintf(&b, "- %s\n", md(o))
		}
		b.WriteString("\n")
	}
	if len(e.Participants) > 0 {
		b.WriteString("**Participants:** ")
		for i, p := range e.Participants {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", md(p.Name), p.Side)
		}
		b.WriteString("\n\n")
	}
	if len(e.Runs) == 0 {
		b.WriteString("No run recorded yet.\n\n")
	}
	for _, r := range e.Runs {
		writeRun(&b, r, responses)
	}
	writeFindings(&b, findings, now)
	return b.String()
}

// writeRun writes the sections of one run.
func writeRun(b *strings.Builder, r Run, responses map[int64]Response) {
	fmt.Fprintf(b, "## Run %d: scenario %s\n\n", r.ID, md(r.Scenario))
	if r.Description != "" {
		fmt.Fprintf(b, "%s\n\n", md(r.Description))
	}
	fmt.Fprintf(b, "Replayed %s to %s at speed %g, recorded by %s. "+
		"Detected %d of %d expected; mean time to detect %s, longest %s.\n\n",
		stamp(r.Started), stamp(r.Finished), r.Speed, md(r.RecordedBy), r.Summary.Detected,
		r.Summary.Expected, millis(r.Summary.MeanTTDMillis), millis(r.Summary.MaxTTDMillis))

	b.WriteString("### What the red team did\n\n| # | at | step | events | sent |\n" +
		"|---|---|---|---|---|\n")
	for i, s := range r.Steps {
		fmt.Fprintf(b, "| %d | +%s | %s | %d | %s |\n", i+1, millis(s.AtMillis), md(s.Step),
			s.Events, stamp(s.Sent))
	}

	b.WriteString("\n### What the blue team saw\n\n" +
		"| expected detection | detected | alert | rule | after step | time to detect | " +
		"first response |\n|---|---|---|---|---|---|---|\n")
	var missed []Detection
	for _, d := range r.Detections {
		if !d.Detected {
			missed = append(missed, d)
			fmt.Fprintf(b, "| %s | **no** | | | | | |\n", md(d.Expect.Label()))
			continue
		}
		resp := "none yet"
		if x, ok := responses[d.AlertID]; ok {
			resp = fmt.Sprintf("%s after %s", x.Action, x.After.Round(time.Second))
		}
		fmt.Fprintf(b, "| %s | yes | #%d | %s | %s | %s | %s |\n", md(d.Expect.Label()),
			d.AlertID, md(d.RuleTitle), md(d.Step), millis(d.TTDMillis), resp)
	}

	b.WriteString("\n### What was missed\n\n")
	if len(missed) == 0 {
		b.WriteString("Nothing: every expected detection was raised.\n")
	}
	for _, d := range missed {
		what := "rule " + d.Expect.Rule
		if d.Expect.Tag != "" {
			what = "an alert tagged " + d.Expect.Tag
		}
		fmt.Fprintf(b, "- %s: no %s (finding severity %s)\n", md(d.Expect.Label()), md(what),
			d.Expect.Severity)
	}
	if len(r.Other) > 0 {
		b.WriteString("\n### Other alerts raised\n\n")
		for _, a := range r.Other {
			fmt.Fprintf(b, "- #%d %s (%s)\n", a.AlertID, md(a.RuleTitle), a.Level)
		}
	}
	b.WriteString("\n")
}

// writeFindings writes the findings section.
func writeFindings(b *strings.Builder, findings []Finding, now time.Time) {
	b.WriteString("## Findings\n\n")
	if len(findings) == 0 {
		b.WriteString("None recorded.\n")
		return
	}
	b.WriteString("| # | finding | severity | owner | due | state | overdue |\n" +
		"|---|---|---|---|---|---|---|\n")
	for _, f := range findings {
		over := "no"
		if f.Tracking.Overdue(now) {
			over = "**yes**"
		}
		owner := f.Owner
		if owner == "" {
			owner = "(unassigned)"
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s |\n", f.ID, md(f.Title), f.Severity,
			md(owner), f.Due.Format(time.DateOnly), f.State, over)
	}
}

// md makes user text safe inside a Markdown table cell or list item: no
// line breaks, pipes escaped, HTML brackets and link syntax neutralized.
func md(s string) string {
	r := strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;",
		"[", `\[`, "]", `\]`, "`", "'")
	return r.Replace(strings.TrimSpace(s))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func millis(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return fmt.Sprintf("%dms", ms)
	}
	return d.Round(10 * time.Millisecond).String()
}
