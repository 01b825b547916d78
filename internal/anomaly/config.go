package anomaly

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"
)

// The models a Detector runs; an alert's RuleID is RulePrefix + model.
const (
	ModelNewTemplate  = "new_template"
	ModelRareTemplate = "rare_template"
	ModelRateSpike    = "rate_spike"
	ModelRateSilence  = "rate_silence"
	ModelNewValue     = "new_value"
	// MuteAll in a Tuning's Mute list mutes every model.
	MuteAll = "all"
	// RulePrefix starts the RuleID of every model alert.
	RulePrefix = "anomaly."
)

var models = []string{ModelNewTemplate, ModelRareTemplate, ModelRateSpike, ModelRateSilence,
	ModelNewValue}

// Tuning holds a models' thresholds. A zero field takes the default, and
// in DetectorConfig.Services a zero field takes DetectorConfig.Defaults.
type Tuning struct {
	// Learning is how long a service (and each watched parameter) is
	// watched before its first sights raise alerts. Default 24h.
	Learning time.Duration
	// SpikeScore is the robust z-score at which a bucket's count is a
	// spike. Default 6.
	SpikeScore float64
	// MinSpike is the fewest messages in a bucket that can be a spike.
	// Default 20.
	MinSpike int64
	// SilenceRatio is the fraction of the expected count at or under which
	// a closed bucket is a silence. Default 0.1.
	SilenceRatio float64
	// MinExpected is the least median count per bucket whose absence is a
	// silence. Default 10.
	MinExpected float64
	// RareAfter and RareCount make a template rare: seen at most RareCount
	// times, and not for RareAfter. Defaults 7 days and 3.
	RareAfter time.Duration
	RareCount int64
	// NewValueChance is the highest Good–Turing chance of a new value at
	// which a never-seen value of a watched parameter raises an alert: a
	// parameter that often takes new values (attackers' addresses) raises
	// none. Default 0.05.
	NewValueChance float64
	// MinObservations is how many values a watched parameter must have
	// shown before its new values raise alerts. Default 20.
	MinObservations int64
	// Mute lists the models that raise no alert (MuteAll for every one).
	// A service's list adds to the defaults'.
	Mute []string
}

var defaultTuning = Tuning{
	Learning: 24 * time.Hour, SpikeScore: 6, MinSpike: 20, SilenceRatio: 0.1, MinExpected: 10,
	RareAfter: 7 * 24 * time.Hour, RareCount: 3, NewValueChance: 0.05, MinObservations: 20,
}

// over returns t with its zero fields taken from base.
func (t Tuning) over(base Tuning) Tuning {
	pick := func(v, b float64) float64 {
		if v == 0 {
			return b
		}
		return v
	}
	if t.Learning == 0 {
		t.Learning = base.Learning
	}
	if t.RareAfter == 0 {
		t.RareAfter = base.RareAfter
	}
	t.SpikeScore = pick(t.SpikeScore, base.SpikeScore)
	t.SilenceRatio = pick(t.SilenceRatio, base.SilenceRatio)
	t.MinExpected = pick(t.MinExpected, base.MinExpected)
	t.NewValueChance = pick(t.NewValueChance, base.NewValueChance)
	t.MinSpike = int64(pick(float64(t.MinSpike), float64(base.MinSpike)))
	t.RareCount = int64(pick(float64(t.RareCount), float64(base.RareCount)))
	t.MinObservations = int64(pick(float64(t.MinObservations), float64(base.MinObservations)))
	t.Mute = append(slices.Clone(base.Mute), t.Mute...)
	return t
}

func (t Tuning) muted(model string) bool {
	return slices.Contains(t.Mute, model) || slices.Contains(t.Mute, MuteAll)
}

// Fields names the event fields the Detector reads; each list is tried in
// order and the first present field is used.
type Fields struct {
	// Message is the text mined into templates. Default message, msg,
	// Message, log, content.
	Message []string
	// Service names the service a message belongs to; templates are per
	// service. Default service, service.name, program, app, appname;
	// events with none belong to service "-".
	Service []string
	// Host and Level key the (host, level) rates. Defaults Computer,
	// host.name, hostname, Hostname, host; and level, log.level,
	// severity, Level.
	Host, Level []string
	// Watched are event fields whose values are watched like template
	// parameters, by kind (user, address, process).
	Watched map[string][]string
}

var defaultFields = Fields{
	Message: []string{"message", "msg", "Message", "log", "content"},
	Service: []string{"service", "service.name", "program", "app", "appname"},
	Host:    []string{"Computer", "host.name", "hostname", "Hostname", "host"},
	Level:   []string{"level", "log.level", "severity", "Level"},
	Watched: map[string][]string{
		KindUser:    {"user", "User", "user.name", "TargetUserName", "SubjectUserName"},
		KindAddress: {"src_ip", "source.ip", "client.ip", "c-ip", "IpAddress", "SourceAddress"},
		KindProcess: {"Image", "process.name", "process.executable", "NewProcessName"},
	},
}

// DetectorConfig configures a Detector. The zero value is usable.
type DetectorConfig struct {
	// Bucket is the width of a rate bucket; it must divide a day. Default
	// one hour.
	Bucket time.Duration
	// History is how much rate history is kept, at least a day. Default
	// 28 days: four weeks of the same weekday.
	History time.Duration
	// MaxTemplates caps each service's templates (MinerConfig). Default
	// 5,000.
	MaxTemplates int
	// MaxServices, MaxHostKeys and MaxValues cap the services, the (host,
	// level) rates and the values kept per watched parameter; past them the
	// least recently seen go. Defaults 1,000, 10,000 and 1,000 (a
	// parameter with more values is open-ended and raises no alert).
	MaxServices, MaxHostKeys, MaxValues int
	// MaxClockGap: Tick closes buckets by the wall clock only while the
	// newest event is at most this old, so that replaying old logs is not
	// read as silence. Default two hours.
	MaxClockGap time.Duration
	// Defaults are the thresholds of every service, and Services override
	// them per service name.
	Defaults Tuning
	Services map[string]Tuning
	// Fields are the event fields read. Zero lists take the defaults.
	Fields Fields
	// Now is the clock for events without a time. Default time.Now.
	Now func() time.Time
	// Logger receives the Detector's warnings. Default: discard.
	Logger *slog.Logger
	// Registerer takes the Detector's metrics (see NewDetector). Nil: not
	// registered.
	Registerer prometheus.Registerer
}

func (c DetectorConfig) withDefaults() (DetectorConfig, error) {
	if c.Bucket == 0 {
		c.Bucket = time.Hour
	}
	if c.History == 0 {
		c.History = 28 * 24 * time.Hour
	}
	if c.Bucket < time.Second || (24*time.Hour)%c.Bucket != 0 {
		return c, fmt.Errorf("bucket %v: want a divisor of 24h, at least 1s", c.Bucket)
	}
	if c.History < 24*time.Hour {
		return c, fmt.Errorf("history %v: want at least 24h", c.History)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxTemplates, defaultMaxTemplates)
	def(&c.MaxServices, 1000)
	def(&c.MaxHostKeys, 10000)
	def(&c.MaxValues, 1000)
	if c.MaxClockGap <= 0 {
		c.MaxClockGap = 2 * time.Hour
	}
	c.Defaults = c.Defaults.over(defaultTuning)
	for _, m := range c.Defaults.Mute {
		if m != MuteAll && !slices.Contains(models, m) {
			return c, fmt.Errorf("mute %q: want one of %v or %q", m, models, MuteAll)
		}
	}
	for name, t := range c.Services {
		for _, m := range t.Mute {
			if m != MuteAll && !slices.Contains(models, m) {
				return c, fmt.Errorf("service %q: mute %q: want one of %v or %q", name, m,
					models, MuteAll)
			}
		}
	}
	c.Fields = c.Fields.over(defaultFields)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (f Fields) over(base Fields) Fields {
	pick := func(v, b []string) []string {
		if len(v) == 0 {
			return b
		}
		return v
	}
	f.Message, f.Service = pick(f.Message, base.Message), pick(f.Service, base.Service)
	f.Host, f.Level = pick(f.Host, base.Host), pick(f.Level, base.Level)
	if f.Watched == nil {
		f.Watched = base.Watched
	}
	return f
}

// fileConfig is the YAML form of a DetectorConfig (see ParseConfig).
type fileConfig struct {
	Bucket       string                `yaml:"bucket"`
	History      string                `yaml:"history"`
	MaxTemplates int                   `yaml:"max_templates"`
	Defaults     fileTuning            `yaml:"defaults"`
	Services     map[string]fileTuning `yaml:"services"`
}

type fileTuning struct {
	Learning        string   `yaml:"learning"`
	SpikeScore      float64  `yaml:"spike_score"`
	MinSpike        int64    `yaml:"min_spike"`
	SilenceRatio    float64  `yaml:"silence_ratio"`
	MinExpected     float64  `yaml:"min_expected"`
	RareAfter       string   `yaml:"rare_after"`
	RareCount       int64    `yaml:"rare_count"`
	NewValueChance  float64  `yaml:"new_value_chance"`
	MinObservations int64    `yaml:"min_observations"`
	Mute            []string `yaml:"mute"`
}

// ParseConfig reads the YAML configuration file of the models: bucket,
// history, max_templates, defaults (a tuning) and services (a tuning per
// service name); a tuning has the snake_case names of Tuning's fields, with
// durations such as "24h". Errors name the file (name) and the line.
func ParseConfig(data []byte, name string) (DetectorConfig, error) {
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return DetectorConfig{}, fmt.Errorf("anomaly config %s: %w", name, err)
	}
	var cfg DetectorConfig
	var err error
	at := func(key string, e error) error {
		return fmt.Errorf("anomaly config %s: %s: %w", name, key, e)
	}
	if cfg.Bucket, err = parseDuration(fc.Bucket); err != nil {
		return cfg, at("bucket", err)
	}
	if cfg.History, err = parseDuration(fc.History); err != nil {
		return cfg, at("history", err)
	}
	cfg.MaxTemplates = fc.MaxTemplates
	if cfg.Defaults, err = fc.Defaults.tuning(); err != nil {
		return cfg, at("defaults", err)
	}
	for svc, ft := range fc.Services {
		t, err := ft.tuning()
		if err != nil {
			return cfg, at("services."+svc, err)
		}
		if cfg.Services == nil {
			cfg.Services = map[string]Tuning{}
		}
		cfg.Services[svc] = t
	}
	if _, err := cfg.withDefaults(); err != nil {
		return cfg, fmt.Errorf("anomaly config %s: %w", name, err)
	}
	return cfg, nil
}

func (ft fileTuning) tuning() (Tuning, error) {
	t := Tuning{SpikeScore: ft.SpikeScore, MinSpike: ft.MinSpike, SilenceRatio: ft.SilenceRatio,
		MinExpected: ft.MinExpected, RareCount: ft.RareCount, NewValueChance: ft.NewValueChance,
		MinObservations: ft.MinObservations, Mute: ft.Mute}
	var err error
	if t.Learning, err = parseDuration(ft.Learning); err != nil {
		return t, fmt.Errorf("learning: %w", err)
	}
	if t.RareAfter, err = parseDuration(ft.RareAfter); err != nil {
		return t, fmt.Errorf("rare_after: %w", err)
	}
	if t.SpikeScore < 0 || t.MinSpike < 0 || t.SilenceRatio < 0 || t.SilenceRatio >= 1 ||
		t.MinExpected < 0 || t.RareCount < 0 || t.NewValueChance < 0 || t.NewValueChance > 1 ||
		t.MinObservations < 0 {
		return t, errors.New("a threshold is out of range (negative, or a ratio not under 1)")
	}
	return t, nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 1h or 30m", s)
	}
	return d, nil
}
