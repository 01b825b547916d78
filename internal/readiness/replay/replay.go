// Package replay is the client side of vigil exercise run: it replays a
// breach scenario into a running Vigil server through its API (events
// tagged with the exercise, at the scenario's relative times), polls the
// alerts the exercise raised, measures the time to detect each expected
// detection and records the run on the exercise. It owns no rules of the
// program (internal/readiness has them) and talks to the server only over
// HTTP, with a bearer token.
package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
)

// Defaults of Config.
const (
	DefaultPoll    = 250 * time.Millisecond
	DefaultTimeout = time.Minute
	maxAnswer      = 64 << 20
)

// Config configures a replay. Server and Token are required.
type Config struct {
	// Server is the base URL of the Vigil server (http://127.0.0.1:8080).
	Server string
	// Token is a bearer token of an admin or responder (never logged).
	Token string
	// Client makes the requests. Default: one with a 30 s timeout.
	Client *http.Client
	// Speed divides the scenario's times: 2 replays twice as fast; 0 sends
	// every event at once. Default (negative): 1.
	Speed float64
	// Poll is how often the alerts are read while waiting. Default
	// DefaultPoll.
	Poll time.Duration
	// Timeout is how long after the last event the replay waits for the
	// detections still missing. Default DefaultTimeout.
	Timeout time.Duration
	// Progress, when set, gets one line per step sent and per detection.
	Progress func(line string)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Result is a finished replay: the exercise it ran under and the run as
// recorded there (with the findings of its misses).
type Result struct {
	Exercise *readiness.Exercise
	Run      readiness.Run
	// Created reports that the replay created the exercise (and completed
	// it afterwards).
	Created bool
}

// client speaks to the server.
type client struct {
	cfg Config
	hc  *http.Client
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("server answered %d: %s", e.Status, e.Msg) }

// call sends a JSON body (raw when body is []byte with ctype) and decodes
// a 2xx answer into out when not nil.
func (c *client) call(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/x-ndjson"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.Server+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return fmt.Errorf("%s %s: %w", method, path, &apiError{resp.StatusCode, msg})
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Run replays sc into the server. exerciseID names an open exercise to run
// under; 0 creates a simulation exercise for this run, and completes it
// once the run is recorded. Run returns an error when the server cannot be
// used (a refused event included); missed detections are not errors, they
// are in the result.
func Run(ctx context.Context, cfg Config, sc *readiness.Scenario,
	exerciseID int64) (*Result, error) {
	if cfg.Server == "" || cfg.Token == "" {
		return nil, errors.New("replay: Config.Server and Token are required")
	}
	if _, err := url.ParseRequestURI(cfg.Server); err != nil {
		return nil, fmt.Errorf("replay: server %q: %w", cfg.Server, err)
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if cfg.Speed < 0 {
		cfg.Speed = 1
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Progress == nil {
		cfg.Progress = func(string) {}
	}
	c := &client{cfg: cfg, hc: cfg.Client}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	ex, created, err := c.exercise(ctx, sc, exerciseID)
	if err != nil {
		return nil, err
	}
	r := &replayer{c: c, sc: sc, ex: ex.ID, seen: map[int64]seenAlert{},
		sent: make([]time.Time, len(sc.Events))}
	run, err := r.run(ctx)
	if err != nil {
		return nil, err
	}
	var stored readiness.Exercise
	path := "/api/v1/exercises/" + strconv.FormatInt(ex.ID, 10)
	if err := c.call(ctx, "POST", path+"/runs", run, &stored); err != nil {
		return nil, fmt.Errorf("record the run: %w", err)
	}
	res := &Result{Exercise: &stored, Run: stored.Runs[len(stored.Runs)-1], Created: created}
	if created {
		status := readiness.ExerciseCompleted
		end := cfg.Now().UTC()
		patch := readiness.ExercisePatch{Version: stored.Version, Status: &status, End: &end}
		if err := c.call(ctx, "PATCH", path, patch, &stored); err != nil {
			return res, fmt.Errorf("complete the exercise: %w", err)
		}
	}
	return res, nil
}

// exercise returns the exercise to run under, creating one when id is 0.
func (c *client) exercise(ctx context.Context, sc *readiness.Scenario,
	id int64) (*readiness.Exercise, bool, error) {
	var ex readiness.Exercise
	if id != 0 {
		if err := c.call(ctx, "GET", "/api/v1/exercises/"+strconv.FormatInt(id, 10), nil,
			&ex); err != nil {
			return nil, false, fmt.Errorf("read exercise %d: %w", id, err)
		}
		if !ex.Status.Open() {
			return nil, false, fmt.Errorf("exercise %d is %s: it takes no more events", id,
				ex.Status)
		}
		return &ex, false, nil
	}
	var objectives []string
	for _, e := range sc.Expect {
		objectives = append(objectives, "Detect: "+e.Label())
	}
	now := c.cfg.Now().UTC()
	in := map[string]any{"name": "Simulation " + sc.Name + " " + now.Format("2006-01-02 15:04"),
		"kind": readiness.ExerciseSimulation, "status": readiness.ExerciseRunning,
		"scope": sc.Description, "objectives": objectives, "scenario": sc.Name, "start": now}
	if err := c.call(ctx, "POST", "/api/v1/exercises", in, &ex); err != nil {
		return nil, false, fmt.Errorf("create the exercise: %w", err)
	}
	return &ex, true, nil
}
