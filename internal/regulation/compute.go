package regulation

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tenant is an affected tenant as the computation sees it.
type Tenant struct {
	ID      string
	Name    string
	Profile Profile
	// Facts override the incident's facts for this tenant (personal data
	// of this tenant involved; the tenant's own classification as major).
	Facts Facts
}

// Input is everything an obligation computation depends on; the same
// Input always gives the same obligations.
type Input struct {
	// Facts are the incident's facts.
	Facts Facts
	// Provider is the provider's own profile, for regimes that bind the
	// provider itself (its NIS2 duties as a cloud provider).
	Provider Profile
	// Tenants are the affected tenants.
	Tenants []Tenant
	// Sent holds when stages were sent, by key: a later stage's clock
	// (stage:ID) and a recurring stage's next occurrence count from it.
	Sent map[Key]time.Time
}

// validate checks the facts, the profiles and that tenant IDs are unique.
func (in Input) validate() error {
	if err := in.Facts.Validate(); err != nil {
		return err
	}
	if err := in.Provider.Validate(); err != nil {
		return fmt.Errorf("provider profile: %w", err)
	}
	seen := map[string]bool{}
	for _, t := range in.Tenants {
		switch {
		case t.ID == "":
			return fmt.Errorf("tenant with no ID")
		case seen[t.ID]:
			return fmt.Errorf("tenant %s listed twice", t.ID)
		}
		seen[t.ID] = true
		if err := t.Profile.Validate(); err != nil {
			return fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		if err := t.Facts.Validate(); err != nil {
			return fmt.Errorf("tenant %s: %w", t.ID, err)
		}
	}
	return nil
}

// Compute returns the obligations of an incident, sorted by key: one per
// regime, stage and affected tenant the regime applies to (or one per
// regime and stage for regimes per incident). Regimes whose profile
// conditions no affected tenant meets make none.
func (c *Catalog) Compute(in Input) ([]Obligation, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("compute obligations: %w", err)
	}
	// Tenants in ID order, so that the input's order changes nothing.
	tenants := slices.Clone(in.Tenants)
	slices.SortFunc(tenants, func(a, b Tenant) int { return strings.Compare(a.ID, b.ID) })
	var out []Obligation
	for _, re := range c.Regimes() {
		var provWhy []string
		if !re.Provider.empty() {
			ok, why := re.Provider.Match(in.Provider)
			if !ok {
				continue
			}
			provWhy = prefixAll("provider: ", why)
		}
		var subjects []subject
		for _, t := range tenants {
			if ok, why := re.Tenant.Match(t.Profile); ok {
				subjects = append(subjects, subject{tenant: t, why: why,
					facts: in.Facts.with(t.Facts)})
			}
		}
		if len(in.Tenants) == 0 && re.Tenant.empty() && !re.Provider.empty() {
			subjects = []subject{{facts: in.Facts}}
		}
		if re.Per == PerTenant {
			for _, s := range subjects {
				out = append(out, c.regimeObligations(re, []subject{s}, s.tenant.ID, provWhy,
					in.Sent)...)
			}
		} else if len(subjects) > 0 {
			out = append(out, c.regimeObligations(re, subjects, "", provWhy, in.Sent)...)
		}
	}
	slices.SortFunc(out, func(a, b Obligation) int { return a.Key.compare(b.Key) })
	return out, nil
}

// subject is one tenant a regime applies to, with the profile values that
// matched and its facts (the incident's, overridden by the tenant's).
type subject struct {
	tenant Tenant
	why    []string
	facts  Facts
}

func prefixAll(p string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = p + v
	}
	return out
}

// regimeObligations computes every stage of re for the subjects (one for
// a regime per tenant; all matching tenants for a regime per incident,
// where the earliest deadline among them counts).
func (c *Catalog) regimeObligations(re *Regime, subjects []subject, tenantID string,
	provWhy []string, sent map[Key]time.Time) []Obligation {
	var out []Obligation
	// per subject, the obligations of the stages computed so far, for
	// stage clocks
	done := make([]map[string]Obligation, len(subjects))
	for i := range done {
		done[i] = map[string]Obligation{}
	}
	for si := range re.Stages {
		st := &re.Stages[si]
		var best Obligation
		for i, s := range subjects {
			ob := c.stageObligation(re, st, s, tenantID, sent, done[i])
			done[i][st.ID] = ob
			ob.Triggers = append(slices.Clone(provWhy), ob.Triggers...)
			if i == 0 || better(ob, best) {
				best = ob
			}
		}
		if len(subjects) > 1 {
			best.Triggers = mergeTenantTriggers(best, subjects, provWhy)
		}
		out = append(out, best)
	}
	return out
}

// better reports whether a should stand for an incident-wide obligation
// rather than b: due before possible before clock-not-started before
// not-required, then the earlier deadline.
func better(a, b Obligation) bool {
	rank := map[Status]int{StatusDue: 0, StatusPossible: 1, StatusClockNotStarted: 2,
		StatusNotRequired: 3}
	if rank[a.Status] != rank[b.Status] {
		return rank[a.Status] < rank[b.Status]
	}
	return !a.Deadline.IsZero() && a.Deadline.Before(b.Deadline)
}

// mergeTenantTriggers lists, for an incident-wide obligation, every tenant
// that makes the regime apply, then the facts of the chosen computation.
func mergeTenantTriggers(best Obligation, subjects []subject, provWhy []string) []string {
	out := slices.Clone(provWhy)
	for _, s := range subjects {
		out = append(out, tenantWhy(s))
	}
	for _, t := range best.Triggers {
		if !strings.HasPrefix(t, "tenant ") && !strings.HasPrefix(t, "provider: ") {
			out = append(out, t)
		}
	}
	return out
}

func tenantWhy(s subject) string {
	name := s.tenant.ID
	if s.tenant.Name != "" {
		name += " (" + s.tenant.Name + ")"
	}
	if len(s.why) == 0 {
		return "tenant " + name + " is affected"
	}
	return "tenant " + name + ": " + strings.Join(s.why, ", ")
}

// stageObligation computes one stage for one subject.
func (c *Catalog) stageObligation(re *Regime, st *Stage, s subject, tenantID string,
	sent map[Key]time.Time, done map[string]Obligation) Obligation {
	ob := Obligation{
		Key:    Key{Regime: re.ID, Stage: st.ID, Tenant: tenantID},
		Regime: re.Name, Version: re.Version, Stage: st.Name, Holder: re.Holder,
		Recipient: re.Notify, Content: slices.Clone(st.Content),
		Sources: slices.Clone(re.Sources), Clock: st.Deadline.From.String(),
		Repeat: st.Repeat.String(),
	}
	if st.Notify != nil {
		ob.Recipient = *st.Notify
	}
	if s.tenant.ID != "" {
		ob.Triggers = append(ob.Triggers, tenantWhy(s))
	}
	conds := append(slices.Clone(re.Facts), st.Facts...)
	for _, fc := range conds {
		switch t, text := fc.test(s.facts); t {
		case Yes:
			ob.Triggers = append(ob.Triggers, text)
		case No:
			ob.Status = StatusNotRequired
			ob.Reason = "not required: " + text
			ob.Rule = c.describeRule(st)
			return ob
		default:
			ob.Unknown = append(ob.Unknown, fc.Fact)
		}
	}
	if st.Repeat.IsZero() {
		c.schedule(&ob, st, s.facts, sent, done)
	} else {
		c.scheduleRepeat(&ob, st, s.facts, sent, done)
	}
	return ob
}

// test evaluates the condition against the facts: Yes when met, No when
// negated, Unknown otherwise; text describes the fact.
func (fc FactCondition) test(fs Facts) (Truth, string) {
	f := fs[fc.Fact]
	text := f.describe(fc.Fact)
	if factKinds[fc.Fact] != KindCount {
		switch f.Truth {
		case Unknown:
			return Unknown, text
		case fc.Want:
			return Yes, text
		}
		return No, text
	}
	n, known := f.Count, f.Truth == Yes
	what := "affected individuals"
	if fc.ResidentsOf != "" {
		n, known = f.Residents[fc.ResidentsOf]
		what = "affected residents of " + fc.ResidentsOf
	}
	if !known {
		return Unknown, text
	}
	var ok bool
	var want string
	if fc.Over != nil {
		ok, want = n > *fc.Over, fmt.Sprintf("more than %d", *fc.Over)
	} else {
		ok, want = n >= *fc.AtLeast, fmt.Sprintf("at least %d", *fc.AtLeast)
	}
	text = fmt.Sprintf("%s %d (threshold: %s); %s", what, n, want, text)
	if ok {
		return Yes, text
	}
	return No, text
}

// clockStart resolves a clock: the fact's time, or when an earlier stage
// was sent, or that stage's deadline (provisional). ok is false when it
// has not started; why says so.
func clockStart(cl Clock, fs Facts, key Key, sent map[Key]time.Time,
	done map[string]Obligation) (start time.Time, provisional bool, why string, ok bool) {
	if cl.Stage != "" {
		k := key
		k.Stage, k.Occurrence = cl.Stage, 0
		if at, ok := sent[k]; ok {
			return at, false, "stage " + cl.Stage + " sent at " + formatUTC(at), true
		}
		prev := done[cl.Stage]
		if prev.Deadline.IsZero() {
			return time.Time{}, false, "stage " + cl.Stage + " has no deadline yet", false
		}
		return prev.Deadline, true, "the deadline of stage " + cl.Stage + " (not sent yet)", true
	}
	f := fs[cl.Fact]
	switch {
	case f.Truth == Yes && !f.At.IsZero():
		return f.At, false, cl.Fact + " at " + formatUTC(f.At), true
	case f.Truth == Yes:
		return time.Time{}, false, cl.Fact + " is yes but its time is not recorded", false
	case f.Truth == No:
		return time.Time{}, false, cl.Fact + " was recorded as no", false
	}
	return time.Time{}, false, cl.Fact + " is unknown", false
}
