package sigma

import (
	"strconv"
	"strings"
	"time"
)

// Logsource is the log source a rule applies to, as written in its
// logsource section. Empty fields are unconstrained.
type Logsource struct {
	// Product, Category and Service are as in the rule's logsource section.
	Product, Category, Service string
}

// Rule is one loaded Sigma detection rule. Its exported fields are the rule's
// metadata; the compiled detection is kept unexported and is evaluated by a
// Ruleset. A Rule is immutable after Parse and safe for concurrent use.
type Rule struct {
	// ID, Title, Status, Description and Date are the rule's fields as
	// written; Author is joined with ", " when the rule lists several.
	ID, Title, Status, Description, Author, Date string
	// Level is lowercased: informational, low, medium, high or critical; ""
	// when the rule has none.
	Level string
	// Tags, References and Falsepositives are the rule's lists; nil when
	// absent.
	Tags           []string
	References     []string
	Falsepositives []string
	// Logsource is the rule's logsource, lowercased.
	Logsource Logsource
	// File and Line locate the start of the rule's YAML document; Line is
	// 1-based.
	File string
	Line int
	// FileSHA256 is the SHA-256, in lowercase hex, of the whole file (the
	// data given to Parse) the rule was read from: the version of the rule
	// as loaded, which a post-mortem's follow-up can point at.
	FileSHA256 string
	// GroupBy and GroupWindow come from the rule's custom attribute
	// "vigil: {group_by: [Computer, User], window: 1h}": the event fields
	// whose values group repeated matches into one alert, and how long a
	// group stays open after its latest match. Nil and zero when absent
	// (internal/detect then applies its defaults).
	GroupBy     []string
	GroupWindow time.Duration

	filter   *filter   // the resolved logsource; nil when unconstrained
	variants []variant // one per distinct field mapping of the logsource
}

// Diagnostic reports a rule document that was not loaded, with where and why.
// It implements error as "file:line:col: reason" (col omitted when 0).
type Diagnostic struct {
	// File is the path given to Load or Parse.
	File string
	// Line and Column are 1-based; Column is 0 when unknown.
	Line, Column int
	// RuleID and Title identify the rule when it got that far.
	RuleID string
	Title  string
	// Reason says what is wrong, e.g. `unknown modifier "foo" in field
	// "CommandLine|foo"`.
	Reason string
	// Skipped is true for documents intentionally not loaded (correlation
	// rules, filters): not a failure.
	Skipped bool
}

// Error renders the diagnostic as "file:line:col: reason".
func (d Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(d.Line))
		if d.Column > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(d.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(d.Reason)
	return b.String()
}

// Options configures Load and Parse. The zero value is ready to use.
type Options struct {
	// Logsources maps rule logsources to event conditions and field names;
	// nil means the built-in mapping (DefaultLogsourceMapping).
	Logsources *LogsourceMapping
	// Placeholders holds the values of the %name% placeholders that the
	// expand modifier substitutes. The Sigma specification requires a rule
	// whose placeholder has no values to be rejected, so such a rule is
	// reported as a Diagnostic.
	Placeholders map[string][]string
}
