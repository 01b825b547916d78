package regulation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var idSyntax = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func checkID(s string) error {
	if !idSyntax.MatchString(s) {
		return fmt.Errorf("%q: want lowercase letters, digits and dashes (at most 63)", s)
	}
	return nil
}

// regimeKeys are the keys of a regime file; see docs/regulations.md.
var regimeKeys = []string{"id", "name", "version", "holder", "per", "notify", "sources",
	"tenant", "provider", "facts", "stages", "notes", "disabled"}

// ParseRegime reads one regime file. A file with "disabled: true" (and an
// id) removes the regime of that id from the catalog it extends; its
// Regime has only ID set, and disabled is true. The error is an Errors
// listing every fault found.
func ParseRegime(data []byte, file string) (re *Regime, disabled bool, err error) {
	r := &reader{file: file}
	m := r.root(data)
	if m == nil {
		return nil, false, r.errs
	}
	f, ok := r.fields(m, "", regimeKeys, nil)
	if !ok {
		return nil, false, r.errs
	}
	if f["disabled"] != nil {
		return r.disabled(m, f)
	}
	r.require(m, f, "", "id", "name", "version", "holder", "per", "notify", "sources", "stages")
	re = &Regime{File: file, Line: m.Line}
	if id, ok := r.str(f["id"], "id"); ok {
		if err := checkID(id); err != nil {
			r.fail(f["id"], "id", "%v", err)
		}
		re.ID = id
	}
	re.Name, _ = r.str(f["name"], "name")
	re.Version, _ = r.str(f["version"], "version")
	re.Holder, _ = r.oneOf(f["holder"], "holder", holders)
	re.Per, _ = r.oneOf(f["per"], "per", pers)
	if f["notes"] != nil {
		re.Notes, _ = r.str(f["notes"], "notes")
	}
	re.Notify = r.recipient(f["notify"], "notify")
	re.Sources = r.sources(f["sources"])
	re.Tenant = r.conditions(f["tenant"], "tenant")
	re.Provider = r.conditions(f["provider"], "provider")
	re.Facts = r.factConditions(f["facts"], "facts")
	re.Stages = r.stages(f["stages"])
	if len(r.errs) > 0 {
		r.errs.sort()
		return nil, false, r.errs
	}
	return re, false, nil
}

// disabled reads a file that removes a regime: only id and disabled.
func (r *reader) disabled(m *yaml.Node, f map[string]*yaml.Node) (*Regime, bool, error) {
	for _, k := range sortedKeys(f) {
		if k != "id" && k != "disabled" {
			r.fail(f[k], k, "a disabled entry has only id and disabled")
		}
	}
	r.require(m, f, "", "id")
	id, _ := r.str(f["id"], "id")
	v, _ := r.str(f["disabled"], "disabled")
	if v != "true" {
		r.fail(f["disabled"], "disabled", "%q: want true (leave it out to keep the regime)", v)
	}
	if len(r.errs) > 0 {
		return nil, false, r.errs
	}
	return &Regime{ID: id, File: r.file, Line: m.Line}, true, nil
}

func (r *reader) recipient(n *yaml.Node, path string) Recipient {
	if n == nil {
		return Recipient{}
	}
	f, ok := r.fields(n, path, []string{"party", "authority"}, []string{"party"})
	if !ok {
		return Recipient{}
	}
	var rc Recipient
	rc.Party, _ = r.oneOf(f["party"], path+".party", parties)
	switch {
	case rc.Party == PartyAuthority && f["authority"] == nil:
		r.fail(n, path+".authority", "missing (required when party is authority)")
	case rc.Party != PartyAuthority && f["authority"] != nil:
		r.fail(f["authority"], path+".authority", "only for party authority")
	case f["authority"] != nil:
		rc.Authority, _ = r.str(f["authority"], path+".authority")
	}
	return rc
}

func (r *reader) sources(n *yaml.Node) []Source {
	items := r.items(n, "sources")
	if n != nil && len(items) == 0 && n.Kind == yaml.SequenceNode {
		r.fail(n, "sources", "list at least one source")
	}
	var out []Source
	for i, it := range items {
		if src, ok := r.source(it, fmt.Sprintf("sources[%d]", i)); ok {
			out = append(out, src)
		}
	}
	return out
}

// source reads one {citation, url}.
func (r *reader) source(n *yaml.Node, path string) (Source, bool) {
	f, ok := r.fields(n, path, []string{"citation", "url"}, []string{"citation", "url"})
	if !ok {
		return Source{}, false
	}
	var s Source
	s.Citation, _ = r.str(f["citation"], path+".citation")
	if u, ok := r.str(f["url"], path+".url"); ok {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			r.fail(f["url"], path+".url", "%q: want an http(s) address", u)
		}
		s.URL = u
	}
	return s, s.Citation != "" && s.URL != ""
}

func checkJurisdiction(j string) error {
	if j == "EU" || j == "EEA" {
		return nil
	}
	return CheckJurisdiction(j)
}

func (r *reader) conditions(n *yaml.Node, path string) Conditions {
	if n == nil {
		return Conditions{}
	}
	f, ok := r.fields(n, path, []string{"jurisdictions", "roles", "data_categories"}, nil)
	if !ok {
		return Conditions{}
	}
	return Conditions{
		Jurisdictions: r.list(f["jurisdictions"], path+".jurisdictions", checkJurisdiction),
		Roles: r.list(f["roles"], path+".roles", func(v string) error {
			return oneOfErr(v, Roles)
		}),
		DataCategories: r.list(f["data_categories"], path+".data_categories",
			func(v string) error { return oneOfErr(v, DataCategories) }),
	}
}

// factConditions reads a map of fact name to yes, no, or for counts
// {over: N} / {at_least: N} with an optional residents_of.
func (r *reader) factConditions(n *yaml.Node, path string) []FactCondition {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.fail(n, path, "want a map of fact names to yes, no or a threshold")
		return nil
	}
	var out []FactCondition
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		kind := factKinds[k.Value]
		if kind == 0 {
			r.fail(k, field, "unknown fact; want one of %s", strings.Join(FactNames(), ", "))
			continue
		}
		if slices.ContainsFunc(out, func(c FactCondition) bool { return c.Fact == k.Value }) {
			r.fail(k, field, "fact given twice")
			continue
		}
		if kind == KindCount {
			if c, ok := r.threshold(v, field); ok {
				c.Fact = k.Value
				out = append(out, c)
			}
			continue
		}
		s, ok := r.str(v, field)
		switch {
		case !ok:
		case s == "yes" || s == "true":
			out = append(out, FactCondition{Fact: k.Value, Want: Yes})
		case s == "no" || s == "false":
			out = append(out, FactCondition{Fact: k.Value, Want: No})
		default:
			r.fail(v, field, "%q: want yes or no", s)
		}
	}
	return out
}

func (r *reader) threshold(n *yaml.Node, field string) (FactCondition, bool) {
	f, ok := r.fields(n, field, []string{"over", "at_least", "residents_of"}, nil)
	if !ok {
		return FactCondition{}, false
	}
	var c FactCondition
	if (f["over"] == nil) == (f["at_least"] == nil) {
		r.fail(n, field, "give exactly one of over and at_least")
		return c, false
	}
	if f["over"] != nil {
		v, ok := r.integer(f["over"], field+".over")
		if !ok {
			return c, false
		}
		c.Over = &v
	} else {
		v, ok := r.integer(f["at_least"], field+".at_least")
		if !ok {
			return c, false
		}
		c.AtLeast = &v
	}
	if f["residents_of"] != nil {
		v, ok := r.str(f["residents_of"], field+".residents_of")
		if !ok {
			return c, false
		}
		if err := CheckJurisdiction(v); err != nil {
			r.fail(f["residents_of"], field+".residents_of", "%v", err)
			return c, false
		}
		c.ResidentsOf = v
	}
	return c, true
}

var stageKeys = []string{"id", "name", "notify", "facts", "deadline", "repeat", "until",
	"content"}

func (r *reader) stages(n *yaml.Node) []Stage {
	items := r.items(n, "stages")
	if n != nil && n.Kind == yaml.SequenceNode && len(items) == 0 {
		r.fail(n, "stages", "list at least one stage")
	}
	var out []Stage
	for i, it := range items {
		path := fmt.Sprintf("stages[%d]", i)
		f, ok := r.fields(it, path, stageKeys, []string{"id", "name", "deadline", "content"})
		if !ok {
			continue
		}
		st := Stage{line: it.Line}
		if id, ok := r.str(f["id"], path+".id"); ok {
			if err := checkID(id); err != nil {
				r.fail(f["id"], path+".id", "%v", err)
			} else if slices.ContainsFunc(out, func(s Stage) bool { return s.ID == id }) {
				r.fail(f["id"], path+".id", "stage %q given twice", id)
			}
			st.ID = id
		}
		st.Name, _ = r.str(f["name"], path+".name")
		if f["notify"] != nil {
			rc := r.recipient(f["notify"], path+".notify")
			st.Notify = &rc
		}
		st.Facts = r.factConditions(f["facts"], path+".facts")
		st.Deadline = r.deadline(f["deadline"], path+".deadline", out)
		st.Content = r.list(f["content"], path+".content", func(v string) error {
			return oneOfErr(v, ContentElements())
		})
		if f["content"] != nil && len(st.Content) == 0 && f["content"].Kind == yaml.SequenceNode {
			r.fail(f["content"], path+".content", "list at least one content element")
		}
		r.repeat(f, path, &st)
		out = append(out, st)
	}
	return out
}

// repeat reads the recurring part of a stage: repeat and until.
func (r *reader) repeat(f map[string]*yaml.Node, path string, st *Stage) {
	if f["repeat"] != nil {
		if s, ok := r.span(f["repeat"], path+".repeat"); ok {
			if s.Unit == UnitBusinessDays || s.Unit == UnitMonths {
				r.fail(f["repeat"], path+".repeat", "%s: repeat in min, h or d", s)
			}
			st.Repeat = s
		}
	}
	if f["until"] != nil {
		if f["repeat"] == nil {
			r.fail(f["until"], path+".until", "only with repeat")
		}
		if v, ok := r.str(f["until"], path+".until"); ok {
			if factKinds[v] != KindEvent {
				r.fail(f["until"], path+".until", "%q: want an event fact such as %s", v,
					FactResolved)
			}
			st.Until = v
		}
	}
}

var deadlineKeys = []string{"kind", "within", "from", "target", "calendar", "cutoff", "caps"}

func (r *reader) deadline(n *yaml.Node, path string, earlier []Stage) Deadline {
	var d Deadline
	if n == nil {
		return d
	}
	f, ok := r.fields(n, path, deadlineKeys, []string{"kind", "from"})
	if !ok {
		return d
	}
	d.Kind, _ = r.oneOf(f["kind"], path+".kind", deadlineKinds)
	if f["within"] != nil {
		d.Within, _ = r.span(f["within"], path+".within")
	}
	if f["target"] != nil {
		d.Target, _ = r.span(f["target"], path+".target")
	}
	switch {
	case d.Kind == KindWithin && f["within"] == nil:
		r.fail(n, path+".within", "missing (required for kind within)")
	case d.Kind != "" && d.Kind != KindWithin && f["target"] == nil:
		r.fail(n, path+".target", "missing (kind %s needs Vigil's internal target)", d.Kind)
	}
	d.From, _ = r.clock(f["from"], path+".from", earlier)
	for i, c := range r.items(f["caps"], path+".caps") {
		cp := fmt.Sprintf("%s.caps[%d]", path, i)
		cf, ok := r.fields(c, cp, []string{"within", "from"}, []string{"within", "from"})
		if !ok {
			continue
		}
		var cp2 Cap
		cp2.Within, _ = r.span(cf["within"], cp+".within")
		cp2.From, _ = r.clock(cf["from"], cp+".from", earlier)
		d.Caps = append(d.Caps, cp2)
	}
	r.calendarFields(f, path, &d)
	return d
}

// calendarFields reads calendar and cutoff, which business days need and
// nothing else may have.
func (r *reader) calendarFields(f map[string]*yaml.Node, path string, d *Deadline) {
	bd := d.Within.Unit == UnitBusinessDays || d.Target.Unit == UnitBusinessDays ||
		slices.ContainsFunc(d.Caps, func(c Cap) bool { return c.Within.Unit == UnitBusinessDays })
	if f["calendar"] != nil {
		d.Calendar, _ = r.str(f["calendar"], path+".calendar")
		d.calendarLine = f["calendar"].Line
		if !bd {
			r.fail(f["calendar"], path+".calendar", "only for business-day (bd) durations")
		}
	} else if bd {
		r.fail(f["within"], path+".calendar", "missing (business days need a holiday calendar)")
	}
	if f["cutoff"] != nil {
		if v, ok := r.str(f["cutoff"], path+".cutoff"); ok {
			if _, err := parseCutoff(v); err != nil {
				r.fail(f["cutoff"], path+".cutoff", "%v", err)
			}
			d.Cutoff = v
		}
		if !bd {
			r.fail(f["cutoff"], path+".cutoff", "only for business-day (bd) durations")
		}
	}
}

// clock reads a clock start: a fact with a time, or stage:ID of an
// earlier stage.
func (r *reader) clock(n *yaml.Node, field string, earlier []Stage) (Clock, bool) {
	v, ok := r.str(n, field)
	if !ok {
		return Clock{}, false
	}
	if id, ok := strings.CutPrefix(v, "stage:"); ok {
		if !slices.ContainsFunc(earlier, func(s Stage) bool { return s.ID == id }) {
			r.fail(n, field, "%q: no earlier stage %q in this regime", v, id)
			return Clock{}, false
		}
		return Clock{Stage: id}, true
	}
	if k := factKinds[v]; k != KindEvent && k != KindBool {
		r.fail(n, field, "unknown clock start %q; want a fact with a time (%s) or stage:ID",
			v, strings.Join(clockFacts(), ", "))
		return Clock{}, false
	}
	return Clock{Fact: v}, true
}

// clockFacts are the facts a clock may start from.
func clockFacts() []string {
	var out []string
	for _, n := range FactNames() {
		if factKinds[n] != KindCount {
			out = append(out, n)
		}
	}
	return out
}
