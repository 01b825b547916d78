package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
)

// remindEvery is how often vigil serve queues the preparation program's
// reminders; each person gets at most one of each kind per ISO week.
const remindEvery = time.Hour

// startReminders queues the readiness reminders now and every remindEvery
// until ctx ends; the returned function stops it and waits.
func startReminders(ctx context.Context, svc *readiness.Service,
	log *slog.Logger) func() {
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
