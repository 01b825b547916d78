package anomaly

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	messages  prometheus.Counter
	alerts    *prometheus.CounterVec
	templates prometheus.GaugeFunc
}

func newMetrics(d *Detector) metrics {
	return metrics{
		messages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_anomaly_messages_total",
			Help: "Log messages mined into templates by the anomaly models.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_anomaly_alerts_total",
			Help: "Alerts raised by the anomaly models, by model.",
		}, []string{"model"}),
		templates: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigil_anomaly_templates",
			Help: "Log templates held by the anomaly models, all services.",
		}, func() float64 { return float64(d.templateCount()) }),
	}
}

func (m metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.messages, m.alerts, m.templates} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (d *Detector) templateCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, s := range d.services {
		n += s.miner.Len()
	}
	return n
}
