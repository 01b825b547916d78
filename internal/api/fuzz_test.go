package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/api"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// countingIngester accepts every event without storing it.
type countingIngester struct{}

func (countingIngester) Ingest(_ context.Context, es []*event.Event) (detect.Result, error) {
	ids := make([]int64, len(es))
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return detect.Result{EventIDs: ids}, nil
}

func FuzzPostEvents(f *testing.F) {
	for _, seed := range []string{
		"{\"a\":1}\n{\"b\":2}\n",
		"[{\"a\":1},{\"b\":[1,2,{\"c\":null}]}]",
		"{\"a\":1}\n{bad\n\n[1]\n\"str\"\n{\"a\":",
		"[{\"a\":1},",
		"\xef\xbb\xbf{\"a\":\"\\u00e9\"}\r\n",
		"{\"a\":\n1}\n",
		strings.Repeat("x", 300),
		"",
	} {
		f.Add([]byte(seed), "application/x-ndjson")
		f.Add([]byte(seed), "")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "vigil.db"))
	if err != nil {
		f.Fatalf("open store: %v", err)
	}
	f.Cleanup(func() { st.Close() })
	err = st.CreateToken(context.Background(),
		store.Token{Name: "fuzz", Hash: auth.HashToken(goodToken), Role: "admin"})
	if err != nil {
		f.Fatalf("create token: %v", err)
	}
	h, err := api.New(api.Config{
		Store: st, Pipeline: countingIngester{}, MaxBodyBytes: 4096, MaxLineBytes: 256,
	})
	if err != nil {
		f.Fatalf("api.New: %v", err)
	}

	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+goodToken)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		var res ingestResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("status %d: body %q is not JSON: %v", rec.Code, rec.Body, err)
		}
		switch rec.Code {
		case http.StatusOK:
			if res.Accepted < 1 || res.Error != "" {
				t.Errorf("200 with %d accepted, error %q", res.Accepted, res.Error)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType:
			if res.Accepted != 0 || res.Error == "" {
				t.Errorf("%d with %d accepted, error %q", rec.Code, res.Accepted, res.Error)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		last := 0
		for _, r := range res.Rejected {
			if r.Line < max(last, 1) || r.Reason == "" {
				t.Errorf("rejected %+v after line %d", r, last)
			}
			last = r.Line
		}
	})
}
