package anomaly

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/detect"
)

// observeParams runs the new-value model on a message's template
// parameters and the event's watched fields.
func (d *Detector) observeParams(s *service, ev *observation, m Match, tune Tuning,
	out []detect.ModelAlert) []detect.ModelAlert {
	tokens := splitTemplate(m.Template)
	p := 0
	for pos, tok := range tokens {
		if !strings.Contains(tok, Wildcard) {
			continue
		}
		value := m.Params[p]
		p++
		kind, clean := paramKind(tokens, pos, value)
		if kind == "" || clean == "" {
			continue
		}
		k := paramKey{Template: m.ID, Pos: pos}
		if a, ok := d.newValue(s, k, kind, clean, ev, tune, m.Template); ok {
			out = append(out, a)
		}
	}
	for kind, names := range d.cfg.Fields.Watched {
		for _, name := range names {
			v := d.field(ev.e, []string{name})
			if v == "" {
				continue
			}
			if a, ok := d.newValue(s, paramKey{Field: name}, kind, v, ev, tune, ""); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// newValue records one value of a watched parameter and reports a value
// never seen once the parameter has learned (its Learning has passed, it
// has shown MinObservations values) and is closed enough (the Good–Turing
// chance of a new value is at most NewValueChance).
func (d *Detector) newValue(s *service, k paramKey, kind, value string, ev *observation,
	tune Tuning, tmpl string) (detect.ModelAlert, bool) {
	ps, ok := s.params[k]
	if !ok {
		ps = &paramStats{Kind: kind, FirstSeen: ev.t, Values: map[string]int64{}}
		s.params[k] = ps
	}
	if ps.Open {
		return detect.ModelAlert{}, false
	}
	seen := ps.Values[value] > 0
	ps.Values[value]++
	ps.Seen++
	if len(ps.Values) > d.cfg.MaxValues {
		ps.Open, ps.Values = true, nil
		return detect.ModelAlert{}, false
	}
	if seen || tune.muted(ModelNewValue) || ps.Seen-1 < tune.MinObservations ||
		ev.t.Before(ps.FirstSeen.Add(tune.Learning)) ||
		ev.t.Before(s.firstSeen.Add(tune.Learning)) {
		return detect.ModelAlert{}, false
	}
	var singles int64
	for v, n := range ps.Values {
		if n == 1 && v != value {
			singles++
		}
	}
	score := surprise(singles, ps.Seen-1)
	if goodTuring(singles, ps.Seen-1) > tune.NewValueChance {
		return detect.ModelAlert{}, false
	}
	where := "field " + k.Field
	if k.Field == "" {
		where = fmt.Sprintf("template %q", tmpl)
	}
	x := detectExplanation(ModelNewValue, s.name, kind, value, tmpl, k.Template, score)
	x.Baseline = float64(len(ps.Values) - 1)
	x.Text = fmt.Sprintf("service %s: %s %q never seen before in %d values of %s since %s "+
		"(%d distinct, such as %s); score %.1f (chance of a new value %s).", s.name, kind,
		value, ps.Seen-1, where, day(ps.FirstSeen), len(ps.Values)-1,
		examples(ps.Values, value, 3), score, chance(score))
	group := map[string]string{"service": s.name, "kind": kind, "value": value}
	title := fmt.Sprintf("New %s in service %s", kind, s.name)
	return d.alert(ModelNewValue, title, levelNewValue, group, x, ev, DefaultWindow), true
}

func detectExplanation(model, svc, kind, value, tmpl string, id int64,
	score float64) detect.Explanation {
	return detect.Explanation{Model: model, Observed: 1, Score: score, Service: svc, Kind: kind,
		Value: value, Template: tmpl, TemplateID: id}
}

// examples lists up to n of the most frequent values but skip, quoted.
func examples(values map[string]int64, skip string, n int) string {
	vs := make([]string, 0, len(values))
	for v := range values {
		if v != skip {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool {
		if values[vs[i]] != values[vs[j]] {
			return values[vs[i]] > values[vs[j]]
		}
		return vs[i] < vs[j]
	})
	if len(vs) > n {
		vs = vs[:n]
	}
	for i, v := range vs {
		vs[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(vs, ", ")
}
