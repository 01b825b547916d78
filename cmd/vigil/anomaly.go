package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/anomaly"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// The anomaly models' state is saved under this name, every saveInterval
// and at shutdown; tickInterval paces the clock that finds silences.
const (
	anomalyStateName    = "detector"
	anomalySaveInterval = 5 * time.Minute
	anomalyTickInterval = 30 * time.Second
)

// newAnomalyDetector builds the anomaly models from the configuration file
// (none: the defaults) and restores their saved state. A saved state that
// cannot be read is logged and the models start afresh.
func newAnomalyDetector(ctx context.Context, path string, st store.AnomalyState,
	reg prometheus.Registerer, log *slog.Logger) (*anomaly.Detector, error) {
	var cfg anomaly.DetectorConfig
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read anomaly config: %w", err)
		}
		if cfg, err = anomaly.ParseConfig(data, path); err != nil {
			return nil, err
		}
	}
	cfg.Logger, cfg.Registerer = log, reg
	det, err := anomaly.NewDetector(cfg)
	if err != nil {
		return nil, err
	}
	data, err := st.LoadAnomalyState(ctx, anomalyStateName)
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.Info("anomaly models start learning")
	case err != nil:
		return nil, err
	default:
		if err := det.RestoreState(data); err != nil {
			log.Warn("anomaly state not restored; the models start learning again", "err", err)
		} else {
			log.Info("anomaly state restored", "bytes", len(data))
		}
	}
	return det, nil
}

// runAnomalyClock ticks the detector every anomalyTickInterval, storing the
// silences it finds through the pipeline, and saves its state every
// anomalySaveInterval. stop ends the loop and saves the state once more.
func runAnomalyClock(ctx context.Context, det *anomaly.Detector, p *detect.Pipeline,
	st store.AnomalyState, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(anomalyTickInterval)
		defer tick.Stop()
		lastSave := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				p.RaiseModelAlerts(ctx, det.Tick(now))
				if now.Sub(lastSave) >= anomalySaveInterval {
					saveAnomalyState(ctx, det, st, log)
					lastSave = now
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		saveAnomalyState(sctx, det, st, log)
	}
}

// saveAnomalyState stores the models' state. It is not audited, and so not
// written through store.Atomically: the state is what the models learned
// from ingested events (themselves unaudited), not a change anyone made;
// the alerts the models raise are audited, through the pipeline.
func saveAnomalyState(ctx context.Context, det *anomaly.Detector, st store.AnomalyState,
	log *slog.Logger) {
	data, err := det.MarshalState()
	if err == nil {
		err = st.SaveAnomalyState(ctx, anomalyStateName, data)
	}
	if err != nil {
		log.Warn("anomaly state not saved", "err", err)
		return
	}
	log.Debug("anomaly state saved", "bytes", len(data))
}

// modelsOf returns det as the pipeline's Models, nil when there is none (a
// nil *Detector in the interface would not be nil).
func modelsOf(det *anomaly.Detector) detect.Models {
	if det == nil {
		return nil
	}
	return det
}
