package hunt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/sigma"
)

const testRule = `title: Numbered
id: 11111111-2222-3333-4444-555555555555
level: high
logsource:
    product: test
detection:
    selection:
        n|endswith: '7'
    condition: selection
`

func writeInput(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"n\": \"%d\", \"logsource\": {\"product\": \"test\"}}\n", i)
	}
	p := filepath.Join(t.TempDir(), "numbers.ndjson")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testRules(t *testing.T) *sigma.Ruleset {
	t.Helper()
	rules, diags := sigma.Parse([]byte(testRule), "test.yml", sigma.Options{})
	if len(diags) > 0 || len(rules) != 1 {
		t.Fatalf("parse test rule: %d rules, diagnostics %v", len(rules), diags)
	}
	return sigma.NewRuleset(rules)
}

// TestRunKeepsInputOrder checks that detections arrive in input order and
// are all counted when several workers match small batches.
func TestRunKeepsInputOrder(t *testing.T) {
	in := writeInput(t, 5000)
	var lines []int
	h := New(Config{
		Rules: testRules(t), Workers: 4, BatchSize: 7,
		Output: func(d Detection) error {
			lines = append(lines, d.Event.Source.Line)
			return nil
		},
	})
	sum, err := h.Run(context.Background(), []string{in})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 5000 || sum.Detections != 500 || len(lines) != 500 {
		t.Fatalf("events %d detections %d delivered %d, want 5000, 500, 500",
			sum.Events, sum.Detections, len(lines))
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Fatalf("detection %d from line %d after line %d: out of order", i, lines[i], lines[i-1])
		}
	}
	if sum.ByLevel["high"] != 500 || len(sum.ByRule) != 1 || sum.ByRule[0].Count != 500 {
		t.Errorf("summary by level %v, by rule %+v", sum.ByLevel, sum.ByRule)
	}
	if sum.Files != 1 {
		t.Errorf("files %d, want 1", sum.Files)
	}
}

func TestRunStopsOnOutputError(t *testing.T) {
	in := writeInput(t, 20000)
	boom := errors.New("disk full")
	calls := 0
	h := New(Config{Rules: testRules(t), Workers: 2, BatchSize: 16,
		Output: func(Detection) error { calls++; return boom }})
	_, err := h.Run(context.Background(), []string{in})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want %v", err, boom)
	}
	if calls != 1 {
		t.Errorf("output called %d times after failing, want 1", calls)
	}
}

func TestRunCancelled(t *testing.T) {
	in := writeInput(t, 50000)
	ctx, cancel := context.WithCancel(context.Background())
	h := New(Config{Rules: testRules(t), Workers: 2, BatchSize: 8,
		Output: func(Detection) error { cancel(); return nil }})
	done := make(chan error, 1)
	go func() { _, err := h.Run(ctx, []string{in}); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after cancellation")
	}
}

// BenchmarkHuntAttackJSON is the end-to-end hunt: all SigmaHQ Windows rules
// over the events of the five attack-json archives, read from the zips,
// mapped and matched on one worker (so the figure is per core).
func BenchmarkHuntAttackJSON(b *testing.B) {
	rulesDir := corpustest.Path(b, "sigma", "rules", "windows")
	inputs := []string{corpustest.Path(b, "attack-json")}
	start := time.Now()
	rs, diags, err := sigma.Load([]string{rulesDir}, sigma.Options{})
	if err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)

	var events int64
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for b.Loop() {
		sum, err := New(Config{Rules: rs, Workers: 1}).Run(context.Background(), inputs)
		if err != nil {
			b.Fatal(err)
		}
		events += sum.Events
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(events), "allocs/event")
	// Reported after the loop: b.Loop clears metrics reported before it.
	b.ReportMetric(float64(len(rs.Rules())), "rules")
	b.ReportMetric(float64(len(diags)), "rules_not_loaded")
	b.ReportMetric(load.Seconds(), "load_s")
}
