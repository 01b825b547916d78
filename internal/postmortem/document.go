package postmortem

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Document is a report in a form that every export format renders the
// same way: a title, then sections of paragraphs, fields, lists, tables
// and the timeline chart.
type Document struct {
	Title     string
	Subtitle  string
	Generated time.Time
	Sections  []Section
}

// Section is one part of a Document; every part is optional.
type Section struct {
	Title string
	// Level is 2 for a section, 3 for a subsection.
	Level  int
	Text   []string
	Fields []Field
	List   []string
	Table  *Table
	Chart  *Chart
}

// Field is a name and a value shown as "Name: value".
type Field struct{ Name, Value string }

// Table is a head row and rows of cells.
type Table struct {
	Head []string
	Rows [][]string
	// Widths are the relative widths of the columns (PDF); nil: equal.
	Widths []float64
}

// Chart is the timeline drawn as a chart: entries on lanes by kind over
// time, with the incident's phases (from its phase entries) as bands.
type Chart struct {
	Entries []Entry
}

// stamp formats t in its zone with the zone's name: "2026-03-29 10:02:03
// CEST (Europe/Paris)"; UTC times end in "UTC".
func stamp(t time.Time, zone string) string {
	if t.IsZero() {
		return "—"
	}
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" && zone != "UTC" {
		return t.In(loc).Format("2006-01-02 15:04:05 MST") + " (" + zone + ")"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// utc formats t in UTC, "—" for the zero time.
func utc(t time.Time) string { return stamp(t, "UTC") }

// Duration formats seconds as "2h 5m", "3d 4h", "45s".
func Duration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// PostMortemDocument is the post-mortem as a report: summary, actors and
// responders, indicators, how the response went, the timeline (chart and
// table), findings, follow-ups and sign-offs. Hidden timeline entries are
// left out, with a count.
func PostMortemDocument(pm *PostMortem, resp Response, fus []FollowUp, now time.Time) Document {
	d := Document{Title: "Post-mortem " + pm.Number + ": " + pm.Title,
		Subtitle:  fmt.Sprintf("Revision %d · %s", pm.Revision, signOffLine(pm)),
		Generated: now.UTC()}
	d.Sections = append(d.Sections, summarySections(pm)...)
	d.Sections = append(d.Sections, responseSection(resp))
	d.Sections = append(d.Sections, timelineSections(pm.Ordered())...)
	d.Sections = append(d.Sections, findingsSection(pm), followUpsSection(fus),
		signOffSection(pm))
	return d
}

// signOffLine says who signed the current revision off.
func signOffLine(pm *PostMortem) string {
	if pm.SignedOff() {
		return fmt.Sprintf("signed off by %s (commander) and %s (executive)",
			pm.signedBy(RoleCommander).By, pm.signedBy(RoleExecutive).By)
	}
	return "not signed off: waiting for " + strings.Join(pm.Pending(), " and ")
}

func summarySections(pm *PostMortem) []Section {
	actors := strings.Join(pm.Actors, ", ")
	if actors == "" {
		actors = "unknown"
	}
	ind := &Table{Head: []string{"Kind", "Value", "First seen", "Last seen", "Source"},
		Widths: []float64{1, 3, 2, 2, 2}}
	for _, i := range pm.Indicators {
		ind.Rows = append(ind.Rows, []string{string(i.Kind), i.Value, utc(i.FirstSeen),
			utc(i.LastSeen), i.Source})
	}
	out := []Section{
		{Title: "Technical summary", Level: 2, Text: paragraphs(pm.Summary)},
		{Title: "Actors and responders", Level: 2, Fields: []Field{
			{"Threat actors", actors},
			{"Responders", strings.Join(pm.Responders, ", ")}}},
	}
	if len(ind.Rows) == 0 {
		return append(out, Section{Title: "Indicators", Level: 2,
			Text: []string{"No indicator was recorded."}})
	}
	return append(out, Section{Title: "Indicators", Level: 2, Table: ind})
}

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func responseSection(resp Response) Section {
	t := &Table{Head: []string{"Time to", "From", "To", "Took"}, Widths: []float64{1.2, 3, 3, 1.2}}
	for _, tm := range resp.Times {
		took := "not yet"
		if tm.Known {
			took = Duration(tm.Seconds)
		}
		t.Rows = append(t.Rows, []string{string(tm.Measure), utc(tm.From), utc(tm.To), took})
	}
	s := Section{Title: "How the response went", Level: 2, Table: t}
	if len(resp.Notices) == 0 {
		s.Text = []string{"No notification had a deadline."}
	}
	for _, n := range resp.Notices {
		line := fmt.Sprintf("%s notice %s (%s): due %s, ", n.Kind, n.Ref, n.Label, utc(n.Due))
		switch {
		case !n.Done.IsZero():
			line += fmt.Sprintf("done %s, %s", utc(n.Done), n.Outcome)
		default:
			line += string(n.Outcome)
		}
		s.List = append(s.List, line)
	}
	s.List = append(s.List, "Tenant and authority notices under regulations are not "+
		"measured yet (issue #4).")
	return s
}

// timelineSections draws the visible entries as a chart and lists them.
func timelineSections(ordered []Entry) []Section {
	var visible []Entry
	hidden := 0
	for _, e := range ordered {
		if e.Hidden {
			hidden++
			continue
		}
		visible = append(visible, e)
	}
	t := &Table{Head: []string{"#", "When", "Kind", "What", "Who", "Source"},
		Widths: []float64{0.4, 2.4, 1, 4.6, 1.4, 1.6}}
	for _, e := range visible {
		what := e.Text
		for _, n := range e.Notes {
			what += "\nNote by " + n.By + " (" + utc(n.At) + "): " + n.Text
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(e.ID), stamp(e.At, e.Zone),
			string(e.Kind), what, e.Actor, e.Source.String()})
	}
	s := Section{Title: "Timeline", Level: 2, Chart: &Chart{Entries: visible}}
	if hidden > 0 {
		what := fmt.Sprintf("%d entries are", hidden)
		if hidden == 1 {
			what = "1 entry is"
		}
		s.Text = []string{what + " hidden from this report (their reasons are kept in the " +
			"post-mortem)."}
	}
	if len(visible) == 0 {
		s.Chart = nil
		s.Text = append(s.Text, "The timeline is empty.")
		return []Section{s}
	}
	return []Section{s, {Title: "Timeline entries", Level: 3, Table: t}}
}

func findingsSection(pm *PostMortem) Section {
	s := Section{Title: "Findings", Level: 2}
	if len(pm.Findings) == 0 {
		s.Text = []string{"No finding was recorded."}
		return s
	}
	t := &Table{Head: []string{"#", "Category", "Finding", "Evidence"},
		Widths: []float64{0.4, 2, 5, 2}}
	for _, f := range pm.Findings {
		text := f.Title
		if f.Description != "" {
			text += "\n" + f.Description
		}
		var refs []string
		for _, r := range f.Evidence {
			refs = append(refs, r.String())
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(f.ID), f.Category.Label(), text,
			strings.Join(refs, ", ")})
	}
	s.Table = t
	return s
}

func followUpsSection(fus []FollowUp) Section {
	s := Section{Title: "Follow-up items", Level: 2}
	if len(fus) == 0 {
		s.Text = []string{"No follow-up item."}
		return s
	}
	t := &Table{Head: []string{"#", "Kind", "Item", "Owner", "Due", "State"},
		Widths: []float64{0.4, 1.5, 4.5, 1.3, 1.3, 1.4}}
	for _, f := range fus {
		item := f.Title
		if f.Rule != nil {
			item += fmt.Sprintf("\nanswered by rule %s (%s), file %s, sha256 %s", f.Rule.RuleID,
				f.Rule.Title, f.Rule.File, f.Rule.SHA256)
		}
		state := string(f.State)
		if f.Overdue {
			state += " (overdue)"
		}
		t.Rows = append(t.Rows, []string{strconv.FormatInt(f.ID, 10), string(f.Kind), item,
			f.Owner, f.Due.UTC().Format(time.DateOnly), state})
	}
	s.Table = t
	return s
}

func signOffSection(pm *PostMortem) Section {
	s := Section{Title: "Review and sign-off", Level: 2}
	for _, so := range pm.SignOffs {
		line := fmt.Sprintf("Revision %d signed off as %s by %s at %s", so.Revision, so.Role,
			so.By, utc(so.At))
		if so.Revision != pm.Revision {
			line += " (an earlier revision)"
		}
		if so.Note != "" {
			line += ": " + so.Note
		}
		s.List = append(s.List, line)
	}
	s.Text = []string{signOffLine(pm) + "."}
	return s
}
