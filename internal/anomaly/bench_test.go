package anomaly

import (
	"runtime"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/event"
)

// BenchmarkMinerLoghub mines the Content column of the 12 Loghub 2k systems
// one after another (24,000 messages) with a fresh Miner each iteration, on
// one goroutine: the figure is messages per second per core. It includes
// template creation and merging, which a long-running Miner mostly skips.
func BenchmarkMinerLoghub(b *testing.B) {
	dir := corpustest.Path(b, "loghub-2k")
	var msgs []string
	for _, s := range loghubSystems {
		content, _ := loadStructured(b, dir, s.name)
		msgs = append(msgs, content...)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	templates := 0
	for b.Loop() {
		m := NewMiner(MinerConfig{})
		for _, msg := range msgs {
			m.Match(msg)
		}
		templates = m.Len()
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	n := float64(len(msgs) * b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n, "allocs/msg")
	b.ReportMetric(float64(templates), "templates")
}

// BenchmarkMinerSteady mines the same 24,000 messages with a Miner that has
// seen them once: the steady state of a server, where templates exist.
func BenchmarkMinerSteady(b *testing.B) {
	dir := corpustest.Path(b, "loghub-2k")
	var msgs []string
	for _, s := range loghubSystems {
		content, _ := loadStructured(b, dir, s.name)
		msgs = append(msgs, content...)
	}
	m := NewMiner(MinerConfig{})
	for _, msg := range msgs {
		m.Match(msg)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, msg := range msgs {
			m.Match(msg)
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDetectorLoghub runs every model over the 24,000 Loghub messages
// as events: one service and host per system, one event a second, hourly
// buckets, one goroutine. The figure is events per second per core.
func BenchmarkDetectorLoghub(b *testing.B) {
	dir := corpustest.Path(b, "loghub-2k")
	var events []*event.Event
	for _, s := range loghubSystems {
		content, _ := loadStructured(b, dir, s.name)
		for _, msg := range content {
			events = append(events, &event.Event{
				Time: t0.Add(time.Duration(len(events)) * time.Second),
				Fields: map[string]any{"service": s.name, "host": "host-" + s.name,
					"level": "info", "message": msg}})
		}
	}
	ids := make([]int64, len(events))
	b.ResetTimer()
	for b.Loop() {
		d, err := NewDetector(DetectorConfig{Now: func() time.Time { return t0 }})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(events); i += 100 {
			d.Observe(events[i:min(i+100, len(events))], ids[i:min(i+100, len(events))])
		}
	}
	b.ReportMetric(float64(len(events)*b.N)/b.Elapsed().Seconds(), "events/s")
}
