package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/vigilsec/vigil/internal/readiness"
)

const trainingUsage = `vigil training report [--server URL] [--token TOKEN] [--team T] [--person P]
                      [--format table|json|csv]

Prints who has training or background checks overdue or due soon, per team
and person, as a running server computes it (GET /api/v1/training/report);
--format csv prints the auditors' export of every requirement instead. The
token (admin, responder, executive or auditor) is read from VIGIL_TOKEN when
--token is not given, the server from VIGIL_SERVER (default
http://127.0.0.1:8080). Exit 0 when nothing is overdue, 1 when something is
or the call failed, 2 on bad usage.`

// runTraining runs "vigil training report".
func runTraining(ctx context.Context, args []string, getenv func(string) string,
	stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "report" {
		fmt.Fprintf(stderr, "Usage: %s\n", trainingUsage)
		return exitUsage
	}
	fset := newFlagSet("training report", trainingUsage, stderr)
	cf := addClientFlags(fset)
	team := fset.String("team", "", "only this team")
	person := fset.String("person", "", "only this person")
	format := fset.String("format", "table", "table, json or csv")
	rest, err := parseFlags(fset, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 || *format != "table" && *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "vigil training report: want no argument and --format table, "+
			"json or csv\nUsage: %s\n", trainingUsage)
		return exitUsage
	}
	server, token, err := cf.resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vigil training report: %v\n", err)
		return exitUsage
	}
	if *format == "csv" {
		body, err := apiGet(ctx, server, token, "/api/v1/training/export?format=csv")
		if err != nil {
			fmt.Fprintf(stderr, "vigil training report: %v\n", err)
			return exitError
		}
		stdout.Write(body)
		return exitOK
	}
	q := url.Values{}
	if *team != "" {
		q.Set("team", *team)
	}
	if *person != "" {
		q.Set("person", *person)
	}
	body, err := apiGet(ctx, server, token, "/api/v1/training/report?"+q.Encode())
	if err != nil {
		fmt.Fprintf(stderr, "vigil training report: %v\n", err)
		return exitError
	}
	var rep readiness.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		fmt.Fprintf(stderr, "vigil training report: decode the report: %v\n", err)
		return exitError
	}
	if *format == "json" {
		stdout.Write(body)
	} else {
		printTrainingReport(stdout, rep)
	}
	if rep.Overdue > 0 {
		return exitError
	}
	return exitOK
}

// printTrainingReport prints the report as a table per team.
func printTrainingReport(w io.Writer, rep readiness.Report) {
	fmt.Fprintf(w, "training report %s (policy version %d): %d people, %d overdue, "+
		"%d due soon\n", rep.Generated.Format("2006-01-02 15:04Z"), rep.PolicyVersion,
		rep.People, rep.Overdue, rep.DueSoon)
	for _, t := range rep.Teams {
		fmt.Fprintf(w, "\n%s: %d people, %d overdue, %d due soon\n", t.Team, t.People,
			t.Overdue, t.DueSoon)
		if len(t.Members) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PERSON\tSTATUS\tDUE\tREQUIREMENT\tBASIS")
		for _, m := range t.Members {
			for _, it := range m.Items {
				status := strings.ReplaceAll(string(it.Status), "_", " ")
				if it.DaysOverdue > 0 {
					status += fmt.Sprintf(" (%d days)", it.DaysOverdue)
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.Name, status,
					it.Due.Format("2006-01-02"), it.Title, it.Basis)
			}
		}
		tw.Flush()
	}
}
