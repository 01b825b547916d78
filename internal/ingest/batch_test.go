package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vigilsec/vigil/internal/event"
)

func batch(t testing.TB, body string, opts Options) (got, error) {
	t.Helper()
	events, rejects, err := ParseBatch(strings.NewReader(body), opts)
	var g got
	for _, e := range events {
		b, merr := json.Marshal(e.Fields)
		if merr != nil {
			t.Fatal(merr)
		}
		g.Events = append(g.Events, e.Source.String()+" "+string(b))
	}
	for _, r := range rejects {
		msg := r.Error()
		if r.TooLong != strings.Contains(r.Reason, " exceeds ") ||
			r.Record != strings.HasPrefix(r.Reason, "record ") && r.TooLong {
			msg += fmt.Sprintf(" [TooLong=%v Record=%v]", r.TooLong, r.Record)
		}
		g.Errors = append(g.Errors, msg)
	}
	return g, err
}

func TestParseBatch(t *testing.T) {
	t.Parallel()
	long := `{"x":"` + strings.Repeat("a", 64) + `"}`
	tests := []struct {
		name string
		body string
		want got
	}{
		{
			name: "ndjson",
			body: "{\"a\":1}\r\n\r\n{\"b\":2}\n",
			want: got{Events: []string{`:1 {"a":1}`, `:3 {"b":2}`}},
		},
		{
			name: "ndjson with rejects",
			body: "{\"a\":1}\n" + long + "\nnot json\n7\n{\"b\":2}",
			want: got{
				Events: []string{`:1 {"a":1}`, `:5 {"b":2}`},
				Errors: []string{
					"line 2: line exceeds 32 bytes",
					"line 3: invalid JSON: invalid character 'o' in literal null (expecting 'u')",
					"line 4: not a JSON object: number",
				},
			},
		},
		{
			name: "array",
			body: "[\n{\"a\":1},\n\"s\",\n{\"b\":2}\n]",
			want: got{
				Events: []string{`:2 {"a":1}`, `:4 {"b":2}`},
				Errors: []string{"line 3: not a JSON object: string"},
			},
		},
		{
			name: "array with an element over the limit",
			body: "[" + long + ",{\"b\":2}]",
			want: got{
				Events: []string{`:1 {"b":2}`},
				Errors: []string{"line 1: record exceeds 32 bytes"},
			},
		},
		{
			name: "text is rejected line by line",
			body: "Mar 30 16:01:36 h sshd[1]: x\n",
			want: got{Errors: []string{
				"line 1: invalid JSON: invalid character 'M' looking for beginning of value",
			}},
		},
		{
			name: "empty",
			body: "",
			want: got{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := batch(t, tc.body, Options{MaxLineBytes: 32, Mapping: &event.Mapping{}})
			if err != nil {
				t.Fatalf("ParseBatch: %v", err)
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("ParseBatch(%q) (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

func TestParseBatchMapsEvents(t *testing.T) {
	t.Parallel()
	body := `{"winlog":{"event_id":4625,"channel":"Security"},"@timestamp":"2025-03-01T10:00:00Z"}`
	events, rejects, err := ParseBatch(strings.NewReader(body), Options{})
	if err != nil || len(rejects) != 0 || len(events) != 1 {
		t.Fatalf("ParseBatch = %d events, %v, %v", len(events), rejects, err)
	}
	e := events[0]
	if e.Fields["EventID"] != json.Number("4625") || e.Fields["Channel"] != "Security" ||
		e.Time.IsZero() {
		t.Errorf("event not mapped: %v at %v", e.Fields, e.Time)
	}
	if e.Source != (event.Source{Line: 1}) {
		t.Errorf("Source = %+v, want line 1 and no file", e.Source)
	}
}

func TestParseBatchReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := &failingReader{data: []byte("{\"a\":1}\n{\"b\""), err: boom}
	events, _, err := ParseBatch(r, Options{})
	if !errors.Is(err, boom) {
		t.Errorf("ParseBatch error = %v, want %v", err, boom)
	}
	if len(events) != 1 {
		t.Errorf("%d events before the error, want 1", len(events))
	}
}
