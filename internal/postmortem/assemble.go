package postmortem

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/notify"
)

// Alert is what the timeline reads of an alert of the incident.
type Alert struct {
	ID        int64     `json:"id"`
	RuleID    string    `json:"rule_id"`
	RuleTitle string    `json:"rule_title"`
	Level     string    `json:"level"`
	EventTime time.Time `json:"event_time,omitzero"`
	Created   time.Time `json:"created"`
}

// Sources are the parts of an incident's record that the timeline is
// assembled from. The caller reads them; Audit holds the entries about
// the incident and its alerts.
type Sources struct {
	IncidentID    int64
	Record        incident.Record
	Gates         incident.Gates
	Alerts        []Alert
	Audit         []audit.Entry
	Evidence      []evidence.Evidence
	Notifications []notify.Notification
}

// FirstEvent returns the earliest event time of the alerts, zero if none
// has one.
func (src *Sources) FirstEvent() time.Time {
	var first time.Time
	for _, a := range src.Alerts {
		if !a.EventTime.IsZero() && (first.IsZero() || a.EventTime.Before(first)) {
			first = a.EventTime
		}
	}
	return first.UTC()
}

// New returns the post-mortem of an incident entering the post-incident
// phase, pre-filled from src: the technical summary from the record's
// summary and cause, the responders, the indicators and the timeline
// (revision 1, nothing signed off).
func New(src Sources, by string, now time.Time) *PostMortem {
	r := &src.Record
	summary := strings.TrimSpace(r.Summary)
	if c := strings.TrimSpace(r.Cause); c != "" {
		summary = strings.TrimSpace(summary + "\n\nCause: " + c)
	}
	if summary == "" {
		summary = r.Title
	}
	pm := &PostMortem{IncidentID: src.IncidentID, Number: r.Number, Title: r.Title,
		Revision: 1, Created: now.UTC(), CreatedBy: by, Summary: summary, Actors: []string{},
		Indicators: slices.Clone(r.Indicators), Findings: []Finding{},
		SignOffs: []SignOff{}}
	if pm.Indicators == nil {
		pm.Indicators = []incident.Indicator{}
	}
	pm.Timeline = []Entry{}
	pm.Refresh(src)
	pm.Revision = 1
	return pm
}

// Refresh adds the entries of src that the timeline does not hold yet
// (matched by source), in time order after the existing ones, updates
// the responders and indicators, and returns how many entries it added.
// Nothing is removed. Adding entries is a new revision.
func (pm *PostMortem) Refresh(src Sources) int {
	have := map[Source]bool{}
	for _, e := range pm.Timeline {
		have[e.Source] = true
	}
	added := 0
	for _, e := range Assemble(src) {
		if have[e.Source] {
			continue
		}
		e.ID = len(pm.Timeline) + 1
		pm.Timeline = append(pm.Timeline, e)
		added++
	}
	pm.Responders = Responders(src)
	if len(src.Record.Indicators) > 0 {
		pm.Indicators = slices.Clone(src.Record.Indicators)
	}
	if added > 0 {
		pm.changed()
	}
	return added
}

// skipAudit are the audit actions whose change the timeline shows from
// its own source (with more detail), and the post-mortem's own entries.
var skipAudit = map[audit.Action]bool{
	audit.AlertRaised: true, audit.IncidentPhaseChanged: true, audit.IncidentClosed: true,
	audit.ActionAppended: true, audit.ApprovalGranted: true, audit.CommentAdded: true,
	audit.EvidenceAdded: true,
}

// Assemble returns the timeline entries of src in time order, unnumbered.
func Assemble(src Sources) []Entry {
	var out []Entry
	incID := strconv.FormatInt(src.IncidentID, 10)
	part := func(list string, i int) Source {
		return Source{Type: "incident", ID: incID, Part: fmt.Sprintf("%s[%d]", list, i)}
	}
	for _, a := range src.Alerts {
		id := strconv.FormatInt(a.ID, 10)
		if !a.EventTime.IsZero() {
			out = append(out, Entry{At: a.EventTime, Kind: KindAlert,
				Source: Source{Type: "alert", ID: id, Part: "event_time"},
				Text:   fmt.Sprintf("First event of alert #%d (%s)", a.ID, a.RuleTitle)})
		}
		out = append(out, Entry{At: a.Created, Kind: KindAlert,
			Source: Source{Type: "alert", ID: id},
			Text:   fmt.Sprintf("Alert #%d raised: %s (%s)", a.ID, a.RuleTitle, a.Level)})
	}
	r := &src.Record
	for i, pc := range r.PhaseChanges {
		text := fmt.Sprintf("Phase %s → %s", pc.From, pc.To)
		if pc.Reason != "" {
			text += ": " + pc.Reason
		}
		out = append(out, Entry{At: pc.At, Zone: pc.Location, Kind: KindPhase,
			Source: part("phase_changes", i), Text: text, Actor: pc.By, Phase: pc.To})
	}
	for i, a := range r.Actions {
		text := "Action: " + a.What
		if a.Result != "" {
			text += " → " + a.Result
		}
		out = append(out, Entry{At: a.At, Kind: KindAction, Source: part("actions", i),
			Text: text, Actor: a.By})
	}
	for i, c := range r.Comments {
		out = append(out, Entry{At: c.At, Kind: KindComment, Source: part("comments", i),
			Text: "Comment: " + clip(c.Text, 300), Actor: c.By})
	}
	for i, a := range src.Gates.Approvals {
		text := "Approved eradication step " + a.Step
		if a.Note != "" {
			text += ": " + a.Note
		}
		out = append(out, Entry{At: a.At, Kind: KindApproval, Source: part("approvals", i),
			Text: text, Actor: a.By})
	}
	for _, ev := range src.Evidence {
		out = append(out, Entry{At: ev.AcquiredAt, Kind: KindEvidence,
			Source: Source{Type: "evidence", ID: strconv.FormatInt(ev.ID, 10)},
			Text: fmt.Sprintf("Evidence #%d acquired: %s (sha256 %s…)", ev.ID, ev.FileName,
				ev.SHA256[:min(12, len(ev.SHA256))]), Actor: ev.AcquiredBy})
	}
	for _, n := range src.Notifications {
		out = append(out, Entry{At: n.Created, Kind: KindNotification,
			Source: Source{Type: "notification", ID: strconv.FormatInt(n.ID, 10)},
			Text: fmt.Sprintf("Notification (%s, %s) to %s: %s [%s]", n.Trigger, n.Channel,
				n.Recipient, n.Subject, n.State)})
	}
	for _, e := range src.Audit {
		if skipAudit[e.Action] || strings.HasPrefix(string(e.Action), "postmortem.") ||
			strings.HasPrefix(string(e.Action), "follow_up.") {
			continue
		}
		out = append(out, Entry{At: e.Time, Kind: KindAudit,
			Source: Source{Type: "audit", AuditSeq: e.Seq},
			Text:   auditText(e), Actor: e.Actor})
	}
	for i := range out {
		out[i].At = out[i].At.UTC().Truncate(time.Microsecond)
		if out[i].Zone == "" {
			out[i].Zone = "UTC"
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// auditText describes an audit entry: its action, object and the details
// that say what changed (the incident's number and version left out).
func auditText(e audit.Entry) string {
	var details map[string]any
	_ = json.Unmarshal(e.Details, &details)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(details)) {
		if k == "number" || k == "version" || k == "record_version" {
			continue
		}
		b, _ := json.Marshal(details[k])
		parts = append(parts, k+"="+clip(strings.Trim(string(b), `"`), 80))
	}
	text := fmt.Sprintf("%s (%s) on %s/%s", e.Action, e.Action.Code(), e.ObjectType,
		e.ObjectID)
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	return clip(text, 500)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

// byDetection reports an audit entry of the detection pipeline acting for
// the token whose events it read: raising an alert, or opening an incident
// from alerts.
func byDetection(e audit.Entry) bool {
	if !strings.HasPrefix(e.Actor, "token:") {
		return false
	}
	switch e.Action {
	case audit.AlertRaised:
		return true
	case audit.IncidentOpened:
		var d struct {
			AlertIDs []int64 `json:"alert_ids"`
		}
		return json.Unmarshal(e.Details, &d) == nil && len(d.AlertIDs) > 0
	}
	return false
}

// Responders returns the people who acted on the incident: the actors of
// its actions, phase changes, comments, approvals, evidence and audit
// entries, without "system" and without the token whose posted events
// detection read (alert.raised, and incident.opened naming alert IDs, by a
// token: an ingest client, not a responder), sorted.
func Responders(src Sources) []string {
	seen := map[string]bool{}
	add := func(who string) {
		if who = strings.TrimSpace(who); who != "" && who != audit.SystemActor {
			seen[who] = true
		}
	}
	r := &src.Record
	for _, a := range r.Actions {
		add(a.By)
	}
	for _, pc := range r.PhaseChanges {
		add(pc.By)
	}
	for _, c := range r.Comments {
		add(c.By)
	}
	for _, a := range src.Gates.Approvals {
		add(a.By)
	}
	for _, ev := range src.Evidence {
		add(ev.AcquiredBy)
	}
	for _, e := range src.Audit {
		if !byDetection(e) {
			add(e.Actor)
		}
	}
	out := []string{}
	for who := range seen {
		out = append(out, who)
	}
	slices.Sort(out)
	return out
}
