package anomaly

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
)

// Alert levels of the models. None is high: a model alert never opens an
// incident by itself; a responder confirms it.
const (
	levelFirstSight = "low"
	levelRate       = "medium"
	levelNewValue   = "medium"
)

// rateKey names the key of a rate: a service's template, or a host's level.
type rateKey struct {
	service  string
	template int64
	text     string
	host     string
	level    string
}

func (k rateKey) group() map[string]string {
	if k.host != "" {
		return map[string]string{"host": k.host, "level": k.level}
	}
	return map[string]string{"service": k.service, "template_id": fmt.Sprint(k.template)}
}

func (k rateKey) describe() string {
	if k.host != "" {
		return fmt.Sprintf("host %s, level %s", k.host, k.level)
	}
	return fmt.Sprintf("service %s, template %q", k.service, k.text)
}

// spike checks the open bucket of s after a message made its count n.
func (d *Detector) spike(s *series, n int64, tune Tuning, ev *observation,
	k rateKey) (detect.ModelAlert, bool) {
	if s.Spiked || n < tune.MinSpike || tune.muted(ModelRateSpike) {
		return detect.ModelAlert{}, false
	}
	b, ok := s.openBaseline(d.grid)
	if !ok || b.score(n) < tune.SpikeScore {
		return detect.ModelAlert{}, false
	}
	s.Spiked = true
	from := d.grid.start(s.Cur)
	x := d.rateExplanation(ModelRateSpike, k, b, n, from)
	x.Text = fmt.Sprintf("%d messages of %s in the bucket from %s to %s so far, where %s gave "+
		"a median of %s (MAD %s): score %.1f, the threshold is %.1f.", n, k.describe(), clock(from),
		clock(x.To), fmt.Sprintf(b.Basis, b.Samples), num(b.Median), num(b.MAD), x.Score,
		tune.SpikeScore)
	title := "Log rate spike: " + k.describe()
	return d.alert(ModelRateSpike, title, levelRate, k.group(), x, ev, 2*d.grid.size), true
}

// silence checks the open bucket of s, about to close, for a silence.
func (d *Detector) silence(s *series, tune Tuning, k rateKey) (detect.ModelAlert, bool) {
	if s.Silent || tune.muted(ModelRateSilence) {
		return detect.ModelAlert{}, false
	}
	b, ok := s.openBaseline(d.grid)
	if !ok || b.Median < tune.MinExpected || float64(s.Count) > tune.SilenceRatio*b.Median {
		return detect.ModelAlert{}, false
	}
	s.Silent = true
	from := d.grid.start(s.Cur)
	x := d.rateExplanation(ModelRateSilence, k, b, s.Count, from)
	x.Text = fmt.Sprintf("%d messages of %s between %s and %s, where %s gave a median of %s "+
		"(MAD %s): under %.0f%% of the expected count, score %.1f.", s.Count, k.describe(),
		clock(from), clock(x.To), fmt.Sprintf(b.Basis, b.Samples), num(b.Median), num(b.MAD),
		100*tune.SilenceRatio, x.Score)
	title := "Log source silent: " + k.describe()
	return d.alert(ModelRateSilence, title, levelRate, k.group(), x, &observation{t: x.To},
		24*time.Hour), true
}

func (d *Detector) rateExplanation(model string, k rateKey, b baseline, n int64,
	from time.Time) detect.Explanation {
	x := detect.Explanation{Model: model, Baseline: b.Median, Observed: float64(n),
		Score: round(b.score(n)), Service: k.service, Host: k.host, Level: k.level,
		Template: k.text, TemplateID: k.template, From: from, To: from.Add(d.grid.size)}
	return x
}

// newTemplateAlert reports a service's first message of a template.
func (d *Detector) newTemplateAlert(s *service, ev *observation, m Match) detect.ModelAlert {
	score := surprise(s.singletons(), s.messages)
	x := detect.Explanation{Model: ModelNewTemplate, Baseline: 0, Observed: 1, Score: score,
		Service: s.name, Template: m.Template, TemplateID: m.ID}
	x.Text = fmt.Sprintf("service %s logged a message of a template never seen in %d messages "+
		"since %s: %q; score %.1f (chance of a new template %s).", s.name, s.messages,
		day(s.firstSeen), m.Template, score, chance(score))
	group := map[string]string{"service": s.name, "template_id": fmt.Sprint(m.ID)}
	return d.alert(ModelNewTemplate, "New log template in service "+s.name, levelFirstSight,
		group, x, ev, DefaultWindow)
}

// rareTemplateAlert reports a template back after a long absence.
func (d *Detector) rareTemplateAlert(s *service, ev *observation, m Match,
	st *templateStats) detect.ModelAlert {
	score := round(-math.Log10(float64(st.Count+1) / float64(s.messages+1)))
	x := detect.Explanation{Model: ModelRareTemplate, Baseline: float64(st.Count), Observed: 1,
		Score: score, Service: s.name, Template: m.Template, TemplateID: m.ID}
	x.Text = fmt.Sprintf("service %s logged a template seen only %d times in %d messages, last "+
		"on %s: %q; score %.1f.", s.name, st.Count, s.messages, day(st.LastSeen), m.Template,
		score)
	group := map[string]string{"service": s.name, "template_id": fmt.Sprint(m.ID)}
	return d.alert(ModelRareTemplate, "Rare log template in service "+s.name, levelFirstSight,
		group, x, ev, DefaultWindow)
}

// DefaultWindow is how long the group of a first-sight alert stays open.
const DefaultWindow = time.Hour

// singletons counts the service's templates seen once.
func (s *service) singletons() int64 {
	var n int64
	for _, t := range s.templates {
		if t.Count == 1 {
			n++
		}
	}
	return n
}

// goodTuring is the Good–Turing estimate of the chance that the next of n+1
// observations is new: the share of the n that were seen once, at least
// one in n+1.
func goodTuring(singletons, n int64) float64 {
	return min(float64(max(singletons, 1))/float64(n+1), 1)
}

// surprise is −log10 of goodTuring, rounded to two decimals.
func surprise(singletons, n int64) float64 { return round(-math.Log10(goodTuring(singletons, n))) }

// alert builds a model alert.
func (d *Detector) alert(model, title, level string, group map[string]string,
	x detect.Explanation, ev *observation, window time.Duration) detect.ModelAlert {
	key, _ := json.Marshal(group) // a map of strings always marshals
	a := &detect.Alert{
		RuleID: RulePrefix + model, RuleTitle: title, Level: level,
		Tags:      []string{"vigil.anomaly", "vigil.anomaly." + model},
		EventTime: ev.t, Group: group, GroupKey: string(key), Explanation: &x,
	}
	if ev.id != 0 {
		a.EventIDs = []int64{ev.id}
	}
	return detect.ModelAlert{Alert: a, Window: window, Event: ev.e}
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func chance(score float64) string { return fmt.Sprintf("%.2g", math.Pow(10, -score)) }
