package api_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// attackBatches reads the NDJSON lines of the attack-json archives and cuts
// them into bodies of n lines.
func attackBatches(b *testing.B, n int) (bodies [][]byte, events int) {
	b.Helper()
	zips, _ := filepath.Glob(filepath.Join(corpustest.Path(b, "attack-json"), "*", "*.zip"))
	var cur bytes.Buffer
	lines := 0
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(rc)
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				cur.Write(sc.Bytes())
				cur.WriteByte('\n')
				events++
				if lines++; lines == n {
					bodies = append(bodies, bytes.Clone(cur.Bytes()))
					cur.Reset()
					lines = 0
				}
			}
			rc.Close()
		}
		zr.Close()
	}
	if cur.Len() > 0 {
		bodies = append(bodies, cur.Bytes())
	}
	return bodies, events
}

// BenchmarkPostEvents is the live path end to end: HTTP, batch parsing and
// field mapping, a durable SQLite commit, all SigmaHQ Windows rules, alerts
// and incidents — batches of 500 attack-json events posted one at a time.
func BenchmarkPostEvents(b *testing.B) {
	rs, _, err := sigma.Load([]string{corpustest.Path(b, "sigma", "rules", "windows")},
		sigma.Options{})
	if err != nil {
		b.Fatal(err)
	}
	bodies, events := attackBatches(b, 500)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateToken(ctx, store.Token{Name: "bench", Hash: auth.HashToken(goodToken),
		Role: "admin"}); err != nil {
		b.Fatal(err)
	}
	p, err := detect.NewPipeline(detect.Config{Events: st, Alerts: st, Incidents: st, Rules: rs})
	if err != nil {
		b.Fatal(err)
	}
	h, err := api.New(api.Config{Store: st, Pipeline: p})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	b.ResetTimer()
	for b.Loop() {
		for _, body := range bodies {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/events",
				bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+goodToken)
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}
