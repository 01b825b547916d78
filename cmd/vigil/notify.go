package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// notifyConfig is the resolved configuration of notifications to people.
type notifyConfig struct {
	smtp  notify.SMTPConfig // Host empty: no e-mail channel
	retry notify.Retry
	// webhookAllowPrivate lets webhooks reach loopback, private and
	// link-local addresses (notify.ErrPrivateTarget).
	webhookAllowPrivate bool
	// notice configures the notices to tenants (notices.go).
	notice noticeConfig
}

// notifyFlags are the flags of notifications, before the environment.
type notifyFlags struct {
	host, from, user    *string
	port, maxAttempts   *int
	requireTLS          *bool
	allowPrivate        *bool
	backoff, backoffMax *time.Duration
	notice              *noticeFlags
}

// addNotifyFlags defines the notification flags on fs.
func addNotifyFlags(fs *flag.FlagSet) *notifyFlags {
	return &notifyFlags{
		host: fs.String("smtp-host", "", "SMTP server for e-mail notifications; empty: "+
			"e-mails wait in the outbox (env VIGIL_SMTP_HOST)"),
		port: fs.Int("smtp-port", 587, "SMTP server port (env VIGIL_SMTP_PORT)"),
		from: fs.String("smtp-from", "", "sender address of notifications (env VIGIL_SMTP_FROM)"),
		user: fs.String("smtp-user", "", "SMTP user for AUTH PLAIN; the password is read from "+
			"VIGIL_SMTP_PASSWORD only (env VIGIL_SMTP_USER)"),
		requireTLS: fs.Bool("smtp-require-tls", false, "refuse to send unless the server "+
			"offers STARTTLS (env VIGIL_SMTP_REQUIRE_TLS)"),
		allowPrivate: fs.Bool("webhook-allow-private", false, "let webhooks reach loopback, "+
			"private and link-local addresses (env VIGIL_WEBHOOK_ALLOW_PRIVATE)"),
		maxAttempts: fs.Int("notify-max-attempts", notify.DefaultMaxAttempts,
			"delivery attempts before a notification is dead (env VIGIL_NOTIFY_MAX_ATTEMPTS)"),
		backoff: fs.Duration("notify-backoff", notify.DefaultBackoffBase,
			"wait after the first failed attempt, doubling after each (env VIGIL_NOTIFY_BACKOFF)"),
		backoffMax: fs.Duration("notify-backoff-max", notify.DefaultBackoffMax,
			"longest wait between attempts (env VIGIL_NOTIFY_BACKOFF_MAX)"),
		notice: addNoticeFlags(fs),
	}
}

// resolve applies the environment to the flags not given: flags >
// environment > defaults.
func (nf *notifyFlags) resolve(given map[string]bool, getenv func(string) string) (
	notifyConfig, error) {
	str := func(name, env, v string) string {
		if e := getenv(env); !given[name] && e != "" {
			return e
		}
		return v
	}
	var errs []error
	num := func(name, env string, v int) int {
		s := str(name, env, strconv.Itoa(v))
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a positive integer", env, s))
		}
		return n
	}
	dur := func(name, env string, v time.Duration) time.Duration {
		s := str(name, env, v.String())
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a positive duration", env, s))
		}
		return d
	}
	cfg := notifyConfig{
		smtp: notify.SMTPConfig{
			Host:     str("smtp-host", "VIGIL_SMTP_HOST", *nf.host),
			Port:     num("smtp-port", "VIGIL_SMTP_PORT", *nf.port),
			From:     str("smtp-from", "VIGIL_SMTP_FROM", *nf.from),
			User:     str("smtp-user", "VIGIL_SMTP_USER", *nf.user),
			Password: notify.Secret(getenv("VIGIL_SMTP_PASSWORD")),
		},
		retry: notify.Retry{
			MaxAttempts: num("notify-max-attempts", "VIGIL_NOTIFY_MAX_ATTEMPTS", *nf.maxAttempts),
			Base:        dur("notify-backoff", "VIGIL_NOTIFY_BACKOFF", *nf.backoff),
			Max:         dur("notify-backoff-max", "VIGIL_NOTIFY_BACKOFF_MAX", *nf.backoffMax),
		},
	}
	tlsFlag := str("smtp-require-tls", "VIGIL_SMTP_REQUIRE_TLS",
		strconv.FormatBool(*nf.requireTLS))
	var err error
	if cfg.smtp.RequireTLS, err = strconv.ParseBool(tlsFlag); err != nil {
		errs = append(errs, fmt.Errorf("VIGIL_SMTP_REQUIRE_TLS %q: want true or false", tlsFlag))
	}
	private := str("webhook-allow-private", "VIGIL_WEBHOOK_ALLOW_PRIVATE",
		strconv.FormatBool(*nf.allowPrivate))
	if cfg.webhookAllowPrivate, err = strconv.ParseBool(private); err != nil {
		errs = append(errs, fmt.Errorf("VIGIL_WEBHOOK_ALLOW_PRIVATE %q: want true or false",
			private))
	}
	cfg.notice = nf.notice.resolve(given, getenv)
	if cfg.smtp.Host != "" && cfg.smtp.From == "" {
		errs = append(errs, errors.New("--smtp-host needs --smtp-from (or VIGIL_SMTP_FROM)"))
	}
	return cfg, errors.Join(errs...)
}

// startNotifications starts the outbox worker of vigil serve; notices,
// when not nil, hears each attempt (the proof of delivery of tenant
// notices). It returns the notifier of the response team and a stop
// function that ends the worker (an attempt in flight is cut off and sent
// again after a restart) and waits for it.
func startNotifications(ctx context.Context, st store.Store, cfg notifyConfig,
	notices *notice.Service, log *slog.Logger) (team.Notifier, func(), error) {
	d := notify.NewDispatcher(st, store.NotifyDirectory(st))
	senders := map[notify.Channel]notify.Sender{
		notify.ChannelWebhook: notify.NewWebhookSender(st,
			notify.WebhookClient(cfg.webhookAllowPrivate), nil).WithContacts(
			notice.ContactHooks{Store: st, Secret: cfg.notice.webhookSecret}),
	}
	var observer notify.Observer
	if notices != nil {
		observer = notices.Observer()
	}
	if cfg.smtp.Host != "" {
		mail, err := notify.NewEmail(cfg.smtp)
		if err != nil {
			return nil, nil, err
		}
		senders[notify.ChannelEmail] = mail
		log.Info("e-mail notifications on", "smtp_host", cfg.smtp.Host, "smtp_user",
			cfg.smtp.User, "password_set", cfg.smtp.Password != "")
	} else {
		log.Warn("no --smtp-host: e-mail notifications fail their attempts until one is set")
	}
	w, err := notify.NewWorker(notify.WorkerConfig{Outbox: st, Senders: senders,
		Retry: cfg.retry, Audit: audit.New(st, nil), Tx: store.View[notify.Tx]{Store: st},
		Updates: d, Observer: observer, Logger: log.With("component", "notify")})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	return notify.TeamNotifier{D: d}, stop, nil
}
