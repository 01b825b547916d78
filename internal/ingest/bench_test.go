package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// BenchmarkReadAttackJSON reads the five attack-json zips (7,825 NXLog
// events) and reports events per second.
func BenchmarkReadAttackJSON(b *testing.B) {
	zips, _ := filepath.Glob(filepath.Join(corpus(b, "attack-json"), "*", "*.zip"))
	if len(zips) == 0 {
		b.Fatal("no attack-json zips")
	}
	ctx := context.Background()
	n := 0
	for b.Loop() {
		err := ReadPaths(ctx, zips, Options{}, func(*event.Event) error {
			n++
			return nil
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReadAuthLog reads the 7,121-line auth.log (RFC 3164).
func BenchmarkReadAuthLog(b *testing.B) {
	path := filepath.Join(corpus(b, "linux-logs"), "ssh-bruteforce-ec2", "auth.log")
	n := 0
	for b.Loop() {
		err := ReadFile(context.Background(), path, Options{}, func(*event.Event) error {
			n++
			return nil
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
