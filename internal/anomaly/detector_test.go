package anomaly

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday

func ev(at time.Time, kv ...string) *event.Event {
	f := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return &event.Event{Time: at, Fields: f}
}

func newTestDetector(t *testing.T, cfg DetectorConfig) *Detector {
	t.Helper()
	cfg.Now = func() time.Time { return t0.Add(365 * 24 * time.Hour) }
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatalf("NewDetector: %v", err)
	}
	return d
}

// observe feeds one event and returns the alerts by model.
func observe(d *Detector, e *event.Event) map[string][]detect.ModelAlert {
	out := map[string][]detect.ModelAlert{}
	for _, a := range d.Observe([]*event.Event{e}, []int64{1}) {
		out[a.Alert.Explanation.Model] = append(out[a.Alert.Explanation.Model], a)
	}
	return out
}

func checkExplained(t *testing.T, a detect.ModelAlert, model string) {
	t.Helper()
	x := a.Alert.Explanation
	if x == nil || x.Model != model || x.Text == "" {
		t.Fatalf("alert %+v: explanation %+v", a.Alert, x)
	}
	if a.Alert.RuleID != RulePrefix+model || a.Alert.GroupKey == "" || a.Alert.Level == "" {
		t.Errorf("alert fields: %+v", a.Alert)
	}
}

func TestDetectorNewTemplateAfterLearning(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{Defaults: Tuning{Learning: time.Hour}})
	at := t0
	for i := range 120 { // two hours, one message a minute
		got := observe(d, ev(at, "program", "sshd", "message",
			fmt.Sprintf("Accepted publickey for deploy from 10.0.0.%d port %d ssh2", i%5, 40000+i)))
		if len(got[ModelNewTemplate]) > 0 {
			t.Fatalf("message %d of a known template raised %+v", i, got)
		}
		at = at.Add(time.Minute)
	}
	learningNew := observe(d, ev(t0.Add(30*time.Minute), "program", "cron", "message", "job x"))
	if len(learningNew[ModelNewTemplate]) != 0 {
		t.Errorf("a new service in its learning period raised an alert")
	}
	got := observe(d, ev(at, "program", "sshd", "message", "Server listening on 0.0.0.0 port 2222."))
	if len(got[ModelNewTemplate]) != 1 {
		t.Fatalf("new template after learning: %+v", got)
	}
	a := got[ModelNewTemplate][0]
	checkExplained(t, a, ModelNewTemplate)
	x := a.Alert.Explanation
	if x.Service != "sshd" || x.Template != "Server listening on <*> port <*>" || x.Observed != 1 ||
		x.Baseline != 0 || x.Score <= 0 {
		t.Errorf("explanation %+v", x)
	}
	if !strings.Contains(x.Text, "120 messages") {
		t.Errorf("text %q does not give the history", x.Text)
	}
	if a.Event == nil || len(a.Alert.EventIDs) != 1 {
		t.Errorf("the alert lacks its event: %+v", a)
	}
}

// feed sends n messages of a template spread evenly over one bucket.
func feed(d *Detector, start time.Time, bucket time.Duration, n int,
	kv ...string) []detect.ModelAlert {
	var out []detect.ModelAlert
	for i := range n {
		at := start.Add(time.Duration(i) * bucket / time.Duration(n))
		e := ev(at, kv...)
		e.Fields["message"] = fmt.Sprintf("%s %d", e.Fields["message"], i)
		out = append(out, d.Observe([]*event.Event{e}, []int64{int64(i + 1)})...)
	}
	return out
}

func byModel(as []detect.ModelAlert, model string) []detect.ModelAlert {
	var out []detect.ModelAlert
	for _, a := range as {
		if a.Alert.Explanation.Model == model {
			out = append(out, a)
		}
	}
	return out
}

func TestDetectorSpikeAndSilence(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{Bucket: time.Minute, History: 24 * time.Hour})
	at := t0
	for range 30 { // 30 minutes: 20 messages a minute from two hosts
		for _, h := range []string{"web-1", "web-2"} {
			if got := feed(d, at, time.Minute, 10, "program", "app", "host", h, "level", "info",
				"message", "served request in ms"); len(got) > 0 {
				t.Fatalf("steady traffic raised %+v", got[0].Alert.Explanation)
			}
		}
		at = at.Add(time.Minute)
	}
	// A burst of 300 messages from web-1 within one minute.
	burst := feed(d, at, time.Minute, 300, "program", "app", "host", "web-1", "level", "info",
		"message", "served request in ms")
	feed(d, at, time.Minute, 10, "program", "app", "host", "web-2", "level", "info",
		"message", "served request in ms")
	spikes := byModel(burst, ModelRateSpike)
	if len(spikes) != 2 { // (app, template) and (web-1, info), each once
		t.Fatalf("%d spike alerts, want 2: %+v", len(spikes), spikes)
	}
	for _, a := range spikes {
		checkExplained(t, a, ModelRateSpike)
		x := a.Alert.Explanation
		if x.Baseline < 10 || x.Baseline > 20 || x.Observed < 20 || x.Score < 6 {
			t.Errorf("spike explanation %+v", x)
		}
	}
	at = at.Add(time.Minute)

	// web-2 stops; web-1 goes on, which closes web-2's buckets.
	var quiet []detect.ModelAlert
	for range 3 {
		quiet = append(quiet, feed(d, at, time.Minute, 10, "program", "app", "host", "web-1",
			"level", "info", "message", "served request in ms")...)
		at = at.Add(time.Minute)
	}
	silences := byModel(quiet, ModelRateSilence)
	if len(silences) != 1 {
		t.Fatalf("%d silence alerts, want 1 (once per silence): %+v", len(silences), quiet)
	}
	checkExplained(t, silences[0], ModelRateSilence)
	if x := silences[0].Alert.Explanation; x.Host != "web-2" || x.Observed != 0 || x.Baseline != 10 {
		t.Errorf("silence explanation %+v", x)
	}
	if silences[0].Event != nil || silences[0].Alert.EventTime.IsZero() {
		t.Errorf("a silence has no event but a time: %+v", silences[0])
	}
}

func TestDetectorSeasonalBaseline(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{}) // hourly buckets
	var out []detect.ModelAlert
	hour := func(day, h, n int) {
		out = feed(d, t0.Add(time.Duration(day*24+h)*time.Hour), time.Hour, n,
			"program", "backup", "message", "copied block")
	}
	for day := range 8 { // every night at 03:00 a backup logs 200 lines; 10 an hour otherwise
		for h := range 24 {
			n := 10
			if h == 3 {
				n = 200
			}
			hour(day, h, n)
			if len(byModel(out, ModelRateSpike)) > 0 && day >= 3 {
				t.Fatalf("day %d hour %d: the nightly backup raised a spike: %s", day, h,
					out[0].Alert.Explanation.Text)
			}
		}
	}
	hour(8, 3, 200) // the usual backup: no spike
	if s := byModel(out, ModelRateSpike); len(s) > 0 {
		t.Errorf("usual backup: %s", s[0].Alert.Explanation.Text)
	}
	hour(8, 5, 200) // a backup at 05:00 is unusual
	s := byModel(out, ModelRateSpike)
	if len(s) != 1 {
		t.Fatalf("backup at 05:00: %d spikes, want 1", len(s))
	}
	if x := s[0].Alert.Explanation; x.Baseline != 10 ||
		!strings.Contains(x.Text, "the same hour of the last 7 days") {
		t.Errorf("explanation %+v", x)
	}
}

func TestDetectorNewValue(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{Defaults: Tuning{Learning: time.Hour}})
	at := t0
	users := []string{"alice", "bob", "root"}
	for i := range 120 {
		observe(d, ev(at, "program", "sshd", "message", fmt.Sprintf(
			"Accepted password for %s from 10.0.0.%d port %d ssh2", users[i%3], i%4, 50000+i)))
		at = at.Add(time.Minute)
	}
	got := observe(d, ev(at, "program", "sshd", "message",
		"Accepted password for mallory from 10.0.0.1 port 50999 ssh2"))
	vals := got[ModelNewValue]
	if len(vals) != 1 {
		t.Fatalf("new user: %+v", got)
	}
	checkExplained(t, vals[0], ModelNewValue)
	if x := vals[0].Alert.Explanation; x.Kind != KindUser || x.Value != "mallory" ||
		x.Baseline != 3 || !strings.Contains(x.Text, `"alice"`) {
		t.Errorf("explanation %+v", x)
	}
	got = observe(d, ev(at, "program", "sshd", "message",
		"Accepted password for bob from 192.0.2.7 port 50999 ssh2"))
	if v := got[ModelNewValue]; len(v) != 1 || v[0].Alert.Explanation.Kind != KindAddress {
		t.Errorf("new address: %+v", got)
	}
}

func TestDetectorOpenEndedValuesRaiseNothing(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{Defaults: Tuning{Learning: time.Hour}})
	at := t0
	for i := range 300 { // a scan: every attempt from a new address
		got := observe(d, ev(at, "program", "sshd", "message",
			fmt.Sprintf("Invalid user admin from 198.51.%d.%d", i/250, i%250)))
		if len(got[ModelNewValue]) > 0 {
			t.Fatalf("attempt %d: %s", i, got[ModelNewValue][0].Alert.Explanation.Text)
		}
		at = at.Add(time.Minute)
	}
}

func TestDetectorMute(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{
		Defaults: Tuning{Learning: time.Minute},
		Services: map[string]Tuning{"cron": {Mute: []string{ModelNewTemplate}},
			"noisy": {Mute: []string{MuteAll}}},
	})
	for _, svc := range []string{"cron", "noisy", "sshd"} {
		observe(d, ev(t0, "program", svc, "message", "started"))
	}
	later := t0.Add(time.Hour)
	for svc, want := range map[string]int{"cron": 0, "noisy": 0, "sshd": 1} {
		got := observe(d, ev(later, "program", svc, "message", "something else entirely"))
		if len(got[ModelNewTemplate]) != want {
			t.Errorf("%s: %d new-template alerts, want %d", svc, len(got[ModelNewTemplate]), want)
		}
	}
}

func TestDetectorTickOnlyWhenLive(t *testing.T) {
	d := newTestDetector(t, DetectorConfig{Bucket: time.Minute, History: 24 * time.Hour})
	for m := range 30 {
		feed(d, t0.Add(time.Duration(m)*time.Minute), time.Minute, 20, "host", "db-1",
			"program", "pg", "message", "checkpoint")
	}
	end := t0.Add(30 * time.Minute)
	if got := d.Tick(end.Add(5 * time.Hour)); len(got) != 0 {
		t.Errorf("a tick hours after the newest event (a replay) raised %d alerts", len(got))
	}
	got := d.Tick(end.Add(3 * time.Minute))
	if len(byModel(got, ModelRateSilence)) != 2 { // (db-1, -) and (pg, checkpoint)
		t.Errorf("live tick: %d alerts, want 2 silences", len(got))
	}
}

func TestDetectorStateRoundTrip(t *testing.T) {
	cfg := DetectorConfig{Bucket: time.Minute, History: 24 * time.Hour,
		Defaults: Tuning{Learning: 10 * time.Minute}}
	d := newTestDetector(t, cfg)
	at := t0
	for range 30 {
		feed(d, at, time.Minute, 20, "program", "app", "host", "h", "message", "tick")
		at = at.Add(time.Minute)
	}
	data, err := d.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	r := newTestDetector(t, cfg)
	if err := r.RestoreState(data); err != nil {
		t.Fatalf("RestoreState: %v", err)
	}
	if got := observe(r, ev(at, "program", "app", "host", "h", "message", "tick 7")); len(got) != 0 {
		t.Errorf("a known template after restore raised %v", got)
	}
	if got := observe(r, ev(at, "program", "app", "message", "a new kind of line")); len(
		got[ModelNewTemplate]) != 1 {
		t.Errorf("learning was not kept: %v", got)
	}
	burst := feed(r, at.Add(time.Minute), time.Minute, 200, "program", "app", "host", "h",
		"message", "tick")
	if len(byModel(burst, ModelRateSpike)) != 2 {
		t.Errorf("rate history was not kept: %d spikes after restore", len(burst))
	}
	if err := r.RestoreState([]byte("not gzip")); err == nil {
		t.Error("RestoreState accepted garbage")
	}
}

func TestParamKind(t *testing.T) {
	tests := []struct {
		tmpl      string
		pos       int
		value     string
		kind, val string
	}{
		{"Accepted password for <*> from <*> port <*> <*>", 3, "root", KindUser, "root"},
		{"Accepted password for <*> from <*> port <*> <*>", 5, "10.0.0.1", KindAddress, "10.0.0.1"},
		{"Invalid user <*> from <*>", 2, "admin", KindUser, "admin"},
		{"session opened for user=<*> by <*>", 3, "bob", KindUser, "bob"},
		{"rhost=<*> user=<*>", 0, "[192.0.2.1]:22", KindAddress, "192.0.2.1"},
		{"killed process=<*>", 1, "nginx", KindProcess, "nginx"},
		{"block <*> of size <*>", 1, "blk_1", "", ""},
	}
	for _, tt := range tests {
		kind, val := paramKind(strings.Split(tt.tmpl, " "), tt.pos, tt.value)
		if kind != tt.kind || val != tt.val {
			t.Errorf("paramKind(%q, %d, %q) = %q, %q; want %q, %q", tt.tmpl, tt.pos, tt.value,
				kind, val, tt.kind, tt.val)
		}
	}
}

func TestParseConfig(t *testing.T) {
	good := "bucket: 30m\nhistory: 336h\ndefaults:\n  learning: 2h\n  spike_score: 8\n" +
		"services:\n  cron:\n    mute: [new_template]\n"
	cfg, err := ParseConfig([]byte(good), "anomaly.yml")
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Bucket != 30*time.Minute || cfg.Defaults.Learning != 2*time.Hour ||
		cfg.Defaults.SpikeScore != 8 || cfg.Services["cron"].Mute[0] != ModelNewTemplate {
		t.Errorf("config %+v", cfg)
	}
	for _, tt := range []struct{ text, want string }{
		{"bucket: 7m\n", "bucket"},
		{"defaults:\n  learning: soon\n", "defaults: learning"},
		{"defaults:\n  spike_scor: 3\n", "line 2"},
		{"services:\n  x:\n    mute: [everything]\n", `mute "everything"`},
		{"defaults:\n  silence_ratio: 2\n", "out of range"},
	} {
		_, err := ParseConfig([]byte(tt.text), "anomaly.yml")
		if err == nil || !strings.Contains(err.Error(), tt.want) ||
			!strings.Contains(err.Error(), "anomaly.yml") {
			t.Errorf("%q: error %v, want one naming the file and %q", tt.text, err, tt.want)
		}
	}
}
