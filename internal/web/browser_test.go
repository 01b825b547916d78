package web

import (
	"archive/zip"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/corpustest"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/sigma"
)

// chromiumPath finds Debian's chromium; without it the browser test fails
// under CI=true and is skipped elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		msg := "chromium not found: the browser test needs Debian's chromium " +
			"(apt-get install -y chromium; scripts/test.sh installs it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// testOutput is the folder for screenshots: $VIGIL_TEST_OUTPUT or a
// temporary one.
func testOutput(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_TEST_OUTPUT")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// readAttackDataset unzips the NDJSON of the attack-json dataset
// SDWIN-201018195009.
func readAttackDataset(t *testing.T) string {
	t.Helper()
	dir := corpustest.Path(t, "attack-json", "SDWIN-201018195009")
	zr, err := zip.OpenReader(filepath.Join(dir, "psh_lsass_memory_dump_comsvcs.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var b strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(&b, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// newChrome starts headless chromium with an empty profile.
func newChrome(t *testing.T, path string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1360, 900))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// page drives one browser tab (with its own cookies) against the server.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// run runs actions with a deadline, failing the test on error.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// submit runs actions that submit a form and waits for the page that
// answers; it returns its status.
func (p *page) submit(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return res.Status
}

// text returns the text of the first element matching the CSS selector.
func (p *page) text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (p *page) signIn(role string) {
	p.t.Helper()
	p.signInAs("u-" + role)
}

// signInAs signs in as the user name.
func (p *page) signInAs(name string) {
	p.t.Helper()
	p.do("open sign-in", chromedp.Navigate(p.base+"/login"))
	status := p.submit("sign in as "+name,
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.ID("sign-in")))
	if status != http.StatusOK {
		p.t.Fatalf("sign in as %s: status %d", name, status)
	}
}

// screenshot saves a full-page PNG as name in dir.
func (p *page) screenshot(dir, name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// move clicks the button that moves the incident to phase and returns the
// status of the answer.
func (p *page) move(to string) int64 {
	p.t.Helper()
	return p.submit("move to "+to, chromedp.Click(chromedp.CSS(`button[data-to="`+to+`"]`)))
}

func TestBrowserIncidentLifecycle(t *testing.T) {
	chrome := chromiumPath(t)
	rulesDir := corpustest.Path(t, "sigma", "rules", "windows")
	data := readAttackDataset(t)
	out := testOutput(t)

	rs, _, err := sigma.Load([]string{rulesDir}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, rs)
	e.postEvents(t, t.Context(), data)
	e.seedNotifications(t)

	browser := newChrome(t, chrome)
	r := &page{t: t, ctx: browser, base: e.srv.URL}
	r.otherUser(auth.RoleAdmin).addTeam(t)
	r.signIn(auth.RoleResponder)

	// The queue lists the medium alerts, which open no incident by
	// themselves.
	r.do("open the alert queue", chromedp.Navigate(e.srv.URL+"/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)))
	if got := r.text("main"); !strings.Contains(got, "LSASS") {
		t.Fatalf("alert queue shows no LSASS alert:\n%s", got)
	}
	r.screenshot(out, "alert-queue.png")

	status := r.submit("confirm an alert", chromedp.Click(chromedp.CSS(`button.confirm`)))
	if status != http.StatusOK {
		t.Fatalf("confirm: status %d", status)
	}
	loc, err := chromedp.Run(browser, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/incidents/") {
		t.Fatalf("after confirm at %q (%v), want an incident page", loc, err)
	}
	incURL := strings.SplitN(loc, "#", 2)[0]
	id := incURL[strings.LastIndex(incURL, "/")+1:]

	r.respond(incURL)
	r.evidence(t, incURL, data)
	r.record(incURL)
	r.throughPhases(t, e, incURL)

	r.do("reload", chromedp.Navigate(incURL), chromedp.WaitVisible(chromedp.ID("timeline")))
	r.screenshot(out, "incident-page.png")
	checkClosed(t, e, id)
	r.directoryAndOutbox(t, out)
	r.do("open the dashboard", chromedp.Navigate(e.srv.URL+"/dashboard?group=severity"),
		chromedp.WaitVisible(chromedp.ID("charts")))
	if got := r.text("#groups"); !strings.Contains(got, "critical") &&
		!strings.Contains(got, "high") {
		t.Errorf("dashboard groups: %q, want the incident's severity", got)
	}
	r.screenshot(out, "dashboard.png")
}

// record fills the incident's record in the browser: an action, an
// indicator and a comment.
func (p *page) record(incURL string) {
	p.t.Helper()
	p.do("open the incident", chromedp.Navigate(incURL))
	p.submit("add an action",
		chromedp.SendKeys(chromedp.CSS(`#actions input[name=what]`), "Isolated WORKSTATION5 "+
			"from the network"),
		chromedp.SendKeys(chromedp.CSS(`#actions input[name=result]`), "host quarantined"),
		chromedp.Click(chromedp.CSS(`#actions button`)))
	p.submit("add an indicator",
		chromedp.SetValue(chromedp.CSS(`#indicators select[name=kind]`), "host"),
		chromedp.SendKeys(chromedp.CSS(`#indicators input[name=value]`), "WORKSTATION5"),
		chromedp.SendKeys(chromedp.CSS(`#indicators input[name=source]`), "sysmon"),
		chromedp.Click(chromedp.CSS(`#indicators button`)))
	p.submit("add a comment",
		chromedp.SendKeys(chromedp.CSS(`#comments textarea`), "comsvcs.dll MiniDump of "+
			"lsass.exe by wardog: credentials must be rotated."),
		chromedp.Click(chromedp.CSS(`#comments button`)))
}

// throughPhases moves the incident from detected to closed, with the
// refusals of two gates, an executive's approval and the recovery
// checklist.
func (p *page) throughPhases(t *testing.T, e *env, incURL string) {
	t.Helper()
	if st := p.move("analysis"); st != http.StatusOK {
		t.Fatalf("to analysis: status %d", st)
	}
	if st := p.move("containment"); st != http.StatusConflict ||
		!strings.Contains(p.text("#error"), "containment needs the incident confirmed") {
		t.Fatalf("to containment unconfirmed: status %d, want 409 with the gate", st)
	}
	p.submit("classify", chromedp.SetValue(chromedp.CSS(`select[name=classification]`),
		"confirmed"), chromedp.SendKeys(chromedp.CSS(`#phase input[name=reason]`),
		"credential dumping confirmed on WORKSTATION5"), chromedp.Click(chromedp.ID("classify")))
	if st := p.move("containment"); st != http.StatusOK {
		t.Fatalf("to containment: status %d", st)
	}
	step := p.addTask("eradication", "Reset the krbtgt account twice", true)
	if st := p.move("eradication"); st != http.StatusConflict ||
		!strings.Contains(p.text("#error"), "approval") {
		t.Fatalf("to eradication unapproved: status %d, want 409 with the gate", st)
	}

	// The executive signs in in a browser context of its own.
	x := p.otherUser(auth.RoleExecutive)
	x.do("open the incident", chromedp.Navigate(incURL))
	x.submit("approve", chromedp.SendKeys(chromedp.CSS(`#approvals input[name=note]`),
		"approved for tonight's window"), chromedp.Click(chromedp.ID("approve-"+step)))
	if got := x.text("#approvals"); !strings.Contains(got, "approved by user:u-executive") {
		t.Fatalf("approval not shown:\n%s", got)
	}

	p.do("reload", chromedp.Navigate(incURL))
	if st := p.move("eradication"); st != http.StatusOK {
		t.Fatalf("to eradication: status %d: %s", st, p.text("main"))
	}
	p.setTask(step, "done", "krbtgt reset at 02:10 and 12:10")
	if st := p.move("recovery"); st != http.StatusOK {
		t.Fatalf("to recovery: status %d: %s", st, p.text("main"))
	}
	p.addWatchRule()
	p.submit("add a check", chromedp.SendKeys(chromedp.CSS(`#recovery input[name=name]`),
		"No new LSASS access for 24 hours"), chromedp.Click(chromedp.ID("add-check")))
	p.submit("check done",
		chromedp.Click(chromedp.CSS(`#recovery form[action$="/checks/done"] button`)))
	if st := p.move("post-incident"); st != http.StatusOK {
		t.Fatalf("to post-incident: status %d: %s", st, p.text("main"))
	}
	if st := p.move("closed"); st != http.StatusConflict ||
		!strings.Contains(p.text("#error"), "waiting for commander and executive") {
		t.Fatalf("to closed unsigned: status %d, want 409 naming the sign-offs", st)
	}
	p.postMortem(incURL)
	x.do("open the post-mortem", chromedp.Navigate(incURL+"/postmortem"))
	if st := x.submit("sign off as executive",
		chromedp.Click(chromedp.ID("signoff-executive"))); st != http.StatusOK ||
		!strings.Contains(x.text("#signed-off"), "signed off") {
		t.Fatalf("executive sign-off: status %d: %s", st, x.text("main"))
	}
	p.do("back to the incident", chromedp.Navigate(incURL))
	if st := p.move("closed"); st != http.StatusOK {
		t.Fatalf("to closed: status %d: %s", st, p.text("main"))
	}
}

// postMortem fills the post-mortem that entering post-incident created:
// an entry, a note, a finding and a follow-up, then the commander's
// sign-off; it saves a screenshot.
func (p *page) postMortem(incURL string) {
	p.t.Helper()
	p.do("open the post-mortem", chromedp.Navigate(incURL+"/postmortem"),
		chromedp.WaitVisible(chromedp.ID("timeline-entries")))
	p.submit("add a timeline entry",
		chromedp.SetValue(chromedp.CSS(`#add-entry input[name=time_zone]`), "Europe/Berlin"),
		chromedp.SendKeys(chromedp.CSS(`#add-entry input[name=text]`),
			"The service desk phoned the SOC about a slow workstation"),
		chromedp.Click(chromedp.ID("add-entry-button")))
	p.submit("annotate an entry",
		chromedp.SendKeys(chromedp.CSS(`#entry-1 input[name=text]`), "first sign of the attack"),
		chromedp.Click(chromedp.CSS(`#entry-1 form button`)))
	p.submit("record a finding",
		chromedp.SetValue(chromedp.CSS(`#add-finding select[name=category]`), "technical-lapse"),
		chromedp.SendKeys(chromedp.CSS(`#add-finding input[name=title]`),
			"comsvcs.dll MiniDump was not blocked by the endpoint policy"),
		chromedp.SendKeys(chromedp.CSS(`#add-finding input[name=evidence]`), "timeline#1"),
		chromedp.Click(chromedp.ID("add-finding-button")))
	p.submit("add a follow-up",
		chromedp.SetValue(chromedp.CSS(`#add-follow-up select[name=kind]`), "detection-rule"),
		chromedp.SendKeys(chromedp.CSS(`#add-follow-up input[name=title]`),
			"Block and alert on rundll32 comsvcs MiniDump"),
		chromedp.SendKeys(chromedp.CSS(`#add-follow-up input[name=owner]`), "u-responder"),
		chromedp.SendKeys(chromedp.CSS(`#add-follow-up input[name=finding]`), "1"),
		chromedp.Click(chromedp.ID("add-follow-up-button")))
	if st := p.submit("sign off as commander",
		chromedp.Click(chromedp.ID("signoff-commander"))); st != http.StatusOK {
		p.t.Fatalf("commander sign-off: status %d: %s", st, p.text("main"))
	}
	for sel, want := range map[string]string{
		"#finding-list":   "comsvcs.dll MiniDump was not blocked",
		"#follow-up-list": "Block and alert on rundll32 comsvcs MiniDump",
		"#signed-off":     "waiting for executive",
		"#entry-1":        "first sign of the attack",
	} {
		if got := p.text(sel); !strings.Contains(got, want) {
			p.t.Errorf("%s: %q lacks %q", sel, got, want)
		}
	}
	p.screenshot(testOutput(p.t), "postmortem-page.png")
}

// checkClosed checks the stored record after the browser's work.
func checkClosed(t *testing.T, e *env, id string) {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.st.GetIncidentRecord(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.Record
	if r.Phase != incident.PhaseClosed || r.Classification != incident.Confirmed ||
		len(r.PhaseChanges) != 6 || len(rec.Gates.Approvals) != 1 ||
		rec.Gates.Approvals[0].By != "user:u-executive" ||
		!strings.HasPrefix(rec.Gates.Approvals[0].Step, "task-") || len(r.Indicators) != 1 ||
		len(r.Comments) != 1 || len(rec.AlertIDs) != 1 {
		t.Errorf("stored record: phase %s, classification %s, %d phase changes, approvals %+v, "+
			"%d indicators, %d comments, alerts %v", r.Phase, r.Classification,
			len(r.PhaseChanges), rec.Gates.Approvals, len(r.Indicators), len(r.Comments),
			rec.AlertIDs)
	}
	checkPlan(t, e, n)
}
