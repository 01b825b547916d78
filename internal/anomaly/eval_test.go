package anomaly

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
)

// bglLine is one line of the labeled BGL sample.
type bglLine struct {
	alert bool   // the label column is not "-"
	truth string // the ground-truth template (EventId)
	event *event.Event
}

func loadBGL(t testing.TB) []bglLine {
	t.Helper()
	dir := corpustest.Path(t, "loghub-2k", "BGL")
	f, err := os.Open(filepath.Join(dir, "BGL_2k.log_structured.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var out []bglLine
	for _, r := range rows[1:] {
		sec, err := strconv.ParseInt(r[col["Timestamp"]], 10, 64)
		if err != nil {
			t.Fatalf("BGL line %s: timestamp: %v", r[0], err)
		}
		out = append(out, bglLine{alert: r[col["Label"]] != "-", truth: r[col["EventId"]],
			event: &event.Event{
				Time: time.Unix(sec, 0).UTC(),
				Fields: map[string]any{"service": r[col["Component"]], "host": r[col["Node"]],
					"level": r[col["Level"]], "message": r[col["Content"]]},
			}})
	}
	return out
}

// bglScore runs the detector over the BGL sample and scores its alerts
// against the labels, line by line: an alert flags the line that raised
// it. Lines in the learning period cannot raise an alert and are left out.
type bglScore struct {
	learning                  time.Duration
	lines, alertLines         int // after learning
	alerts, alertsOnAlertLine int
	flaggedAlertLines         int
	byModel                   map[string]int
	// alertKinds are the ground-truth templates with alert lines after
	// learning; flaggedKinds those with an alert on one of their lines.
	alertKinds, flaggedKinds map[string]bool
}

func scoreBGL(t *testing.T, lines []bglLine, learning time.Duration) bglScore {
	d := newTestDetector(t, DetectorConfig{Defaults: Tuning{Learning: learning}})
	sc := bglScore{learning: learning, byModel: map[string]int{}, alertKinds: map[string]bool{},
		flaggedKinds: map[string]bool{}}
	start := lines[0].event.Time
	for i, l := range lines {
		as := d.Observe([]*event.Event{l.event}, []int64{int64(i + 1)})
		if l.event.Time.Before(start.Add(learning)) {
			continue
		}
		sc.lines++
		if l.alert {
			sc.alertLines++
			sc.alertKinds[l.truth] = true
		}
		flagged := false
		for _, a := range as {
			if len(a.Alert.EventIDs) == 0 || a.Alert.EventIDs[0] != int64(i+1) {
				continue // a silence, about other lines
			}
			sc.alerts++
			sc.byModel[a.Alert.Explanation.Model]++
			flagged = true
			if l.alert {
				sc.alertsOnAlertLine++
			}
		}
		if flagged && l.alert {
			sc.flaggedAlertLines++
			sc.flaggedKinds[l.truth] = true
		}
	}
	return sc
}

func (sc bglScore) String() string {
	p := float64(sc.alertsOnAlertLine) / float64(max(sc.alerts, 1))
	r := float64(sc.flaggedAlertLines) / float64(max(sc.alertLines, 1))
	return fmt.Sprintf("| %v | %d | %d (%d kinds) | %d | %.2f | %.2f | %.2f | %v |", sc.learning,
		sc.lines, sc.alertLines, len(sc.alertKinds), sc.alerts, p, r,
		float64(len(sc.flaggedKinds))/float64(max(len(sc.alertKinds), 1)), sc.byModel)
}

// TestEvaluateBGL reports precision and recall of the models' alerts on the
// labeled BGL sample (docs/anomaly.md keeps the table).
func TestEvaluateBGL(t *testing.T) {
	lines := loadBGL(t)
	var b strings.Builder
	b.WriteString("| learning | lines after | alert lines (kinds) | alerts | precision | " +
		"line recall | kind recall | alerts by model |\n|---|---|---|---|---|---|---|---|\n")
	for _, learning := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour,
		30 * 24 * time.Hour} {
		sc := scoreBGL(t, lines, learning)
		b.WriteString(sc.String() + "\n")
		// Better than chance (the share of alert lines), and every kind of
		// alert line flagged at least once.
		base := float64(sc.alertLines) / float64(sc.lines)
		precision := float64(sc.alertsOnAlertLine) / float64(max(sc.alerts, 1))
		kinds := float64(len(sc.flaggedKinds)) / float64(max(len(sc.alertKinds), 1))
		if precision < 1.5*base || kinds < 0.9 {
			t.Errorf("learning %v: precision %.2f (chance %.2f), kind recall %.2f", learning,
				precision, base, kinds)
		}
	}
	t.Logf("BGL:\n%s", b.String())
}

// A source of the injection replay: a service on a host, logging a real
// Loghub sample's messages at a rate per minute.
type replaySource struct {
	service, host string
	lines         []string
	rate          float64
	next          int
}

// injection is one injected anomaly: a burst, a silence or a new template.
type injection struct {
	model  string
	minute int
	src    *replaySource
	id     int64 // the injected event of a new template
	found  bool
}

// TestEvaluateInjected replays real logs (OpenSSH, HDFS and Apache samples,
// at Poisson rates on seven hosts, eight hours, one-minute buckets), injects
// 24 anomalies after the learning hour and scores the alerts: recall per
// injected kind, and precision of each model over all its alerts, the
// replay's own bursts counting as false.
func TestEvaluateInjected(t *testing.T) {
	dir := corpustest.Path(t, "loghub-2k")
	content := func(sys string) []string {
		c, _ := loadStructured(t, dir, sys)
		return c
	}
	ssh, hdfs, web := content("OpenSSH"), content("HDFS"), content("Apache")
	sources := []*replaySource{{service: "sshd", host: "bastion", lines: ssh, rate: 20}}
	for i := range 4 {
		sources = append(sources, &replaySource{service: "hdfs", host: fmt.Sprintf("dn-%d", i),
			lines: hdfs[i*500:], rate: 12})
	}
	for i := range 2 {
		sources = append(sources, &replaySource{service: "httpd",
			host: fmt.Sprintf("web-%d", i), lines: web[i*1000:], rate: 12})
	}
	foreign := append(content("Zookeeper"), content("Hadoop")...)

	rng := rand.New(rand.NewPCG(6, 6))
	var injections []*injection
	for k := range 24 {
		injections = append(injections, &injection{
			model:  []string{ModelRateSpike, ModelRateSilence, ModelNewTemplate}[k%3],
			minute: 90 + 15*k, src: sources[rng.IntN(len(sources))]})
	}

	alerts := replayInjected(t, sources, injections, foreign, rng)
	reportInjected(t, injections, alerts)
}

// replayInjected runs eight hours of the sources, one minute at a time,
// with the injections, and returns the alerts by model.
func replayInjected(t *testing.T, sources []*replaySource, injections []*injection,
	foreign []string, rng *rand.Rand) map[string][]detect.ModelAlert {
	d := newTestDetector(t, DetectorConfig{Bucket: time.Minute, History: 24 * time.Hour,
		Defaults: Tuning{Learning: time.Hour}})
	var id int64
	alerts := map[string][]detect.ModelAlert{}
	send := func(e *event.Event) int64 {
		id++
		for _, a := range d.Observe([]*event.Event{e}, []int64{id}) {
			m := a.Alert.Explanation.Model
			alerts[m] = append(alerts[m], a)
		}
		return id
	}
	for minute := range 480 {
		var batch []*event.Event
		for _, src := range sources {
			n := poisson(rng, src.rate)
			for _, inj := range injections {
				switch {
				case inj.src != src:
				case inj.model == ModelRateSilence && minute >= inj.minute &&
					minute < inj.minute+5:
					n = 0
				case inj.model == ModelRateSpike && minute == inj.minute:
					n += int(10 * src.rate)
				}
			}
			for range n {
				at := replayStart(minute).Add(time.Duration(rng.Float64() * float64(time.Minute)))
				batch = append(batch, &event.Event{Time: at, Fields: map[string]any{
					"service": src.service, "host": src.host,
					"message": src.lines[src.next%len(src.lines)]}})
				src.next++
			}
		}
		slices.SortStableFunc(batch, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
		for _, e := range batch {
			send(e)
		}
		for _, inj := range injections {
			if inj.model == ModelNewTemplate && inj.minute == minute {
				inj.id = send(&event.Event{Time: replayStart(minute).Add(59 * time.Second),
					Fields: map[string]any{"service": inj.src.service, "host": inj.src.host,
						"message": foreign[rng.IntN(len(foreign))]}})
			}
		}
	}
	return alerts
}

func replayStart(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }

// poisson draws a Poisson count (Knuth's method; fine for small means).
func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		if p *= rng.Float64(); p <= l {
			return k
		}
		k++
	}
}

// matches reports whether alert a is about injection inj.
func (inj *injection) matches(a detect.ModelAlert) bool {
	x := a.Alert.Explanation
	if x.Model != inj.model {
		return false
	}
	about := x.Host == inj.src.host || x.Service == inj.src.service && x.Host == ""
	switch inj.model {
	case ModelRateSpike:
		return about && x.From.Equal(replayStart(inj.minute))
	case ModelRateSilence:
		return about && !x.From.Before(replayStart(inj.minute)) &&
			x.From.Before(replayStart(inj.minute+5))
	}
	return len(a.Alert.EventIDs) == 1 && a.Alert.EventIDs[0] == inj.id
}

func reportInjected(t *testing.T, injections []*injection, alerts map[string][]detect.ModelAlert) {
	t.Helper()
	var b strings.Builder
	b.WriteString("| injected | count | found (recall) | model's alerts | " +
		"on an injection (precision) |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, model := range []string{ModelRateSpike, ModelRateSilence, ModelNewTemplate} {
		n, found, tp := 0, 0, 0
		for _, a := range alerts[model] {
			if a.Alert.EventTime.Before(replayStart(60)) {
				continue
			}
			for _, inj := range injections {
				if inj.matches(a) {
					inj.found = true
					tp++
					break
				}
			}
		}
		for _, inj := range injections {
			if inj.model == model {
				n++
				if inj.found {
					found++
				}
			}
		}
		total := 0
		for _, a := range alerts[model] {
			if !a.Alert.EventTime.Before(replayStart(60)) {
				total++
			}
		}
		recall, precision := float64(found)/float64(n), float64(tp)/float64(max(total, 1))
		fmt.Fprintf(&b, "| %s | %d | %d (%.2f) | %d | %d (%.2f) |\n", model, n, found, recall,
			total, tp, precision)
		if recall < 0.85 || precision < 0.5 {
			t.Errorf("%s: recall %.2f, precision %.2f; want at least 0.85 and 0.5", model,
				recall, precision)
		}
	}
	t.Logf("injected anomalies:\n%s", b.String())
}
