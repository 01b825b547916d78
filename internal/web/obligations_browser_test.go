package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// The obligations of the sample inventory's farm st-3 that the browser
// test follows: Initech's (GB) and Hooli's (SG) notices as their
// processor, the provider's own notice to the authority (no tenant) and
// Globex Bank's DORA initial report, whose awareness came earlier.
const (
	ukKey     = "uk-gdpr-art33-2/notification@initech"
	sgKey     = "sg-pdpa-26c/notification@hooli"
	gdprKey   = "gdpr-art33/notification"
	doraKey   = "dora-art19/initial@globex-bank"
	sgContact = "mei.tan@hooli.example"
)

// addTenantAdmin stores a tenant-admin user of tenant.
func (e *env) addTenantAdmin(t *testing.T, name, tenant string) {
	t.Helper()
	hash, err := auth.HashPassword(testPassword, cheapPasswords)
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Name: name, Roles: []string{auth.RoleTenantAdmin}, PasswordHash: hash,
		Tenant: tenant}
	if err := e.st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
}

// notices reads the incident's notices through the API, by obligation key.
func (b *browser) notices(t *testing.T, inc string) map[string]noticeItem {
	t.Helper()
	res, body := b.get("/api/v1" + inc + "/notices")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET notices: status %d: %s", res.StatusCode, body)
	}
	var list struct {
		Items []noticeItem `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]noticeItem{}
	for _, n := range list.Items {
		out[n.ObligationKey] = n
	}
	return out
}

// placeholder matches a draft's "[to be completed: …]" placeholders.
var placeholder = regexp.MustCompile(`\[(to be completed|noch zu ergänzen): [^\]]*\]`)

// completed returns body with every placeholder filled: "to follow in a
// later notice", as GDPR Art. 33(4) allows.
func completed(body string) string {
	return placeholder.ReplaceAllString(body, "To follow in a later notice.")
}

// complete fills the placeholders of notice n of incident page inc through
// the edit form as b, so that legal may approve it.
func (b *browser) complete(t *testing.T, inc string, n noticeItem) {
	t.Helper()
	res, body := b.post(fmt.Sprintf("%s/notices/%d", inc, n.ID), url.Values{
		"csrf_token": {b.csrf(inc)}, "version": {fmt.Sprint(n.Version)},
		"subject": {completed(n.Subject)}, "body": {completed(n.Body)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete notice %d: status %d: %s", n.ID, res.StatusCode, body)
	}
}

// row is the CSS selector of the obligation row of key.
func row(key string) string { return `tr[data-key="` + key + `"]` }

// fact records a fact through the incident page's form; tenant "" is the
// whole incident, a zero at leaves the time empty.
func (p *page) fact(name, truth string, at time.Time, tenant, note string) {
	p.t.Helper()
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(`#fact-form select[name=name]`), name),
		chromedp.SetValue(chromedp.CSS(`#fact-form select[name=truth]`), truth),
		chromedp.SetValue(chromedp.CSS(`#fact-form select[name=tenant]`), tenant),
		chromedp.SendKeys(chromedp.CSS(`#fact-form input[name=note]`), note)}
	if !at.IsZero() {
		acts = append(acts, chromedp.SetValue(chromedp.CSS(`#fact-form input[name=at]`),
			at.UTC().Format("2006-01-02T15:04")))
	}
	acts = append(acts, chromedp.Click(chromedp.ID("record-fact")))
	if st := p.submit("record fact "+name, acts...); st != http.StatusOK {
		p.t.Fatalf("record fact %s: status %d: %s", name, st, p.text("main"))
	}
}

// click submits the form of the button sel and wants the page answering
// with 200.
func (p *page) click(what, sel string) {
	p.t.Helper()
	if st := p.submit(what, chromedp.Click(chromedp.CSS(sel))); st != http.StatusOK {
		p.t.Fatalf("%s: status %d: %s", what, st, p.text("main"))
	}
}

// shot saves a PNG of the element sel as name in dir.
func (p *page) shot(dir, name, sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("screenshot of %s: %v", sel, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// TestBrowserObligationsAndPortal follows an incident on the sample
// inventory's farm st-3 in headless Chromium: legal records the facts on
// the incident page and sees the obligations with live countdowns (one
// overdue), drafts, edits and approves two tenant notices; communications
// sends them, the outbox e-mails Hooli's contact through a real SMTP peer
// and the page shows each delivery with its proof. Initech's
// administrator lands on its portal, sees only its own notice, may not
// open Hooli's, and acknowledges it, which the incident page then shows.
// Screenshots: incident-obligations.png, incident-notices.png, portal.png
// and portal-list.png.
func TestBrowserObligationsAndPortal(t *testing.T) {
	chrome := chromiumPath(t)
	out := testOutput(t)
	e := newEnvWith(t, nil, envOptions{Notices: true})
	admin, inc := scopedIncident(t, e)
	e.addTenantAdmin(t, "u-initech", "initech")
	e.addTenantAdmin(t, "u-hooli", "hooli")
	res, body := admin.post(inc+"/scope", url.Values{"csrf_token": {admin.csrf(inc)},
		"farms": {"st-3"}, "revision": {"0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set scope: status %d: %s", res.StatusCode, body)
	}

	legal := &page{t: t, ctx: newChrome(t, chrome), base: e.srv.URL}
	legal.signIn(auth.RoleLegal)
	legal.do("open the incident", chromedp.Navigate(e.srv.URL+inc),
		chromedp.WaitVisible(chromedp.ID("fact-form")))
	now := time.Now().UTC()
	legal.fact("awareness", "yes", now.Add(-20*time.Hour), "", "storage team call")
	legal.fact("awareness", "yes", now.Add(-27*time.Hour), "globex-bank",
		"Globex reported the leak to us first")
	legal.fact("personal_data", "yes", time.Time{}, "", "customer files in the buckets")
	checkObligations(t, legal)

	// Legal drafts two tenant notices, edits one and approves both.
	legal.click("draft Initech's notice", row(ukKey)+` button.draft`)
	legal.click("draft Hooli's notice", row(sgKey)+` button.draft`)
	ns := admin.notices(t, inc)
	uk, sg := ns[ukKey], ns[sgKey]
	if uk.ID == 0 || sg.ID == 0 || uk.State != "draft" || uk.Tenant != "initech" {
		t.Fatalf("after drafting: notices %+v", ns)
	}
	if got := legal.text(row(ukKey)); !strings.Contains(got, "drafted") ||
		!strings.Contains(got, fmt.Sprintf("notice #%d", uk.ID)) {
		t.Errorf("Initech's row after drafting: %q", got)
	}
	ukSel, sgSel := fmt.Sprintf("#notice-%d", uk.ID), fmt.Sprintf("#notice-%d", sg.ID)
	// Legal completes the description the incident record lacks and adds
	// a line.
	const todo = "[to be completed: Description of the incident]"
	if !strings.Contains(uk.Body, todo) {
		t.Fatalf("the draft lacks the placeholder %q:\n%s", todo, uk.Body)
	}
	added := "We will call your security officer at 10:00 UTC."
	edited := completed(strings.Replace(strings.TrimRight(uk.Body, "\n"), todo,
		"An attacker read objects of storage farm st-3 with a leaked access key.", 1)) +
		"\n\n" + added
	legal.do("change the body", chromedp.SetValue(chromedp.CSS(ukSel+` textarea[name=body]`),
		edited))
	legal.click("save Initech's notice", ukSel+` button.save`)
	// The browser sends the textarea with CRLF line ends; the page stores
	// LF, as the draft has them.
	if n := admin.notices(t, inc)[ukKey]; !strings.Contains(n.Body, "leaked access key.\n") ||
		strings.Contains(n.Body, todo) || !strings.Contains(n.Body, "\n\n"+added) ||
		strings.Contains(n.Body, "\r") || n.Version != uk.Version+1 {
		t.Errorf("edited notice: version %d (was %d), body ends %q", n.Version, uk.Version,
			n.Body[max(0, len(n.Body)-60):])
	}
	// Legal completes Hooli's placeholders too: a notice that still has
	// some cannot be approved.
	legal.do("complete Hooli's body", chromedp.SetValue(
		chromedp.CSS(sgSel+` textarea[name=body]`), completed(sg.Body)))
	legal.click("save Hooli's notice", sgSel+` button.save`)
	if n := admin.notices(t, inc)[sgKey]; len(n.Missing) != 0 {
		t.Errorf("Hooli's notice still misses %v", n.Missing)
	}
	legal.click("approve Initech's notice", ukSel+` button.approve`)
	legal.click("approve Hooli's notice", sgSel+` button.approve`)
	if got := legal.text(ukSel); !strings.Contains(got, "approved by user:u-legal") {
		t.Errorf("approved notice: %q", got)
	}

	// Communications sends both; the outbox delivers Hooli's e-mail.
	comms := legal.otherUser(auth.RoleCommunications)
	comms.do("open the incident", chromedp.Navigate(e.srv.URL+inc),
		chromedp.WaitVisible(chromedp.ID("notices")))
	comms.click("send Initech's notice", ukSel+` button.send`)
	comms.click("send Hooli's notice", sgSel+` button.send`)
	if n, err := e.outbox.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("outbox RunOnce = %d, %v; want the one e-mail to Hooli", n, err)
	}
	msgs := e.smtp.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != sgContact {
		t.Fatalf("SMTP received %d messages (%+v), want one to %s", len(msgs), msgs, sgContact)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msgs[0].Header().Get("Subject"))
	if err != nil || subject != sg.Subject {
		t.Errorf("mail subject %q (%v), want %q", subject, err, sg.Subject)
	}
	checkHistory(t, comms, admin, inc, msgs[0].Header().Get("Message-Id"))
	comms.do("reload", chromedp.Navigate(e.srv.URL+inc),
		chromedp.WaitVisible(chromedp.ID("obligations")))
	comms.shot(out, "incident-obligations.png", "#obligations")
	comms.shot(out, "incident-notices.png", "#notices")

	// Initech's administrator lands on its notices: its own only.
	initech := legal.otherUserNamed("u-initech")
	loc, err := chromedp.Run(initech.ctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/portal") {
		t.Fatalf("tenant-admin lands on %q (%v), want /portal", loc, err)
	}
	list := initech.text("#portal-notices")
	if !strings.Contains(list, uk.Subject) || strings.Contains(list, sg.Subject) {
		t.Errorf("Initech's portal lists:\n%s\nwant %q and not %q", list, uk.Subject,
			sg.Subject)
	}
	if st := initech.submit("open Hooli's notice", chromedp.Navigate(
		fmt.Sprintf("%s/portal/%d", e.srv.URL, sg.ID))); st != http.StatusNotFound {
		t.Errorf("Initech opens Hooli's notice: status %d, want 404", st)
	}
	if st := initech.submit("open the incident", chromedp.Navigate(e.srv.URL+inc)); st !=
		http.StatusForbidden {
		t.Errorf("a tenant-admin opens the incident page: status %d, want 403", st)
	}
	initech.do("open the portal", chromedp.Navigate(e.srv.URL+"/portal"))
	initech.click("open its notice", fmt.Sprintf("#portal-notice-%d a", uk.ID))
	if got := initech.text("#notice-body"); !strings.Contains(got, added) {
		t.Errorf("the portal shows a body without the edit:\n%s", got)
	}
	initech.click("acknowledge", "#acknowledge")
	if got := initech.text("#acknowledged"); !strings.Contains(got, "user:u-initech") {
		t.Errorf("after acknowledging: %q", got)
	}
	initech.screenshot(out, "portal.png")
	initech.do("back to the list", chromedp.Navigate(e.srv.URL+"/portal"),
		chromedp.WaitVisible(chromedp.ID("portal-notices")))
	if got := initech.text(fmt.Sprintf("#portal-notice-%d", uk.ID)); !strings.Contains(got,
		"user:u-initech") {
		t.Errorf("the portal list after the acknowledgement: %q", got)
	}
	initech.screenshot(out, "portal-list.png")

	comms.do("reload", chromedp.Navigate(e.srv.URL+inc),
		chromedp.WaitVisible(chromedp.ID("notices")))
	if got := comms.text(ukSel + " .acknowledged"); !strings.Contains(got, "user:u-initech") {
		t.Errorf("the incident page shows the acknowledgement as %q", got)
	}
	if got := comms.text(row(ukKey)); !strings.Contains(got, "acknowledged") {
		t.Errorf("Initech's obligation after the acknowledgement: %q", got)
	}
}

// checkObligations reads the obligations table after the facts: Initech's
// obligation counts down, the authority's countdown ticks in the browser,
// and Globex Bank's DORA initial report is overdue, in red.
func checkObligations(t *testing.T, p *page) {
	t.Helper()
	got := p.text(row(ukKey))
	for _, want := range []string{"Initech Ltd", "UK GDPR", "pending", " left"} {
		if !strings.Contains(got, want) {
			t.Errorf("Initech's obligation row lacks %q: %q", want, got)
		}
	}
	if !regexp.MustCompile(`0[34]:\d\d:\d\d left`).MatchString(got) {
		t.Errorf("Initech's countdown, 24 h from an awareness 20 h ago: %q", got)
	}
	cls, err := chromedp.Run(p.ctx, chromedp.AttributeValue(chromedp.CSS(row(doraKey)), "class"))
	if err != nil || !strings.Contains(cls.Value, "overdue") {
		t.Errorf("DORA row class %q (%v), want overdue", cls.Value, err)
	}
	if got := p.text(row(doraKey) + " .overdue-since"); !strings.HasPrefix(got, "overdue since") {
		t.Errorf("DORA row: %q, want overdue since", got)
	}
	if got := p.text(row(doraKey) + " .countdown"); !strings.HasPrefix(got, "overdue by") {
		t.Errorf("DORA countdown: %q, want overdue by", got)
	}

	// The countdown script counts on from the server's figure.
	sel := row(gdprKey) + " .countdown"
	first := p.text(sel)
	deadline := time.Now().Add(10 * time.Second)
	for p.text(sel) == first {
		if time.Now().After(deadline) {
			t.Fatalf("the countdown %q did not change in 10 s", first)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := p.text(sel); !strings.HasSuffix(got, " left") || got >= first {
		t.Errorf("countdown went from %q to %q, want less time left", first, got)
	}
	if got := p.text("#overdue-badge"); got != "3 obligations overdue" {
		t.Errorf("the page's head says %q, want Globex Bank's 3 day-long deadlines overdue", got)
	}
	if got := p.text("#affected-globex-bank .duties"); !strings.Contains(got, "open") ||
		!strings.Contains(got, "overdue") {
		t.Errorf("Globex Bank in the affected tenants: %q, want open and overdue", got)
	}
	if got := p.text("#affected-initech .duties"); !strings.Contains(got, "1 open") ||
		!strings.Contains(got, " left") {
		t.Errorf("Initech in the affected tenants: %q, want 1 open with its countdown", got)
	}
	if got := p.text("#fact-list"); !strings.Contains(got, "globex-bank") ||
		!strings.Contains(got, "personal_data") {
		t.Errorf("facts table: %q", got)
	}
}

// checkHistory reads the notice history on the incident page: Hooli's
// e-mail delivery sent with the SMTP Message-ID, the portal copies, and
// the content hash of each sent notice.
func checkHistory(t *testing.T, p *page, admin *browser, inc, messageID string) {
	t.Helper()
	ns := admin.notices(t, inc)
	uk, sg := ns[ukKey], ns[sgKey]
	if uk.State != "sent" || sg.State != "sent" {
		t.Fatalf("after sending: %s %s, %s %s", ukKey, uk.State, sgKey, sg.State)
	}
	p.do("reload", chromedp.Navigate(p.base+inc), chromedp.WaitVisible(chromedp.ID("notices")))
	sgSel := fmt.Sprintf("#notice-%d", sg.ID)
	mail := p.text(sgSel + ` tr[data-channel="email"]`)
	for _, want := range []string{sgContact, "sent", strings.Trim(messageID, "<>")} {
		if !strings.Contains(mail, want) {
			t.Errorf("Hooli's e-mail delivery %q lacks %q", mail, want)
		}
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`).MatchString(mail) {
		t.Errorf("Hooli's e-mail delivery %q shows no delivery time", mail)
	}
	for _, n := range []noticeItem{uk, sg} {
		sel := fmt.Sprintf("#notice-%d", n.ID)
		if got := p.text(sel + ` tr[data-channel="portal"]`); !strings.Contains(got, "sent") {
			t.Errorf("%s portal copy: %q", n.ObligationKey, got)
		}
		got := p.text(sel + " code.hash")
		if _, err := hex.DecodeString(got); err != nil || len(got) != 64 ||
			got != n.ContentHash {
			t.Errorf("%s content hash on the page %q, API %q", n.ObligationKey, got,
				n.ContentHash)
		}
	}
	if got := p.text(row(sgKey)); !strings.Contains(got, "sent") {
		t.Errorf("Hooli's obligation after sending: %q", got)
	}
}
