package api_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/postgres/pgtest"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// metricsRequests is how many requests each metrics query gets.
const metricsRequests = 20

// BenchmarkResponseMetrics measures GET /api/v1/response-metrics through
// the real handler over the data set of BenchmarkIncidentLatency (100,000
// incidents, 1,000,000 alerts; VIGIL_LATENCY_SCALE shrinks it), on SQLite
// and PostgreSQL: the default 90 days, the whole two years grouped by
// severity and by month, and a CSV table. Run it with -benchtime 1x
// (docs/performance.md).
func BenchmarkResponseMetrics(b *testing.B) {
	n := latencySize(b)
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(ctx, cachedSQLite(b, n))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		runMetrics(b, st)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.NewDatabase(b)
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		rows, err := seedPostgres(ctx, dsn, n)
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
		b.Logf("postgres: seeded %d rows in %s", rows, time.Since(start).Round(time.Second))
		if err := st.CreateToken(ctx, store.Token{Name: "bench",
			Hash: auth.HashToken(goodToken), Role: "admin"}); err != nil {
			b.Fatal(err)
		}
		runMetrics(b, st)
	})
}

// processCPU returns the CPU time (user and system) this process used so
// far: a request's share of it measures its work in this process (all of
// it with SQLite, the client side with PostgreSQL) whatever else loads the
// machine.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runMetrics serves the API over st and times each metrics query.
func runMetrics(b *testing.B, st store.Store) {
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st,
		Rules: kindRules{}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := api.New(api.Config{Store: st, Pipeline: p})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	all := "from=2025-01-01&to=2027-01-01"
	for _, q := range []struct{ name, query string }{
		{"last_90_days", ""},
		{"two_years_by_severity", all + "&group=severity"},
		{"two_years_by_month", all + "&group=period&period=month"},
		{"two_years_csv_times", all + "&group=service&format=csv&table=times"},
	} {
		b.Run(q.name, func(b *testing.B) {
			var lat, cpu []time.Duration
			for range metricsRequests {
				before := processCPU(b)
				d, err := timedGet(srv.URL + "/api/v1/response-metrics?" + q.query)
				if err != nil {
					b.Fatal(err)
				}
				lat, cpu = append(lat, d), append(cpu, processCPU(b)-before)
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
			b.ReportMetric(ms(cpu[len(cpu)/2]), "cpu_p50_ms")
		})
	}
}
