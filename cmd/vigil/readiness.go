package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/store"
)

// remindEvery is how often vigil serve queues the preparation program's
// reminders; each person gets at most one of each kind per ISO week.
const remindEvery = time.Hour

// startReminders queues the readiness reminders, those of overdue
// post-mortem follow-ups and those of tenant contacts stale after
// staleAfter now and every remindEvery until ctx ends; the returned
// function stops it and waits.
func startReminders(ctx context.Context, svc *readiness.Service, st store.Store,
	staleAfter time.Duration, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(remindEvery)
		defer t.Stop()
		for {
			res, err := svc.Remind(ctx)
			if err != nil && ctx.Err() == nil {
				log.Warn("readiness reminders", "err", err)
			} else if res.Training+res.Findings > 0 {
				log.Info("readiness reminders queued", "training", res.Training,
					"findings", res.Findings)
			}
			fu, err := api.FollowUpReminders(ctx, st, time.Now())
			if err != nil && ctx.Err() == nil {
				log.Warn("follow-up reminders", "err", err)
			} else if fu.Owners+fu.Team > 0 {
				log.Info("follow-up reminders queued", "owners", fu.Owners, "team", fu.Team)
			}
			sc, err := api.ContactReminders(ctx, st, staleAfter, time.Now())
			if err != nil && ctx.Err() == nil {
				log.Warn("stale contact reminders", "err", err)
			} else if sc.Communications+sc.TenantAdmins > 0 {
				log.Info("stale contact reminders queued", "stale", sc.Stale,
					"communications", sc.Communications, "tenant_admins", sc.TenantAdmins)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
