package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigilsec/vigil/internal/anomaly"
	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/postmortem"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/triage"
	"github.com/vigilsec/vigil/internal/web"
)

const serveUsage = "vigil serve [--listen ADDR] [--data DIR] [--rules PATH]... " +
	"[--store sqlite|postgres] [--pg-dsn DSN] [--log-level LEVEL] [--metrics-public] " +
	"[--insecure-cookies] " +
	"[--smtp-host HOST] [--smtp-port N] [--smtp-from ADDR] [--smtp-user USER] " +
	"[--smtp-require-tls] [--notify-max-attempts N] [--notify-backoff D] " +
	"[--notify-backoff-max D] [--webhook-allow-private] [--contact-stale-days N] " +
	"[--mapping FILE] [--logsources FILE] [--placeholders FILE] " +
	"[--anomaly=false] [--anomaly-config FILE] " +
	"[--regulations-catalog DIR [--regulations-extend]] [--provider-profile FILE] " +
	"[--deadline-interval D] [--deadline-reminders 50,75,90] [--deadline-escalate-at 90]\n\n" +
	"Environment: VIGIL_ADMIN_TOKEN (16 characters or more) is the admin API token to\n" +
	"create on first start instead of printing a new one; VIGIL_LISTEN, VIGIL_DATA,\n" +
	"VIGIL_RULES, VIGIL_STORE, VIGIL_PG_DSN, VIGIL_LOG_LEVEL, VIGIL_METRICS_PUBLIC,\n" +
	"VIGIL_CONTACT_STALE_DAYS, VIGIL_ANOMALY and VIGIL_ANOMALY_CONFIG stand in for the\n" +
	"flags of the same names, as do VIGIL_SMTP_HOST and the other VIGIL_SMTP_* and\n" +
	"VIGIL_NOTIFY_* variables and VIGIL_REGULATIONS_*, VIGIL_PROVIDER_PROFILE and\n" +
	"VIGIL_DEADLINE_*; VIGIL_SMTP_PASSWORD is the SMTP password (never a flag)."

// Defaults of vigil serve, and how long a shutdown waits for requests.
const (
	defaultListen   = "127.0.0.1:8080"
	defaultDataDir  = "./vigil-data"
	shutdownTimeout = 10 * time.Second
)

// Connection deadlines of the HTTP server. readTimeout bounds reading a
// whole request, body included: a client cannot hold a connection by sending
// a body slowly, and a full 32 MiB batch still fits at 300 KB/s.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// serveConfig is the resolved configuration of vigil serve.
type serveConfig struct {
	listen        string
	dataDir       string
	rules         []string
	store         string // sqlite or postgres
	pgDSN         string // never logged: it may hold a password
	logLevel      slog.Level
	metricsPublic bool
	// insecureCookies drops Secure from the session cookie, for plain HTTP
	// on loopback.
	insecureCookies bool
	adminToken      string // VIGIL_ADMIN_TOKEN; never logged
	ruleFlags       *ruleFlags
	notify          notifyConfig // notify.go
	// anomaly runs the anomaly models; anomalyConfig is their YAML file
	// ("" for the defaults).
	anomaly       bool
	anomalyConfig string

	// staleDays is the age in days after which a tenant contact's details
	// are stale; 0 means scope.DefaultStaleAfter (180 days).
	staleDays int

	// obligations: the regulation catalog, the provider profile and the
	// deadline watcher (obligations.go).
	obligations obligationConfig
}

// runServe runs the API server until ctx is cancelled (SIGINT or SIGTERM).
// Exit 0 after a clean shutdown, 1 when the server cannot start or fails,
// 2 on bad usage.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return serve(ctx, args, os.Getenv, stdout, stderr)
}

// serve is runServe with the environment injected, for tests.
func serve(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	cfg, err := resolveServeConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		if !errors.Is(err, errFlagsReported) {
			fmt.Fprintf(stderr, "vigil serve: %v\nUsage: %s\n", err, serveUsage)
		}
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if err := serveUntilDone(ctx, cfg, log, stdout); err != nil {
		log.Error("serve", "err", err)
		return exitError
	}
	return exitOK
}

// errFlagsReported marks a flag error that the FlagSet printed already.
var errFlagsReported = errors.New("bad flags")

// resolveServeConfig reads the flags, then VIGIL_* variables for the flags
// not given, then the defaults: flags > environment > defaults.
func resolveServeConfig(args []string, getenv func(string) string,
	stderr io.Writer) (serveConfig, error) {
	fs := newFlagSet("serve", serveUsage, stderr)
	listen := fs.String("listen", defaultListen, "address to serve the API on (env VIGIL_LISTEN)")
	dataDir := fs.String("data", defaultDataDir,
		"folder of the SQLite store and the evidence files, created 0700 (env VIGIL_DATA)")
	var rules stringList
	fs.Var(&rules, "rules", "Sigma rule file or folder (repeatable; env VIGIL_RULES, "+
		"a list separated by "+string(os.PathListSeparator)+")")
	storeKind := fs.String("store", "sqlite",
		"store back end: sqlite or postgres (env VIGIL_STORE)")
	pgDSN := fs.String("pg-dsn", "", "PostgreSQL connection string for --store postgres "+
		"(env VIGIL_PG_DSN, preferred: it keeps the password out of the process list)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	metricsPublic := fs.Bool("metrics-public", false,
		"serve /metrics without a bearer token (env VIGIL_METRICS_PUBLIC)")
	insecureCookies := fs.Bool("insecure-cookies", false, "send the session cookie without "+
		"Secure, for a browser on plain HTTP to loopback; never behind a network")
	anomalyOn := fs.Bool("anomaly", true,
		"run the anomaly models on ingested events (env VIGIL_ANOMALY)")
	anomalyConfig := fs.String("anomaly-config", "", "YAML file of the anomaly models' "+
		"thresholds and per-service tuning (env VIGIL_ANOMALY_CONFIG; see docs/anomaly.md)")
	staleDays := fs.Int("contact-stale-days", 0, "days after which a tenant contact's details "+
		"are stale, 0 for 180 (env VIGIL_CONTACT_STALE_DAYS)")
	rf := addRuleFlags(fs, true)
	nf := addNotifyFlags(fs)
	of := addObligationFlags(fs)
	rest, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return serveConfig{}, err
	}
	if err != nil {
		return serveConfig{}, errFlagsReported
	}
	if len(rest) > 0 {
		return serveConfig{}, fmt.Errorf("unexpected argument %q", rest[0])
	}

	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	pick := func(name, env, value string) string {
		if !given[name] {
			if v := getenv(env); v != "" {
				return v
			}
		}
		return value
	}
	cfg := serveConfig{
		listen:        pick("listen", "VIGIL_LISTEN", *listen),
		dataDir:       pick("data", "VIGIL_DATA", *dataDir),
		rules:         rules,
		store:         pick("store", "VIGIL_STORE", *storeKind),
		pgDSN:         pick("pg-dsn", "VIGIL_PG_DSN", *pgDSN),
		adminToken:    getenv("VIGIL_ADMIN_TOKEN"),
		ruleFlags:     rf,
		anomaly:       *anomalyOn,
		anomalyConfig: pick("anomaly-config", "VIGIL_ANOMALY_CONFIG", *anomalyConfig),
	}
	if !given["rules"] && getenv("VIGIL_RULES") != "" {
		cfg.rules = filepath.SplitList(getenv("VIGIL_RULES"))
	}
	// origin names where a setting came from, for error messages.
	origin := func(name, env string) string {
		if given[name] || getenv(env) == "" {
			return "--" + name
		}
		return env
	}
	if err := cfg.logLevel.UnmarshalText(
		[]byte(pick("log-level", "VIGIL_LOG_LEVEL", *logLevel))); err != nil {
		return cfg, fmt.Errorf("%s: want debug, info, warn or error",
			origin("log-level", "VIGIL_LOG_LEVEL"))
	}
	if cfg.store != "sqlite" && cfg.store != "postgres" {
		return cfg, fmt.Errorf("%s %q: want sqlite or postgres", origin("store", "VIGIL_STORE"),
			cfg.store)
	}
	if cfg.adminToken != "" && len(cfg.adminToken) < auth.MinSecretLen {
		return cfg, fmt.Errorf("VIGIL_ADMIN_TOKEN: want at least %d characters",
			auth.MinSecretLen)
	}
	cfg.metricsPublic, cfg.insecureCookies = *metricsPublic, *insecureCookies
	if v := getenv("VIGIL_METRICS_PUBLIC"); !given["metrics-public"] && v != "" {
		if cfg.metricsPublic, err = strconv.ParseBool(v); err != nil {
			return cfg, fmt.Errorf("VIGIL_METRICS_PUBLIC %q: want true or false", v)
		}
	}
	if v := getenv("VIGIL_ANOMALY"); !given["anomaly"] && v != "" {
		if cfg.anomaly, err = strconv.ParseBool(v); err != nil {
			return cfg, fmt.Errorf("VIGIL_ANOMALY %q: want true or false", v)
		}
	}
	cfg.staleDays = *staleDays
	if v := getenv("VIGIL_CONTACT_STALE_DAYS"); !given["contact-stale-days"] && v != "" {
		if cfg.staleDays, err = strconv.Atoi(v); err != nil {
			return cfg, fmt.Errorf("VIGIL_CONTACT_STALE_DAYS %q: want a number of days", v)
		}
	}
	if cfg.staleDays < 0 || cfg.staleDays > 3650 {
		return cfg, fmt.Errorf("%s %d: want 0 to 3650 days",
			origin("contact-stale-days", "VIGIL_CONTACT_STALE_DAYS"), cfg.staleDays)
	}
	if cfg.notify, err = nf.resolve(given, getenv); err != nil {
		return cfg, err
	}
	if cfg.obligations, err = of.resolve(given, getenv); err != nil {
		return cfg, err
	}
	return cfg, checkServeConfig(cfg)
}

func checkServeConfig(cfg serveConfig) error {
	switch {
	case cfg.listen == "":
		return errors.New("--listen: empty address")
	case cfg.store != "sqlite" && cfg.store != "postgres":
		return fmt.Errorf("--store %q: want sqlite or postgres", cfg.store)
	case cfg.dataDir == "":
		return errors.New("--data: empty folder (it holds the SQLite store and the evidence)")
	case cfg.store == "postgres" && cfg.pgDSN == "":
		return errors.New("--store postgres needs --pg-dsn or VIGIL_PG_DSN")
	}
	return nil
}

// serveUntilDone opens the store, loads the rules, serves the API and shuts
// down gracefully when ctx is done.
func serveUntilDone(ctx context.Context, cfg serveConfig, log *slog.Logger,
	stdout io.Writer) (err error) {
	st, err := openServeStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	if err := bootstrapAdmin(ctx, st, cfg.adminToken, log, stdout); err != nil {
		return err
	}
	ruleOpts, mapping, err := cfg.ruleFlags.load()
	if err != nil {
		return err
	}
	rs, err := loadServeRules(cfg.rules, ruleOpts, log)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	watch, err := loadWatchRules(ctx, st, log)
	if err != nil {
		return err
	}
	tri, err := triage.New(triage.Config{Store: st, Audit: audit.New(st, nil), Logger: log})
	if err != nil {
		return err
	}
	var models *anomaly.Detector
	if cfg.anomaly {
		if models, err = newAnomalyDetector(ctx, cfg.anomalyConfig, st, reg, log); err != nil {
			return err
		}
	}
	inv, err := startInventory(ctx, st, log)
	if err != nil {
		return err
	}
	pipeline, err := detect.NewPipeline(detect.Config{
		Events: st, Alerts: st, Incidents: st, Rules: rs, Extra: watch,
		Audit: audit.New(st, nil), Tx: store.View[detect.Tx]{Store: st}, Suppressor: tri,
		Enricher: inv, Models: modelsOf(models), Logger: log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	if models != nil {
		defer runAnomalyClock(ctx, models, pipeline, st, log)()
	}
	ev, err := openEvidence(cfg.dataDir, st, log)
	if err != nil {
		return err
	}
	obligations, stopObligations, err := startObligations(ctx, st, cfg.obligations, log)
	if err != nil {
		return err
	}
	defer stopObligations()
	notices, err := newNotices(cfg.dataDir, st, obligations, cfg.notify.notice, log)
	if err != nil {
		return err
	}
	notifier, stopNotify, err := startNotifications(ctx, st, cfg.notify, notices, log)
	if err != nil {
		return err
	}
	defer stopNotify()
	ready, err := api.NewReadiness(st, audit.New(st, nil), log)
	if err != nil {
		return err
	}
	defer startReminders(ctx, ready, st, time.Duration(cfg.staleDays)*24*time.Hour, log)()
	handler, err := api.New(api.Config{
		Store: st, Pipeline: pipeline, Logger: log, Evidence: ev,
		Gatherer: reg, Registerer: reg, MetricsPublic: cfg.metricsPublic,
		Mapping: mapping, Version: version, InsecureCookies: cfg.insecureCookies,
		Response: api.ResponseConfig{Watch: watch, Notifier: notifier}, Triage: tri,
		Scope: api.ScopeConfig{Inventory: inv,
			StaleAfter: time.Duration(cfg.staleDays) * 24 * time.Hour},
		Readiness:           ready,
		Rules:               ruleCatalog(rs),
		WebhookAllowPrivate: cfg.notify.webhookAllowPrivate,
		Obligations:         obligations,
		Notices:             notices,
	})
	if err != nil {
		return err
	}
	ui, err := web.New(web.Config{API: handler, Logger: log,
		Triage: web.ServiceTriage{Service: tri}})
	if err != nil {
		return err
	}
	return listenAndServe(ctx, cfg.listen, ui, log)
}

// listenAndServe serves handler on addr until ctx is done, then stops
// accepting connections and waits up to shutdownTimeout for the requests in
// flight.
func listenAndServe(ctx context.Context, addr string, handler http.Handler,
	log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newHTTPServer(handler, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout_ms", shutdownTimeout.Milliseconds())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests cut off at shutdown", "err", err)
		srv.Close()
	}
	<-served
	log.Info("stopped")
	return nil
}

// newHTTPServer returns the server of vigil serve, with its deadlines.
func newHTTPServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// openServeStore opens the configured store; for SQLite it first creates
// the data folder, readable by the owner only.
func openServeStore(ctx context.Context, cfg serveConfig, log *slog.Logger) (store.Store, error) {
	if cfg.store == "postgres" {
		st, err := postgres.Open(ctx, cfg.pgDSN)
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		log.Info("store opened", "store", "postgres")
		return st, nil
	}
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(cfg.dataDir, "vigil.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	log.Info("store opened", "store", "sqlite", "path", path)
	return st, nil
}

// bootstrapAdmin creates the first admin token when the store has none. A
// generated token is printed once on stdout; one taken from
// VIGIL_ADMIN_TOKEN is not printed.
func bootstrapAdmin(ctx context.Context, st store.Store, envToken string, log *slog.Logger,
	stdout io.Writer) error {
	secret, created, err := auth.Bootstrap(ctx, st, envToken)
	if err != nil {
		return fmt.Errorf("create admin token: %w", err)
	}
	switch {
	case !created:
		return nil
	case envToken != "":
		log.Info("admin token created from VIGIL_ADMIN_TOKEN")
		return nil
	}
	printTokenBox(stdout, secret)
	log.Info("admin token created and printed on standard output")
	return nil
}

// printTokenBox prints the admin token in a box that stands out from the
// log lines.
func printTokenBox(w io.Writer, secret string) {
	lines := []string{
		"Admin API token (shown once, store it now): " + secret,
		"Send it as: Authorization: Bearer <token>",
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l))
	}
	rule := "+" + strings.Repeat("-", width+2) + "+"
	fmt.Fprintln(w, rule)
	for _, l := range lines {
		fmt.Fprintf(w, "| %-*s |\n", width, l)
	}
	fmt.Fprintln(w, rule)
}

// loadServeRules loads the rules; each rule that cannot be loaded is logged
// with its diagnostic and skipped, and the server starts with the rest. It
// fails only when a path cannot be read.
func loadServeRules(paths []string, opts sigma.Options, log *slog.Logger) (*sigma.Ruleset,
	error) {
	if len(paths) == 0 {
		log.Warn("no rules given: events are stored but nothing is detected")
		return sigma.NewRuleset(nil), nil
	}
	start := time.Now()
	rs, diags, err := sigma.Load(paths, opts)
	if err != nil {
		return nil, err
	}
	failed, skipped := 0, 0
	for _, d := range diags {
		if d.Skipped {
			skipped++
			log.Debug("rule skipped", "rule_id", d.RuleID, "file", d.File, "reason", d.Reason)
			continue
		}
		failed++
		log.Warn("rule not loaded", "rule_id", d.RuleID, "file", d.File, "line", d.Line,
			"reason", d.Reason)
	}
	log.Info("rules loaded", "count", len(rs.Rules()), "failed", failed, "skipped", skipped,
		"duration_ms", time.Since(start).Milliseconds())
	return rs, nil
}

// ruleCatalog lists the loaded rules with the SHA-256 of the file each was
// read from: the rule versions that post-mortems' follow-ups link to.
func ruleCatalog(rs *sigma.Ruleset) postmortem.Catalog {
	var vs []postmortem.RuleVersion
	for _, r := range rs.Rules() {
		vs = append(vs, postmortem.RuleVersion{ID: r.ID, Title: r.Title, File: r.File,
			SHA256: r.FileSHA256})
	}
	return postmortem.NewCatalog(vs)
}
