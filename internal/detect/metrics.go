package detect

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's Prometheus collectors.
type metrics struct {
	events        prometheus.Counter
	alerts        *prometheus.CounterVec
	incidents     prometheus.Counter
	matchDuration prometheus.Histogram
	errors        prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_events_ingested_total",
			Help: "Events stored by the detection pipeline.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_alerts_total",
			Help: "Alerts raised, by rule level.",
		}, []string{"level"}),
		incidents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_incidents_opened_total",
			Help: "Incidents opened by the detection pipeline.",
		}),
		matchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigil_detect_match_duration_seconds",
			Help: "Time to match one event against all loaded rules.",
			// From 1µs to about 0.5s.
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_detect_errors_total",
			Help: "Alerts or incidents that could not be stored.",
		}),
	}
}

func (m metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		m.events, m.alerts, m.incidents, m.matchDuration, m.errors,
	} {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("register collector: %w", err)
		}
	}
	return nil
}
