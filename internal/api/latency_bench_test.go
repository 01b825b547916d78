package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
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

// Latency benchmark settings: requests per endpoint, the time after which
// an endpoint stops early (slow queries), and the concurrent clients.
const (
	latencyRequests = 2000
	latencyCap      = 60 * time.Second
	latencyClients  = 8
)

// latencySize is the data set of BenchmarkIncidentLatency: issue 3's
// 100,000 incidents and 1,000,000 alerts, times VIGIL_LATENCY_SCALE (a
// fraction, for a quick try).
func latencySize(b *testing.B) seedSize {
	scale := 1.0
	if s := os.Getenv("VIGIL_LATENCY_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || v > 1 {
			b.Fatalf("VIGIL_LATENCY_SCALE=%q: want a number in (0, 1]", s)
		}
		scale = v
	}
	f := func(n int) int { return max(int(float64(n)*scale), 10) }
	return seedSize{Incidents: f(100_000), Alerts: f(1_000_000), Events: f(200_000),
		Cases: f(2_000)}
}

// BenchmarkIncidentLatency measures the latency of the incident list and
// the incident page (and the alert list and triage queue) through the real
// handler over a seeded store, on SQLite and PostgreSQL. Each endpoint gets
// latencyRequests sequential requests whatever b.N is; run it with
// -benchtime 1x (docs/performance.md). The seeded SQLite file is kept in
// the temporary directory, keyed by the schema and size.
func BenchmarkIncidentLatency(b *testing.B) {
	n := latencySize(b)
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		path := cachedSQLite(b, n)
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		runLatency(b, st, n)
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
		runLatency(b, st, n)
	})
}

// cachedSQLite returns the path of a seeded SQLite database, seeding it
// first when the temporary directory has none for this schema and size.
func cachedSQLite(b *testing.B, n seedSize) string {
	h := sha256.New()
	files, _ := filepath.Glob(filepath.Join("..", "store", "sqlite", "migrations", "*.sql"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(data)
	}
	fmt.Fprintf(h, "%+v", n)
	path := filepath.Join(os.TempDir(),
		"vigil-latency-"+hex.EncodeToString(h.Sum(nil))[:16]+".db")
	if _, err := os.Stat(path); err == nil {
		b.Logf("sqlite: reusing %s", path)
		return path
	}
	ctx := context.Background()
	tmp := path + ".seeding"
	os.Remove(tmp)
	st, err := sqlite.Open(ctx, tmp) // migrates
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateToken(ctx, store.Token{Name: "bench", Hash: auth.HashToken(goodToken),
		Role: "admin"}); err != nil {
		b.Fatal(err)
	}
	st.Close()
	start := time.Now()
	rows, err := seedSQLite(ctx, tmp, n)
	if err != nil {
		b.Fatalf("seed: %v", err)
	}
	b.Logf("sqlite: seeded %d rows in %s", rows, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// endpoint is one measured request: its name and its path for request i.
type endpoint struct {
	name    string
	clients int
	path    func(r *rand.Rand) string
}

// runLatency serves the API over st and measures every endpoint.
func runLatency(b *testing.B, st store.Store, n seedSize) {
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

	randID := func(r *rand.Rand) int64 { return 1 + r.Int64N(int64(n.Incidents)) }
	deep := func(r *rand.Rand) string {
		// A cursor somewhere in the older nine tenths: hundreds of pages deep.
		return store.EncodeCursor(1 + int64(n.Incidents)/10 + r.Int64N(int64(n.Incidents)*9/10))
	}
	get := func(r *rand.Rand) string { return fmt.Sprintf("/api/v1/incidents/%d", randID(r)) }
	first := func(*rand.Rand) string { return "/api/v1/incidents?limit=50" }
	for _, e := range []endpoint{
		{"incidents_first", 1, first},
		{"incidents_deep", 1, func(r *rand.Rand) string {
			return "/api/v1/incidents?limit=50&cursor=" + deep(r)
		}},
		{"incidents_open_high", 1, func(*rand.Rand) string {
			return "/api/v1/incidents?status=open&severity=high&limit=50"
		}},
		{"incidents_closed_low_deep", 1, func(r *rand.Rand) string {
			return "/api/v1/incidents?status=closed&severity=low&limit=50&cursor=" + deep(r)
		}},
		{"incident_get", 1, get},
		{"alerts_first", 1, func(*rand.Rand) string { return "/api/v1/alerts?limit=50" }},
		{"queue_first", 1, func(*rand.Rand) string { return "/api/v1/queue?limit=50" }},
		{"incidents_first_8c", latencyClients, first},
		{"incident_get_8c", latencyClients, get},
	} {
		b.Run(e.name, func(b *testing.B) { measure(b, srv.URL, e) })
	}
}

// measure sends latencyRequests requests of e (or as many as latencyCap
// allows) and reports p50, p99, max and mean in milliseconds.
func measure(b *testing.B, base string, e endpoint) {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		wg    sync.WaitGroup
		start = time.Now()
	)
	for c := range e.clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 99))
			for i := 0; i < latencyRequests/e.clients && time.Since(start) < latencyCap; i++ {
				d, err := timedGet(base + e.path(r))
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		b.Fatal("no request succeeded")
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	at := func(q float64) time.Duration { return lat[min(int(q*float64(len(lat))), len(lat)-1)] }
	b.ReportMetric(ms(at(0.50)), "p50_ms")
	b.ReportMetric(ms(at(0.99)), "p99_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
	b.ReportMetric(ms(sum/time.Duration(len(lat))), "mean_ms")
	b.ReportMetric(float64(len(lat)), "requests")
}

// timedGet sends an authenticated GET and returns its latency, body read.
func timedGet(url string) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+goodToken)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return d, nil
}
