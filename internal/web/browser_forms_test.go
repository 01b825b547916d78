package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/team"
)

// evidenceFile is the name under which the browser uploads the dataset.
const evidenceFile = "psh_lsass_memory_dump_comsvcs.json"

// otherUser opens a browser context of its own (its own cookies) and signs
// in there as role.
func (p *page) otherUser(role string) *page {
	p.t.Helper()
	return p.otherUserNamed("u-" + role)
}

// otherUserNamed opens a browser context of its own signed in as the user
// name.
func (p *page) otherUserNamed(name string) *page {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx, chromedp.WithNewBrowserContext())
	p.t.Cleanup(cancel)
	// The first run creates the tab and binds it to its context: no
	// deadline there.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		p.t.Fatalf("open a browser context: %v", err)
	}
	o := &page{t: p.t, ctx: ctx, base: p.base}
	o.signInAs(name)
	return o
}

// addTeam creates the legal team with its roster through the admin's
// forms: u-legal is on call now.
func (p *page) addTeam(t *testing.T) {
	t.Helper()
	p.do("open the teams", chromedp.Navigate(p.base+"/teams"))
	st := p.submit("create a team",
		chromedp.SendKeys(chromedp.CSS(`#new-team input[name=id]`), "legal"),
		chromedp.SendKeys(chromedp.CSS(`#new-team input[name=name]`), "Legal and privacy"),
		chromedp.SetValue(chromedp.CSS(`#new-team select[name=kind]`), "legal"),
		chromedp.SendKeys(chromedp.CSS(`#new-team input[name=members]`),
			"u-legal, u-communications"),
		chromedp.SendKeys(chromedp.CSS(`#new-team input[name=escalation_contact]`), "u-legal"),
		chromedp.Click(chromedp.ID("create-team")))
	if st != http.StatusOK {
		t.Fatalf("create a team: status %d: %s", st, p.text("main"))
	}
	now := time.Now().UTC()
	roster := "u-legal, " + now.Add(-time.Hour).Format(wallLayout) + ", " +
		now.Add(8*time.Hour).Format(wallLayout) + ", UTC\n" +
		"u-communications, " + now.Add(8*time.Hour).Format(wallLayout) + ", " +
		now.Add(16*time.Hour).Format(wallLayout) + ", UTC\n"
	st = p.submit("set the roster",
		chromedp.Click(chromedp.CSS(`#team-legal summary`)),
		chromedp.SetValue(chromedp.CSS(`#team-legal textarea[name=roster]`), roster),
		chromedp.Click(chromedp.CSS(`#team-legal form.edit-roster button`)))
	if got := p.text("#team-legal .oncall"); st != http.StatusOK || got != "u-legal" {
		t.Fatalf("set the roster: status %d, on call %q, want u-legal", st, got)
	}
}

// respond escalates the incident, engages a member by name and adds an
// analysis task, then finishes it.
func (p *page) respond(incURL string) {
	p.t.Helper()
	p.do("open the incident", chromedp.Navigate(incURL))
	p.submit("escalate",
		chromedp.SendKeys(chromedp.CSS(`#escalate-form input[name=reason]`),
			"credential dumping on a workstation"),
		chromedp.Click(chromedp.ID("escalate")))
	p.submit("engage a member",
		chromedp.SendKeys(chromedp.CSS(`#engage-form input[name=user]`), "u-legal"),
		chromedp.SetValue(chromedp.CSS(`#engage-form select[name=role]`), "expert"),
		chromedp.SendKeys(chromedp.CSS(`#engage-form input[name=reason]`),
			"credentials of employees may be exposed"),
		chromedp.Click(chromedp.ID("engage")))
	if got := p.text("#team"); !strings.Contains(got, "u-legal") ||
		!strings.Contains(got, "commander") {
		p.t.Fatalf("virtual team after escalation and engagement:\n%s", got)
	}
	row := p.addTask("analysis", "Collect the Sysmon logs of WORKSTATION5", false)
	p.setTask(row, "done", "logs kept as evidence")
}

// addTask adds a task through the form and returns its row's ID, which is
// also its eradication step's ("task-7").
func (p *page) addTask(phase, title string, highImpact bool) string {
	p.t.Helper()
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`#add-task-form select[name=phase]`), phase),
		chromedp.SendKeys(chromedp.CSS(`#add-task-form input[name=title]`), title),
		chromedp.SendKeys(chromedp.CSS(`#add-task-form input[name=owner]`), "u-responder"),
		chromedp.SetValue(chromedp.CSS(`#add-task-form input[name=due]`),
			time.Now().Add(24*time.Hour).UTC().Format("2006-01-02T15:04")),
	}
	if highImpact {
		actions = append(actions, chromedp.Click(chromedp.CSS(
			`#add-task-form input[name=high_impact]`)))
	}
	actions = append(actions, chromedp.Click(chromedp.ID("add-task")))
	if st := p.submit("add task "+title, actions...); st != http.StatusOK {
		p.t.Fatalf("add task %q: status %d: %s", title, st, p.text("main"))
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.`+
		`querySelectorAll("#tasks tr[id^=task-]")).map(e => e.id).pop()`))
	if err != nil || !strings.HasPrefix(row, "task-") {
		p.t.Fatalf("added task's row %q: %v", row, err)
	}
	return row
}

// setTask changes the status and result of the task in row.
func (p *page) setTask(row, status, result string) {
	p.t.Helper()
	form := "#" + row + " form.task-status "
	st := p.submit("set "+row+" "+status,
		chromedp.SetValue(chromedp.CSS(form+"select[name=status]"), status),
		chromedp.SetValue(chromedp.CSS(form+"input[name=result]"), result),
		chromedp.Click(chromedp.CSS(form+"button")))
	if got := p.text("#" + row); st != http.StatusOK || !strings.Contains(got, status) {
		p.t.Fatalf("set %s %s: status %d, row %q", row, status, st, got)
	}
}

// evidence uploads data as a file, downloads it back through the
// hash-checked download, compares its SHA-256 with the one the page shows,
// and records its transfer to forensics.
func (p *page) evidence(t *testing.T, incURL, data string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), evidenceFile)
	if err := os.WriteFile(src, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p.do("open the incident", chromedp.Navigate(incURL))
	st := p.submit("upload evidence",
		chromedp.SendKeys(chromedp.CSS(`#upload input[name=description]`),
			"Security and Sysmon events of WORKSTATION5"),
		chromedp.SendKeys(chromedp.CSS(`#upload input[name=source]`), "WORKSTATION5"),
		chromedp.SendKeys(chromedp.CSS(`#upload input[name=reason]`), "triage"),
		chromedp.SetUploadFiles(chromedp.CSS(`#upload input[name=file]`), []string{src}),
		chromedp.Click(chromedp.ID("upload-evidence")))
	shown := p.text("#evidence .sha256")
	want := sha256.Sum256([]byte(data))
	if st != http.StatusOK || shown != hex.EncodeToString(want[:]) {
		t.Fatalf("upload: status %d, page shows sha256 %q, want %x", st, shown, want)
	}

	dir := t.TempDir()
	p.do("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior,
			cdpbrowser.SetDownloadBehaviorParams{DownloadPath: dir,
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow})
		return err
	}), chromedp.SendKeys(chromedp.CSS(`#evidence form[action$="/download"] input[name=reason]`),
		"hand a verified copy to forensics"),
		chromedp.Click(chromedp.CSS(`#evidence form[action$="/download"] button`)))
	got := waitDownload(t, filepath.Join(dir, evidenceFile))
	sum := sha256.Sum256(got)
	if hex.EncodeToString(sum[:]) != shown {
		t.Fatalf("downloaded file has sha256 %x, the page shows %s", sum, shown)
	}

	p.do("reload", chromedp.Navigate(incURL))
	p.submit("record a transfer",
		chromedp.Click(chromedp.CSS(`#evidence details summary`)),
		chromedp.SetValue(chromedp.CSS(`#evidence select[name=action]`), "transferred"),
		chromedp.SendKeys(chromedp.CSS(`#evidence form[action$="/custody"] input[name=to]`),
			"forensics"),
		chromedp.SendKeys(chromedp.CSS(`#evidence form[action$="/custody"] input[name=reason]`),
			"sent to forensics for analysis"),
		chromedp.Click(chromedp.CSS(`#evidence form[action$="/custody"] button`)))
	custody := p.text("#evidence table.custody")
	for _, want := range []string{"acquired", "accessed", "hand a verified copy", "transferred"} {
		if !strings.Contains(custody, want) {
			t.Errorf("chain of custody lacks %q:\n%s", want, custody)
		}
	}
}

// waitDownload waits up to 30 s for the browser to finish writing path and
// returns its content.
func waitDownload(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if _, partial := os.Stat(path + ".crdownload"); err == nil && partial != nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("download of %s not finished after 30 s: %v", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// addWatchRule attaches a watch rule during recovery.
func (p *page) addWatchRule() {
	p.t.Helper()
	rule := "title: LSASS memory access after recovery\n" +
		"id: 0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b\n" +
		"logsource: {product: windows, category: process_access}\n" +
		"detection:\n  selection:\n    TargetImage|endswith: '\\lsass.exe'\n" +
		"  condition: selection\nlevel: high\n"
	st := p.submit("add a watch rule",
		chromedp.SetValue(chromedp.CSS(`#watch textarea[name=yaml]`), rule),
		chromedp.Click(chromedp.ID("add-watch-rule")))
	if got := p.text("#watch"); st != http.StatusOK || !strings.Contains(got, "active") {
		p.t.Fatalf("add a watch rule: status %d:\n%s", st, got)
	}
}

// directoryAndOutbox visits the teams and the notifications, retries the
// failed notification, and takes their screenshots.
func (p *page) directoryAndOutbox(t *testing.T, out string) {
	t.Helper()
	p.do("open the teams", chromedp.Navigate(p.base+"/teams"),
		chromedp.WaitVisible(chromedp.ID("team-legal")))
	if got := p.text("#team-legal"); !strings.Contains(got, "Legal and privacy") ||
		!strings.Contains(got, "u-communications") {
		t.Errorf("teams page:\n%s", got)
	}
	p.screenshot(out, "teams.png")

	p.do("open the notifications", chromedp.Navigate(p.base+"/notifications"),
		chromedp.WaitVisible(chromedp.ID("outbox")))
	if got := p.text("#outbox"); !strings.Contains(got, "relay refused") {
		t.Errorf("outbox does not show the failed delivery:\n%s", got)
	}
	p.screenshot(out, "notifications.png")
	st := p.submit("retry", chromedp.Click(chromedp.CSS(`#outbox button[id^=retry-]`)))
	if got := p.text("#outbox"); st != http.StatusOK || !strings.Contains(got, "pending") {
		t.Errorf("after retry: status %d:\n%s", st, got)
	}
}

// checkPlan checks what the browser stored besides the record: the team,
// the tasks, the evidence and its custody.
func checkPlan(t *testing.T, e *env, id int64) {
	t.Helper()
	ctx := t.Context()
	es, err := e.st.ListEngagements(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, x := range es {
		roles = append(roles, string(x.Role)+"/"+x.User)
	}
	if !containsAll(roles, string(team.RoleCommander)+"/u-responder", "expert/u-legal") {
		t.Errorf("virtual team %v", roles)
	}
	tasks, err := e.st.ListTasks(ctx, id)
	if err != nil || len(tasks) != 2 || tasks[0].Status != "done" || !tasks[1].HighImpact ||
		tasks[1].Status != "done" || tasks[1].Result != "krbtgt reset at 02:10 and 12:10" {
		t.Errorf("tasks %+v, %v", tasks, err)
	}
	items, err := e.ev.List(ctx, id)
	if err != nil || len(items) != 1 || items[0].AcquiredFrom != "WORKSTATION5" ||
		items[0].FileName != evidenceFile {
		t.Fatalf("evidence %+v, %v", items, err)
	}
	_, log, err := e.ev.Get(ctx, items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range log {
		actions = append(actions, string(c.Action))
	}
	if !containsAll(actions, string(evidence.Acquired), string(evidence.Accessed),
		string(evidence.Transferred)) {
		t.Errorf("custody %v", actions)
	}
	if ws, err := e.st.ListWatchRules(ctx, id); err != nil || len(ws) != 1 {
		t.Errorf("watch rules %+v, %v", ws, err)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
