package anomaly

import (
	"fmt"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
)

// Detector runs the anomaly models over events: it mines each service's
// messages into templates and raises alerts for new and rare templates,
// spikes and silences of (service, template) and (host, level) rates, and
// never-seen values of watched parameters. It is safe for concurrent use.
//
// Time is event time: a bucket closes when an event of a later bucket
// arrives, or when Tick passes its end while the stream is live. A late
// event counts in the open bucket.
//
// TODO: one Detector learns per process; on scale-out, detector nodes would
// each learn from the share of events they see and save over each other's
// state (#6).
type Detector struct {
	mu       sync.Mutex
	cfg      DetectorConfig
	grid     grid
	services map[string]*service
	hosts    map[hostKey]*hostSeries
	// open is the newest bucket seen: every series is closed up to it.
	open int64
	// newest is the time of the newest event.
	newest time.Time
	m      metrics
}

type hostKey struct{ Host, Level string }

type hostSeries struct {
	Rate     *series   `json:"rate"`
	LastSeen time.Time `json:"last_seen"`
}

// service is one service's miner and model state.
type service struct {
	name      string
	miner     *Miner
	firstSeen time.Time
	lastSeen  time.Time
	messages  int64
	templates map[int64]*templateStats
	params    map[paramKey]*paramStats
}

type templateStats struct {
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int64     `json:"count"`
	Rate      *series   `json:"rate"`
}

// paramKey names a watched parameter: a template position, or an event
// field (Template 0).
type paramKey struct {
	Template int64
	Pos      int
	Field    string
}

type paramStats struct {
	Kind      string           `json:"kind"`
	FirstSeen time.Time        `json:"first_seen"`
	Seen      int64            `json:"seen"`
	Values    map[string]int64 `json:"values,omitempty"`
	// Open is set once Values passes MaxValues: too many values to learn.
	Open bool `json:"open,omitempty"`
}

// NewDetector checks cfg, applies its defaults and registers the metrics
// vigil_anomaly_messages_total, vigil_anomaly_alerts_total{model} and
// vigil_anomaly_templates on cfg.Registerer.
func NewDetector(cfg DetectorConfig) (*Detector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("anomaly: %w", err)
	}
	d := &Detector{cfg: cfg, grid: newGrid(cfg.Bucket, cfg.History),
		services: map[string]*service{}, hosts: map[hostKey]*hostSeries{}}
	d.m = newMetrics(d)
	if cfg.Registerer != nil {
		if err := d.m.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("anomaly: register metrics: %w", err)
		}
	}
	return d, nil
}

// tuning returns the thresholds of a service.
func (d *Detector) tuning(svc string) Tuning {
	if t, ok := d.cfg.Services[svc]; ok {
		return t.over(d.cfg.Defaults)
	}
	return d.cfg.Defaults
}

// Observe runs the models over stored events; ids are their store IDs.
func (d *Detector) Observe(events []*event.Event, ids []int64) []detect.ModelAlert {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []detect.ModelAlert
	for i, e := range events {
		var id int64
		if i < len(ids) {
			id = ids[i]
		}
		out = d.observe(e, id, out)
	}
	for _, a := range out {
		d.m.alerts.WithLabelValues(a.Alert.Explanation.Model).Inc()
	}
	return out
}

func (d *Detector) observe(e *event.Event, id int64, out []detect.ModelAlert) []detect.ModelAlert {
	now := d.cfg.Now()
	t := e.Time
	if t.IsZero() || t.After(now.Add(5*time.Minute)) {
		t = now
	}
	idx := d.grid.index(t)
	if idx > d.open {
		out = d.advance(idx, out)
	}
	if t.After(d.newest) {
		d.newest = t
	}
	ev := &observation{e: e, id: id, t: t, idx: idx}
	if host := d.field(e, d.cfg.Fields.Host); host != "" {
		out = d.observeHost(ev, host, d.field(e, d.cfg.Fields.Level), out)
	}
	msg := d.field(e, d.cfg.Fields.Message)
	if msg == "" {
		return out
	}
	d.m.messages.Inc()
	svcName := d.field(e, d.cfg.Fields.Service)
	if svcName == "" {
		svcName = "-"
	}
	s := d.service(svcName, t)
	return d.observeMessage(s, ev, msg, out)
}

// observation is one event being observed.
type observation struct {
	e   *event.Event
	id  int64
	t   time.Time
	idx int64
}

// field returns the text of the first of names present in e.
func (d *Detector) field(e *event.Event, names []string) string {
	for _, n := range names {
		if v, ok := e.Lookup(event.NewPath(n)); ok {
			if s := detect.FieldText(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// service returns the state of a service, creating it (and evicting the
// least recently seen service past MaxServices).
func (d *Detector) service(name string, t time.Time) *service {
	if s, ok := d.services[name]; ok {
		return s
	}
	if len(d.services) >= d.cfg.MaxServices {
		var oldest *service
		for _, s := range d.services {
			if oldest == nil || s.lastSeen.Before(oldest.lastSeen) {
				oldest = s
			}
		}
		delete(d.services, oldest.name)
		d.cfg.Logger.Warn("anomaly service evicted", "service", oldest.name,
			"max_services", d.cfg.MaxServices)
	}
	s := &service{name: name, miner: NewMiner(MinerConfig{MaxTemplates: d.cfg.MaxTemplates}),
		firstSeen: t, lastSeen: t, templates: map[int64]*templateStats{},
		params: map[paramKey]*paramStats{}}
	d.services[name] = s
	return s
}

// observeMessage mines one message and runs the template, rate and
// parameter models on it.
func (d *Detector) observeMessage(s *service, ev *observation, msg string,
	out []detect.ModelAlert) []detect.ModelAlert {
	tune := d.tuning(s.name)
	m := s.miner.Match(msg)
	learned := !ev.t.Before(s.firstSeen.Add(tune.Learning))
	for _, from := range m.Merged {
		s.fold(from, m.ID)
	}
	st, known := s.templates[m.ID]
	if !known {
		st = &templateStats{FirstSeen: ev.t, Rate: newSeries(ev.idx)}
		s.templates[m.ID] = st
	}
	switch {
	case m.New && learned && !tune.muted(ModelNewTemplate):
		out = append(out, d.newTemplateAlert(s, ev, m))
	case !m.New && known && learned && st.Count <= tune.RareCount &&
		ev.t.Sub(st.LastSeen) >= tune.RareAfter && !tune.muted(ModelRareTemplate):
		out = append(out, d.rareTemplateAlert(s, ev, m, st))
	}
	st.Count++
	st.LastSeen = ev.t
	s.messages++
	if ev.t.After(s.lastSeen) {
		s.lastSeen = ev.t
	}
	n := st.Rate.add(ev.idx)
	if a, ok := d.spike(st.Rate, n, tune, ev, rateKey{service: s.name, template: m.ID,
		text: m.Template}); ok {
		out = append(out, a)
	}
	return d.observeParams(s, ev, m, tune, out)
}

// fold moves a merged template's statistics into the one it merged into.
func (s *service) fold(from, into int64) {
	f, ok := s.templates[from]
	if !ok {
		return
	}
	delete(s.templates, from)
	for k := range s.params {
		if k.Template == from {
			delete(s.params, k)
		}
	}
	t, ok := s.templates[into]
	if !ok {
		s.templates[into] = f
		return
	}
	t.Count += f.Count
	t.FirstSeen = minTime(t.FirstSeen, f.FirstSeen)
	t.LastSeen = maxTime(t.LastSeen, f.LastSeen)
	t.Rate.merge(f.Rate)
}

func (d *Detector) observeHost(ev *observation, host, level string,
	out []detect.ModelAlert) []detect.ModelAlert {
	if level == "" {
		level = "-"
	}
	k := hostKey{host, level}
	h, ok := d.hosts[k]
	if !ok {
		if len(d.hosts) >= d.cfg.MaxHostKeys {
			d.evictHost()
		}
		h = &hostSeries{Rate: newSeries(ev.idx)}
		d.hosts[k] = h
	}
	h.LastSeen = maxTime(h.LastSeen, ev.t)
	n := h.Rate.add(ev.idx)
	// TODO: host rates take the default tuning; per-host tuning and muting
	// are missing (only the defaults mute a host model).
	if a, ok := d.spike(h.Rate, n, d.cfg.Defaults, ev, rateKey{host: host, level: level}); ok {
		out = append(out, a)
	}
	return out
}

func (d *Detector) evictHost() {
	var oldest hostKey
	var at time.Time
	for k, h := range d.hosts {
		if at.IsZero() || h.LastSeen.Before(at) {
			oldest, at = k, h.LastSeen
		}
	}
	delete(d.hosts, oldest)
}

// Tick closes the buckets that ended before now, raising silences, when the
// stream is live (its newest event at most MaxClockGap old). A server calls
// it every minute or so.
func (d *Detector) Tick(now time.Time) []detect.ModelAlert {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.newest.IsZero() || now.Sub(d.newest) > d.cfg.MaxClockGap {
		return nil
	}
	idx := d.grid.index(now)
	if idx <= d.open {
		return nil
	}
	out := d.advance(idx, nil)
	for _, a := range out {
		d.m.alerts.WithLabelValues(a.Alert.Explanation.Model).Inc()
	}
	return out
}

// advance closes every series up to bucket idx, raising silences, drops
// the history past History and the statistics of evicted templates.
func (d *Detector) advance(idx int64, out []detect.ModelAlert) []detect.ModelAlert {
	for _, s := range d.services {
		tune := d.tuning(s.name)
		for id, st := range s.templates {
			tmpl, ok := s.miner.Get(id)
			if !ok {
				delete(s.templates, id) // evicted by the miner
				continue
			}
			out = d.closeSeries(st.Rate, idx, tune, rateKey{service: s.name, template: id,
				text: tmpl.Template}, out)
		}
	}
	for k, h := range d.hosts {
		out = d.closeSeries(h.Rate, idx, d.cfg.Defaults, rateKey{host: k.Host, level: k.Level},
			out)
	}
	d.open = idx
	return out
}

// closeSeries closes s up to bucket idx, checking the closed buckets that
// can be silences: the open one, and the empty ones that a comparable
// bucket (a day or week before, or one of the 24 before) with at least
// MinExpected messages makes candidates. A median of at least MinExpected
// needs such a sample, so the others cannot be silences, and a long gap
// costs only its candidates.
func (d *Detector) closeSeries(s *series, idx int64, tune Tuning, k rateKey,
	out []detect.ModelAlert) []detect.ModelAlert {
	if s.Cur >= idx {
		return out
	}
	if a, ok := d.silence(s, tune, k); ok {
		out = append(out, a)
	}
	s.roll(s.Cur + 1)
	if !s.Silent {
		for _, j := range s.silenceCandidates(s.Cur, idx, tune.MinExpected, d.grid) {
			s.roll(j)
			if a, ok := d.silence(s, tune, k); ok {
				out = append(out, a)
				break
			}
		}
	}
	s.roll(idx)
	s.trim(d.grid.history)
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
