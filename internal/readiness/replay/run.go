package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
)

// replayer is one replay in progress.
type replayer struct {
	c  *client
	sc *readiness.Scenario
	ex int64
	// sent holds when each event (by index) was posted.
	sent []time.Time
	// seen holds the exercise's alerts by ID, with when they were first
	// read.
	seen  map[int64]seenAlert
	order []int64 // alert IDs in the order first seen
}

// seenAlert is an alert of the exercise as the replay saw it.
type seenAlert struct {
	alert
	at   time.Time
	step int // the lowest event index among its events, -1 when none
}

// alert is the part of an API alert the replay reads.
type alert struct {
	ID        int64             `json:"id"`
	RuleID    string            `json:"rule_id"`
	RuleTitle string            `json:"rule_title"`
	Level     string            `json:"level"`
	Tags      []string          `json:"tags"`
	Events    []json.RawMessage `json:"events"`
}

// run sends the events at their times, polls until every expectation is
// met or the timeout passes, and returns the measured run.
func (r *replayer) run(ctx context.Context) (readiness.Run, error) {
	cfg := r.c.cfg
	start := cfg.Now()
	cfg.Progress(fmt.Sprintf("exercise %d: replaying %s, %d events over %s at speed %g",
		r.ex, r.sc.Name, len(r.sc.Events), r.sc.Duration(), cfg.Speed))
	for i := 0; i < len(r.sc.Events); {
		j := i + 1
		for j < len(r.sc.Events) && r.sc.Events[j].At == r.sc.Events[i].At {
			j++
		}
		if cfg.Speed > 0 {
			due := start.Add(time.Duration(float64(r.sc.Events[i].At) / cfg.Speed))
			if err := sleepUntil(ctx, cfg.Now, due); err != nil {
				return readiness.Run{}, err
			}
		}
		if err := r.send(ctx, i, j); err != nil {
			return readiness.Run{}, err
		}
		if err := r.poll(ctx); err != nil {
			return readiness.Run{}, err
		}
		i = j
	}
	deadline := cfg.Now().Add(cfg.Timeout)
	for !r.complete() && cfg.Now().Before(deadline) {
		if err := sleepUntil(ctx, cfg.Now, cfg.Now().Add(cfg.Poll)); err != nil {
			return readiness.Run{}, err
		}
		if err := r.poll(ctx); err != nil {
			return readiness.Run{}, err
		}
	}
	return r.result(start, cfg.Now()), nil
}

// sleepUntil waits until t or the end of ctx.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// send posts events i to j-1 as one NDJSON batch, each stamped with the
// time of sending and tagged with the exercise and its index. A refused
// event is an error: the scenario would not be replayed as written.
func (r *replayer) send(ctx context.Context, i, j int) error {
	now := r.c.cfg.Now()
	var b bytes.Buffer
	for k := i; k < j; k++ {
		fields := make(map[string]any, len(r.sc.Events[k].Fields)+2)
		for key, v := range r.sc.Events[k].Fields {
			fields[key] = v
		}
		fields["@timestamp"] = now.UTC().Format(time.RFC3339Nano)
		fields[readiness.ExerciseField] = map[string]any{"exercise": r.ex, "step": k}
		line, err := json.Marshal(fields)
		if err != nil {
			return fmt.Errorf("event %d: %w", k, err)
		}
		b.Write(append(line, '\n'))
	}
	var res struct {
		Accepted int `json:"accepted"`
		Rejected []struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"rejected"`
	}
	err := r.c.call(ctx, "POST", "/api/v1/events", b.Bytes(), &res)
	if err == nil && len(res.Rejected) > 0 {
		err = fmt.Errorf("event %d refused: %s", i+res.Rejected[0].Line-1,
			res.Rejected[0].Reason)
	}
	if err != nil {
		return fmt.Errorf("send the events of %q: %w", r.sc.Events[i].Step, err)
	}
	for k := i; k < j; k++ {
		r.sent[k] = now
	}
	r.c.cfg.Progress(fmt.Sprintf("+%-8s sent   %s (%d event(s))",
		r.sc.Events[i].At.String(), r.sc.Events[i].Step, j-i))
	return nil
}

// poll reads the exercise's alerts and notes the new ones.
func (r *replayer) poll(ctx context.Context) error {
	var page struct {
		Items []alert `json:"items"`
	}
	path := "/api/v1/exercises/" + strconv.FormatInt(r.ex, 10) + "/alerts"
	if err := r.c.call(ctx, "GET", path, nil, &page); err != nil {
		return fmt.Errorf("read the exercise's alerts: %w", err)
	}
	now := r.c.cfg.Now()
	for _, a := range page.Items {
		if _, ok := r.seen[a.ID]; ok {
			continue
		}
		r.seen[a.ID] = seenAlert{alert: a, at: now, step: r.stepOf(a)}
		r.order = append(r.order, a.ID)
		r.c.cfg.Progress(fmt.Sprintf("          alert  #%d %s (%s)", a.ID, a.RuleTitle,
			a.Level))
	}
	return nil
}

// stepOf returns the lowest event index of the alert's events (their
// vigil.step), or -1.
func (r *replayer) stepOf(a alert) int {
	step := -1
	for _, raw := range a.Events {
		var ev struct {
			Vigil struct {
				Exercise json.Number `json:"exercise"`
				Step     *int        `json:"step"`
			} `json:"vigil"`
		}
		if json.Unmarshal(raw, &ev) != nil || ev.Vigil.Step == nil {
			continue
		}
		s := *ev.Vigil.Step
		if s >= 0 && s < len(r.sent) && (step < 0 || s < step) {
			step = s
		}
	}
	return step
}

// match returns the first alert (in the order seen) meeting e.
func (r *replayer) match(e readiness.Expectation) (seenAlert, bool) {
	for _, id := range r.order {
		if a := r.seen[id]; e.Matches(a.RuleID, a.Tags) {
			return a, true
		}
	}
	return seenAlert{}, false
}

// complete reports whether every expectation is met.
func (r *replayer) complete() bool {
	for _, e := range r.sc.Expect {
		if _, ok := r.match(e); !ok {
			return false
		}
	}
	return true
}

// result builds the run from what was sent and seen.
func (r *replayer) result(start, end time.Time) readiness.Run {
	run := readiness.Run{Scenario: r.sc.Name, Description: r.sc.Description,
		Started: start.UTC(), Finished: end.UTC(), Speed: r.c.cfg.Speed,
		Steps: []readiness.RunStep{}, Other: []readiness.SeenAlert{}}
	for i, ev := range r.sc.Events {
		n := len(run.Steps)
		if n > 0 && run.Steps[n-1].Step == ev.Step {
			run.Steps[n-1].Events++
			continue
		}
		run.Steps = append(run.Steps, readiness.RunStep{Step: ev.Step,
			AtMillis: ev.At.Milliseconds(), Sent: r.sent[i].UTC(), Events: 1})
	}
	used := map[int64]bool{}
	for _, e := range r.sc.Expect {
		d := readiness.Detection{Expect: e}
		if a, ok := r.match(e); ok {
			used[a.ID] = true
			d.Detected, d.AlertID, d.RuleID, d.RuleTitle = true, a.ID, a.RuleID, a.RuleTitle
			d.DetectedAt = a.at.UTC()
			if a.step >= 0 {
				d.Step = r.sc.Events[a.step].Step
				d.TTDMillis = max(0, a.at.Sub(r.sent[a.step]).Milliseconds())
			}
		}
		run.Detections = append(run.Detections, d)
	}
	for _, id := range r.order {
		if a := r.seen[id]; !used[id] {
			run.Other = append(run.Other, readiness.SeenAlert{AlertID: a.ID, RuleID: a.RuleID,
				RuleTitle: a.RuleTitle, Level: a.Level, Tags: a.Tags})
		}
	}
	run.Summarize()
	return run
}
