package anomaly

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// events returns one event of minute i.
func events(i int) []*event.Event {
	return []*event.Event{{Time: t0.Add(time.Duration(i) * time.Minute), Fields: map[string]any{
		"program": "sshd", "host": "h", "message": fmt.Sprintf("Accepted password for u%d from "+
			"10.0.0.%d port 22 ssh2", i%3, i%7)}}}
}

// FuzzParseConfig checks that any configuration file either fails with an
// error naming the file or gives a configuration that NewDetector accepts.
func FuzzParseConfig(f *testing.F) {
	f.Add("bucket: 30m\nhistory: 336h\ndefaults:\n  learning: 2h\n  mute: [all]\n")
	f.Add("services:\n  sshd:\n    spike_score: 8\n    mute: [new_value]\n")
	f.Add("defaults: [1, 2]\n")
	f.Add("bucket: -1h\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseConfig([]byte(text), "fuzz.yml")
		if err != nil {
			return
		}
		if _, err := NewDetector(cfg); err != nil {
			t.Fatalf("ParseConfig accepted %q, NewDetector refused it: %v", text, err)
		}
	})
}

// FuzzRestoreState checks that restoring any bytes, as they are and as the
// content of a gzip stream (so that the fuzzer reaches the JSON), fails
// cleanly or leaves a Detector that still observes events.
func FuzzRestoreState(f *testing.F) {
	d, err := NewDetector(DetectorConfig{})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 50 {
		d.Observe(events(i), []int64{int64(i + 1)})
	}
	good, err := d.MarshalState()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("not gzip"))
	f.Add(good[:len(good)/2])
	if zr, err := gzip.NewReader(bytes.NewReader(good)); err == nil {
		plain, _ := io.ReadAll(zr)
		f.Add(plain)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var zipped bytes.Buffer
		zw := gzip.NewWriter(&zipped)
		zw.Write(data)
		zw.Close()
		for _, in := range [][]byte{data, zipped.Bytes()} {
			r, err := NewDetector(DetectorConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if r.RestoreState(in) != nil {
				continue
			}
			for i := range 3 {
				r.Observe(events(i), []int64{int64(i + 1)})
			}
			r.Tick(t0.Add(time.Hour))
			if _, err := r.MarshalState(); err != nil {
				t.Fatalf("MarshalState after a restore: %v", err)
			}
		}
	})
}
