package main

import (
	"flag"
	"log/slog"
	"path/filepath"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/notice"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/obligation"
	"github.com/vigilsec/vigil/internal/store"
)

// noticeConfig is the resolved configuration of the notices to tenants
// (docs/notifications.md "Notices to tenants").
type noticeConfig struct {
	// provider and contact sign the notices and give whom to ask.
	provider, contact string
	// webhookSecret signs the posts to tenants' own webhooks, derived per
	// tenant (notice.TenantSecret); read from VIGIL_NOTICE_WEBHOOK_SECRET
	// only. Empty: tenant webhooks fail their attempts, visibly.
	webhookSecret notify.Secret
}

// noticeFlags are the flags of notices, before the environment.
type noticeFlags struct {
	provider, contact *string
}

// addNoticeFlags defines the notice flags on fs.
func addNoticeFlags(fs *flag.FlagSet) *noticeFlags {
	return &noticeFlags{
		provider: fs.String("notice-provider", "", "the provider's name as notices to "+
			"tenants are signed (env VIGIL_NOTICE_PROVIDER); the signing key of tenant "+
			"webhooks is read from VIGIL_NOTICE_WEBHOOK_SECRET only"),
		contact: fs.String("notice-contact", "", "the contact point that notices to tenants "+
			"give: name, e-mail, telephone (env VIGIL_NOTICE_CONTACT)"),
	}
}

// resolve applies the environment to the flags not given.
func (nf *noticeFlags) resolve(given map[string]bool, getenv func(string) string) noticeConfig {
	str := func(name, env, v string) string {
		if e := getenv(env); !given[name] && e != "" {
			return e
		}
		return v
	}
	return noticeConfig{
		provider:      str("notice-provider", "VIGIL_NOTICE_PROVIDER", *nf.provider),
		contact:       str("notice-contact", "VIGIL_NOTICE_CONTACT", *nf.contact),
		webhookSecret: notify.Secret(getenv("VIGIL_NOTICE_WEBHOOK_SECRET")),
	}
}

// newNotices returns the notice service of vigil serve over the
// obligations and their catalog, keeping the proofs of delivery beside the
// evidence under dataDir.
func newNotices(dataDir string, st store.Store, obl *obligation.Service, cfg noticeConfig,
	log *slog.Logger) (*notice.Service, error) {
	blobs, err := evidence.NewFileBlobs(filepath.Join(dataDir, "evidence"))
	if err != nil {
		return nil, err
	}
	svc, err := notice.New(notice.Config{Store: st, Catalog: obl.Catalog(), Obligations: obl,
		Blobs: blobs, Audit: audit.New(st, nil), Provider: cfg.provider, Contact: cfg.contact,
		Logger: log.With("component", "notice")})
	if err != nil {
		return nil, err
	}
	if cfg.webhookSecret == "" {
		log.Warn("no VIGIL_NOTICE_WEBHOOK_SECRET: notices to tenant webhooks fail their " +
			"attempts until one is set")
	}
	return svc, nil
}
