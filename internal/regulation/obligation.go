package regulation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is what the computation says of an obligation.
type Status string

// Obligation statuses.
const (
	// StatusDue: every trigger holds and the clock runs; Deadline is set.
	StatusDue Status = "due"
	// StatusPossible: no trigger is negated but some are unknown (listed
	// in Unknown); the clock runs and Deadline is when it would fall due.
	StatusPossible Status = "possible"
	// StatusClockNotStarted: the fact that starts the clock is unknown.
	StatusClockNotStarted Status = "clock-not-started"
	// StatusNotRequired: a trigger is explicitly negated; Reason says which.
	StatusNotRequired Status = "not-required"
)

// Key identifies an obligation: one per regime, stage and tenant (empty
// for a regime that makes one obligation per incident), and occurrence
// for recurring stages (1, 2, ...; 0 for the others).
type Key struct {
	Regime     string `json:"regime"`
	Stage      string `json:"stage"`
	Tenant     string `json:"tenant,omitempty"`
	Occurrence int    `json:"occurrence,omitempty"`
}

// String returns "regime/stage", then "@tenant" and "#occurrence" when set.
func (k Key) String() string {
	s := k.Regime + "/" + k.Stage
	if k.Tenant != "" {
		s += "@" + k.Tenant
	}
	if k.Occurrence > 0 {
		s += "#" + strconv.Itoa(k.Occurrence)
	}
	return s
}

func (k Key) compare(o Key) int {
	if c := strings.Compare(k.Regime, o.Regime); c != 0 {
		return c
	}
	if c := strings.Compare(k.Tenant, o.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(k.Stage, o.Stage); c != 0 {
		return c
	}
	return k.Occurrence - o.Occurrence
}

// Obligation is one notification an incident calls for: to whom, under
// which regime and stage, by when, and why.
type Obligation struct {
	Key       Key       `json:"key"`
	Regime    string    `json:"regime_name"`
	Version   string    `json:"regime_version"`
	Stage     string    `json:"stage_name"`
	Holder    string    `json:"holder"`
	Recipient Recipient `json:"recipient"`
	Status    Status    `json:"status"`
	// Deadline is when it falls due, in UTC: the statutory deadline, or
	// Vigil's internal target when the law sets no fixed period
	// (Statutory false). Zero when the clock has not started or it is
	// not required.
	Deadline  time.Time `json:"deadline,omitzero"`
	Statutory bool      `json:"statutory"`
	// Zone is the time zone the deadline is counted in (business days);
	// empty means the deadline is a fixed number of hours from the clock
	// start, in UTC.
	Zone string `json:"zone,omitempty"`
	// Target is Vigil's internal target, when the regime sets one.
	Target time.Time `json:"target,omitzero"`
	// ClockStart is when the clock started, from Clock ("awareness",
	// "stage:initial").
	ClockStart time.Time `json:"clock_start,omitzero"`
	Clock      string    `json:"clock"`
	// Provisional is true when the clock starts at an earlier stage's
	// deadline because that stage has not been sent yet.
	Provisional bool `json:"provisional,omitempty"`
	// Rule is the deadline rule in words.
	Rule string `json:"rule"`
	// Triggers are the profile values and facts that made it apply.
	Triggers []string `json:"triggers"`
	// Unknown are the facts still unknown that decide it.
	Unknown []string `json:"unknown,omitempty"`
	// Reason says why it is not required or why the clock has not
	// started.
	Reason  string   `json:"reason,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	Content []string `json:"content"`
	Sources []Source `json:"sources"`
	// Repeat is the interval of a recurring stage.
	Repeat string `json:"repeat,omitempty"`
}

// Explain returns the obligation in readable lines: what, to whom, the
// deadline and its rule, and why.
func (o Obligation) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %s (holder: %s) to %s: %s\n", o.Key, o.Regime, o.Stage, o.Holder,
		o.Recipient.describe(o.Key.Tenant), o.Status)
	if !o.Deadline.IsZero() {
		kind := "statutory deadline"
		if !o.Statutory {
			kind = "internal target (no fixed period in the law)"
		}
		fmt.Fprintf(&b, "  %s %s", kind, formatUTC(o.Deadline))
		if o.Zone != "" {
			fmt.Fprintf(&b, " = %s", formatLocal(o.Deadline, o.Zone))
		}
		b.WriteString("\n")
		if o.Statutory && !o.Target.IsZero() {
			fmt.Fprintf(&b, "  internal target %s\n", formatUTC(o.Target))
		}
	}
	fmt.Fprintf(&b, "  rule: %s\n", o.Rule)
	for _, t := range o.Triggers {
		fmt.Fprintf(&b, "  because %s\n", t)
	}
	if len(o.Unknown) > 0 {
		fmt.Fprintf(&b, "  still unknown: %s\n", strings.Join(o.Unknown, ", "))
	}
	if o.Reason != "" {
		fmt.Fprintf(&b, "  %s\n", o.Reason)
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	return b.String()
}

func (r Recipient) describe(tenant string) string {
	switch r.Party {
	case PartyAuthority:
		return r.Authority
	case PartyTenant:
		return "tenant " + tenant
	}
	return r.Party
}

// ChangeKind says how an obligation changed between two computations.
type ChangeKind string

// Change kinds.
const (
	ChangeAdded   ChangeKind = "added"
	ChangeRemoved ChangeKind = "removed"
	ChangeChanged ChangeKind = "changed"
)

// Change is one difference between two computations: an obligation added,
// removed, or changed in the listed fields.
type Change struct {
	Kind   ChangeKind  `json:"kind"`
	Key    Key         `json:"key"`
	Old    *Obligation `json:"old,omitempty"`
	New    *Obligation `json:"new,omitempty"`
	Fields []string    `json:"fields,omitempty"`
}

// String says the change in one line, for the audit trail.
func (c Change) String() string {
	switch c.Kind {
	case ChangeAdded:
		return fmt.Sprintf("added %s: %s%s", c.Key, c.New.Status, deadlineText(c.New))
	case ChangeRemoved:
		return fmt.Sprintf("removed %s (was %s%s)", c.Key, c.Old.Status, deadlineText(c.Old))
	}
	return fmt.Sprintf("changed %s: %s: %s%s -> %s%s", c.Key, strings.Join(c.Fields, ", "),
		c.Old.Status, deadlineText(c.Old), c.New.Status, deadlineText(c.New))
}

func deadlineText(o *Obligation) string {
	if o.Deadline.IsZero() {
		return ""
	}
	return " by " + formatUTC(o.Deadline)
}

// Diff compares two computations (each sorted by key, as Compute returns
// them) and lists what was added, removed and changed, by key.
func Diff(old, cur []Obligation) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || i < len(old) && old[i].Key.compare(cur[j].Key) < 0:
			out = append(out, Change{Kind: ChangeRemoved, Key: old[i].Key, Old: &old[i]})
			i++
		case i == len(old) || old[i].Key.compare(cur[j].Key) > 0:
			out = append(out, Change{Kind: ChangeAdded, Key: cur[j].Key, New: &cur[j]})
			j++
		default:
			if f := changedFields(old[i], cur[j]); len(f) > 0 {
				out = append(out, Change{Kind: ChangeChanged, Key: cur[j].Key, Old: &old[i],
					New: &cur[j], Fields: f})
			}
			i++
			j++
		}
	}
	return out
}

// changedFields names the fields that differ, in a fixed order.
func changedFields(a, b Obligation) []string {
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("status", a.Status != b.Status)
	add("deadline", !a.Deadline.Equal(b.Deadline) || a.Statutory != b.Statutory)
	add("target", !a.Target.Equal(b.Target))
	add("clock_start", !a.ClockStart.Equal(b.ClockStart) || a.Clock != b.Clock ||
		a.Provisional != b.Provisional)
	add("reason", a.Reason != b.Reason)
	add("unknown", !slices.Equal(a.Unknown, b.Unknown))
	add("triggers", !slices.Equal(a.Triggers, b.Triggers))
	add("regime_version", a.Version != b.Version)
	return f
}
