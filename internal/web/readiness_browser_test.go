package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/readiness/replay"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/scenarios"
)

// responderToken replays the scenarios of the browser test.
const responderToken = "vgl_web-test-responder-token-012345"

// TestBrowserReadiness replays two shipped scenarios through the API with
// the repository's rules, keeps training records and a finding, and reads
// the readiness page in headless Chromium (screenshot readiness-page.png).
func TestBrowserReadiness(t *testing.T) {
	chrome := chromiumPath(t)
	out := testOutput(t)
	rs, _, err := sigma.Load([]string{"../../rules"}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, rs)
	ctx := t.Context()
	err = e.st.CreateToken(ctx, store.Token{Name: "red", Hash: auth.HashToken(responderToken),
		Role: auth.RoleResponder})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"webshell-upload", "credential-dumping-windows"} {
		data, err := scenarios.FS.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		sc, err := readiness.ParseScenario(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := replay.Run(ctx, replay.Config{Server: e.srv.URL, Token: responderToken,
			Speed: 0, Timeout: 5 * time.Second}, sc, 0)
		if err != nil || res.Run.Summary.Missed != 0 {
			t.Fatalf("replay %s: %v (%+v)", name, err, res)
		}
	}
	now := time.Now().UTC()
	for _, p := range []*readiness.Person{
		{Name: "u-responder", Roles: []string{"responder"}, Teams: []string{"sirt"},
			Environments: []string{"production"}, Joined: readiness.NewDate(now.AddDate(0, -2, 0))},
		{Name: "u-executive", Roles: []string{"executive"}, Teams: []string{"leadership"},
			Joined: readiness.NewDate(now.AddDate(0, 0, -20))},
	} {
		if err := e.st.PutPerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	score := 8.1
	f := readiness.Finding{Source: readiness.SourcePentest, Ref: "PT-2026-04",
		Title: "Session fixation on the portal", Severity: readiness.SeverityHigh,
		CVSSVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSSScore: &score,
		Services: []string{"portal"}, Found: now.AddDate(0, 0, -40),
		Tracking: readiness.Tracking{Owner: "u-service-engineer", State: readiness.StateInProgress,
			Due: readiness.Day(now).AddDate(0, 0, -10), History: []readiness.StateChange{}}}
	if err := e.st.CreateFindings(ctx, []readiness.Finding{f}); err != nil {
		t.Fatal(err)
	}

	r := &page{t: t, ctx: newChrome(t, chrome), base: e.srv.URL}
	r.signIn(auth.RoleResponder)
	r.do("open the readiness page", chromedp.Navigate(e.srv.URL+"/readiness"),
		chromedp.WaitVisible(chromedp.ID("exercise-list")))
	for sel, want := range map[string]string{
		"#training-totals":  "overdue",
		"#training-overdue": "Background check for production access",
		"#findings-list":    "Session fixation on the portal",
		"#exercise-list":    "credential-dumping-windows: detected 3 of 3",
	} {
		if got := r.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", sel, got, want)
		}
	}
	r.screenshot(out, "readiness-page.png")
}
