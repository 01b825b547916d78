package postmortem

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// IncidentDocument is the whole incident report: the record (NIST SP
// 800-61's data elements), its actions, phase changes, comments and
// evidence, how the response went, and the post-mortem (pm nil: none yet,
// and the timeline is assembled from src) with its follow-ups.
func IncidentDocument(src Sources, severity string, pm *PostMortem, resp Response,
	fus []FollowUp, now time.Time) Document {
	r := &src.Record
	d := Document{Title: "Incident report " + r.Number + ": " + r.Title,
		Subtitle:  fmt.Sprintf("%s · phase %s · %s", severity, r.Phase, r.Status),
		Generated: now.UTC()}
	prio := "not derived"
	if r.Priority.Valid() {
		prio = r.Priority.String()
	}
	d.Sections = append(d.Sections, Section{Title: "The incident", Level: 2, Fields: []Field{
		{"Number", r.Number}, {"Severity", severity}, {"Priority", prio},
		{"Phase", string(r.Phase)}, {"Status", r.Status},
		{"Classification", orNone(string(r.Classification))},
		{"Category", orNone(string(r.Category))},
		{"Attack vector", orNone(string(r.AttackVector))},
		{"Detected", utc(r.Detected)}, {"Reported", utc(r.Reported)},
		{"Hosts", orNone(strings.Join(r.Resources.Hosts, ", "))},
		{"Services", orNone(strings.Join(r.Resources.Services, ", "))},
		{"Regions", orNone(strings.Join(r.Resources.Regions, ", "))},
		{"Related incidents", orNone(strings.Join(r.Related, ", "))},
	}})
	for _, p := range []struct{ title, text string }{{"Summary", r.Summary},
		{"Potential impact", r.PotentialImpact}, {"Cause", r.Cause},
		{"Business impact", r.BusinessImpact}} {
		if strings.TrimSpace(p.text) != "" {
			d.Sections = append(d.Sections, Section{Title: p.title, Level: 2,
				Text: paragraphs(p.text)})
		}
	}
	d.Sections = append(d.Sections, recordTables(src)...)
	if len(r.NextSteps) > 0 {
		d.Sections = append(d.Sections, Section{Title: "Next steps", Level: 2,
			List: r.NextSteps})
	}
	d.Sections = append(d.Sections, responseSection(resp))
	if pm == nil {
		tl := &PostMortem{Timeline: Assemble(src)}
		for i := range tl.Timeline {
			tl.Timeline[i].ID = i + 1
		}
		d.Sections = append(d.Sections, timelineSections(tl.Ordered())...)
		d.Sections = append(d.Sections, Section{Title: "Post-mortem", Level: 2,
			Text: []string{"No post-mortem yet: it is created when the incident enters " +
				"the post-incident phase."}})
		return d
	}
	pmDoc := PostMortemDocument(pm, resp, fus, now)
	d.Sections = append(d.Sections, Section{Title: "Post-mortem", Level: 2,
		Text: []string{fmt.Sprintf("Revision %d; %s.", pm.Revision, signOffLine(pm))}})
	for _, s := range pmDoc.Sections {
		if s.Title == "How the response went" {
			continue
		}
		d.Sections = append(d.Sections, s)
	}
	return d
}

// orNone returns s, or "none" when it is empty.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}

// recordTables are the lists of the record: contacts, actions, phase
// changes, comments, approvals and evidence.
func recordTables(src Sources) []Section {
	r := &src.Record
	var out []Section
	add := func(title string, t *Table) {
		if len(t.Rows) > 0 {
			out = append(out, Section{Title: title, Level: 2, Table: t})
		}
	}
	contacts := &Table{Head: []string{"Name", "Role", "Organization", "E-mail", "Phone"}}
	for _, c := range r.Contacts {
		contacts.Rows = append(contacts.Rows, []string{c.Name, c.Role, c.Organization,
			c.Email, c.Phone})
	}
	add("Contacts", contacts)
	phases := &Table{Head: []string{"When", "From", "To", "By", "Reason"},
		Widths: []float64{2.6, 1.2, 1.2, 1.4, 3}}
	for _, pc := range r.PhaseChanges {
		phases.Rows = append(phases.Rows, []string{stamp(pc.At, pc.Location), string(pc.From),
			string(pc.To), pc.By, pc.Reason})
	}
	add("Phase changes", phases)
	actions := &Table{Head: []string{"When", "By", "Action", "Result"},
		Widths: []float64{2, 1.4, 3.6, 2.4}}
	for _, a := range r.Actions {
		actions.Rows = append(actions.Rows, []string{utc(a.At), a.By, a.What, a.Result})
	}
	add("Actions taken", actions)
	approvals := &Table{Head: []string{"When", "Step", "By", "Role", "Note"}}
	for _, a := range src.Gates.Approvals {
		approvals.Rows = append(approvals.Rows, []string{utc(a.At), a.Step, a.By, a.Role,
			a.Note})
	}
	add("Approvals", approvals)
	comments := &Table{Head: []string{"When", "By", "Comment"}, Widths: []float64{2, 1.4, 6}}
	for _, c := range r.Comments {
		comments.Rows = append(comments.Rows, []string{utc(c.At), c.By, c.Text})
	}
	add("Comments", comments)
	ev := &Table{Head: []string{"#", "File", "SHA-256", "Acquired", "By"},
		Widths: []float64{0.4, 2, 4.2, 2, 1.4}}
	for _, e := range src.Evidence {
		ev.Rows = append(ev.Rows, []string{strconv.FormatInt(e.ID, 10), e.FileName, e.SHA256,
			utc(e.AcquiredAt), e.AcquiredBy})
	}
	add("Evidence", ev)
	return out
}
