package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Table names one CSV table of a report.
type Table string

// The CSV tables: response times (a row per group and measure), deadlines
// (a row per group and kind), false-positive rates (a row per rule) and
// open follow-ups (a row per group and age).
const (
	TableTimes     Table = "times"
	TableDeadlines Table = "deadlines"
	TableRules     Table = "rules"
	TableFollowUps Table = "follow_ups"
)

// Tables lists the CSV tables.
func Tables() []Table { return []Table{TableTimes, TableDeadlines, TableRules, TableFollowUps} }

// WriteCSV writes table t of rep as CSV with a header row. The overall
// figures come first as group "all". A cell that a spreadsheet would read
// as a formula gets a leading "'".
func WriteCSV(w io.Writer, rep *Report, t Table) error {
	cw := csv.NewWriter(w)
	groups := append([]Group{rep.Overall}, rep.Groups...)
	label := func(i int) (string, string) {
		if i == 0 {
			return "all", ""
		}
		return string(rep.GroupBy), groups[i].Key
	}
	var rows [][]string
	switch t {
	case TableTimes:
		rows = append(rows, []string{"group_by", "group", "incidents", "measure", "count",
			"mean_seconds", "p50_seconds", "p90_seconds"})
		for i, g := range groups {
			by, key := label(i)
			for _, m := range Measures() {
				s := g.Times[m]
				rows = append(rows, []string{by, key, strconv.Itoa(g.Incidents), string(m),
					strconv.Itoa(s.Count), num(s.Mean), num(s.P50), num(s.P90)})
			}
		}
	case TableDeadlines:
		rows = append(rows, []string{"group_by", "group", "kind", "met", "missed", "pending"})
		for i, g := range groups {
			by, key := label(i)
			for _, k := range slices.Sorted(maps.Keys(g.Deadlines)) {
				c := g.Deadlines[k]
				rows = append(rows, []string{by, key, k, strconv.Itoa(c.Met),
					strconv.Itoa(c.Missed), strconv.Itoa(c.Pending)})
			}
		}
	case TableRules:
		rows = append(rows, []string{"rule_id", "title", "alerts", "confirmed",
			"false_positive", "false_positive_rate"})
		for _, r := range rep.Rules {
			rate := ""
			if r.Rate != nil {
				rate = num(*r.Rate)
			}
			rows = append(rows, []string{r.RuleID, r.Title, strconv.Itoa(r.Alerts),
				strconv.Itoa(r.Confirmed), strconv.Itoa(r.FalsePositive), rate})
		}
	case TableFollowUps:
		rows = append(rows, []string{"group_by", "group", "age", "open"})
		for i, g := range groups {
			by, key := label(i)
			for _, b := range AgeBuckets {
				rows = append(rows, []string{by, key, b.Label,
					strconv.Itoa(g.FollowUps.ByAge[b.Label])})
			}
		}
	default:
		return fmt.Errorf("metrics: unknown table %q, want one of %v", t, Tables())
	}
	for _, row := range rows {
		for i, c := range row {
			row[i] = defuse(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write metrics csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write metrics csv: %w", err)
	}
	return nil
}

// num formats seconds or a rate with at most three decimals.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// defuse prefixes a cell that starts like a spreadsheet formula.
func defuse(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		if _, err := strconv.ParseFloat(c, 64); err != nil {
			return "'" + c
		}
	}
	return c
}
