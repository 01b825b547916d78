package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/readiness"
	"github.com/vigilsec/vigil/internal/regulation"
	"github.com/vigilsec/vigil/internal/store"
)

// obligationsPage sets up the sample inventory's farm st-3 as the scope of
// an incident whose awareness was 27 hours ago, so that the day-long
// deadlines have passed; it returns the incident's page path and legal's
// browser.
func obligationsPage(t *testing.T, e *env) (string, *browser) {
	t.Helper()
	admin, inc := scopedIncident(t, e)
	res, body := admin.post(inc+"/scope", url.Values{"csrf_token": {admin.csrf(inc)},
		"farms": {"st-3"}, "revision": {"0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set scope: status %d: %s", res.StatusCode, body)
	}
	legal := e.signIn(t, auth.RoleLegal)
	at := time.Now().UTC().Add(-27 * time.Hour).Format("2006-01-02T15:04")
	res, body = legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"awareness"}, "truth": {"yes"}, "at": {at}, "note": {"SOC"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record awareness: status %d: %s", res.StatusCode, body)
	}
	return inc, legal
}

// rowOf returns the HTML of the obligation row of key on page body.
func rowOf(t *testing.T, body, key string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `data-key="`+key+`"`)
	if !ok {
		t.Fatalf("no row of %s on the page", key)
	}
	r, _, _ := strings.Cut(rest, "</tr>")
	return html.UnescapeString(r)
}

// TestObligationForms drives the forms of the obligations section over
// HTTP: a bad fact keeps the form and names the field, not-required and
// reinstate with their reasons, the overdue flag cleared with a reason
// once the watcher set it, and who sees which form.
func TestObligationForms(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	inc, legal := obligationsPage(t, e)

	res, body := legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"awareness"}, "truth": {"maybe"}, "note": {"kept note"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "truth") ||
		!strings.Contains(body, `value="kept note"`) {
		t.Errorf("bad truth: status %d, want 422 naming truth and keeping the note", res.StatusCode)
	}
	res, _ = legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"affected_individuals"}, "truth": {"yes"}, "count": {"-3"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("negative count: status %d, want 422", res.StatusCode)
	}

	for _, step := range []struct {
		action, reason, state string
	}{
		{"not-required", "Initech holds no personal data on st-3", "not-required"},
		{"reinstate", "Initech's backups are on st-3 after all", "pending"},
	} {
		res, body := legal.post(inc+"/obligations/"+step.action, url.Values{
			"csrf_token": {legal.csrf(inc)}, "key": {ukKey}, "reason": {step.reason}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d: %s", step.action, res.StatusCode, body)
		}
		_, body = legal.get(inc)
		r := rowOf(t, body, ukKey)
		if !strings.Contains(r, `<span class="state `+step.state+`">`) ||
			!strings.Contains(r, step.reason) {
			t.Errorf("after %s the row lacks state %s or the reason:\n%s", step.action,
				step.state, r)
		}
	}
	res, body = legal.post(inc+"/obligations/not-required", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {ukKey}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "reason") {
		t.Errorf("not-required without a reason: status %d, want 422 naming reason",
			res.StatusCode)
	}

	// Past its deadline the row is overdue, but only the watcher's flag
	// can be cleared.
	_, body = legal.get(inc)
	if r := rowOf(t, body, ukKey); !strings.Contains(r, "overdue since") ||
		strings.Contains(r, "clear-overdue") {
		t.Errorf("overdue row before the watcher looked:\n%s", r)
	}
	observe(t, e, 1, ukKey)
	_, body = legal.get(inc)
	if r := rowOf(t, body, ukKey); strings.Contains(r, "/obligations/clear-overdue") {
		t.Errorf("a row still past its deadline offers to clear the flag:\n%s", r)
	}
	at := time.Now().UTC().Add(-20 * time.Hour).Format("2006-01-02T15:04")
	res, body = legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"awareness"}, "truth": {"yes"}, "at": {at}, "note": {"corrected"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("correct awareness: status %d: %s", res.StatusCode, body)
	}
	_, body = legal.get(inc)
	if r := rowOf(t, body, ukKey); !strings.Contains(r, "/obligations/clear-overdue") ||
		!strings.Contains(r, `class="overdue-since"`) || !strings.Contains(r, " left") {
		t.Fatalf("flagged row with a later deadline: no clear form or no flag:\n%s", r)
	}
	res, body = legal.post(inc+"/obligations/clear-overdue", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {ukKey},
		"reason": {"awareness was recorded a day early"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear overdue: status %d: %s", res.StatusCode, body)
	}
	_, body = legal.get(inc)
	if r := rowOf(t, body, ukKey); !strings.Contains(r, "overdue-cleared · awareness was "+
		"recorded a day early") || strings.Contains(r, "/obligations/clear-overdue") ||
		strings.Contains(r, `class="overdue-since"`) {
		t.Errorf("after clearing:\n%s", r)
	}

	// Who sees which form: communications drafts but decides nothing; an
	// auditor reads.
	comms := e.signIn(t, auth.RoleCommunications)
	_, body = comms.get(inc)
	if r := rowOf(t, body, sgKey); !strings.Contains(r, "Draft notice") ||
		strings.Contains(r, "not-required") || strings.Contains(body, `id="fact-form"`) {
		t.Errorf("communications' row:\n%s", r)
	}
	auditor := e.signIn(t, auth.RoleAuditor)
	_, body = auditor.get(inc)
	if r := rowOf(t, body, sgKey); strings.Contains(r, "<form") {
		t.Errorf("an auditor sees a form:\n%s", r)
	}
}

// observe sets the overdue flag of the obligation key as the deadline
// watcher does.
func observe(t *testing.T, e *env, incidentID int64, key string) {
	t.Helper()
	err := e.st.Atomically(t.Context(), func(tx store.Tx) error {
		_, err := e.obligations.Transition(t.Context(), tx, incidentID, key,
			func(r *regulation.Record) error {
				out, changed := r.Observe(time.Now())
				if !changed {
					return fmt.Errorf("%s is not overdue", key)
				}
				*r = out
				return nil
			})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestExerciseNotices: the obligations of an exercise's incident are shown
// as a drill's, and sending its notice is refused on the page with the
// API's reason; nothing reaches the outbox.
func TestExerciseNotices(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	ctx := t.Context()
	ex := &readiness.Exercise{Name: "tabletop", Kind: readiness.ExerciseTabletop,
		Status: readiness.ExercisePlanned, Objectives: []string{},
		Participants: []readiness.Participant{}, Runs: []readiness.Run{}}
	if err := e.st.CreateExercise(ctx, ex); err != nil {
		t.Fatal(err)
	}
	if err := e.st.MarkExercise(ctx, store.MarkIncident, 1, ex.ID); err != nil {
		t.Fatal(err)
	}
	inc, legal := obligationsPage(t, e)
	_, body := legal.get(inc)
	if !strings.Contains(body, `id="exercise-note"`) {
		t.Error("the exercise's obligations are not marked as a drill")
	}
	res, body := legal.post(inc+"/obligations/draft", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {sgKey}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: status %d: %s", res.StatusCode, body)
	}
	admin := e.signIn(t, auth.RoleAdmin)
	n := admin.notices(t, inc)[sgKey]
	legal.complete(t, inc, n)
	res, body = legal.post(fmt.Sprintf("%s/notices/%d/approve", inc, n.ID),
		url.Values{"csrf_token": {legal.csrf(inc)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: status %d: %s", res.StatusCode, body)
	}
	comms := e.signIn(t, auth.RoleCommunications)
	res, body = comms.post(fmt.Sprintf("%s/notices/%d/send", inc, n.ID),
		url.Values{"csrf_token": {comms.csrf(inc)}})
	if res.StatusCode != http.StatusConflict ||
		!strings.Contains(html.UnescapeString(body), "this incident is an exercise") {
		t.Errorf("send on an exercise: status %d, want 409 with the reason", res.StatusCode)
	}
	if got, err := e.outbox.RunOnce(ctx); err != nil || got != 0 {
		t.Errorf("outbox after the refused send: %d attempted (%v), want none", got, err)
	}
	if msgs := e.smtp.Messages(); len(msgs) != 0 {
		t.Errorf("the SMTP peer got %d messages about an exercise", len(msgs))
	}
}

// TestNoticeForms: an edit from a stale page answers 412 and keeps the
// notice; a notice to an authority is filed by hand with its reference,
// which its delivery history shows.
func TestNoticeForms(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	inc, legal := obligationsPage(t, e)
	admin := e.signIn(t, auth.RoleAdmin)
	res, body := legal.post(inc+"/obligations/draft", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {gdprKey}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: status %d: %s", res.StatusCode, body)
	}
	n := admin.notices(t, inc)[gdprKey]
	path := fmt.Sprintf("%s/notices/%d", inc, n.ID)
	for _, tc := range []struct {
		version string
		status  int
	}{
		{fmt.Sprint(n.Version), http.StatusSeeOther},
		{fmt.Sprint(n.Version), http.StatusPreconditionFailed}, // the page before the save
	} {
		res, body := legal.post(path, url.Values{"csrf_token": {legal.csrf(inc)},
			"version": {tc.version}, "subject": {n.Subject}, "body": {n.Body + "\r\nEdited."}})
		if res.StatusCode != tc.status {
			t.Errorf("edit at version %s: status %d, want %d: %s", tc.version,
				res.StatusCode, tc.status, body)
		}
	}
	if got := admin.notices(t, inc)[gdprKey]; got.Version != n.Version+1 ||
		strings.Count(got.Body, "Edited.") != 1 {
		t.Errorf("after a save and a stale one: version %d, body %q", got.Version, got.Body)
	}
	// Legal may not approve it while it holds placeholders.
	res, body = legal.post(path+"/approve", url.Values{"csrf_token": {legal.csrf(inc)}})
	if res.StatusCode != http.StatusConflict ||
		!strings.Contains(html.UnescapeString(body), "still has elements to complete") {
		t.Errorf("approve with placeholders: status %d, want 409 naming the elements",
			res.StatusCode)
	}
	legal.complete(t, inc, admin.notices(t, inc)[gdprKey])
	legal.post(path+"/approve", url.Values{"csrf_token": {legal.csrf(inc)}})
	_, body = admin.get(inc)
	if !strings.Contains(body, `placeholder="Filed as (reference)"`) ||
		!strings.Contains(body, "Record as filed") {
		t.Error("an authority's approved notice lacks the filing form")
	}
	res, body = admin.post(path+"/send", url.Values{"csrf_token": {admin.csrf(inc)},
		"reference": {"ICO-2026-0815"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("file by hand: status %d: %s", res.StatusCode, body)
	}
	_, body = admin.get(inc)
	_, sec, _ := strings.Cut(body, fmt.Sprintf(`id="notice-%d"`, n.ID))
	sec, _, _ = strings.Cut(sec, "</article>")
	if !strings.Contains(sec, `data-channel="manual"`) || !strings.Contains(sec,
		"Filed by hand as <strong>ICO-2026-0815</strong>") || !strings.Contains(sec,
		"<code class=\"details\">ICO-2026-0815</code>") {
		t.Errorf("the filed notice's history:\n%s", sec)
	}
}

// TestFailedDelivery: a notice to Globex Bank goes to its contact's
// webhook; this server has no webhook sender, so the attempt fails, and
// the delivery history shows the failure and its error.
func TestFailedDelivery(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	inc, legal := obligationsPage(t, e)
	admin := e.signIn(t, auth.RoleAdmin)
	const key = "gdpr-art33-2/notification@globex-bank"
	res, body := legal.post(inc+"/obligations/draft", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {key}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: status %d: %s", res.StatusCode, body)
	}
	n := admin.notices(t, inc)[key]
	path := fmt.Sprintf("%s/notices/%d", inc, n.ID)
	legal.complete(t, inc, n)
	legal.post(path+"/approve", url.Values{"csrf_token": {legal.csrf(inc)}})
	res, body = admin.post(path+"/send", url.Values{"csrf_token": {admin.csrf(inc)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: status %d: %s", res.StatusCode, body)
	}
	if got, err := e.outbox.RunOnce(t.Context()); err != nil || got != 1 {
		t.Fatalf("outbox: %d attempted (%v), want the webhook", got, err)
	}
	_, body = admin.get(inc)
	_, sec, _ := strings.Cut(body, fmt.Sprintf(`id="notice-%d"`, n.ID))
	sec, _, _ = strings.Cut(sec, "</article>")
	_, hook, ok := strings.Cut(sec, `data-channel="webhook"`)
	if !ok {
		t.Fatalf("no webhook delivery in the history:\n%s", sec)
	}
	hook, _, _ = strings.Cut(hook, "</tr>")
	if !strings.Contains(hook, "https://hooks.globex-bank.example/vigil") ||
		!strings.Contains(hook, `class="state failed"`) ||
		!strings.Contains(hook, `<small class="missing">`) {
		t.Errorf("the failed webhook delivery:\n%s", hook)
	}
	if len(e.smtp.Messages()) != 0 {
		t.Error("a webhook notice went out by e-mail")
	}
}

// TestPortalPages: a tenant-admin's portal lists only its tenant's sent
// notices and another tenant's answers 404; staff read every tenant's
// portal notices but may not acknowledge them.
func TestPortalPages(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	inc, legal := obligationsPage(t, e)
	e.addTenantAdmin(t, "u-initech", "initech")
	admin := e.signIn(t, auth.RoleAdmin)
	for _, key := range []string{ukKey, sgKey} {
		res, body := legal.post(inc+"/obligations/draft", url.Values{
			"csrf_token": {legal.csrf(inc)}, "key": {key}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("draft %s: status %d: %s", key, res.StatusCode, body)
		}
		n := admin.notices(t, inc)[key]
		legal.complete(t, inc, n)
		legal.post(fmt.Sprintf("%s/notices/%d/approve", inc, n.ID),
			url.Values{"csrf_token": {legal.csrf(inc)}})
		res, body = admin.post(fmt.Sprintf("%s/notices/%d/send", inc, n.ID),
			url.Values{"csrf_token": {admin.csrf(inc)}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %s: status %d: %s", key, res.StatusCode, body)
		}
	}
	ns := admin.notices(t, inc)
	uk, sg := ns[ukKey], ns[sgKey]
	// Initech's only contact cannot be reached by e-mail or webhook: its
	// notice went only to the portal, and the page says so.
	if len(uk.Warnings) != 1 || !strings.Contains(uk.Warnings[0], "only to the tenant portal") ||
		len(sg.Warnings) != 0 {
		t.Errorf("warnings: Initech %q, Hooli %q; want one for Initech only", uk.Warnings,
			sg.Warnings)
	}
	_, body := admin.get(inc)
	_, sec, _ := strings.Cut(body, fmt.Sprintf(`id="notice-%d"`, uk.ID))
	sec, _, _ = strings.Cut(sec, "</article>")
	if !strings.Contains(sec, `class="missing warning"`) ||
		!strings.Contains(html.UnescapeString(sec), "went only to the tenant portal") {
		t.Errorf("Initech's notice on the incident page lacks the warning:\n%s", sec)
	}

	tenant := e.browser(t)
	res, _ := tenant.post("/login", url.Values{"name": {"u-initech"},
		"password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as u-initech: status %d", res.StatusCode)
	}
	if res, _ := tenant.get("/"); res.Header.Get("Location") != "/portal" {
		t.Errorf("tenant-admin home: %q, want /portal", res.Header.Get("Location"))
	}
	_, body = tenant.get("/portal")
	if !strings.Contains(body, fmt.Sprintf(`id="portal-notice-%d"`, uk.ID)) ||
		strings.Contains(body, fmt.Sprintf(`id="portal-notice-%d"`, sg.ID)) ||
		!strings.Contains(body, "1 not acknowledged yet") ||
		!strings.Contains(body, `href="/portal"`) {
		t.Errorf("Initech's portal:\n%s", body)
	}
	for _, path := range []string{fmt.Sprintf("/portal/%d", sg.ID), "/portal/999", "/portal/x"} {
		if res, _ := tenant.get(path); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s as Initech: status %d, want 404", path, res.StatusCode)
		}
	}
	res, _ = tenant.post(fmt.Sprintf("/portal/%d/acknowledge", sg.ID),
		url.Values{"csrf_token": {tenant.csrf("/portal")}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("Initech acknowledges Hooli's notice: status %d, want 404", res.StatusCode)
	}

	responder := e.signIn(t, auth.RoleResponder)
	_, body = responder.get("/portal")
	if !strings.Contains(body, fmt.Sprintf(`id="portal-notice-%d"`, uk.ID)) ||
		!strings.Contains(body, fmt.Sprintf(`id="portal-notice-%d"`, sg.ID)) ||
		strings.Contains(body, `href="/portal"`) {
		t.Errorf("staff's portal should list every tenant's notices, without a menu item")
	}
	if _, body := responder.get(fmt.Sprintf("/portal/%d", uk.ID)); strings.Contains(body,
		`id="acknowledge"`) {
		t.Error("staff see the acknowledge button")
	}
	res, _ = responder.post(fmt.Sprintf("/portal/%d/acknowledge", uk.ID),
		url.Values{"csrf_token": {responder.csrf("/portal")}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("staff acknowledge: status %d, want 403", res.StatusCode)
	}
}

// TestNoticeRedraftForm: a notice drafted before its deadline moved shows
// "drafted before the deadline changed" with a Redraft button; the button
// redrafts it from the current record and the mark goes.
func TestNoticeRedraftForm(t *testing.T) {
	e := newEnvWith(t, nil, envOptions{Notices: true})
	inc, legal := obligationsPage(t, e)
	admin := e.signIn(t, auth.RoleAdmin)
	res, body := legal.post(inc+"/obligations/draft", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {ukKey}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: status %d: %s", res.StatusCode, body)
	}
	n := admin.notices(t, inc)[ukKey]
	section := func() string {
		_, body := admin.get(inc)
		_, sec, _ := strings.Cut(body, fmt.Sprintf(`id="notice-%d"`, n.ID))
		sec, _, _ = strings.Cut(sec, "</article>")
		return html.UnescapeString(sec)
	}
	if n.Stale || strings.Contains(section(), "button class=\"secondary redraft\"") {
		t.Fatal("a fresh draft is marked stale")
	}
	// Awareness turns out to be earlier: the deadline moves.
	at := time.Now().UTC().Add(-30 * time.Hour).Format("2006-01-02T15:04")
	res, body = legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"awareness"}, "truth": {"yes"}, "at": {at}, "note": {"earlier call"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("earlier awareness: status %d: %s", res.StatusCode, body)
	}
	if sec := section(); !admin.notices(t, inc)[ukKey].Stale ||
		!strings.Contains(sec, "Drafted before the deadline changed — redraft.") ||
		!strings.Contains(sec, `<button class="secondary redraft">Redraft</button>`) {
		t.Fatalf("the notice after the deadline moved is not marked stale:\n%s", sec)
	}
	res, body = legal.post(inc+"/obligations/draft", url.Values{
		"csrf_token": {legal.csrf(inc)}, "key": {ukKey}, "replace": {"yes"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("redraft: status %d: %s", res.StatusCode, body)
	}
	got := admin.notices(t, inc)[ukKey]
	if got.ID != n.ID || got.Version != n.Version+1 || got.Stale || got.State != "draft" {
		t.Errorf("after the redraft: id %d version %d stale %t state %s; want id %d "+
			"version %d, not stale, draft", got.ID, got.Version, got.Stale, got.State, n.ID,
			n.Version+1)
	}
	if strings.Contains(section(), "Drafted before the deadline changed") {
		t.Error("the redrafted notice is still marked stale")
	}
}

// TestTargetMissedRow: HIPAA's obligation shows its 72-hour internal
// target beside the 60-day deadline, and "target missed" once awareness
// is more than 72 hours ago with nothing sent.
func TestTargetMissedRow(t *testing.T) {
	const key = "hipaa-ba/notification@acme-health"
	e := newEnvWith(t, nil, envOptions{Notices: true})
	admin, inc := scopedIncident(t, e)
	res, body := admin.post(inc+"/scope", url.Values{"csrf_token": {admin.csrf(inc)},
		"farms": {"st-7"}, "revision": {"0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set scope: status %d: %s", res.StatusCode, body)
	}
	legal := e.signIn(t, auth.RoleLegal)
	res, body = legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
		"name": {"health_data"}, "truth": {"yes"}, "note": {"SOC"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record health_data: status %d: %s", res.StatusCode, body)
	}
	for _, tc := range []struct {
		ago    time.Duration
		missed bool
	}{
		{48 * time.Hour, false},
		{80 * time.Hour, true},
	} {
		at := time.Now().UTC().Add(-tc.ago).Format("2006-01-02T15:04")
		res, body := legal.post(inc+"/facts", url.Values{"csrf_token": {legal.csrf(inc)},
			"name": {"awareness"}, "truth": {"yes"}, "at": {at}, "note": {"SOC, " + at}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("record awareness %s: status %d: %s", at, res.StatusCode, body)
		}
		_, body = legal.get(inc)
		r := rowOf(t, body, key)
		if !strings.Contains(r, "internal target ") || !strings.Contains(r, " left") ||
			strings.Contains(r, "target missed") != tc.missed {
			t.Errorf("awareness %v ago: want the target, the countdown and target missed %v:\n%s",
				tc.ago, tc.missed, r)
		}
	}
}
