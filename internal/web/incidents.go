package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/team"
)

// listLimit is how many incidents the list reads from the API.
const listLimit = 1000

// incidentItem is an incident as GET /api/v1/incidents lists it.
type incidentItem struct {
	ID       int64     `json:"id"`
	Number   string    `json:"number"`
	Title    string    `json:"title"`
	Severity string    `json:"severity"`
	Status   string    `json:"status"`
	Phase    string    `json:"phase"`
	AlertIDs []int64   `json:"alert_ids"`
	Opened   time.Time `json:"opened"`
	Updated  time.Time `json:"updated"`
}

// incidentRow is an incident as a select option lists it.
type incidentRow struct {
	ID     int64
	Number string
	Title  string
}

// listData is the data of the incident list.
type listData struct {
	Status, Severity, Phase, Text string
	Statuses, Severities, Phases  []string
	Incidents                     []incidentItem
	Total                         int64
}

func (listData) pageTitle() string { return "Incidents" }

// incidentList lists incidents, newest first, filtered by status and
// severity (by the API) and by phase and text in the number or title.
func (s *server) incidentList(w http.ResponseWriter, r *http.Request, se *session) {
	q := r.URL.Query()
	d := listData{Status: q.Get("status"), Severity: q.Get("severity"), Phase: q.Get("phase"),
		Text:     strings.TrimSpace(q.Get("q")),
		Statuses: []string{"open", "closed"}, Severities: []string{"critical", "high",
			"medium", "low"}}
	for _, p := range incident.Phases() {
		d.Phases = append(d.Phases, string(p))
	}
	v := url.Values{"limit": {strconv.Itoa(listLimit)}}
	if slices.Contains(d.Statuses, d.Status) {
		v.Set("status", d.Status)
	}
	if slices.Contains(d.Severities, d.Severity) {
		v.Set("severity", d.Severity)
	}
	var page store.Page[incidentItem]
	if err := se.api.get(r.Context(), "/api/v1/incidents?"+v.Encode(), &page); err != nil {
		s.fail(w, r, se, err)
		return
	}
	text := strings.ToLower(d.Text)
	for _, inc := range page.Items {
		if d.Phase != "" && inc.Phase != d.Phase {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(inc.Number+" "+inc.Title), text) {
			continue
		}
		d.Incidents = append(d.Incidents, inc)
	}
	d.Total = int64(len(d.Incidents))
	s.render(w, r, http.StatusOK, "incidents", se, d)
}

// incidentView is the JSON of GET /api/v1/incidents/{id}.
type incidentView struct {
	incidentItem
	Version int64           `json:"version"`
	Record  incident.Record `json:"record"`
	Gates   incident.Gates  `json:"gates"`
}

// related is the JSON of GET /api/v1/incidents/{id}/related.
type related struct {
	Linked    []string `json:"linked"`
	Suggested []struct {
		ID     int64  `json:"id"`
		Number string `json:"number"`
		Title  string `json:"title"`
	} `json:"suggested"`
}

// evidenceItem is a piece of evidence with its chain of custody.
type evidenceItem struct {
	evidence.Evidence
	Custody []evidence.Custody `json:"custody"`
}

// stepView is an eradication step with its approvals.
type stepView struct {
	incident.EradicationStep
	Approvals []incident.Approval
}

// incidentData is the data of the incident page.
type incidentData struct {
	Inc        incidentView
	Related    related
	Evidence   []evidenceItem
	EvidenceNA string // why evidence is not shown
	Steps      []stepView
	Team       []team.Engagement
	TeamActive bool // someone is engaged now
	Tasks      []taskView
	Watch      []watchView
	Alerts     []alertRef // the incident's alerts, for attaching their events
	Next       []phaseMove
	Phases     []phaseStep
	Kinds      []incident.IndicatorKind
	Choices    planChoices
	Scope      *scopeSection // incidentscope.go
	Duties     *dutySection  // obligations.go
	Error      string
	Can        map[string]bool

	Form string     // the form that failed, whose fields keep what was sent
	sent url.Values // what it sent
}

func (d incidentData) pageTitle() string { return d.Inc.Number + " " + d.Inc.Title }

// Draft returns what the failed form sent in field, "" for other forms.
func (d incidentData) Draft(form, field string) string {
	if d.Form != form {
		return ""
	}
	return strings.TrimSpace(d.sent.Get(field))
}

// phaseMove is a phase the incident may be moved to, and what its gate
// still misses ("" when nothing).
type phaseMove struct {
	To      incident.Phase
	Missing string
	Back    bool
}

// incidentPage shows the whole record of one incident.
func (s *server) incidentPage(w http.ResponseWriter, r *http.Request, se *session) {
	s.showIncident(w, r, se, http.StatusOK, "", "")
}

// showIncident renders the incident page with status and an error message
// (msg, "" for none); form names the form that failed (its anchor), whose
// fields keep what the user sent.
func (s *server) showIncident(w http.ResponseWriter, r *http.Request, se *session, status int,
	msg, form string) {
	d, err := s.loadIncident(r.Context(), se, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, se, err)
		return
	}
	d.Error, d.Form, d.sent = msg, form, r.PostForm
	d.Can = map[string]bool{}
	for key := range pagePermissions {
		if rest, ok := strings.CutPrefix(key, "POST /incidents/{id}/"); ok {
			d.Can[rest] = can(se.Principal, key)
		}
	}
	s.render(w, r, status, "incident", se, d)
}

func (s *server) loadIncident(ctx context.Context, se *session, id string) (*incidentData,
	error) {
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return nil, &apiError{Status: http.StatusNotFound, Msg: "not found"}
	}
	d := &incidentData{Kinds: incident.IndicatorKinds()}
	base := "/api/v1/incidents/" + id
	if err := se.api.get(ctx, base, &d.Inc); err != nil {
		return nil, err
	}
	if err := se.api.get(ctx, base+"/related", &d.Related); err != nil {
		return nil, err
	}
	if err := s.loadEvidence(ctx, se, base, d); err != nil {
		return nil, err
	}
	if err := loadResponse(ctx, se, base, d); err != nil {
		return nil, err
	}
	if err := loadScope(ctx, se, base, d); err != nil {
		return nil, err
	}
	if err := loadDuties(ctx, se, base, d); err != nil {
		return nil, err
	}
	for _, st := range d.Inc.Gates.EradicationSteps {
		sv := stepView{EradicationStep: st}
		for _, a := range d.Inc.Gates.Approvals {
			if a.Step == st.ID {
				sv.Approvals = append(sv.Approvals, a)
			}
		}
		d.Steps = append(d.Steps, sv)
	}
	d.Next = moves(&d.Inc)
	d.Phases = progress(d.Inc.Record.Phase)
	return d, nil
}

// loadEvidence reads the incident's evidence and each chain of custody;
// when the server keeps no evidence (503), it says so instead.
func (s *server) loadEvidence(ctx context.Context, se *session, base string,
	d *incidentData) error {
	var page store.Page[evidence.Evidence]
	err := se.api.get(ctx, base+"/evidence", &page)
	if ae, ok := err.(*apiError); ok && ae.Status == http.StatusServiceUnavailable {
		d.EvidenceNA = "This server keeps no evidence."
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range page.Items {
		var item evidenceItem
		if err := se.api.get(ctx, "/api/v1/evidence/"+strconv.FormatInt(e.ID, 10),
			&item); err != nil {
			return err
		}
		d.Evidence = append(d.Evidence, item)
	}
	return nil
}

// moves lists the phases reachable from the incident's phase, forward
// first, each with what its gate still misses.
func moves(inc *incidentView) []phaseMove {
	from := inc.Record.Phase
	facts := inc.Gates.Facts(inc.Record.Classification, "")
	phases := incident.Phases()
	i := slices.Index(phases, from)
	var out []phaseMove
	add := func(to incident.Phase, back bool) {
		m := phaseMove{To: to, Back: back}
		if back {
			facts.Reason = "a reason"
		}
		if err := incident.Transition(from, to, facts); err != nil {
			if te, ok := err.(*incident.TransitionError); ok {
				m.Missing = te.Reason
			} else {
				m.Missing = err.Error()
			}
		}
		facts.Reason = ""
		out = append(out, m)
	}
	if i >= 0 && i+1 < len(phases) {
		add(phases[i+1], false)
	}
	if (from == incident.PhaseDetected || from == incident.PhaseAnalysis) &&
		inc.Record.Classification == incident.FalsePositive {
		add(incident.PhaseClosed, false)
	}
	if i > 0 && from != incident.PhaseClosed {
		add(phases[i-1], true)
	}
	if from == incident.PhaseRecovery {
		add(incident.PhaseContainment, true)
	}
	if from == incident.PhaseClosed {
		add(incident.PhaseAnalysis, true)
	}
	return out
}

// phaseStep is one phase in the progress bar: done, current or todo.
type phaseStep struct {
	Name  incident.Phase
	State string
}

// progress marks the phases before cur done and cur current.
func progress(cur incident.Phase) []phaseStep {
	at := slices.Index(incident.Phases(), cur)
	var out []phaseStep
	for i, p := range incident.Phases() {
		st := "todo"
		switch {
		case i < at:
			st = "done"
		case i == at:
			st = "current"
		}
		out = append(out, phaseStep{Name: p, State: st})
	}
	return out
}
