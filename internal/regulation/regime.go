package regulation

import (
	"fmt"
	"slices"
	"strings"
)

// Who owes a regime's duty (Regime.Holder).
const (
	// HolderProvider: the operator of Vigil must do it.
	HolderProvider = "provider"
	// HolderTenant: the tenant must do it itself (file a Form 8-K, report
	// to its financial supervisor). Vigil tracks the tenant's deadline so
	// that the provider's notice reaches the tenant in time with what the
	// tenant needs for its own report.
	HolderTenant = "tenant"
)

// How many obligations a regime makes (Regime.Per).
const (
	// PerTenant: one per affected tenant that the regime applies to.
	PerTenant = "tenant"
	// PerIncident: one for the incident, if the regime applies to at least
	// one affected tenant (or to the provider).
	PerIncident = "incident"
)

// Who must be told (Recipient.Party).
const (
	PartyTenant       = "tenant"        // the affected tenant (its designated administrators)
	PartyAuthority    = "authority"     // a supervisory authority, named in Recipient.Authority
	PartyDataSubjects = "data-subjects" // the individuals whose data is concerned
	PartyExecutives   = "executives"    // the provider's own executives
)

// Deadline kinds (Deadline.Kind).
const (
	// KindWithin: a fixed period (Deadline.Within) from the clock start.
	KindWithin = "within"
	// KindWithoutUndueDelay, KindAsSoonAsFeasible and KindImmediately have
	// no fixed period in the law; Deadline.Target is Vigil's documented
	// internal target, and Within, when set, the statutory outer limit.
	KindWithoutUndueDelay = "without-undue-delay"
	KindAsSoonAsFeasible  = "as-soon-as-feasible"
	KindImmediately       = "immediately"
)

var (
	holders       = sorted(HolderProvider, HolderTenant)
	pers          = sorted(PerTenant, PerIncident)
	parties       = sorted(PartyTenant, PartyAuthority, PartyDataSubjects, PartyExecutives)
	deadlineKinds = sorted(KindWithin, KindWithoutUndueDelay, KindAsSoonAsFeasible,
		KindImmediately)
)

// Source is where a regime's rule is written.
type Source struct {
	// Citation names the article or section: "Regulation (EU) 2016/679, Art. 33(2)".
	Citation string `json:"citation"`
	URL      string `json:"url"`
}

// Recipient is who must be told.
type Recipient struct {
	Party     string `json:"party"`               // one of the Party constants
	Authority string `json:"authority,omitempty"` // which authority, for PartyAuthority
}

// Conditions select profiles: each non-empty list must share a value with
// the profile (any of its values matches). Empty conditions match every
// profile.
type Conditions struct {
	// Jurisdictions are ISO 3166 codes, "EU" (any EU member state) or
	// "EEA" (EU plus Iceland, Liechtenstein, Norway). A country code also
	// matches its subdivisions: "US" matches a tenant in "US-NY".
	Jurisdictions []string `json:"jurisdictions,omitempty"`
	// Roles are from Roles.
	Roles []string `json:"roles,omitempty"`
	// DataCategories are from DataCategories.
	DataCategories []string `json:"data_categories,omitempty"`
}

// empty reports whether c has no condition.
func (c Conditions) empty() bool {
	return len(c.Jurisdictions) == 0 && len(c.Roles) == 0 && len(c.DataCategories) == 0
}

// Match reports whether p satisfies c, and if so the values that matched,
// for the explanation ("jurisdiction DE in EU", "role sec-registrant").
func (c Conditions) Match(p Profile) (bool, []string) {
	var why []string
	if len(c.Jurisdictions) > 0 {
		j, want, ok := matchJurisdiction(c.Jurisdictions, p.Jurisdictions)
		if !ok {
			return false, nil
		}
		if j == want {
			why = append(why, "jurisdiction "+j)
		} else {
			why = append(why, "jurisdiction "+j+" in "+want)
		}
	}
	for _, l := range []struct {
		name        string
		want, given []string
	}{{"role", c.Roles, p.Roles}, {"data category", c.DataCategories, p.DataCategories}} {
		if len(l.want) == 0 {
			continue
		}
		i := slices.IndexFunc(l.given, func(v string) bool { return slices.Contains(l.want, v) })
		if i < 0 {
			return false, nil
		}
		why = append(why, l.name+" "+l.given[i])
	}
	return true, why
}

// eeaOnly are the EEA states outside the EU.
var eeaOnly = []string{"IS", "LI", "NO"}

// InEEA reports whether code names a state of the European Economic Area.
func InEEA(code string) bool { return InEU(code) || slices.Contains(eeaOnly, code) }

// matchJurisdiction finds the first of the tenant's jurisdictions that one
// of the wanted codes covers.
func matchJurisdiction(want, given []string) (got, by string, ok bool) {
	for _, g := range given {
		for _, w := range want {
			switch {
			case w == g,
				w == "EU" && InEU(g),
				w == "EEA" && InEEA(g),
				!strings.Contains(w, "-") && strings.HasPrefix(g, w+"-"):
				return g, w, true
			}
		}
	}
	return "", "", false
}

// FactCondition is one incident fact a regime or stage needs.
type FactCondition struct {
	// Fact is the fact's name (FactNames).
	Fact string `json:"fact"`
	// Want is Yes or No, for event and yes-or-no facts.
	Want Truth `json:"want,omitempty"`
	// Over and AtLeast are thresholds for count facts (one of them).
	Over    *int64 `json:"over,omitempty"`
	AtLeast *int64 `json:"at_least,omitempty"`
	// ResidentsOf, for count facts, counts only residents of this
	// jurisdiction instead of the total.
	ResidentsOf string `json:"residents_of,omitempty"`
}

// Span is a length of time in one unit: "72h", "3d", "4bd", "1mo".
type Span struct {
	N    int    `json:"n"`
	Unit string `json:"unit"` // one of the Unit constants
}

// Clock is what starts a deadline: an incident fact with a time, or the
// sending of an earlier stage of the same regime.
type Clock struct {
	Fact  string `json:"fact,omitempty"`  // a fact name
	Stage string `json:"stage,omitempty"` // an earlier stage's ID
}

// String returns the clock as written in the catalog: "awareness" or
// "stage:initial".
func (c Clock) String() string {
	if c.Stage != "" {
		return "stage:" + c.Stage
	}
	return c.Fact
}

// Cap is a further limit: the deadline is never later than Within from
// From (DORA: 4 hours from classification, but at most 24 hours from
// awareness).
type Cap struct {
	Within Span  `json:"within"`
	From   Clock `json:"from"`
}

// Deadline is a stage's deadline rule.
type Deadline struct {
	// Kind is one of the Kind constants (KindWithin, ...).
	Kind string `json:"kind"`
	// Within is the statutory period; required for KindWithin, optional
	// (an outer limit) for the others.
	Within Span `json:"within,omitzero"`
	// From is the clock start.
	From Clock `json:"from"`
	// Target is Vigil's internal target; required unless Kind is
	// KindWithin.
	Target Span `json:"target,omitzero"`
	// Calendar names the holiday calendar for business-day units.
	Calendar string `json:"calendar,omitempty"`
	// Cutoff is the local time of day ("17:30") by which a business-day
	// deadline falls due; the default is the end of the day (23:59:59).
	Cutoff string `json:"cutoff,omitempty"`
	// Caps are further limits; the earliest wins.
	Caps []Cap `json:"caps,omitempty"`

	calendarLine int // where calendar is written, for the catalog check
}

// Stage is one report of a regime: early warning, notification, final
// report.
type Stage struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Notify, when set, replaces the regime's recipient for this stage
	// (the individuals after the authority).
	Notify *Recipient `json:"notify,omitempty"`
	// Facts are further conditions for this stage only (NYDFS: the
	// extortion notice needs a payment).
	Facts    []FactCondition `json:"facts,omitempty"`
	Deadline Deadline        `json:"deadline"`
	// Repeat makes the stage recurring: after each sending, the next is
	// due Repeat later (FedRAMP: daily updates), until Until is yes.
	Repeat Span   `json:"repeat,omitzero"`
	Until  string `json:"until,omitempty"`
	// Content lists the required content elements (ContentElements).
	Content []string `json:"content"`

	line int // where the stage starts in its file
}

// Regime is one entry of the catalog: a legal duty to tell someone about
// an incident.
type Regime struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Holder is who owes the duty (HolderProvider or HolderTenant).
	Holder string `json:"holder"`
	// Per is PerTenant or PerIncident.
	Per    string    `json:"per"`
	Notify Recipient `json:"notify"`
	// Sources cite the law; at least one.
	Sources []Source `json:"sources"`
	// Tenant conditions select affected tenants; Provider conditions test
	// the provider's own profile. Both must hold.
	Tenant   Conditions `json:"tenant,omitzero"`
	Provider Conditions `json:"provider,omitzero"`
	// Facts are the incident facts the duty needs (all of them).
	Facts  []FactCondition `json:"facts,omitempty"`
	Stages []Stage         `json:"stages"`
	// Notes explain choices and limits, in the catalog's words.
	Notes string `json:"notes,omitempty"`

	// File and Line say where the entry was loaded from.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Stage returns the stage with the ID, or false.
func (r *Regime) Stage(id string) (*Stage, bool) {
	for i := range r.Stages {
		if r.Stages[i].ID == id {
			return &r.Stages[i], true
		}
	}
	return nil, false
}

// Brief says the regime's trigger in one line, for listings: "tenant:
// EEA, personal; personal_data=yes, provider_controller=no".
func (r *Regime) Brief() string {
	var parts []string
	for _, c := range []struct {
		who  string
		cond Conditions
	}{{"tenant", r.Tenant}, {"provider", r.Provider}} {
		var vals []string
		vals = append(vals, c.cond.Jurisdictions...)
		vals = append(vals, c.cond.Roles...)
		vals = append(vals, c.cond.DataCategories...)
		if len(vals) > 0 {
			parts = append(parts, c.who+": "+strings.Join(vals, " "))
		}
	}
	var facts []string
	for _, f := range r.Facts {
		facts = append(facts, f.brief())
	}
	if len(facts) > 0 {
		parts = append(parts, strings.Join(facts, ", "))
	}
	if len(parts) == 0 {
		return "any incident"
	}
	return strings.Join(parts, "; ")
}

func (fc FactCondition) brief() string {
	var s string
	switch {
	case fc.Over != nil:
		s = fmt.Sprintf("%s>%d", fc.Fact, *fc.Over)
	case fc.AtLeast != nil:
		s = fmt.Sprintf("%s>=%d", fc.Fact, *fc.AtLeast)
	default:
		return fc.Fact + "=" + string(fc.Want)
	}
	if fc.ResidentsOf != "" {
		s += " in " + fc.ResidentsOf
	}
	return s
}

// Brief says the stage's deadline in one line, for listings: "4h from
// classification, at most 24h from awareness".
func (st *Stage) Brief() string {
	d := st.Deadline
	var b strings.Builder
	if d.Kind == KindWithin {
		b.WriteString(d.Within.String())
	} else {
		b.WriteString(d.Kind + " (target " + d.Target.String())
		if !d.Within.IsZero() {
			b.WriteString(", at most " + d.Within.String())
		}
		b.WriteString(")")
	}
	b.WriteString(" from " + d.From.String())
	if d.Calendar != "" {
		b.WriteString(" [" + d.Calendar)
		if d.Cutoff != "" {
			b.WriteString(" " + d.Cutoff)
		}
		b.WriteString("]")
	}
	for _, c := range d.Caps {
		b.WriteString(", at most " + c.Within.String() + " from " + c.From.String())
	}
	if !st.Repeat.IsZero() {
		b.WriteString(", then every " + st.Repeat.String())
		if st.Until != "" {
			b.WriteString(" until " + st.Until)
		}
	}
	for _, f := range st.Facts {
		b.WriteString(" if " + f.brief())
	}
	return b.String()
}
