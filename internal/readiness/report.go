package readiness

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NoTeam is the team name of people in no team, in reports.
const NoTeam = "(no team)"

// Report is the training report: for each team, its people with the
// requirements that are overdue or due soon.
type Report struct {
	Generated     time.Time    `json:"generated"`
	PolicyVersion int64        `json:"policy_version"`
	People        int          `json:"people"`
	Overdue       int          `json:"overdue"`
	DueSoon       int          `json:"due_soon"`
	Teams         []TeamReport `json:"teams"`
}

// TeamReport is one team of a Report.
type TeamReport struct {
	Team    string         `json:"team"`
	People  int            `json:"people"`
	Overdue int            `json:"overdue"`
	DueSoon int            `json:"due_soon"`
	Members []PersonReport `json:"members"`
}

// PersonReport is one person of a TeamReport: the counts and the items
// that need attention (overdue first, then due soon, each by due date).
type PersonReport struct {
	Name    string `json:"name"`
	Overdue int    `json:"overdue"`
	DueSoon int    `json:"due_soon"`
	Items   []Item `json:"items"`
}

// Statuses returns every requirement of every person at now, people by
// name; teamsOf gives a person's teams (NoTeam when none).
func (p *Policy) Statuses(people []Person, completions []Completion,
	teamsOf func(Person) []string, now time.Time) []Item {
	people = slices.Clone(people)
	slices.SortFunc(people, func(a, b Person) int { return strings.Compare(a.Name, b.Name) })
	items := []Item{}
	for _, person := range people {
		items = append(items, p.Status(person, teamsOf(person), completions, now)...)
	}
	return items
}

// BuildReport groups items (from Statuses) by team and person, keeping
// those overdue or due soon; people whose items are all fine count in the
// team's People but are not listed. Teams come by name, NoTeam last.
func BuildReport(items []Item, people []Person, teamsOf func(Person) []string,
	now time.Time, policyVersion int64) Report {
	rep := Report{Generated: now.UTC(), PolicyVersion: policyVersion, People: len(people),
		Teams: []TeamReport{}}
	byTeam := map[string]*TeamReport{}
	team := func(name string) *TeamReport {
		if t, ok := byTeam[name]; ok {
			return t
		}
		t := &TeamReport{Team: name, Members: []PersonReport{}}
		byTeam[name] = t
		return t
	}
	for _, person := range people {
		pr := PersonReport{Name: person.Name, Items: []Item{}}
		for _, it := range items {
			if it.Person != person.Name || it.Status == StatusOK {
				continue
			}
			pr.Items = append(pr.Items, it)
			if it.Status == StatusOverdue {
				pr.Overdue++
			} else {
				pr.DueSoon++
			}
		}
		slices.SortStableFunc(pr.Items, func(a, b Item) int {
			if a.Status != b.Status {
				return strings.Compare(string(b.Status), string(a.Status)) // overdue first
			}
			return a.Due.Compare(b.Due.Time)
		})
		rep.Overdue += pr.Overdue
		rep.DueSoon += pr.DueSoon
		for _, name := range teamsOf(person) {
			t := team(name)
			t.People++
			t.Overdue += pr.Overdue
			t.DueSoon += pr.DueSoon
			if len(pr.Items) > 0 {
				t.Members = append(t.Members, pr)
			}
		}
	}
	names := slices.Sorted(maps.Keys(byTeam))
	for _, n := range names {
		if n != NoTeam {
			rep.Teams = append(rep.Teams, *byTeam[n])
		}
	}
	if t, ok := byTeam[NoTeam]; ok {
		rep.Teams = append(rep.Teams, *t)
	}
	return rep
}

// exportColumns are the columns of the CSV export, one row per item.
var exportColumns = []string{"person", "teams", "kind", "requirement", "title", "basis",
	"last_done", "evidence", "due", "status", "days_overdue", "covers", "note"}

// WriteItemsCSV writes items as CSV with a header row (exportColumns);
// lists are joined with "; ".
func WriteItemsCSV(w io.Writer, items []Item) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportColumns); err != nil {
		return err
	}
	date := func(d Date) string {
		if d.IsZero() {
			return ""
		}
		return d.Format(time.DateOnly)
	}
	for _, it := range items {
		days := ""
		if it.DaysOverdue > 0 {
			days = strconv.Itoa(it.DaysOverdue)
		}
		rec := []string{it.Person, strings.Join(it.Teams, "; "), string(it.Kind),
			it.Requirement, it.Title, string(it.Basis), date(it.LastDone), it.Evidence,
			date(it.Due), string(it.Status), days, strings.Join(it.Covers, "; "), it.Note}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: a leading
// =, +, -, @, tab or carriage return gets a quote mark before it.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
