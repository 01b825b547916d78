package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// obligationConfig is the resolved configuration of the regulatory
// obligations of vigil serve (docs/regulations.md).
type obligationConfig struct {
	// catalogDir replaces the built-in regulation catalog; with extend it
	// is laid over it. Empty: the built-in one.
	catalogDir string
	extend     bool
	// providerProfile is the YAML file of the provider's own profile;
	// empty: none.
	providerProfile string
	interval        time.Duration
	schedule        regulation.Schedule
}

// obligationFlags are the flags of the obligations, before the environment.
type obligationFlags struct {
	catalog, profile    *string
	extend              *bool
	interval            *time.Duration
	reminders, escalate *string
}

// addObligationFlags defines the obligation flags on fs.
func addObligationFlags(fs *flag.FlagSet) *obligationFlags {
	return &obligationFlags{
		catalog: fs.String("regulations-catalog", "", "regulation catalog folder (regimes/, "+
			"holidays/, notices/) that replaces the built-in one (env VIGIL_REGULATIONS_CATALOG)"),
		extend: fs.Bool("regulations-extend", false, "lay --regulations-catalog over the "+
			"built-in catalog instead of replacing it (env VIGIL_REGULATIONS_EXTEND)"),
		profile: fs.String("provider-profile", "", "YAML file of the provider's own profile "+
			"(jurisdictions, roles, data_categories) for the regimes that bind the provider "+
			"(env VIGIL_PROVIDER_PROFILE)"),
		interval: fs.Duration("deadline-interval", obligation.DefaultWatchInterval,
			"how often the obligation deadlines are checked (env VIGIL_DEADLINE_INTERVAL)"),
		reminders: fs.String("deadline-reminders", "50,75,90", "reminders to an obligation's "+
			"owners, in percent of the time to its deadline (env VIGIL_DEADLINE_REMINDERS)"),
		escalate: fs.String("deadline-escalate-at", "90", "percent of the time to a deadline at "+
			"which executives and legal are told it is at risk (env VIGIL_DEADLINE_ESCALATE_AT)"),
	}
}

// resolve applies the environment to the flags not given and checks the
// values: flags > environment > defaults.
func (of *obligationFlags) resolve(given map[string]bool, getenv func(string) string) (
	obligationConfig, error) {
	str := func(name, env, v string) (string, string) {
		if e := getenv(env); !given[name] && e != "" {
			return e, env
		}
		return v, "--" + name
	}
	var cfg obligationConfig
	var errs []error
	cfg.catalogDir, _ = str("regulations-catalog", "VIGIL_REGULATIONS_CATALOG", *of.catalog)
	cfg.providerProfile, _ = str("provider-profile", "VIGIL_PROVIDER_PROFILE", *of.profile)
	ext, where := str("regulations-extend", "VIGIL_REGULATIONS_EXTEND",
		strconv.FormatBool(*of.extend))
	var err error
	if cfg.extend, err = strconv.ParseBool(ext); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: want true or false", where, ext))
	} else if cfg.extend && cfg.catalogDir == "" {
		errs = append(errs, errors.New("--regulations-extend needs --regulations-catalog"))
	}
	iv, where := str("deadline-interval", "VIGIL_DEADLINE_INTERVAL", of.interval.String())
	if cfg.interval, err = time.ParseDuration(iv); err != nil || cfg.interval < time.Second {
		errs = append(errs, fmt.Errorf("%s %q: want a duration of 1s or more", where, iv))
	}
	rem, where := str("deadline-reminders", "VIGIL_DEADLINE_REMINDERS", *of.reminders)
	if cfg.schedule.Reminders, err = percents(rem); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: %w", where, rem, err))
	}
	esc, where := str("deadline-escalate-at", "VIGIL_DEADLINE_ESCALATE_AT", *of.escalate)
	if e, err := percents(esc); err != nil || len(e) != 1 {
		errs = append(errs, fmt.Errorf("%s %q: want one percentage above 0 and below 100",
			where, esc))
	} else {
		cfg.schedule.Escalation = e[0]
	}
	if len(errs) == 0 {
		if err := cfg.schedule.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--deadline-reminders, --deadline-escalate-at: %w",
				err))
		}
	}
	return cfg, errors.Join(errs...)
}

// percents parses "50,75,90" into fractions; an empty list is none.
func percents(s string) ([]float64, error) {
	out := []float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || !(v > 0 && v < 100) { // NaN too
			return nil, fmt.Errorf("%q: want percentages above 0 and below 100, "+
				"separated by commas", strings.TrimSpace(part))
		}
		out = append(out, v/100)
	}
	return out, nil
}

// loadCatalog returns the regulation catalog cfg names.
func (cfg obligationConfig) loadCatalog() (*regulation.Catalog, error) {
	switch {
	case cfg.catalogDir == "":
		return regulation.Builtin()
	case cfg.extend:
		base, err := regulation.Builtin()
		if err != nil {
			return nil, err
		}
		return base.ExtendDir(cfg.catalogDir)
	}
	return regulation.LoadDir(cfg.catalogDir)
}

// loadProviderProfile reads the provider's profile from a YAML file;
// errors name the file and, for a bad value, the field.
func loadProviderProfile(path string) (regulation.Profile, error) {
	var p regulation.Profile
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("provider profile: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("provider profile %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("provider profile %s: %w", path, err)
	}
	return p, nil
}

// startObligations builds the obligation service of vigil serve and starts
// its deadline watcher; stop ends the watcher and waits for it.
func startObligations(ctx context.Context, st store.Store, cfg obligationConfig,
	log *slog.Logger) (*obligation.Service, func(), error) {
	cat, err := cfg.loadCatalog()
	if err != nil {
		return nil, nil, fmt.Errorf("regulation catalog: %w", err)
	}
	prof, err := loadProviderProfile(cfg.providerProfile)
	if err != nil {
		return nil, nil, err
	}
	log = log.With("component", "obligations")
	svc, err := obligation.New(obligation.Config{Store: st, Catalog: cat, Provider: prof,
		Logger: log})
	if err != nil {
		return nil, nil, err
	}
	w, err := obligation.NewWatcher(obligation.WatcherConfig{Service: svc, People: st,
		Notifier: notify.NewDispatcher(st, store.NotifyDirectory(st)),
		Schedule: &cfg.schedule, Interval: cfg.interval, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	log.Info("obligations on", "regimes", len(cat.Regimes()), "catalog",
		cmp.Or(cfg.catalogDir, "builtin"), "provider_profile", cfg.providerProfile != "")
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return svc, func() {
		cancel()
		<-done
	}, nil
}
