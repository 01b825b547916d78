package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/readiness/replay"
	"github.com/vigilsec/vigil/scenarios"
)

const exerciseUsage = `vigil exercise run SCENARIO [--server URL] [--token TOKEN] [--exercise ID]
                   [--speed X] [--timeout D] [--poll D] [--json]
vigil exercise report ID [--server URL] [--token TOKEN]
vigil exercise list

SCENARIO is a scenario file, or the name of a shipped one (vigil exercise list).
run replays it into a running server, tagged as an exercise, measures the time
to detect each expected detection, and records the run on the exercise (a new
simulation exercise unless --exercise names one). report prints an exercise's
disclosure report (Markdown). The token (an admin's or a responder's) is read
from VIGIL_TOKEN when --token is not given, the server from VIGIL_SERVER
(default http://127.0.0.1:8080). Exit 0 when every expected detection was
found, 1 when some were missed or the run failed, 2 on bad usage.`

// runExercise runs "vigil exercise run|report|list".
func runExercise(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: %s\n", exerciseUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return listScenarios(stdout, stderr)
	case "run", "report":
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: %s\n", exerciseUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "vigil exercise: unknown command %q\nUsage: %s\n", args[0],
			exerciseUsage)
		return exitUsage
	}
	fset := newFlagSet("exercise "+args[0], exerciseUsage, stderr)
	cf := addClientFlags(fset)
	exerciseID := fset.Int64("exercise", 0, "run under this open exercise (default: a new one)")
	speed := fset.Float64("speed", 1, "replay speed: 2 is twice as fast, 0 sends all at once")
	timeout := fset.Duration("timeout", replay.DefaultTimeout,
		"how long to wait for missing detections after the last event")
	poll := fset.Duration("poll", replay.DefaultPoll, "how often to read the alerts")
	asJSON := fset.Bool("json", false, "print the recorded run as JSON")
	rest, err := parseFlags(fset, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "vigil exercise %s: want one argument\nUsage: %s\n", args[0],
			exerciseUsage)
		return exitUsage
	}
	server, token, err := cf.resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil exercise %s: %v\n", args[0], err)
		return exitUsage
	}
	if args[0] == "report" {
		return exerciseReport(ctx, server, token, rest[0], stdout, stderr)
	}
	if *speed < 0 {
		fmt.Fprintln(stderr, "vigil exercise run: --speed must not be negative")
		return exitUsage
	}
	cfg := replay.Config{Server: server, Token: token, Speed: *speed, Timeout: *timeout,
		Poll: *poll, Progress: func(line string) { fmt.Fprintln(stderr, line) }}
	return replayScenarioFile(ctx, cfg, rest[0], *exerciseID, *asJSON, stdout, stderr)
}

// replayScenarioFile loads a scenario, replays it and prints the run; it
// returns the exit code (1 when a detection was missed).
func replayScenarioFile(ctx context.Context, cfg replay.Config, scenario string,
	exerciseID int64, asJSON bool, stdout, stderr io.Writer) int {
	sc, err := loadScenario(scenario)
	if err != nil {
		fmt.Fprintf(stderr, "vigil exercise run: %v\n", err)
		return exitError
	}
	res, err := replay.Run(ctx, cfg, sc, exerciseID)
	if err != nil {
		fmt.Fprintf(stderr, "vigil exercise run: %v\n", err)
		return exitError
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res.Run)
	} else {
		printRun(stdout, res)
	}
	if res.Run.Summary.Missed > 0 {
		return exitError
	}
	return exitOK
}

// clientFlags are the flags of the commands that call a server's API.
type clientFlags struct {
	server, token *string
}

func addClientFlags(fs *flag.FlagSet) *clientFlags {
	return &clientFlags{
		server: fs.String("server", "", "base URL of the Vigil server "+
			"(env VIGIL_SERVER, default http://127.0.0.1:8080)"),
		token: fs.String("token", "", "API token (env VIGIL_TOKEN, preferred: it keeps the "+
			"token out of the process list)")}
}

// resolve returns the server and token: flags, then VIGIL_SERVER and
// VIGIL_TOKEN, then the default server.
func (c *clientFlags) resolve(getenv func(string) string) (string, string, error) {
	server, token := *c.server, *c.token
	if server == "" {
		server = getenv("VIGIL_SERVER")
	}
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	if token == "" {
		token = getenv("VIGIL_TOKEN")
	}
	if token == "" {
		return "", "", errors.New("no token: give --token or set VIGIL_TOKEN")
	}
	if !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return "", "", fmt.Errorf("--server %q: want an http:// or https:// URL", server)
	}
	return strings.TrimRight(server, "/"), token, nil
}

// loadScenario reads a scenario file, or a shipped scenario by name.
func loadScenario(arg string) (*readiness.Scenario, error) {
	if data, err := os.ReadFile(arg); err == nil {
		return readiness.ParseScenario(bytes.NewReader(data), arg)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	name := strings.TrimSuffix(arg, ".yaml") + ".yaml"
	data, err := fs.ReadFile(scenarios.FS, name)
	if err != nil {
		names, _ := fs.Glob(scenarios.FS, "*.yaml")
		for i := range names {
			names[i] = strings.TrimSuffix(names[i], ".yaml")
		}
		return nil, fmt.Errorf("%s: no such file, and no shipped scenario of that name (%s)",
			arg, strings.Join(names, ", "))
	}
	return readiness.ParseScenario(bytes.NewReader(data), "scenarios/"+name)
}

// listScenarios prints the shipped scenarios with their descriptions.
func listScenarios(stdout, stderr io.Writer) int {
	names, _ := fs.Glob(scenarios.FS, "*.yaml")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, n := range names {
		sc, err := loadScenario(strings.TrimSuffix(n, ".yaml"))
		if err != nil {
			fmt.Fprintf(stderr, "vigil exercise list: %v\n", err)
			return exitError
		}
		fmt.Fprintf(tw, "%s\t%d events, %d expected detections\t%s\n", sc.Name, len(sc.Events),
			len(sc.Expect), sc.Description)
	}
	tw.Flush()
	return exitOK
}

// printRun prints a run's detections as a table and its summary.
func printRun(w io.Writer, res *replay.Result) {
	r := res.Run
	fmt.Fprintf(w, "exercise %d (%s), run %d of scenario %s\n\n", res.Exercise.ID,
		res.Exercise.Name, r.ID, r.Scenario)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPECTED\tDETECTED\tALERT\tRULE\tAFTER STEP\tTIME TO DETECT")
	for _, d := range r.Detections {
		if !d.Detected {
			fmt.Fprintf(tw, "%s\tMISSED\t-\t-\t-\t-\n", d.Expect.Label())
			continue
		}
		fmt.Fprintf(tw, "%s\tyes\t#%d\t%s\t%s\t%s\n", d.Expect.Label(), d.AlertID, d.RuleTitle,
			d.Step, time.Duration(d.TTDMillis)*time.Millisecond)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ndetected %d of %d; time to detect: mean %s, max %s; %d other alert(s)\n",
		r.Summary.Detected, r.Summary.Expected,
		time.Duration(r.Summary.MeanTTDMillis)*time.Millisecond,
		time.Duration(r.Summary.MaxTTDMillis)*time.Millisecond, len(r.Other))
	if len(r.FindingIDs) > 0 {
		fmt.Fprintf(w, "findings recorded for the misses: %v\n", r.FindingIDs)
	}
	fmt.Fprintf(w, "disclosure report: vigil exercise report %d\n", res.Exercise.ID)
}

// exerciseReport prints the disclosure report of an exercise.
func exerciseReport(ctx context.Context, server, token, id string, stdout,
	stderr io.Writer) int {
	body, err := apiGet(ctx, server, token, "/api/v1/exercises/"+id+"/report")
	if err != nil {
		fmt.Fprintf(stderr, "vigil exercise report: %v\n", err)
		return exitError
	}
	stdout.Write(body)
	return exitOK
}

// apiGet GETs path from the server with the token and returns a 200 body.
func apiGet(ctx context.Context, server, token, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", server+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("GET %s: %d: %s", path, resp.StatusCode, e.Error)
		}
		return nil, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return body, nil
}
