package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/plan"
)

// taskByTitle reads a task of the incident from the store.
func (e *env) taskByTitle(t *testing.T, incID int64, title string) plan.Task {
	t.Helper()
	ts, err := e.st.ListTasks(t.Context(), incID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.Title == title {
			return x
		}
	}
	t.Fatalf("no task %q in %+v", title, ts)
	return plan.Task{}
}

// wantPage checks a refused form: the status, the incident page (not a
// blank or error page) and the API's message on it.
func wantPage(t *testing.T, what string, res *http.Response, body string, status int,
	msg string) {
	t.Helper()
	if res.StatusCode != status || !strings.Contains(body, `id="error"`) ||
		!strings.Contains(body, msg) || !strings.Contains(body, "<form") {
		t.Errorf("%s: status %d, want %d with %q on the page:\n%.2000s", what,
			res.StatusCode, status, msg, body)
	}
}

func TestTaskForms(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	page := fmt.Sprintf("/incidents/%d", incID)
	r := e.signIn(t, auth.RoleResponder)
	tok := r.csrf(page)
	post := func(path string, f url.Values) (*http.Response, string) {
		f.Set("csrf_token", tok)
		return r.post(path, f)
	}

	res, body := post(page+"/tasks", url.Values{"phase": {"analysis"}, "title": {""}})
	wantPage(t, "task without a title", res, body, http.StatusUnprocessableEntity,
		"title: empty")
	res, body = post(page+"/tasks", url.Values{"phase": {"analysis"}, "title": {"Pull logs"},
		"owner": {"u-responder"}, "due": {"tomorrow"}})
	wantPage(t, "bad due", res, body, http.StatusUnprocessableEntity, "due: &#34;tomorrow&#34;")
	if !strings.Contains(body, `value="Pull logs"`) {
		t.Error("refused task form lost its title")
	}
	res, _ = post(page+"/tasks", url.Values{"phase": {"analysis"}, "title": {"Pull logs"},
		"owner": {"u-responder"}, "due": {"2026-12-24T12:00"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add task: status %d", res.StatusCode)
	}
	task := e.taskByTitle(t, incID, "Pull logs")
	if task.Owner != "u-responder" || task.Due.Format("2006-01-02 15:04") != "2026-12-24 12:00" ||
		task.Status != plan.StatusOpen {
		t.Errorf("stored task %+v", task)
	}
	tp := fmt.Sprintf("%s/tasks/%d", page, task.ID)
	v := strconv.FormatInt(task.Version, 10)
	res, _ = post(tp, url.Values{"version": {v}, "status": {"done"},
		"result": {"proxy logs in evidence"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("finish task: status %d", res.StatusCode)
	}
	res, body = post(tp, url.Values{"version": {v}, "status": {"blocked"}})
	wantPage(t, "stale task version", res, body, http.StatusPreconditionFailed,
		"the record changed")
	if got := e.taskByTitle(t, incID, "Pull logs"); got.Status != plan.StatusDone ||
		got.Result != "proxy logs in evidence" {
		t.Errorf("after the stale edit: %+v", got)
	}

}

// TestTaskApproval adds a high-impact eradication task, which asks an
// executive: it cannot start before the approval, and only the executive
// sees the approve button.
func TestTaskApproval(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	page := fmt.Sprintf("/incidents/%d", incID)
	r := e.signIn(t, auth.RoleResponder)
	tok := r.csrf(page)
	post := func(path string, f url.Values) (*http.Response, string) {
		f.Set("csrf_token", tok)
		return r.post(path, f)
	}
	res, _ := post(page+"/tasks", url.Values{"phase": {"eradication"}, "title": {"Wipe DC01"},
		"high_impact": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add high-impact task: status %d", res.StatusCode)
	}
	wipe := e.taskByTitle(t, incID, "Wipe DC01")
	step := wipe.StepID()
	wp := fmt.Sprintf("%s/tasks/%d", page, wipe.ID)
	res, body := post(wp, url.Values{"version": {"1"}, "status": {"in_progress"}})
	wantPage(t, "start unapproved", res, body, http.StatusConflict, "approval")
	_, body = r.get(page)
	if !strings.Contains(body, "waiting for an executive ("+step+")") ||
		strings.Contains(body, `id="approve-`+step+`"`) {
		t.Error("responder: want the step waiting, and no approve button")
	}
	x := e.signIn(t, auth.RoleExecutive)
	_, body = x.get(page)
	if !strings.Contains(body, `id="approve-`+step+`"`) || strings.Contains(body, `id="add-task"`) {
		t.Error("executive: want the approve button and no task form")
	}
	res, _ = x.post(page+"/approvals", url.Values{"csrf_token": {x.csrf(page)},
		"step": {step}, "note": {"window at 02:00"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: status %d", res.StatusCode)
	}
	res, _ = post(wp, url.Values{"version": {"1"}, "status": {"in_progress"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start approved: status %d", res.StatusCode)
	}
	if _, body = r.get(page); !strings.Contains(body, "approved by user:u-executive") {
		t.Error("approval of the task not shown")
	}
}

func TestTeamForms(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	page := fmt.Sprintf("/incidents/%d", incID)
	r := e.signIn(t, auth.RoleResponder)
	tok := r.csrf(page)
	post := func(path string, f url.Values) (*http.Response, string) {
		f.Set("csrf_token", tok)
		return r.post(path, f)
	}
	_, body := r.get(page)
	if !strings.Contains(body, `id="escalate"`) || strings.Contains(body, `id="rerun-rules"`) {
		t.Error("before escalation: want the escalate form, not the re-run button")
	}
	res, _ := post(page+"/escalate", url.Values{"scribe": {"u-legal"},
		"reason": {"credentials exposed"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("escalate: status %d", res.StatusCode)
	}
	res, body = post(page+"/team", url.Values{"user": {"nobody"}, "role": {"expert"},
		"reason": {"x"}})
	wantPage(t, "engage an unknown person", res, body, http.StatusUnprocessableEntity,
		"neither a Vigil user")
	if !strings.Contains(body, `value="nobody"`) {
		t.Error("refused engage form lost the user name")
	}
	res, _ = post(page+"/team", url.Values{"user": {"u-communications"}, "role": {"expert"},
		"reason": {"press questions"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("engage: status %d", res.StatusCode)
	}
	es, err := e.st.ListEngagements(t.Context(), incID)
	if err != nil || len(es) != 3 {
		t.Fatalf("engagements %+v, %v; want commander, scribe and the expert", es, err)
	}
	expert := es[2]
	if expert.User != "u-communications" || expert.EngagedBy != "u-responder" {
		t.Errorf("expert engagement %+v", expert)
	}
	dis := fmt.Sprintf("%s/team/%d/disengage", page, expert.ID)
	res, body = post(dis, url.Values{})
	wantPage(t, "disengage without a reason", res, body, http.StatusUnprocessableEntity,
		"reason")
	res, _ = post(dis, url.Values{"reason": {"answered"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disengage: status %d", res.StatusCode)
	}
	res, _ = post(page+"/escalate", url.Values{"reason": {"re-run"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-run rules: status %d", res.StatusCode)
	}
	_, body = r.get(page)
	for _, want := range []string{"u-communications", "disengaged", "answered",
		`id="rerun-rules"`, "named scribe by u-responder"} {
		if !strings.Contains(body, want) {
			t.Errorf("team section lacks %q", want)
		}
	}
	_, body = e.signIn(t, auth.RoleAuditor).get(page)
	for _, form := range []string{`id="engage"`, `id="rerun-rules"`, `id="disengage-`} {
		if strings.Contains(body, form) {
			t.Errorf("auditor sees %s", form)
		}
	}
}

func TestWatchRuleForms(t *testing.T) {
	e := newEnv(t, nil)
	_, incID := e.seed(t)
	page := fmt.Sprintf("/incidents/%d", incID)
	r := e.signIn(t, auth.RoleResponder)
	if _, body := r.get(page); strings.Contains(body, `id="watch"`) {
		t.Error("watch rules shown outside recovery with none attached")
	}
	rec, err := e.st.GetIncidentRecord(t.Context(), incID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Record.Phase = incident.PhaseRecovery
	if err := e.st.UpdateIncidentRecord(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	tok := r.csrf(page)
	bad := "title: broken\ndetection:\n  selection: [\n"
	res, body := r.post(page+"/watch-rules", url.Values{"csrf_token": {tok}, "yaml": {bad},
		"expires": {"2099-01-01T00:00"}})
	wantPage(t, "watch rule far ahead", res, body, http.StatusUnprocessableEntity,
		"expires: at most")
	res, body = r.post(page+"/watch-rules", url.Values{"csrf_token": {tok}, "yaml": {bad},
		"expires": {e.soon(t)}})
	wantPage(t, "bad YAML", res, body, http.StatusUnprocessableEntity, "yaml:")
	if !strings.Contains(body, "title: broken") {
		t.Error("refused watch rule form lost its YAML")
	}
	good := "title: LSASS access after recovery\nid: 9a3c1f0e-5b6d-4e7f-8a9b-0c1d2e3f4a5b\n" +
		"logsource: {product: windows, category: process_access}\ndetection:\n" +
		"  selection:\n    TargetImage|endswith: '\\lsass.exe'\n  condition: selection\n"
	res, body = r.post(page+"/watch-rules", url.Values{"csrf_token": {tok}, "yaml": {good},
		"expires": {e.soon(t)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add watch rule: status %d: %s", res.StatusCode, body)
	}
	ws, err := e.st.ListWatchRules(t.Context(), incID)
	if err != nil || len(ws) != 1 {
		t.Fatalf("watch rules %+v, %v", ws, err)
	}
	_, body = r.get(page)
	if !strings.Contains(body, "LSASS access after recovery") ||
		!strings.Contains(body, `<span class="ok">active</span>`) {
		t.Error("watch rule not listed as active")
	}
	res, _ = r.post(fmt.Sprintf("%s/watch-rules/%d/remove", page, ws[0].ID),
		url.Values{"csrf_token": {tok}, "reason": {"quiet for a week"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: status %d", res.StatusCode)
	}
	if _, body = r.get(page); !strings.Contains(body, "removed by user:u-responder") {
		t.Error("removed watch rule not shown as removed")
	}
}

// soon is a watch rule expiry two days ahead, as the form writes it.
func (e *env) soon(*testing.T) string {
	return time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02T15:04")
}
